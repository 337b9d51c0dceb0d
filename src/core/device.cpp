#include "core/device.h"

namespace gw {

bool DeviceRegistry::add(Device d) {
  if (index_.count(d.id)) return false;
  index_.emplace(d.id, static_cast<std::uint32_t>(devices_.size()));
  devices_.push_back(std::move(d));
  return true;
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
