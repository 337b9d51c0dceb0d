// Wall-clock jumps in realtime mode, driven through the injected clock: the run loop steps a
// scripted clock tick by tick; at one tick the wall clock jumps while the monotonic clock does
// not. A forward jump skips the gap (no burst of simulated events, no windows in the gap); a
// backward one holds the sensors until the clock is back, and no window fires twice.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <filesystem>
#include <map>
#include <set>

#include "app/run_loop.h"
#include "core/clock_jump.h"

namespace fs = std::filesystem;

namespace {

// Wall and monotonic time advance together by each sleep; at tick `jump_at` the wall clock
// alone jumps by `jump`; at tick `stop_at` a stop is requested.
class ScriptedClock final : public gw::Clock {
 public:
  ScriptedClock(gw::TimeMs wall, gw::StopSignal& stop, int jump_at, gw::DurationMs jump,
                int stop_at)
      : wall_(wall), stop_(stop), jump_at_(jump_at), jump_(jump), stop_at_(stop_at) {}
  gw::TimeMs now() const override { return wall_; }
  gw::TimeMs monotonic() const override { return mono_; }
  bool sleep_until(gw::TimeMs deadline, gw::StopSignal& stop) override {
    return sleep_for(std::max<gw::TimeMs>(0, deadline - wall_), stop);
  }
  bool sleep_for(gw::DurationMs d, gw::StopSignal&) override {
    wall_ += d;
    mono_ += d;
    if (++ticks_ == jump_at_) {
      wall_ += jump_;
      jumped_at_ = wall_;
    }
    if (ticks_ == stop_at_) stop_.request_stop();
    return !stop_.stop_requested();
  }
  gw::TimeMs jumped_at() const { return jumped_at_; }  // wall time right after the jump

 private:
  gw::TimeMs wall_, mono_ = 1'000'000;
  gw::StopSignal& stop_;
  int ticks_ = 0, jump_at_;
  gw::DurationMs jump_;
  int stop_at_;
  gw::TimeMs jumped_at_ = 0;
};

struct Sale {
  std::string store;
  std::int64_t ts;
};
struct Aggregate {
  std::string store, window_start;
  std::int64_t count;
};

struct RunResult {
  std::vector<Sale> sales;
  std::vector<Aggregate> aggregates;
  gw::PipelineStatus status;
  gw::TimeMs jumped_at = 0;
};

constexpr gw::TimeMs kT0 = 1767225600000;  // 2026-01-01T00:00:00Z

RunResult run_with_jump(const std::string& name, gw::DurationMs jump, int jump_at, int stop_at) {
  const fs::path dir = fs::temp_directory_path() / ("iot-gateway-clock-jump-" + name);
  fs::remove_all(dir);
  gw::Options o;
  o.gateway.id = "jump-gw";
  o.gateway.data_dir = dir.string();
  o.simulator.clock = gw::ClockKind::realtime;
  o.simulator.stores = gw::default_stores();
  o.simulator.sales_interval = 500;
  o.pipeline.sales_window = 10'000;
  const gw::DeviceRegistry registry;
  gw::StopSignal stop;
  ScriptedClock clock(kT0, stop, jump_at, jump, stop_at);
  gw::Buffer buffer(o.gateway, o.buffer, std::vector<std::string>{"test"}, clock);
  gw::StatusBoard board;
  gw::IngestQueue ingest;
  gw::RunLoop loop(o, registry, buffer, board, ingest, stop, clock);
  loop.resume();
  loop.run({});
  RunResult out;
  out.status = loop.status();
  out.jumped_at = clock.jumped_at();
  gw::SinkCursor cursor;
  while (auto chunk = buffer.next_for(0, cursor)) {
    cursor.advance(*chunk);
    for (const auto& r : chunk->records) {
      rapidjson::Document d;
      d.Parse(r.value.data(), r.value.size());
      if (r.stream == gw::Stream::sales)
        out.sales.push_back({d["store_id"].GetString(), d["sale_ts"].GetInt64()});
      else if (r.stream == gw::Stream::sales_aggregate)
        out.aggregates.push_back({d["store_id"].GetString(), d["window_start"].GetString(),
                                  d["sales_count"].GetInt64()});
    }
  }
  return out;
}

}  // namespace

TEST_CASE("clock jump detector: wall against monotonic, with a tolerance") {
  gw::ClockJumpDetector d(2000);
  CHECK_FALSE(d.check(1000, 50).has_value());
  CHECK_FALSE(d.check(1100, 150).has_value());
  CHECK_FALSE(d.check(2600, 150).has_value());  // 1.5 s of drift: within the tolerance
  CHECK(d.check(3'602'600, 250).value() == 3'599'900);
  CHECK(d.check(3'000, 350).value() == -3'599'700);
}

TEST_CASE("a forward wall-clock jump skips the gap: no burst of events, no windows in it") {
  // One minute, then the clock jumps an hour ahead, then one more minute.
  const auto r = run_with_jump("forward", 3'600'000, 600, 1200);
  CHECK(r.status.clock_jumps_forward == 1);
  CHECK(r.status.clock_jumps_backward == 0);
  const gw::TimeMs gap_from = r.jumped_at - 3'600'000, gap_to = r.jumped_at;
  REQUIRE(!r.sales.empty());
  std::size_t before = 0, after = 0;
  for (const auto& s : r.sales) {
    INFO(s.ts);
    CHECK((s.ts <= gap_from + 200 || s.ts >= gap_to));  // nothing simulated inside the gap
    (s.ts < gap_to ? before : after)++;
  }
  // About two minutes of sales (3 stores, one per 500 ms each), not an hour's burst.
  CHECK(before + after < 2 * 60 * 6 * 3 / 2);
  CHECK(after > 100);
  for (const auto& a : r.aggregates) {
    const gw::TimeMs start = gw::parse_rfc3339(a.window_start).value();
    INFO(a.window_start);
    CHECK((start + 10'000 <= gap_from + 10'000 || start >= gap_to - 10'000));
  }
}

TEST_CASE("a backward wall-clock jump holds the sensors and no window fires twice") {
  // One minute, then the clock goes back 30 s, then two more minutes.
  const auto r = run_with_jump("backward", -30'000, 600, 1800);
  CHECK(r.status.clock_jumps_backward == 1);
  CHECK(r.status.clock_jumps_forward == 0);
  // Per store, sale times never go back: the sensors waited for the clock.
  std::map<std::string, gw::TimeMs> last;
  for (const auto& s : r.sales) {
    CHECK(s.ts >= last[s.store]);
    last[s.store] = s.ts;
  }
  // Each (store, window) fired once, and its count is every sale in it.
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& a : r.aggregates) {
    CHECK(seen.insert({a.store, a.window_start}).second);
    const gw::TimeMs start = gw::parse_rfc3339(a.window_start).value();
    std::int64_t n = 0;
    for (const auto& s : r.sales) n += s.store == a.store && s.ts >= start && s.ts < start + 10'000;
    CHECK(a.count == n);
  }
  CHECK(r.aggregates.size() > 20);
}
