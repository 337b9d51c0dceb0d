// The simulated scenario several tests share: the seed's stores, 10 minutes, 2 s access
// interval, 3 s of disorder, and a disruption around store DEF from +2m to +4m.
#pragma once

#include <doctest/doctest.h>

#include <string>

#include "config/options.h"
#include "core/records.h"
#include "sources/registry_builder.h"

namespace fixture {

inline constexpr gw::TimeMs kT0 = 1767225600000;  // 2026-01-01T00:00:00Z

inline gw::SimulatorOptions options(std::uint64_t seed = 42) {
  gw::SimulatorOptions o;
  o.seed = seed;
  o.stores = gw::default_stores();
  o.duration = 10 * 60'000;
  o.access_interval = 2000;
  o.max_delay = 3000;
  o.disruptions.push_back({});
  o.disruptions[0].store = "DEF";
  o.disruptions[0].radius_m = 100;
  o.disruptions[0].from = {true, 120'000};
  o.disruptions[0].until = {true, 240'000};
  return o;
}

inline gw::DeviceRegistry registry(const gw::SimulatorOptions& o) {
  gw::Diagnostics errors;
  gw::DeviceRegistry r = gw::build_registry(o, errors);
  REQUIRE(errors.empty());
  return r;
}

// An input event as the JSON record the pipeline forwards for it.
inline std::string encode(const gw::Event& e) {
  static const gw::RecordEncoder enc("gw");
  if (const auto* s = std::get_if<gw::SaleEvent>(&e)) return enc.sale(*s).value;
  return enc.event(std::get<gw::AccessEvent>(e)).value;
}

}  // namespace fixture
