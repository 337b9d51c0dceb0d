#include "config/interpolate.h"

#include <cstdlib>

namespace gw {

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

InterpolationResult interpolate_env(std::string_view text, const EnvLookup& env) {
  InterpolationResult r;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t start = text.find("${", pos);
    if (start == std::string_view::npos) break;
    r.text.append(text.substr(pos, start - pos));
    const std::size_t end = text.find('}', start + 2);
    if (end == std::string_view::npos) {
      r.error = "unterminated '${' in '" + std::string(text) + "'";
      return r;
    }
    const std::string_view body = text.substr(start + 2, end - start - 2);
    const std::size_t sep = body.find(":-");
    const std::string name(body.substr(0, sep));
    if (name.empty()) {
      r.error = "empty variable name in '" + std::string(text) + "'";
      return r;
    }
    const auto value = env(name);
    if (value) {
      r.text += *value;
    } else if (sep != std::string_view::npos) {
      r.text.append(body.substr(sep + 2));
    } else {
      r.error = "environment variable '" + name + "' is not set (write ${" + name +
                ":-default} to give a default)";
      return r;
    }
    pos = end + 1;
  }
  r.text.append(text.substr(std::min(pos, text.size())));
  return r;
}

}  // namespace gw
