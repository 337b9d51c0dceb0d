// The local endpoint's routes (contract section 8): /healthz, /readyz, /metrics, /api/v1/*.
// Runs on the HTTP server's thread; reads only thread-safe state.
#pragma once

#include <memory>
#include <vector>

#include "app/status_board.h"
#include "buffer/buffer.h"
#include "config/options.h"
#include "core/clock.h"
#include "core/device.h"
#include "http/server.h"
#include "sinks/sink_runner.h"

namespace gw {

struct ApiContext {
  const Options& options;
  const DeviceRegistry& registry;
  const StatusBoard& board;
  Buffer& buffer;
  const std::vector<std::unique_ptr<SinkRunner>>& runners;
  Clock& wall;
  TimeMs started_at = 0;
};

// How long the run loop may go without a turn before /healthz reports it stalled.
inline constexpr DurationMs kStallAfter = 30'000;

Handler make_api_handler(const ApiContext& context);

}  // namespace gw
