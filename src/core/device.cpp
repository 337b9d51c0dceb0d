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

std::uint32_t DeviceRegistry::place_of(const Device& d) {
  const Place p{shared(d.store_id), shared(d.country_code), shared(d.region), shared(d.city),
                shared(d.timezone)};
  // Few places (about one per store): looked for from the last one added.
  for (std::size_t i = places_.size(); i-- > 0;)
    if (places_[i] == p) return static_cast<std::uint32_t>(i);
  places_.push_back(p);
  return static_cast<std::uint32_t>(places_.size() - 1);
}

bool DeviceRegistry::add(const Device& d) {
  // Sizes are kept in 16 bits: a longer id or location is cut (nothing real comes near).
  if (index_.count(d.id.substr(0, UINT16_MAX))) return false;
  const std::string_view id = store(d.id.substr(0, UINT16_MAX));
  const std::string_view loc = store(d.loc.substr(0, UINT16_MAX));
  devices_.push_back({id.data(), loc.data(), d.lat, d.lon, static_cast<std::uint16_t>(id.size()),
                      static_cast<std::uint16_t>(loc.size()), place_of(d)});
  index_.emplace(id, static_cast<std::uint32_t>(devices_.size() - 1));
  ids_hash_ = DrawKey(ids_hash_).combine(id).bits();
  return true;
}

Device DeviceRegistry::at(std::uint32_t index) const {
  const Packed& p = devices_[index];
  const Place& place = places_[p.place];
  return {{p.id, p.id_size},  place.store_id, p.lat,      p.lon,
          place.country_code, place.region,   place.city, place.timezone,
          {p.loc, p.loc_size}};
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

std::optional<Device> DeviceRegistry::find(std::string_view id) const {
  const auto i = index_of(id);
  if (!i) return std::nullopt;
  return at(*i);
}

}  // namespace gw
