// The local endpoint's routes (contract section 8): /healthz, /readyz, /metrics, /api/v1/*.
// Runs on the HTTP server's thread; reads only thread-safe state.
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
#include "sources/ingest.h"

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

// How long POST /api/v1/events waits for the run loop to commit the events.
inline constexpr DurationMs kIngestTimeout = 30'000;

// How long the run loop may go without a turn before /healthz reports it stalled.
inline constexpr DurationMs kStallAfter = 30'000;

Handler make_api_handler(const ApiContext& context);

}  // namespace gw
