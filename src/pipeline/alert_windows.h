// Epoch-aligned hopping windows (size, slide; slide divides size) counting rejections per
// device. Each event belongs to exactly size/slide windows. A window fires once, when the
// watermark reaches its end; windows that have fired take no more events. At most `max_open`
// (window, device) counts are open at once; a rejection that would open one more is left out
// of that window. Window ends saturate at kTimeMax. Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/time.h"

namespace gw {

class AlertWindows {
 public:
  using DeviceCount = std::pair<std::uint32_t, std::int64_t>;  // (device index, rejections)
  using Emit = std::function<void(TimeMs start, TimeMs end, std::span<const DeviceCount> counts)>;
  // Complete state: per open window (by start), its counts in device-index order.
  using State = std::map<TimeMs, std::vector<DeviceCount>>;

  AlertWindows(DurationMs size, DurationMs slide, std::size_t max_open = SIZE_MAX)
      : size_(size), slide_(slide), max_open_(max_open) {}

  // True if ts falls in a window that has already fired (the event is late).
  bool is_late(TimeMs ts, TimeMs watermark) const {
    return add_saturated(floor_to(ts, slide_), slide_) <= watermark;
  }
  // Counts one rejection of `device` at ts in each of its windows that has not fired. False if
  // a window was left out because max_open counts are open.
  bool add_rejection(std::uint32_t device, TimeMs ts, TimeMs watermark);
  // Fires every window whose end <= watermark, oldest first; counts in device-index order.
  void fire_until(TimeMs watermark, const Emit& emit);
  std::size_t open_windows() const { return windows_.size(); }
  // Open (window, device) counts.
  std::size_t open_counts() const { return open_counts_; }

  State state() const;
  // Replaces the state. False with `error`, nothing changed, if it is inconsistent: a window
  // start not aligned to slide, a count <= 0, a device listed twice in a window.
  bool restore(const State& state, std::string& error);

 private:
  DurationMs size_, slide_;
  std::size_t max_open_;
  std::size_t open_counts_ = 0;
  std::map<TimeMs, std::unordered_map<std::uint32_t, std::int64_t>> windows_;  // by start
};

}  // namespace gw
