// ${NAME} and ${NAME:-default} in configuration strings.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace gw {

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The process environment.
EnvLookup process_environment();

struct InterpolationResult {
  std::string text;
  std::string error;  // empty on success
};

InterpolationResult interpolate_env(std::string_view text, const EnvLookup& env);

}  // namespace gw
