#include "pipeline/sales_windows.h"

#include <algorithm>
#include <numeric>

namespace gw {
namespace {

std::int64_t add_clamped(std::int64_t a, std::int64_t b) {
  std::int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) return b > 0 ? INT64_MAX : INT64_MIN;
  return r;
}

std::size_t count_open(const std::vector<SalesWindows::Acc>& accs) {
  return static_cast<std::size_t>(
      std::count_if(accs.begin(), accs.end(), [](const SalesWindows::Acc& a) { return a.count; }));
}

}  // namespace

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

bool SalesWindows::add(std::string_view store_id, TimeMs ts, std::int64_t amount,
                       TimeMs watermark) {
  if (open_sums_ >= max_open_ && index_.find(std::string(store_id)) == index_.end())
    return false;  // a new store would open a sum
  return add(intern(store_id), ts, amount, watermark);
}

bool SalesWindows::add(std::uint32_t store, TimeMs ts, std::int64_t amount, TimeMs watermark) {
  if (store >= names_.size()) return false;
  const TimeMs start = floor_to(ts, size_);
  if (add_saturated(start, size_) <= watermark) return false;
  if (start != cached_start_ || cached_ == nullptr) {
    cached_ = &windows_[start];
    cached_start_ = start;
  }
  if (cached_->size() <= store) {
    if (open_sums_ >= max_open_) return false;
    cached_->resize(names_.size() > store ? names_.size() : store + 1);
  }
  Acc& a = (*cached_)[store];
  if (a.count == 0) {
    if (open_sums_ >= max_open_) return false;
    ++open_sums_;
  }
  a.sum = add_clamped(a.sum, amount);
  ++a.count;
  return true;
}

void SalesWindows::fire_until(TimeMs watermark,
                              const std::function<void(const SalesAggregate&)>& emit) {
  bool fired = false;
  while (!windows_.empty() && add_saturated(windows_.begin()->first, size_) <= watermark) {
    auto node = windows_.extract(windows_.begin());
    if (node.key() == cached_start_) cached_ = nullptr;
    const std::vector<Acc>& accs = node.mapped();
    open_sums_ -= count_open(accs);
    fired = true;
    const TimeMs end = add_saturated(node.key(), size_);
    for (const std::uint32_t s : sorted_) {
      if (s >= accs.size() || accs[s].count == 0) continue;
      emit(SalesAggregate{names_[s], node.key(), end, accs[s].sum, accs[s].count});
    }
  }
  if (fired) forget_unused_stores();
}

// Renumbers the stores that have a sale in an open window; drops the others.
void SalesWindows::forget_unused_stores() {
  std::vector<std::uint32_t> renumber(names_.size(), UINT32_MAX);
  for (const auto& [start, accs] : windows_)
    for (std::uint32_t i = 0; i < accs.size(); ++i)
      if (accs[i].count != 0) renumber[i] = 0;
  std::vector<std::string> names;
  for (std::uint32_t i = 0; i < names_.size(); ++i) {
    if (renumber[i] == UINT32_MAX) continue;
    renumber[i] = static_cast<std::uint32_t>(names.size());
    names.push_back(std::move(names_[i]));
  }
  if (names.size() == names_.size()) {  // nothing to drop; the names were moved: put back
    names_ = std::move(names);
    return;
  }
  for (auto& [start, accs] : windows_) {
    std::vector<Acc> kept(names.size());
    for (std::uint32_t i = 0; i < accs.size(); ++i)
      if (accs[i].count != 0) kept[renumber[i]] = accs[i];
    accs = std::move(kept);
  }
  std::vector<std::uint32_t> sorted;
  sorted.reserve(names.size());
  for (const std::uint32_t s : sorted_)
    if (renumber[s] != UINT32_MAX) sorted.push_back(renumber[s]);
  names_ = std::move(names);
  sorted_ = std::move(sorted);
  index_.clear();
  for (std::uint32_t i = 0; i < names_.size(); ++i) index_.emplace(names_[i], i);
  cached_ = nullptr;
  cached_start_ = kTimeMin;
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
  std::size_t open = 0;
  for (const auto& [start, accs] : state.windows) {
    if (floor_to(start, size_) != start) {
      error = "a sales window start is not a multiple of the window size";
      return false;
    }
    const bool negative =
        std::any_of(accs.begin(), accs.end(), [](const Acc& a) { return a.count < 0; });
    if (accs.size() > state.stores.size() || negative) {
      error = "a sales window has an unknown store or a negative count";
      return false;
    }
    open += count_open(accs);
  }
  names_ = std::move(state.stores);
  index_ = std::move(index);
  sorted_.resize(names_.size());
  std::iota(sorted_.begin(), sorted_.end(), 0U);
  std::sort(sorted_.begin(), sorted_.end(),
            [&](std::uint32_t a, std::uint32_t b) { return names_[a] < names_[b]; });
  windows_ = std::move(state.windows);
  open_sums_ = open;
  cached_start_ = kTimeMin;
  cached_ = nullptr;
  return true;
}

}  // namespace gw
