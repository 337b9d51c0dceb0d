#include "pipeline/alert_windows.h"

#include <algorithm>

namespace gw {

void AlertWindows::add_rejection(std::uint32_t device, TimeMs ts, TimeMs watermark) {
  // The windows containing ts start at last_start, last_start - slide, ... (size/slide of them).
  const TimeMs last_start = floor_to(ts, slide_);
  for (TimeMs start = last_start; start > ts - size_; start -= slide_) {
    if (start + size_ <= watermark) break;  // this and all earlier windows have fired
    ++windows_[start][device];
  }
}

void AlertWindows::fire_until(TimeMs watermark, const Emit& emit) {
  std::vector<DeviceCount> counts;
  while (!windows_.empty() && windows_.begin()->first + size_ <= watermark) {
    auto node = windows_.extract(windows_.begin());
    counts.assign(node.mapped().begin(), node.mapped().end());
    std::sort(counts.begin(), counts.end());
    emit(node.key(), node.key() + size_, counts);
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
  for (const auto& [start, counts] : state) {
    if (floor_to(start, slide_) != start || start > kTimeMax - size_) {
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
  return true;
}

}  // namespace gw
