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

}  // namespace gw
