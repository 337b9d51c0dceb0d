// Builds the device registry from the configured stores (devices placed around each store,
// ids and positions drawn from the seed) and the optional devices file (each device assigned
// to the nearest store).
#pragma once

#include "config/diagnostics.h"
#include "config/options.h"
#include "core/device.h"

namespace gw {

// Reads simulator.devices_file if set. Errors (unreadable or malformed file) go to `errors`.
DeviceRegistry build_registry(const SimulatorOptions& options, Diagnostics& errors);

// UUID-shaped (version 4 layout) text from 128 bits.
std::string uuid_from_bits(std::uint64_t hi, std::uint64_t lo);

// "lat,lon" with the shortest round-tripping decimal form of each.
std::string format_loc(double lat, double lon);

}  // namespace gw
