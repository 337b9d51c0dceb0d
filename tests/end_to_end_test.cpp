// Runs the real binary on a 12-minute virtual-clock config over the 1,000-device Zürich
// registry and checks its SALES_AGGREGATE and ALERTS output against a recomputation from its
// SALES and EVENTS_GEO output, written here independently of the pipeline's code.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "core/geo.h"
#include "core/time.h"
#include "process.h"

namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Calls fn for each line's JSON object; returns the number of lines.
template <typename F>
std::size_t for_each_record(const fs::path& p, F fn) {
  std::ifstream f(p);
  std::string line;
  std::size_t n = 0;
  while (std::getline(f, line)) {
    rapidjson::Document d;
    d.Parse(line.c_str());
    if (d.HasParseError() || !d.IsObject()) FAIL(p.string(), ": not a JSON object: ", line);
    fn(static_cast<const rapidjson::Value&>(d));
    ++n;
  }
  return n;
}

std::int64_t ms(const rapidjson::Value& v) {
  return *gw::parse_rfc3339(v.GetString());
}

// Writes the config and runs the gateway; returns its exit code; stderr goes to DIR/log.
int run_gateway(const fs::path& dir) {
  std::ofstream(dir / "zurich.yaml") << "gateway: {id: e2e-gw, data_dir: " << dir.string() << "}\n"
                                     << "simulator:\n"
                                        "  clock: virtual\n"
                                        "  start_time: 2026-03-01T08:00:00Z\n"
                                        "  duration: 12m\n"
                                        "  devices_file: "
                                     << PROJECT_DIR
                                     << "/data/devices_zurich.json\n"
                                        "  access: {interval: 2s}\n"
                                        "  max_delay: 3s\n"
                                        "  disruptions:\n"
                                        "    - {lat: 47.37, lon: 8.52, radius_m: 100, "
                                        "rejected_ratio: 0.99, from: +2m, until: +9m}\n"
                                        "sinks:\n"
                                        "  file: {enabled: true, path: out}\n"
                                        "  kafka: {enabled: false}\n";
  const std::string cmd = std::string(IOT_GATEWAY_BIN) + " run -c " +
                          (dir / "zurich.yaml").string() + " 2>" + (dir / "log").string();
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

using AggKey = std::tuple<std::string, std::int64_t, std::int64_t>;  // store, start, end
using AlertKey = std::tuple<std::int64_t, std::string>;              // window start, device

}  // namespace

TEST_CASE("12-minute virtual run: aggregates and alerts agree with a recomputation") {
  const fs::path dir = test::fresh_dir("e2e-a");
  REQUIRE(run_gateway(dir) == 0);
  const fs::path out = dir / "out";
  const std::string log = slurp(dir / "log");
  CHECK_MESSAGE(log.find("late: 0 sales, 0 access events") != std::string::npos, log);

  // Sales aggregates: 1-minute tumbling windows per store.
  std::map<AggKey, std::pair<std::int64_t, std::int64_t>> expected_sales;
  const std::size_t sales = for_each_record(out / "SALES.ndjson", [&](const rapidjson::Value& s) {
    const std::int64_t ts = s["sale_ts"].GetInt64();
    const std::int64_t start = ts - ((ts % 60000) + 60000) % 60000;
    auto& [sum, count] = expected_sales[{s["store_id"].GetString(), start, start + 60000}];
    sum += s["sale_amount"].GetInt64();
    ++count;
  });
  CHECK(sales > 500);
  std::map<AggKey, std::pair<std::int64_t, std::int64_t>> got_sales;
  for_each_record(out / "SALES_AGGREGATE.ndjson", [&](const rapidjson::Value& a) {
    const AggKey k{a["store_id"].GetString(), ms(a["window_start"]), ms(a["window_end"])};
    CHECK_MESSAGE(got_sales.count(k) == 0, "window emitted twice");
    got_sales[k] = {a["aggregated_sales"].GetInt64(), a["sales_count"].GetInt64()};
    CHECK(std::string(a["gateway_id"].GetString()) == "e2e-gw");
  });
  CHECK(got_sales == expected_sales);

  // Alerts: 1-minute windows every 30 s over accessRejected events of EVENTS_GEO.
  std::map<std::int64_t, std::map<std::string, std::int64_t>> rejections;  // window -> device
  std::map<std::string, std::string> location;
  const std::size_t geo =
      for_each_record(out / "EVENTS_GEO.ndjson", [&](const rapidjson::Value& e) {
        if (std::string(e["eventNotificationName"].GetString()) != "accessRejected") return;
        const std::int64_t ts = ms(e["eventTimestamp"]);
        const std::int64_t last = ts - ts % 30000;
        location[e["deviceId"].GetString()] = e["deviceLocation"].GetString();
        for (std::int64_t start : {last, last - 30000})
          ++rejections[start][e["deviceId"].GetString()];
      });
  CHECK(geo > 300000);
  std::map<AlertKey, std::tuple<std::int64_t, double, double>> expected_alerts;
  for (const auto& [start, devices] : rejections) {
    if (devices.size() < 2) continue;
    double sum = 0;
    for (const auto& [d, c] : devices) sum += double(c);
    const double avg = sum / double(devices.size());
    double sq = 0;
    for (const auto& [d, c] : devices) sq += (double(c) - avg) * (double(c) - avg);
    const double sd = std::sqrt(sq / double(devices.size() - 1));
    for (const auto& [d, c] : devices)
      if (double(c) > avg + 3 * sd + 5) expected_alerts[{start, d}] = {c, avg, sd};
  }
  REQUIRE(expected_alerts.size() > 10);
  std::set<AlertKey> got;
  for_each_record(out / "ALERTS.ndjson", [&](const rapidjson::Value& a) {
    const AlertKey k{ms(a["window_start"]), a["deviceId"].GetString()};
    CHECK(ms(a["window_end"]) == std::get<0>(k) + 60000);
    got.insert(k);
    const auto it = expected_alerts.find(k);
    if (it == expected_alerts.end()) FAIL("unexpected alert for ", std::get<1>(k));
    const auto& [count, avg, sd] = it->second;
    CHECK(a["total_count_per_deviceid"].GetInt64() == count);
    CHECK(a["avg_error_count"].GetDouble() == doctest::Approx(avg).epsilon(1e-12));
    CHECK(a["std_error_count"].GetDouble() == doctest::Approx(sd).epsilon(1e-12));
    CHECK(std::string(a["deviceLocation"].GetString()) == location[std::get<1>(k)]);
    // The disruption raised it: the device is inside the circle, during the disruption.
    const std::string loc = a["deviceLocation"].GetString();
    const double lat = std::stod(loc.substr(0, loc.find(','))),
                 lon = std::stod(loc.substr(loc.find(',') + 1));
    CHECK(gw::haversine_m(47.37, 8.52, lat, lon) <= 100);
    const std::int64_t from = *gw::parse_rfc3339("2026-03-01T08:02:00Z");
    const std::int64_t until = *gw::parse_rfc3339("2026-03-01T08:09:00Z");
    CHECK(std::get<0>(k) < until);
    CHECK(std::get<0>(k) + 60000 > from);
  });
  CHECK(got.size() == expected_alerts.size());

  // The devices stream: the whole registry, once.
  CHECK(for_each_record(out / "DEVICES.ndjson", [](const rapidjson::Value&) {}) == 1030);
}

TEST_CASE("two runs of the same config give identical records") {
  const fs::path a = test::fresh_dir("e2e-b1"), b = test::fresh_dir("e2e-b2");
  REQUIRE(run_gateway(a) == 0);
  REQUIRE(run_gateway(b) == 0);
  for (const char* topic :
       {"SALES", "DEVICES", "EVENTS", "EVENTS_GEO", "SALES_AGGREGATE", "ALERTS"}) {
    const std::string name = std::string(topic) + ".ndjson";
    const std::string x = slurp(a / "out" / name);
    CHECK_MESSAGE(!x.empty(), name);
    CHECK_MESSAGE(x == slurp(b / "out" / name), name, " differs between two runs");
  }
}
