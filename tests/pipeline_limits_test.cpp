// Issue 18, the pipeline under hostile input that bypassed the door: the watermark cannot be
// poisoned (finding 4), window arithmetic saturates, sums cannot overflow (finding 7), the
// state holds only keys of open windows and open windows are bounded (finding 8).
#include <doctest/doctest.h>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>
#include <vector>

#include "pipeline/pipeline.h"
#include "snapshot_edit.h"

using namespace gw;

namespace {

constexpr TimeMs kT0 = 1767225600000;  // 2026-01-01T00:00:00Z

DeviceRegistry registry(int n) {
  DeviceRegistry r;
  for (int i = 0; i < n; ++i) {
    DeviceSpec d;
    d.id = "dev-";
    d.id += std::to_string(i);
    d.store_id = "S";
    r.add(d);
  }
  return r;
}

std::vector<std::string> values(const RecordBatch& out, Stream s) {
  std::vector<std::string> v;
  for (const auto& r : out)
    if (r.stream == s) v.push_back(r.value);
  return v;
}

using test::with_watermark;

}  // namespace

TEST_CASE("finding 4: a sale at INT64_MAX does not poison the watermark, later windows exact") {
  const DeviceRegistry reg = registry(3);
  for (const bool realtime : {false, true}) {
    CAPTURE(realtime);
    VirtualClock clock(kT0 + 10 * 60'000);
    const Clock* c = realtime ? &clock : nullptr;
    Pipeline clean(PipelineOptions{}, reg, RecordEncoder("gw"), c);
    Pipeline poisoned(PipelineOptions{}, reg, RecordEncoder("gw"), c);
    RecordBatch a, b;
    const auto feed = [&](Pipeline& p, RecordBatch& out, bool poison) {
      p.process(SaleEvent{"ABC", 100, kT0 + 1000, "s1"}, out);
      p.process(AccessEvent{"dev-0", true, kT0 + 2000, "a1"}, out);
      if (poison) {
        p.process(SaleEvent{"ABC", 7, kTimeMax, "evil-sale"}, out);
        p.process(AccessEvent{"dev-1", true, kTimeMax, "evil-access"}, out);
      }
      p.process(AccessEvent{"dev-1", true, kT0 + 3000, "a2"}, out);
      p.process(SaleEvent{"ABC", 200, kT0 + 61'000, "s2"}, out);
      p.process(SaleEvent{"DEF", 300, kT0 + 125'000, "s3"}, out);
      p.advance_watermark(kT0 + 300'000, out);
    };
    feed(clean, a, false);
    feed(poisoned, b, true);
    const auto aggregates = values(a, Stream::sales_aggregate);
    CHECK(aggregates.size() == 3);
    CHECK(values(b, Stream::sales_aggregate) == aggregates);
    CHECK(values(b, Stream::alerts) == values(a, Stream::alerts));
    CHECK(poisoned.watermark() == clean.watermark());
    CHECK(poisoned.counters().late_sales == 0);
    CHECK(poisoned.counters().late_access == 0);
    CHECK(poisoned.counters().too_far_ahead == 2);
    CHECK(poisoned.counters().alert_windows_fired == clean.counters().alert_windows_fired);
    // The raw records are still forwarded.
    CHECK(values(b, Stream::sales).size() == 4);
  }
}

TEST_CASE("finding 4: realtime, the watermark never passes now + max_future") {
  const DeviceRegistry reg = registry(0);
  VirtualClock clock(kT0);
  PipelineOptions o;
  o.max_future = 60'000;
  Pipeline p(o, reg, RecordEncoder("gw"), &clock);
  RecordBatch out;
  p.process(SaleEvent{"A", 1, kT0 + 60'000, "ok"}, out);
  CHECK(p.max_event_time() == kT0 + 60'000);
  p.process(SaleEvent{"A", 1, kT0 + 60'001, "ahead"}, out);
  CHECK(p.max_event_time() == kT0 + 60'000);
  CHECK(p.counters().too_far_ahead == 1);
  clock.advance_to(kT0 + 1000);  // the clock moves on: so does the bound
  p.process(SaleEvent{"A", 1, kT0 + 61'000, "now-ok"}, out);
  CHECK(p.max_event_time() == kT0 + 61'000);
  CHECK(p.counters().too_far_ahead == 1);
}

TEST_CASE("window arithmetic saturates at the ends of the time range") {
  SalesWindows sales(60'000);
  CHECK(sales.add(sales.intern("A"), kTimeMax, 1, kTimeMin));
  CHECK(sales.add(sales.intern("A"), kTimeMin + 1, 1, kTimeMin));
  std::vector<std::pair<TimeMs, TimeMs>> fired;
  sales.fire_until(
      kTimeMax, [&](const SalesAggregate& a) { fired.emplace_back(a.window_start, a.window_end); });
  REQUIRE(fired.size() == 2);
  CHECK(fired[0].first <= kTimeMin + 60'000);
  CHECK(fired[0].second == fired[0].first + 60'000);
  CHECK(fired[1].first == kTimeMax - kTimeMax % 60'000);
  CHECK(fired[1].second == kTimeMax);  // not a wrapped, negative end

  AlertWindows alerts(60'000, 30'000);
  CHECK(alerts.add_rejection(0, kTimeMax, kTimeMin));
  CHECK(alerts.add_rejection(0, kTimeMin + 1, kTimeMin));
  std::vector<TimeMs> ends;
  alerts.fire_until(kTimeMax, [&](TimeMs, TimeMs end, auto) { ends.push_back(end); });
  REQUIRE_FALSE(ends.empty());
  CHECK(ends.back() == kTimeMax);
  CHECK(floor_to(kTimeMin + 1, 60'000) % 60'000 == 0);
  CHECK(add_saturated(kTimeMax - 1, 10) == kTimeMax);
  CHECK(sub_saturated(kTimeMin + 1, 10) == kTimeMin);
}

TEST_CASE("finding 7: sums saturate instead of wrapping, INT32_MAX amounts sum exactly") {
  SalesWindows w(60'000);
  const auto a = w.intern("A"), b = w.intern("B");
  for (int i = 0; i < 1000; ++i) CHECK(w.add(a, kT0 + i, INT32_MAX, kTimeMin));
  CHECK(w.add(b, kT0, INT64_MAX, kTimeMin));
  CHECK(w.add(b, kT0 + 1, INT64_MAX, kTimeMin));
  std::vector<std::pair<std::int64_t, std::int64_t>> sums;
  w.fire_until(kTimeMax, [&](const SalesAggregate& s) {
    sums.emplace_back(s.aggregated_sales, s.sales_count);
  });
  REQUIRE(sums.size() == 2);
  CHECK(sums[0] == std::pair<std::int64_t, std::int64_t>{2'147'483'647'000, 1000});
  CHECK(sums[1] == std::pair<std::int64_t, std::int64_t>{INT64_MAX, 2});  // was -2
}

TEST_CASE("finding 4: a saved state with an impossible watermark is refused, not resumed") {
  const DeviceRegistry reg = registry(0);
  Pipeline saved(PipelineOptions{}, reg, RecordEncoder("gw"));
  RecordBatch out;
  saved.process(SaleEvent{"A", 1, kT0 + 1000, "a"}, out);
  const std::string snapshot = saved.snapshot();
  std::string error;

  // What an earlier build saved after a sale at INT64_MAX.
  Pipeline virtual_time(PipelineOptions{}, reg, RecordEncoder("gw"));
  CHECK_FALSE(virtual_time.restore(with_watermark(snapshot, kTimeMax, kTimeMax - 5000), error));
  CHECK(error ==
        "pipeline snapshot: the saved watermark (9223372036854770807 ms, latest event "
        "9223372036854775807 ms) lies beyond 9999-12-31T23:59:59.999Z: a poisoned state, not "
        "resumed");
  CHECK(virtual_time.watermark() == kTimeMin);  // nothing changed
  CHECK(virtual_time.restore(snapshot, error));

  VirtualClock clock(kT0);
  Pipeline realtime(PipelineOptions{}, reg, RecordEncoder("gw"), &clock);
  CHECK(realtime.restore(snapshot, error));
  CHECK_FALSE(realtime.restore(with_watermark(snapshot, kT0 + 400'000, kT0 + 395'000), error));
  CHECK(error.find("lies beyond 2026-01-01T00:05:00.000Z (now + pipeline.max_future): a "
                   "poisoned state") != std::string::npos);
  // A bounded run that finished has its watermark at +infinity: kept.
  saved.finish(out);
  CHECK(realtime.restore(saved.snapshot(), error));
}

TEST_CASE("finding 8: 200,000 store ids over time do not grow the state once their windows fired") {
  const DeviceRegistry reg = registry(0);
  Pipeline p(PipelineOptions{}, reg, RecordEncoder("gw"));
  RecordBatch out;
  std::size_t first = 0, largest = 0;
  for (int w = 0; w < 200; ++w) {
    for (int i = 0; i < 1000; ++i)
      p.process(
          SaleEvent{"store-" + std::to_string(w * 1000 + i), 1, kT0 + w * 60'000 + i * 50, "e"},
          out);
    out.clear();
    const std::size_t size = p.snapshot().size();
    if (w == 1) first = size;
    largest = std::max(largest, size);
  }
  CHECK(p.counters().aggregates_out == 199'000);
  MESSAGE("snapshot after window 1: " << first << " bytes, largest: " << largest);
  CHECK(largest < first * 5 / 4);  // the stores of one window, not of all 200
}

TEST_CASE("finding 8: pipeline.max_open_windows bounds open sums and counts, refusals counted") {
  const DeviceRegistry reg = registry(3);
  PipelineOptions o;
  o.max_open_windows = 3;
  Pipeline p(o, reg, RecordEncoder("gw"));
  RecordBatch out;
  for (const char* store : {"A", "B", "C", "D"}) p.process(SaleEvent{store, 1, kT0, "s"}, out);
  p.process(SaleEvent{"A", 1, kT0 + 1, "s"}, out);  // an open sum takes more sales
  CHECK(p.counters().window_refused == 1);
  p.advance_watermark(kT0 + 60'000, out);  // the first window fires: room again
  p.process(SaleEvent{"D", 5, kT0 + 70'000, "s"}, out);
  CHECK(p.counters().window_refused == 1);
  p.advance_watermark(kT0 + 120'000, out);
  const auto aggregates = values(out, Stream::sales_aggregate);
  REQUIRE(aggregates.size() == 4);
  CHECK(aggregates[0].find(R"("store_id":"A")") != std::string::npos);
  CHECK(aggregates[0].find(R"("sales_count":2)") != std::string::npos);
  CHECK(values(out, Stream::sales).size() == 6);  // every raw record forwarded

  // Alerts: each rejection is in 2 windows (1m every 30s); the 4th (window, device) is refused.
  Pipeline q(o, reg, RecordEncoder("gw"));
  q.process(AccessEvent{"dev-0", true, kT0 + 1000, "a"}, out);
  q.process(AccessEvent{"dev-1", true, kT0 + 1000, "b"}, out);
  CHECK(q.counters().window_refused == 1);
}
