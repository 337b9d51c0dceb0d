#include "core/device.h"

#include <cstring>

#include "core/random.h"

namespace gw {
namespace {

constexpr std::size_t kBlockBytes = 64 * 1024;

}  // namespace

std::string_view DeviceRegistry::store(std::string_view s) {
  if (s.empty()) return {};
  if (s.size() > block_left_) {
    const std::size_t size = std::max(kBlockBytes, s.size());
    blocks_.push_back(std::make_unique<char[]>(size));
    block_next_ = blocks_.back().get();
    block_left_ = size;
  }
  std::memcpy(block_next_, s.data(), s.size());
  const std::string_view stored(block_next_, s.size());
  block_next_ += s.size();
  block_left_ -= s.size();
  return stored;
}

std::string_view DeviceRegistry::shared(std::string_view s) {
  if (const auto it = shared_.find(s); it != shared_.end()) return *it;
  const std::string_view stored = store(s);
  shared_.insert(stored);
  return stored;
}

bool DeviceRegistry::add(const Device& d) {
  if (index_.count(d.id)) return false;
  Device kept = d;
  kept.id = store(d.id);
  kept.loc = store(d.loc);
  kept.store_id = shared(d.store_id);
  kept.country_code = shared(d.country_code);
  kept.region = shared(d.region);
  kept.city = shared(d.city);
  kept.timezone = shared(d.timezone);
  index_.emplace(kept.id, static_cast<std::uint32_t>(devices_.size()));
  ids_hash_ = DrawKey(ids_hash_).combine(kept.id).bits();
  devices_.push_back(kept);
  return true;
}

void DeviceRegistry::reserve(std::size_t devices) {
  devices_.reserve(devices);
  index_.reserve(devices);
}

std::optional<std::uint32_t> DeviceRegistry::index_of(std::string_view id) const {
  const auto it = index_.find(id);
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

const Device* DeviceRegistry::find(std::string_view id) const {
  const auto i = index_of(id);
  return i ? &devices_[*i] : nullptr;
}

}  // namespace gw
