// The NDJSON bodies of POST /api/v1/events: gw::parse_ndjson_events on arbitrary bytes, with
// every limit of the validator on (a fixed `now`, a record size limit).
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "fuzz_input.h"
#include "sources/event_validator.h"
#include "sources/text_checks.h"

namespace {

bool valid_id(std::string_view id, std::size_t max) {
  return !id.empty() && id.size() <= max && gw::is_valid_utf8(id) && !gw::has_control_character(id);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  gw::InputLimits limits;
  limits.now = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
  limits.max_record_bytes = 400;
  limits.record_limit_source = "fuzz";
  const gw::ParsedEvents parsed = gw::parse_ndjson_events(fuzz::bytes(data, size), limits);
  if (parsed.errors.size() > limits.max_errors) __builtin_trap();
  const gw::TimeMs earliest = *limits.now - limits.max_past;
  const gw::TimeMs latest = *limits.now + limits.max_future;
  for (const auto& event : parsed.events) {
    // Every accepted event has a valid id (given, or derived from the line), a valid store or
    // device id, an amount of the schema's int range and a time inside the window.
    const std::string_view id =
        std::visit([](const auto& e) -> const std::string& { return e.event_id; }, event);
    if (!valid_id(id, limits.max_event_id_bytes)) __builtin_trap();
    const gw::TimeMs t = gw::event_time(event);
    if (t < earliest || t > latest) __builtin_trap();
    if (const auto* sale = std::get_if<gw::SaleEvent>(&event)) {
      if (!valid_id(sale->store_id, limits.max_store_id_bytes)) __builtin_trap();
      if (sale->amount < 0 || sale->amount > INT32_MAX) __builtin_trap();
    } else if (!valid_id(std::get<gw::AccessEvent>(event).device_id, limits.max_device_id_bytes)) {
      __builtin_trap();
    }
  }
  return 0;
}
