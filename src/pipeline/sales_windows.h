// Epoch-aligned tumbling windows of (sum, count) per store. A window [start, start+size)
// fires once, when the watermark reaches its end; an event whose window has already fired
// is late and rejected. At most `max_open` (window, store) sums are open at once; a sale that
// would open one more is refused. Only the stores of open windows are kept: the others are
// forgotten when windows fire. Sums saturate at the int64 range. Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/records.h"
#include "core/time.h"

namespace gw {

class SalesWindows {
 public:
  struct Acc {
    std::int64_t sum = 0, count = 0;
  };
  // Complete state: store names in interning order (index = position) and, per open window,
  // (sum, count) by store index; a store without sales in the window has count 0.
  struct State {
    std::vector<std::string> stores;
    std::map<TimeMs, std::vector<Acc>> windows;  // by window start
  };

  explicit SalesWindows(DurationMs size, std::size_t max_open = SIZE_MAX)
      : size_(size), max_open_(max_open) {}

  // Index of a store; new stores are added on first sight. An index stays valid until the next
  // fire_until, which forgets (and renumbers) the stores without a sale in an open window.
  std::uint32_t intern(std::string_view store_id);
  bool is_late(TimeMs ts, TimeMs watermark) const {
    return add_saturated(floor_to(ts, size_), size_) <= watermark;
  }
  // Adds one sale; false (and nothing added) if the sale's window has already fired, the
  // sale would open one (window, store) sum more than max_open, or `store` is no index.
  bool add(std::uint32_t store, TimeMs ts, std::int64_t amount, TimeMs watermark);
  // The same by store id; a store is interned only if its sale is added.
  bool add(std::string_view store_id, TimeMs ts, std::int64_t amount, TimeMs watermark);
  // Fires every window whose end <= watermark, oldest first, stores in id order.
  void fire_until(TimeMs watermark, const std::function<void(const SalesAggregate&)>& emit);
  std::size_t open_windows() const { return windows_.size(); }
  // Open (window, store) sums.
  std::size_t open_sums() const { return open_sums_; }
  std::size_t stores_kept() const { return names_.size(); }
  DurationMs size() const { return size_; }

  State state() const { return {names_, windows_}; }
  // Replaces the state. False with `error`, nothing changed, if it is inconsistent: a store
  // named twice, a window start not aligned to size, more stores than named, a count < 0.
  bool restore(State state, std::string& error);

 private:
  void forget_unused_stores();

  DurationMs size_;
  std::size_t max_open_;
  std::size_t open_sums_ = 0;
  std::vector<std::string> names_;
  std::unordered_map<std::string, std::uint32_t> index_;
  std::vector<std::uint32_t> sorted_;           // store indices ordered by id
  std::map<TimeMs, std::vector<Acc>> windows_;  // by window start
  TimeMs cached_start_ = kTimeMin;
  std::vector<Acc>* cached_ = nullptr;
};

}  // namespace gw
