#include "pipeline/alert_windows.h"

#include <algorithm>

namespace gw {

bool AlertWindows::add_rejection(std::uint32_t device, TimeMs ts, TimeMs watermark) {
  // The windows containing ts start at last_start, last_start - slide, ... (size/slide of them).
  const TimeMs first_after = sub_saturated(ts, size_);
  bool all = true;
  for (TimeMs start = floor_to(ts, slide_); start > first_after;) {
    if (add_saturated(start, size_) <= watermark) break;  // this and all earlier have fired
    auto& counts = windows_[start];
    if (const auto it = counts.find(device); it != counts.end()) {
      ++it->second;
    } else if (open_counts_ < max_open_) {
      counts.emplace(device, 1);
      ++open_counts_;
    } else {
      all = false;
      if (counts.empty()) windows_.erase(start);
    }
    if (start < kTimeMin + slide_) break;
    start -= slide_;
  }
  return all;
}

void AlertWindows::fire_until(TimeMs watermark, const Emit& emit) {
  std::vector<DeviceCount> counts;
  while (!windows_.empty() && add_saturated(windows_.begin()->first, size_) <= watermark) {
    auto node = windows_.extract(windows_.begin());
    open_counts_ -= node.mapped().size();
    counts.assign(node.mapped().begin(), node.mapped().end());
    std::sort(counts.begin(), counts.end());
    emit(node.key(), add_saturated(node.key(), size_), counts);
  }
}

AlertWindows::State AlertWindows::state() const {
  State s;
  for (const auto& [start, counts] : windows_) {
    auto& v = s[start];
    v.assign(counts.begin(), counts.end());
    std::sort(v.begin(), v.end());
  }
  return s;
}

bool AlertWindows::restore(const State& state, std::string& error) {
  std::map<TimeMs, std::unordered_map<std::uint32_t, std::int64_t>> windows;
  std::size_t open = 0;
  for (const auto& [start, counts] : state) {
    open += counts.size();
    if (floor_to(start, slide_) != start) {
      error = "an alert window start is not a multiple of the slide";
      return false;
    }
    auto& w = windows[start];
    for (const auto& [device, count] : counts) {
      if (count <= 0 || !w.emplace(device, count).second) {
        error = "an alert window has a count <= 0 or a device listed twice";
        return false;
      }
    }
  }
  windows_ = std::move(windows);
  open_counts_ = open;
  return true;
}

}  // namespace gw
