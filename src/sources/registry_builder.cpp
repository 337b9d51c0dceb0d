#include "sources/registry_builder.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "core/geo.h"
#include "core/random.h"
#include "sources/devices_file.h"

namespace gw {

std::string uuid_from_bits(std::uint64_t hi, std::uint64_t lo) {
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s(36, '-');
  int pos = 0;
  auto put = [&](std::uint64_t v, int nibbles) {
    for (int i = nibbles - 1; i >= 0; --i) {
      if (pos == 8 || pos == 13 || pos == 18 || pos == 23) ++pos;
      s[static_cast<std::size_t>(pos++)] = kHex[(v >> (i * 4)) & 0xf];
    }
  };
  put(hi, 16);
  put(lo, 16);
  return s;
}

std::string format_loc(double lat, double lon) {
  char buf[64];
  auto r1 = std::to_chars(buf, buf + 30, lat);
  *r1.ptr = ',';
  auto r2 = std::to_chars(r1.ptr + 1, buf + sizeof buf, lon);
  return std::string(buf, r2.ptr);
}

DeviceRegistry build_registry(const SimulatorOptions& o, Diagnostics& errors) {
  std::vector<DeviceSpec> from_file;
  if (o.devices_file) from_file = read_devices_file(*o.devices_file, errors);
  std::size_t count = from_file.size();
  for (const auto& store : o.stores) count += static_cast<std::size_t>(store.devices);
  DeviceRegistry registry;
  registry.reserve(count);
  const DrawKey base = DrawKey(o.seed).combine("device");
  for (const auto& store : o.stores) {
    for (std::int64_t j = 0; j < store.devices; ++j) {
      const DrawKey k = base.combine(store.id).combine(static_cast<std::uint64_t>(j));
      DeviceSpec d;
      d.id = uuid_from_bits(k.combine("id-hi").bits(), k.combine("id-lo").bits());
      // Uniform over a disc of 150 m around the store.
      const double r = 150.0 * std::sqrt(k.combine("radius").unit());
      const double a = 2 * kPi * k.combine("angle").unit();
      const double m_per_deg = kPi / 180.0 * kEarthRadiusM;
      d.lat = store.lat + r * std::cos(a) / m_per_deg;
      d.lon = store.lon + r * std::sin(a) / (m_per_deg * std::cos(store.lat * kPi / 180.0));
      d.loc = format_loc(d.lat, d.lon);
      d.store_id = store.id;
      d.country_code = store.country_code;
      d.region = store.region;
      d.city = store.city;
      d.timezone = store.timezone;
      registry.add(d);
    }
  }
  for (auto& d : from_file) {
    double best = std::numeric_limits<double>::infinity();
    for (const auto& store : o.stores) {
      const double dist = haversine_m(d.lat, d.lon, store.lat, store.lon);
      if (dist < best) {
        best = dist;
        d.store_id = store.id;
      }
    }
    registry.add(d);
  }
  return registry;
}

}  // namespace gw
