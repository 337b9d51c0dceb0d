// The whole config pipeline on arbitrary text: YAML parse, --set overrides, ${ENV}
// interpolation, validation, and check-config's summary of a valid result. Errors are expected;
// crashes, exceptions, hangs and leaks are findings. Input layout: fuzz::config_input().
#include <cstddef>
#include <cstdint>

#include "app/config_summary.h"
#include "config/load_config.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const gw::ConfigResult result = gw::parse_config(fuzz::config_input(fuzz::bytes(data, size)));
  for (const auto& d : result.errors)
    if (d.message.empty() || d.format().empty()) __builtin_trap();  // each problem says what
  if (result.ok()) {
    static const gw::DeviceRegistry registry;
    if (gw::config_summary(result.options, registry).empty()) __builtin_trap();
  }
  return 0;
}
