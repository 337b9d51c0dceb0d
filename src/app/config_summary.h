// The short summary check-config prints for a valid configuration.
#pragma once

#include <string>

#include "config/options.h"
#include "core/device.h"

namespace gw {

std::string config_summary(const Options& options, const DeviceRegistry& registry);

}  // namespace gw
