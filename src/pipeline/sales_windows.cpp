#include "pipeline/sales_windows.h"

#include <algorithm>

namespace gw {

std::uint32_t SalesWindows::intern(std::string_view store_id) {
  const auto it = index_.find(std::string(store_id));
  if (it != index_.end()) return it->second;
  const auto idx = static_cast<std::uint32_t>(names_.size());
  names_.emplace_back(store_id);
  index_.emplace(names_.back(), idx);
  sorted_.insert(
      std::upper_bound(sorted_.begin(), sorted_.end(), idx,
                       [&](std::uint32_t a, std::uint32_t b) { return names_[a] < names_[b]; }),
      idx);
  return idx;
}

bool SalesWindows::add(std::uint32_t store, TimeMs ts, std::int64_t amount, TimeMs watermark) {
  const TimeMs start = floor_to(ts, size_);
  if (start + size_ <= watermark) return false;
  if (start != cached_start_ || cached_ == nullptr) {
    cached_ = &windows_[start];
    cached_start_ = start;
  }
  if (cached_->size() <= store) cached_->resize(names_.size() > store ? names_.size() : store + 1);
  Acc& a = (*cached_)[store];
  a.sum += amount;
  ++a.count;
  return true;
}

void SalesWindows::fire_until(TimeMs watermark,
                              const std::function<void(const SalesAggregate&)>& emit) {
  while (!windows_.empty() && windows_.begin()->first + size_ <= watermark) {
    auto node = windows_.extract(windows_.begin());
    if (node.key() == cached_start_) cached_ = nullptr;
    const std::vector<Acc>& accs = node.mapped();
    for (const std::uint32_t s : sorted_) {
      if (s >= accs.size() || accs[s].count == 0) continue;
      emit(SalesAggregate{names_[s], node.key(), node.key() + size_, accs[s].sum, accs[s].count});
    }
  }
}

}  // namespace gw
