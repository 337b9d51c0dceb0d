// Config in three steps: parse YAML (+ --set overrides, ${ENV}) into Options, validate with no
// I/O collecting every problem with its FILE:LINE:COL, and hand the result to the builders.
#pragma once

#include <string>
#include <vector>

#include "config/diagnostics.h"
#include "config/interpolate.h"
#include "config/options.h"

namespace gw {

struct ConfigResult {
  Options options;
  Diagnostics errors;
  bool ok() const { return errors.empty(); }
};

struct ConfigInput {
  std::string file;               // shown in messages; its folder anchors relative paths
  std::string text;               // the YAML document
  std::vector<std::string> sets;  // "a.b.c=VALUE", applied in order
  EnvLookup env;
  std::string default_gateway_id;  // the host name
};

// Pure: no file or network access.
ConfigResult parse_config(const ConfigInput& input);

// Reads `file` (or reports that it cannot), then parse_config().
ConfigResult load_config_file(const std::string& file, const std::vector<std::string>& sets,
                              const EnvLookup& env);

// $IOT_GATEWAY_CONFIG, else /etc/iot-gateway/iot-gateway.yaml.
std::string default_config_path(const EnvLookup& env);

}  // namespace gw
