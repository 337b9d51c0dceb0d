// The device registry: every access device the gateway knows, and the store it belongs to.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace gw {

struct Device {
  std::string id;  // UUID-shaped
  std::string store_id;
  double lat = 0, lon = 0;
  std::string country_code, region, city, timezone;
  std::string loc;  // "lat,lon" exactly as registered
};

class DeviceRegistry {
 public:
  // Returns false if the id is already present (the first one wins).
  bool add(Device d);
  const Device* find(std::string_view id) const;
  std::optional<std::uint32_t> index_of(std::string_view id) const;
  const Device& at(std::uint32_t index) const { return devices_[index]; }
  const std::vector<Device>& all() const { return devices_; }
  std::size_t size() const { return devices_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::vector<Device> devices_;
  std::unordered_map<std::string, std::uint32_t, Hash, std::equal_to<>> index_;
};

}  // namespace gw
