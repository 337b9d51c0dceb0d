// The local endpoint's routes (contract section 8): /healthz, /readyz, /metrics, /api/v1/*.
// Runs on the HTTP server's thread and never blocks it; reads only thread-safe state.
// POST /api/v1/events takes NDJSON or JSON only (415 otherwise: no HTML form or text/plain
// request from a web page) and is answered 202 once its events are committed and kept, 503 with
// Retry-After when the buffer dropped them or could not take them in time.
#pragma once

#include <memory>
#include <vector>

#include "app/live_options.h"
#include "app/status_board.h"
#include "buffer/buffer.h"
#include "config/options.h"
#include "core/clock.h"
#include "core/device.h"
#include "http/server.h"
#include "sinks/sink_runner.h"
#include "sources/ingest_queue.h"

namespace gw {

struct ApiContext {
  const LiveOptions& options;  // swapped by reloads
  const DeviceRegistry& registry;
  const StatusBoard& board;
  Buffer& buffer;
  const std::vector<std::unique_ptr<SinkRunner>>& runners;
  Clock& wall;
  TimeMs started_at = 0;
  IngestQueue* ingest = nullptr;          // POST /api/v1/events; null: not accepted
  const HttpServerStats* http = nullptr;  // the server's own counters on /metrics; null: none
};

// How long POST /api/v1/events waits for the run loop to commit the events (the server thread
// does not wait: the answer is deferred), then 503.
inline constexpr DurationMs kIngestTimeout = 30'000;

// How long the run loop may go without a turn before /healthz reports it stalled.
inline constexpr DurationMs kStallAfter = 30'000;

Handler make_api_handler(const ApiContext& context);

}  // namespace gw
