// Epoch-aligned tumbling windows of (sum, count) per store. A window [start, start+size)
// fires once, when the watermark reaches its end; an event whose window has already fired
// is late and rejected. Not thread-safe.
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

  explicit SalesWindows(DurationMs size) : size_(size) {}

  // Index of a store; new stores are added on first sight.
  std::uint32_t intern(std::string_view store_id);
  // Adds one sale; false (and nothing added) if the sale's window has already fired.
  bool add(std::uint32_t store, TimeMs ts, std::int64_t amount, TimeMs watermark);
  // Fires every window whose end <= watermark, oldest first, stores in id order.
  void fire_until(TimeMs watermark, const std::function<void(const SalesAggregate&)>& emit);
  std::size_t open_windows() const { return windows_.size(); }
  DurationMs size() const { return size_; }

  State state() const { return {names_, windows_}; }
  // Replaces the state. False with `error`, nothing changed, if it is inconsistent: a store
  // named twice, a window start not aligned to size, more stores than named, a count < 0.
  bool restore(State state, std::string& error);

 private:
  DurationMs size_;
  std::vector<std::string> names_;
  std::unordered_map<std::string, std::uint32_t> index_;
  std::vector<std::uint32_t> sorted_;           // store indices ordered by id
  std::map<TimeMs, std::vector<Acc>> windows_;  // by window start
  TimeMs cached_start_ = kTimeMin;
  std::vector<Acc>* cached_ = nullptr;
};

}  // namespace gw
