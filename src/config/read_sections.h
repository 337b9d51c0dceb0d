// The config's sections, read key by key into Options, with every cross-key check.
#pragma once

#include <filesystem>

#include "config/map_reader.h"

namespace gw {

void read_all_sections(ConfigContext& ctx, const YAML::Node& root,
                       const std::filesystem::path& config_dir, Options& out);

}  // namespace gw
