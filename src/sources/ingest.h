// Events pushed over HTTP (POST /api/v1/events): parsed and validated NDJSON, handed to the run
// loop, acknowledged only once the records they produced are committed to the buffer.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"

namespace gw {

struct ParsedEvents {
  std::vector<Event> events;
  std::vector<std::string> errors;  // "line N: ...", empty when every line is valid
};

// One JSON object per line, with the fields of a sales record (store_id, sale_amount, sale_ts)
// or of an events record (deviceId, payload.notificationName, payload.eventTimestamp or
// timestamp); event_id is optional (default: derived from the line, so a resent line keeps
// its id). Blank lines are skipped. Stops collecting errors after `max_errors`.
ParsedEvents parse_ndjson_events(std::string_view body, std::size_t max_errors = 20);

}  // namespace gw
