#include "pipeline/sales_windows.h"

#include <algorithm>
#include <numeric>

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

bool SalesWindows::restore(State state, std::string& error) {
  std::unordered_map<std::string, std::uint32_t> index;
  for (std::uint32_t i = 0; i < state.stores.size(); ++i) {
    if (!index.emplace(state.stores[i], i).second) {
      error = "store ";
      error += state.stores[i];
      error += " is named twice";
      return false;
    }
  }
  for (const auto& [start, accs] : state.windows) {
    if (floor_to(start, size_) != start || start > kTimeMax - size_) {
      error = "a sales window start is not a multiple of the window size";
      return false;
    }
    const bool negative =
        std::any_of(accs.begin(), accs.end(), [](const Acc& a) { return a.count < 0; });
    if (accs.size() > state.stores.size() || negative) {
      error = "a sales window has an unknown store or a negative count";
      return false;
    }
  }
  names_ = std::move(state.stores);
  index_ = std::move(index);
  sorted_.resize(names_.size());
  std::iota(sorted_.begin(), sorted_.end(), 0U);
  std::sort(sorted_.begin(), sorted_.end(),
            [&](std::uint32_t a, std::uint32_t b) { return names_[a] < names_[b]; });
  windows_ = std::move(state.windows);
  cached_start_ = kTimeMin;
  cached_ = nullptr;
  return true;
}

}  // namespace gw
