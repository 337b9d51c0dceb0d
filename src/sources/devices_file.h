// Reads a device registry in the seed's DEVICES JSON format:
// [{"deviceId": "...", "payload": {"location": {"countryCode", "region", "city",
//   "loc": "lat,lon", "timezone"}}}, ...]
#pragma once

#include <string>
#include <vector>

#include "config/diagnostics.h"
#include "core/device.h"

namespace gw {

// Parses `json` (the contents of `file`); problems are reported with the file's line:column.
// Devices come back without store_id.
std::vector<DeviceSpec> parse_devices_json(const std::string& file, const std::string& json,
                                           Diagnostics& errors);

std::vector<DeviceSpec> read_devices_file(const std::string& file, Diagnostics& errors);

}  // namespace gw
