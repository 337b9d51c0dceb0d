// Window aggregator throughput, one thread: events/s through SalesWindows (tumbling, per store)
// and AlertWindows (hopping, per device), including the watermark and firing. Inputs are
// generated before timing. Prints the median of repeated runs. See bench/README.md.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/random.h"
#include "pipeline/alert_windows.h"
#include "pipeline/sales_windows.h"
#include "pipeline/watermark.h"

namespace {

struct Input {
  std::uint32_t key;
  gw::TimeMs ts;
  std::int64_t amount;
};

// Event times advance ~1 ms per event with up to 3 s of disorder, over `keys` stores/devices.
std::vector<Input> make_inputs(std::size_t n, std::uint32_t keys) {
  std::vector<Input> in(n);
  const gw::DrawKey seed(7);
  for (std::size_t i = 0; i < n; ++i) {
    const gw::DrawKey k = seed.combine(i);
    in[i] = {static_cast<std::uint32_t>(k.combine(1).uniform(0, keys - 1)),
             1767225600000 + static_cast<gw::TimeMs>(i) - k.combine(2).uniform(0, 3000),
             k.combine(3).uniform(100, 1000)};
  }
  return in;
}

template <typename F>
double median_rate(std::size_t n, int reps, F run) {
  std::vector<double> rates;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    run();
    const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
    rates.push_back(static_cast<double>(n) / dt.count());
  }
  std::sort(rates.begin(), rates.end());
  return rates[rates.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 10'000'000;
  const int reps = argc > 2 ? std::atoi(argv[2]) : 5;

  const auto sales = make_inputs(n, 3);
  std::int64_t checksum = 0;
  const double sales_rate = median_rate(n, reps, [&] {
    gw::SalesWindows w(60'000);
    // Every store has sales in every window: the indices stay valid across fire_until.
    for (const char* id : {"ABC", "DEF", "GHI"}) w.intern(id);
    gw::Watermark wm(5000);
    auto emit = [&](const gw::SalesAggregate& a) { checksum += a.aggregated_sales; };
    for (const Input& e : sales) {
      w.add(e.key, e.ts, e.amount, wm.value());
      const gw::TimeMs before = wm.value();
      if (wm.observe(e.ts) != before) w.fire_until(wm.value(), emit);
    }
    w.fire_until(gw::kTimeMax, emit);
  });

  const auto access = make_inputs(n, 1000);
  const double alert_rate = median_rate(n, reps, [&] {
    gw::AlertWindows w(60'000, 30'000);
    gw::Watermark wm(5000);
    auto emit = [&](gw::TimeMs, gw::TimeMs, std::span<const gw::AlertWindows::DeviceCount> c) {
      checksum += static_cast<std::int64_t>(c.size());
    };
    for (const Input& e : access) {
      w.add_rejection(e.key, e.ts, wm.value());
      const gw::TimeMs before = wm.value();
      if (wm.observe(e.ts) != before) w.fire_until(wm.value(), emit);
    }
    w.fire_until(gw::kTimeMax, emit);
  });

  std::printf("events: %zu per run, median of %d runs, one thread\n", n, reps);
  std::printf("sales tumbling windows (1m, 3 stores):        %.2f M events/s\n", sales_rate / 1e6);
  std::printf(
      "alert hopping windows (1m/30s, 1000 devices, every event a rejection): %.2f M events/s\n",
      alert_rate / 1e6);
  std::printf("(checksum %lld)\n", static_cast<long long>(checksum));
  return 0;
}
