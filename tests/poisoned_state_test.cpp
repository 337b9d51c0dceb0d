// Issue 18, finding 4 across a restart: a run state whose watermark an earlier build let a sale
// at INT64_MAX poison is refused when the gateway starts (it starts afresh); a sound one is
// resumed.
#include <doctest/doctest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <filesystem>

#include "app/run_loop.h"
#include "app/run_state.h"
#include "snapshot_edit.h"

namespace fs = std::filesystem;
using namespace gw;

namespace {

constexpr TimeMs kT0 = 1767225600000;  // 2026-01-01T00:00:00Z

using test::with_watermark;

// The watermark a realtime gateway has after resuming from a state saved with `watermark`.
TimeMs resumed_watermark(TimeMs max_seen, TimeMs value) {
  const fs::path dir = fs::temp_directory_path() / "iot-gateway-poisoned-state";
  fs::remove_all(dir);
  Options o;
  o.gateway.id = "poison-gw";
  o.gateway.data_dir = dir.string();
  o.simulator.enabled = false;
  o.simulator.clock = ClockKind::realtime;
  const DeviceRegistry registry;
  VirtualClock clock(kT0);
  Buffer buffer(o.gateway, o.buffer, std::vector<std::string>{"test"}, clock);
  {
    RunState saved;
    saved.fingerprint = config_fingerprint(o);
    saved.registry_hash = registry_fingerprint(registry);
    const Pipeline p(o.pipeline, registry, RecordEncoder(o.gateway.id));
    saved.pipeline = with_watermark(p.snapshot(), max_seen, value);
    const std::string state = encode_run_state(saved);
    REQUIRE(buffer.commit({}, &state) == CommitResult::ok);
  }
  StatusBoard board;
  IngestQueue ingest;
  StopSignal stop;
  RunLoop loop(o, registry, buffer, board, ingest, stop, clock);
  loop.resume();
  return loop.status().watermark;
}

}  // namespace

TEST_CASE("finding 4: a saved state with a poisoned watermark is not resumed at start") {
  CHECK(resumed_watermark(kT0 - 1000, kT0 - 6000) == kT0 - 6000);   // sound: resumed
  CHECK(resumed_watermark(kTimeMax, kTimeMax - 5000) == kTimeMin);  // poisoned: afresh
  // Beyond now + pipeline.max_future (5m) on the realtime clock: afresh too.
  CHECK(resumed_watermark(kT0 + 600'000, kT0 + 595'000) == kTimeMin);
}
