#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <vector>

#include "pipeline/alert_rule.h"
#include "pipeline/alert_windows.h"
#include "pipeline/sales_windows.h"
#include "pipeline/watermark.h"

using namespace gw;

namespace {

constexpr TimeMs kMin = 60'000;
constexpr TimeMs kT0 = 1767225600000;  // 2026-01-01T00:00:00Z, a window boundary

struct Fired {
  std::string store;
  TimeMs start, end;
  std::int64_t sum, count;
  bool operator==(const Fired&) const = default;
};

std::vector<Fired> fire(SalesWindows& w, TimeMs wm) {
  std::vector<Fired> out;
  w.fire_until(wm, [&](const SalesAggregate& a) {
    out.push_back(
        {std::string(a.store_id), a.window_start, a.window_end, a.aggregated_sales, a.sales_count});
  });
  return out;
}

}  // namespace

TEST_CASE("tumbling windows: start inclusive, end exclusive, aligned to the epoch") {
  SalesWindows w(kMin);
  const auto abc = w.intern("ABC");
  CHECK(w.add(abc, kT0 - 1, 1, kTimeMin));           // last ms of the previous window
  CHECK(w.add(abc, kT0, 10, kTimeMin));              // first ms of this window
  CHECK(w.add(abc, kT0 + kMin - 1, 100, kTimeMin));  // last ms of this window
  CHECK(w.add(abc, kT0 + kMin, 1000, kTimeMin));     // first ms of the next
  // Nothing fires before the watermark reaches a window's end.
  CHECK(fire(w, kT0 - 1).empty());
  CHECK(fire(w, kT0) == std::vector<Fired>{{"ABC", kT0 - kMin, kT0, 1, 1}});
  CHECK(fire(w, kT0 + kMin - 1).empty());
  CHECK(fire(w, kT0 + kMin) == std::vector<Fired>{{"ABC", kT0, kT0 + kMin, 110, 2}});
  // A window fires once.
  CHECK(fire(w, kT0 + kMin + 5).empty());
  CHECK(fire(w, kTimeMax) == std::vector<Fired>{{"ABC", kT0 + kMin, kT0 + 2 * kMin, 1000, 1}});
  CHECK(w.open_windows() == 0);
}

TEST_CASE("tumbling windows: stores come out in id order, only stores with sales") {
  SalesWindows w(kMin);
  const auto ghi = w.intern("GHI"), abc = w.intern("ABC");
  w.intern("DEF");
  w.add(ghi, kT0 + 5, 7, kTimeMin);
  w.add(abc, kT0 + 9, 3, kTimeMin);
  CHECK(fire(w, kTimeMax) ==
        std::vector<Fired>{{"ABC", kT0, kT0 + kMin, 3, 1}, {"GHI", kT0, kT0 + kMin, 7, 1}});
}

TEST_CASE("out of order within the watermark delay counts, after the window fired it is late") {
  SalesWindows w(kMin);
  Watermark wm(5000);
  const auto s = w.intern("ABC");
  auto add = [&](TimeMs ts, std::int64_t amount) {
    const bool ok = w.add(s, ts, amount, wm.value());
    wm.observe(ts);
    return ok;
  };
  CHECK(add(kT0 + 59'000, 1));
  CHECK(add(kT0 + 64'000, 2));  // watermark now kT0 + 59'000: window [kT0, kT0+1m) still open
  CHECK(add(kT0 + 30'000, 4));  // 34 s out of order, but its window is open: counted
  CHECK(fire(w, wm.value()).empty());
  CHECK(add(kT0 + 65'000, 8));  // watermark reaches kT0 + 60'000: the first window fires
  CHECK(fire(w, wm.value()) == std::vector<Fired>{{"ABC", kT0, kT0 + kMin, 5, 2}});
  CHECK_FALSE(add(kT0 + 59'999, 16));  // late: its window already fired
  CHECK(fire(w, kTimeMax) == std::vector<Fired>{{"ABC", kT0 + kMin, kT0 + 2 * kMin, 10, 2}});
}

TEST_CASE("hopping windows: each event is in exactly size/slide windows") {
  for (const auto& [size, slide] : std::vector<std::pair<DurationMs, DurationMs>>{
           {60'000, 30'000}, {60'000, 20'000}, {60'000, 60'000}, {90'000, 30'000}}) {
    AlertWindows w(size, slide);
    const std::vector<TimeMs> times = {kT0,         kT0 + 1,      kT0 + slide - 1,
                                       kT0 + slide, kT0 + 12'345, kT0 - 1};
    for (std::size_t i = 0; i < times.size(); ++i)
      w.add_rejection(static_cast<std::uint32_t>(i), times[i], kTimeMin);
    std::map<std::uint32_t, int> windows_per_event;
    w.fire_until(kTimeMax,
                 [&](TimeMs start, TimeMs end, std::span<const AlertWindows::DeviceCount> c) {
                   CHECK(end - start == size);
                   CHECK(start % slide == 0);
                   for (const auto& [device, count] : c) {
                     CHECK(count == 1);
                     CHECK(times[device] >= start);
                     CHECK(times[device] < end);
                     ++windows_per_event[device];
                   }
                 });
    REQUIRE(windows_per_event.size() == times.size());
    for (const auto& [device, n] : windows_per_event) CHECK(n == size / slide);
  }
}

TEST_CASE("hopping windows: a window that fired takes no more events") {
  AlertWindows w(60'000, 30'000);
  const TimeMs ts = kT0 + 45'000;  // in [kT0, kT0+60s) and [kT0+30s, kT0+90s)
  CHECK_FALSE(w.is_late(ts, kT0 + 59'999));
  CHECK(w.is_late(ts, kT0 + 60'000));
  w.add_rejection(0, ts, kT0 + 60'000);  // only the second window is still open
  int fired = 0;
  w.fire_until(kTimeMax, [&](TimeMs start, TimeMs, std::span<const AlertWindows::DeviceCount>) {
    CHECK(start == kT0 + 30'000);
    ++fired;
  });
  CHECK(fired == 1);
}

TEST_CASE("alert rule: sample standard deviation, double precision, k sigma plus excess") {
  std::vector<std::int64_t> counts(30, 1);  // 30 quiet devices and one noisy one
  counts[3] = 2;
  counts.push_back(30);
  const auto s = window_stats(counts);
  REQUIRE(s);
  const double avg = 61.0 / 31;
  CHECK(s->avg == doctest::Approx(avg));
  double sq = 0;
  for (auto c : counts) sq += (c - avg) * (c - avg);
  CHECK(s->std == doctest::Approx(std::sqrt(sq / 30)));
  CHECK(is_anomalous(30, *s, 3, 5));
  CHECK_FALSE(is_anomalous(2, *s, 3, 5));
  // The threshold is strict: count == avg + k*std + excess does not alert.
  const WindowStats exact{2, 1};
  CHECK_FALSE(is_anomalous(10, exact, 3, 5));
  CHECK(is_anomalous(11, exact, 3, 5));
  // Not truncated to integers as the seed's Flink job did: 10 > 2.5 + 3*0.5 + 5 = 9.
  CHECK(is_anomalous(10, WindowStats{2.5, 0.5}, 3, 5));
}

TEST_CASE("alert rule: fewer than 2 devices in a window gives no statistics, no alert") {
  CHECK_FALSE(window_stats(std::vector<std::int64_t>{}));
  CHECK_FALSE(window_stats(std::vector<std::int64_t>{500}));
  CHECK(window_stats(std::vector<std::int64_t>{500, 1}));
}
