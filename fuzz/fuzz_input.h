// How the fuzz targets read their input, shared with the regression tests that feed the inputs
// of past findings to the same functions (tests/fuzz_regressions_test.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "config/load_config.h"

namespace fuzz {

inline std::string_view bytes(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// fuzz_config: the YAML document, then up to four NUL-separated --set arguments ("PATH=VALUE"),
// so that the overrides are mutated too: "gateway: {id: x}\0simulator.seed=7\0...". ${ENV}
// names resolve in a small fixed environment.
inline gw::ConfigInput config_input(std::string_view input) {
  constexpr std::size_t kMaxSets = 4;
  gw::ConfigInput in;
  in.file = "/etc/iot-gateway/fuzz.yaml";
  in.default_gateway_id = "fuzz-gw";
  in.env = [](const std::string& name) -> std::optional<std::string> {
    static const std::map<std::string, std::string> env = {
        {"HOME", "/root"},   {"DATA", "/var/lib/iot-gateway"},
        {"EMPTY", ""},       {"PORT", "9092"},
        {"TOKEN", "s3cret"}, {"NESTED", "${HOME}"},
        {"SEED", "7"},       {"YAML", "{a: [1, 2]}"}};
    const auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  std::size_t nul = input.find('\0');
  in.text = std::string(input.substr(0, nul));
  while (nul != std::string_view::npos && in.sets.size() < kMaxSets) {
    const std::size_t next = input.find('\0', nul + 1);
    const std::size_t end = next == std::string_view::npos ? input.size() : next;
    in.sets.emplace_back(input.substr(nul + 1, end - nul - 1));
    nul = next;
  }
  return in;
}

struct HttpAnswer {
  int status = 200;
  std::string body;
};

// fuzz_druid_answer, fuzz_registry_answer: "404\n{...}" is status 404 and the body after the
// newline. A first line that is not three digits is part of the body, with status 200.
inline HttpAnswer http_answer(std::string_view in) {
  HttpAnswer a;
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (in.size() < 4 || in[3] != '\n' || in[0] == '0' || !digit(in[0]) || !digit(in[1]) ||
      !digit(in[2])) {
    a.body = std::string(in);
    return a;
  }
  a.status = (in[0] - '0') * 100 + (in[1] - '0') * 10 + (in[2] - '0');
  a.body = std::string(in.substr(4));
  return a;
}

}  // namespace fuzz
