// The NDJSON bodies of POST /api/v1/events: gw::parse_ndjson_events on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "fuzz_input.h"
#include "sources/ingest.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  constexpr std::size_t kMaxErrors = 20;
  const gw::ParsedEvents parsed = gw::parse_ndjson_events(fuzz::bytes(data, size), kMaxErrors);
  if (parsed.errors.size() > kMaxErrors) __builtin_trap();
  for (const auto& event : parsed.events) {
    // Every accepted event has an id of 1..128 characters (given, or derived from the line) and
    // a non-empty store or device.
    const std::size_t id = std::visit([](const auto& e) { return e.event_id.size(); }, event);
    if (id == 0 || id > 128) __builtin_trap();
    const auto* sale = std::get_if<gw::SaleEvent>(&event);
    if (sale ? sale->store_id.empty() : std::get<gw::AccessEvent>(event).device_id.empty())
      __builtin_trap();
  }
  return 0;
}
