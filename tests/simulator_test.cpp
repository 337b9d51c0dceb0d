#include <doctest/doctest.h>

#include <regex>
#include <string>
#include <vector>

#include "config/load_config.h"
#include "core/geo.h"
#include "core/records.h"
#include "simulation_fixture.h"
#include "sources/devices_file.h"
#include "sources/registry_builder.h"
#include "sources/simulator.h"

using namespace gw;

namespace {

using fixture::kT0;
using fixture::options;
using fixture::registry;

// Every event of a run as its JSON records, polling the simulator `step` ms at a time.
std::vector<std::string> run(const SimulatorOptions& o, const DeviceRegistry& reg, TimeMs step) {
  Simulator sim(o, reg, kT0);
  std::vector<std::string> out;
  std::vector<Event> events;
  TimeMs now = kT0;
  while (!sim.finished()) {
    events.clear();
    sim.poll(now, events);
    for (const auto& e : events) out.push_back(fixture::encode(e));
    now += step;
  }
  return out;
}

}  // namespace

TEST_CASE("same seed and config give the same records, however the work is batched") {
  const auto o = options();
  const auto reg = registry(o);
  const auto a = run(o, reg, 1000);
  CHECK(a.size() > 9000);
  CHECK(run(o, reg, 1000) == a);
  CHECK(run(o, reg, 7) == a);
  CHECK(run(o, reg, 60'000) == a);
  CHECK(run(o, reg, 1) == a);
  const auto other = options(43);
  CHECK(run(other, registry(other), 1000) != a);
}

TEST_CASE("device ids are UUID-shaped, stable for a seed, and placed within 150 m") {
  const auto o = options();
  const auto reg = registry(o);
  REQUIRE(reg.size() == 30);
  const std::regex uuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  for (const auto& d : reg.all()) {
    CHECK(std::regex_match(std::string(d.id), uuid));
    const auto& store = *std::find_if(o.stores.begin(), o.stores.end(),
                                      [&](const StoreOptions& s) { return s.id == d.store_id; });
    CHECK(haversine_m(store.lat, store.lon, d.lat, d.lon) <= 150.0);
    CHECK(d.loc.find(',') != std::string::npos);
  }
  CHECK(registry(o).all()[7].id == reg.all()[7].id);
  CHECK(registry(options(7)).all()[7].id != reg.all()[7].id);
}

TEST_CASE("events arrive out of order, never later than max_delay") {
  auto o = options();
  o.duration = 2 * 60'000;
  const auto reg = registry(o);
  Simulator sim(o, reg, kT0);
  std::vector<Event> events;
  TimeMs latest = kTimeMin;
  int out_of_order = 0, total = 0;
  for (TimeMs now = kT0; !sim.finished(); ++now) {
    events.clear();
    sim.poll(now, events);
    for (const auto& e : events) {
      const TimeMs t = event_time(e);
      CHECK(t <= now);
      CHECK(t >= now - o.max_delay);
      CHECK(t >= kT0);
      CHECK(t < kT0 + *o.duration);
      if (t < latest) ++out_of_order;
      latest = std::max(latest, t);
      ++total;
    }
  }
  CHECK(total > 1000);
  CHECK(out_of_order > total / 10);
}

TEST_CASE("amounts are uniform in range, rates follow the intervals, disruptions flip the ratio") {
  auto o = options();
  o.duration = 60 * 60'000;
  o.max_delay = 0;
  o.amount_min = 100;
  o.amount_max = 103;
  const auto reg = registry(o);
  Simulator sim(o, reg, kT0);
  std::vector<Event> events;
  sim.poll(kTimeMax - 1, events);
  std::map<std::int64_t, int> amounts;
  int sales = 0, access = 0;
  int in_circle = 0, in_circle_rejected = 0, normal = 0, normal_rejected = 0;
  const TimeMs from = kT0 + 120'000, until = kT0 + 240'000;
  for (const auto& e : events) {
    if (const auto* s = std::get_if<SaleEvent>(&e)) {
      ++sales;
      ++amounts[s->amount];
      continue;
    }
    const auto& a = std::get<AccessEvent>(e);
    ++access;
    const Device d = *reg.find(a.device_id);
    const bool inside = haversine_m(47.3707, 8.5206, d.lat, d.lon) <= 100;  // around DEF
    if (inside && a.event_ts >= from && a.event_ts < until) {
      ++in_circle;
      in_circle_rejected += a.rejected;
    } else {
      ++normal;
      normal_rejected += a.rejected;
    }
  }
  // 3 stores, one sale per 3 s each, for an hour: 3600 expected.
  CHECK(sales == doctest::Approx(3600).epsilon(0.05));
  // 30 devices, one event per 2 s each: 54000 expected.
  CHECK(access == doctest::Approx(54000).epsilon(0.03));
  CHECK(amounts.size() == 4);
  CHECK(amounts.begin()->first == 100);
  CHECK(amounts.rbegin()->first == 103);
  for (const auto& [amount, n] : amounts) CHECK(n == doctest::Approx(sales / 4.0).epsilon(0.15));
  REQUIRE(in_circle > 100);
  CHECK(double(in_circle_rejected) / in_circle == doctest::Approx(0.99).epsilon(0.02));
  CHECK(double(normal_rejected) / normal == doctest::Approx(0.01).epsilon(0.3));
}

TEST_CASE("the 1,000-device Zürich registry loads, each device at its nearest store") {
  SimulatorOptions o;
  o.stores = default_stores();
  for (auto& s : o.stores) s.devices = 0;
  o.devices_file = std::string(PROJECT_DIR) + "/data/devices_zurich.json";
  const auto reg = registry(o);
  REQUIRE(reg.size() == 1000);
  const auto d = reg.find("b90f632f-02a2-475b-a0bd-a4353b26fd84");
  REQUIRE(d);
  CHECK(d->loc == "47.3757424811726,8.529675964932226");
  CHECK(d->city == "Zürich");
  CHECK(d->country_code == "CH");
  for (const auto& dev : reg.all()) {
    double best = 1e18;
    std::string nearest;
    for (const auto& s : o.stores) {
      const double m = haversine_m(s.lat, s.lon, dev.lat, dev.lon);
      if (m < best) best = m, nearest = s.id;
    }
    CHECK(dev.store_id == nearest);
  }
}

TEST_CASE("a malformed devices file is reported with its line and column") {
  Diagnostics errors;
  parse_devices_json("d.json", "[\n  {\"deviceId\": \"x\",\n   \"payload\": }\n]", errors);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].format().rfind("d.json:3:", 0) == 0);
  errors.clear();
  parse_devices_json("d.json", R"([{"deviceId":"x","payload":{"location":{"loc":"north"}}}])",
                     errors);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].message.find("is not \"lat,lon\"") != std::string::npos);
}
