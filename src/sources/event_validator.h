// The one validator of event values from outside (POST /api/v1/events now, MQTT later): an
// NDJSON body in, the events or per-line errors out. No transport knowledge; pure but for the
// `now` it is given.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/options.h"
#include "core/event.h"
#include "core/time.h"

namespace gw {

// Every limit on an outside event. A line over any of them is refused with its reason; a record
// over max_record_bytes refuses the whole body (ParsedEvents::too_large, HTTP 413).
struct InputLimits {
  std::size_t max_line_bytes = 64 * 1024;  // one line (one event), CR excluded
  int max_depth = 16;                      // JSON nesting of objects and arrays
  std::size_t max_store_id_bytes = 64;     // store_id: UTF-8 bytes, no control characters
  std::size_t max_device_id_bytes = 64;    // deviceId: the same
  std::size_t max_event_id_bytes = 128;    // event_id: the same
  // sale_amount: an integer in [0, INT32_MAX] (the sales schema's int). Event times always in
  // [1970-01-01, 9999-12-31]; with `now` set, in [now - max_past, now + max_future] too.
  std::optional<TimeMs> now;
  DurationMs max_future = 5 * 60'000;
  DurationMs max_past = 7 * 86'400'000LL;
  // The largest record (key + value) every enabled sink can carry; unset: no such limit.
  std::optional<std::size_t> max_record_bytes;
  std::string record_limit_source;     // names the limit in the 413, e.g. "Kafka message.max.bytes"
  std::string gateway_id = "gateway";  // stamped on the records whose size is checked
  std::size_t max_errors = 20;         // errors listed; the rest are not
};

// The limits of a configuration: max_future/max_past from pipeline (with `now` only for the
// realtime clock), max_record_bytes from the Kafka sink's message.max.bytes (librdkafka's default
// 1,000,000) less the headers and framing, when that sink is enabled.
InputLimits input_limits(const Options& options, TimeMs now);

struct ParsedEvents {
  std::vector<Event> events;
  std::vector<std::string> errors;  // "line N: ...", empty when every line is valid
  // Set when a line's record would exceed max_record_bytes: "line N: ..." naming the limit.
  std::optional<std::string> too_large;
};

// One JSON object per line, with the fields of a sales record (store_id, sale_amount, sale_ts)
// or of an events record (deviceId, payload.notificationName, payload.eventTimestamp or
// timestamp); event_id is optional (default: derived from the line, so a resent line keeps
// its id). Blank lines are skipped. Never recurses on the input's nesting.
ParsedEvents parse_ndjson_events(std::string_view body, const InputLimits& limits = {});

}  // namespace gw
