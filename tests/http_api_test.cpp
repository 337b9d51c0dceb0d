// The local endpoint of a running gateway, over real sockets: health, readiness with a sink
// down and up, the JSON API and /metrics.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <signal.h>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "http/http_client.h"
#include "kafka_mock.h"  // run_command
#include "process.h"

namespace fs = std::filesystem;

namespace {

using test::await;
using test::slurp;

rapidjson::Document json(const std::string& body) {
  rapidjson::Document d;
  d.Parse(body.c_str());
  REQUIRE_MESSAGE(!d.HasParseError(), body);
  return d;
}

}  // namespace

TEST_CASE("http endpoint: health, readiness with a sink down and up, JSON API, metrics") {
  const fs::path dir = fs::temp_directory_path() / "iot-gateway-http-api";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "gateway.yaml")
      << "gateway: {id: http-gw, data_dir: " << dir.string() << "}\n"
      << "simulator:\n  clock: virtual\n  duration: 10m\n  access: {interval: 1s}\n"
      << "  disruptions: [{store: DEF, radius_m: 60}]\n"
      << "sinks:\n  file: {enabled: true, path: out}\n  kafka: {enabled: false}\n"
      << "http: {listen: '127.0.0.1:0'}\n";
  std::ofstream(dir / "out") << "not a folder: the file sink cannot deliver\n";
  const pid_t pid =
      test::spawn_gateway({"run", "-c", (dir / "gateway.yaml").string()}, (dir / "log").string());
  const test::ReapOnExit reap_pid(pid);
  const std::string base = test::await_http_base(dir / "log");
  REQUIRE_FALSE(base.empty());
  auto get = [&](const std::string& path) {
    return gw::http_request("GET", base + path, "", {}, 5000);
  };

  CHECK(get("/healthz").status == 200);
  CHECK(json(get("/healthz").body)["status"].GetString() == std::string("ok"));
  // The sink is down: not ready, and the reason names it.
  REQUIRE(await([&] { return get("/readyz").status == 503; }));
  const auto not_ready = get("/readyz");
  CHECK(not_ready.body.find("sink file is not delivering") != std::string::npos);
  // The pipeline finishes its bounded run while the records wait in the buffer.
  REQUIRE(
      await([&] { return slurp(dir / "log").find("draining the sinks") != std::string::npos; }));

  const auto status = json(get("/api/v1/status").body);
  CHECK(status["gateway_id"].GetString() == std::string("http-gw"));
  CHECK(status["version"].IsString());
  CHECK(status["pipeline"]["completed"].GetBool());
  CHECK(status["sinks"][0]["name"].GetString() == std::string("file"));
  CHECK(status["sinks"][0]["state"].GetString() == std::string("retrying"));
  CHECK(status["sinks"][0]["backlog"].GetInt64() > 0);

  const auto aggregates = json(get("/api/v1/aggregates").body);
  REQUIRE(aggregates.IsArray());
  CHECK(aggregates.Size() == 30);  // 3 stores x 10 one-minute windows
  CHECK(aggregates[0].HasMember("aggregated_sales"));
  CHECK(json(get("/api/v1/aggregates?limit=4").body).Size() == 4);
  const auto alerts = json(get("/api/v1/alerts").body);
  REQUIRE(alerts.IsArray());
  CHECK(alerts.Size() > 0);
  const auto devices = json(get("/api/v1/devices").body);
  CHECK(devices.Size() == 30);

  const auto metrics = get("/metrics");
  CHECK(metrics.status == 200);
  for (const char* name :
       {"iot_gateway_records_produced_total{stream=\"sales\"}", "iot_gateway_sink_records_total",
        "iot_gateway_buffer_records{stream=\"events\"}", "iot_gateway_buffer_drops_total",
        "iot_gateway_late_events_total", "iot_gateway_watermark_lag_seconds",
        "iot_gateway_windows_fired_total", "iot_gateway_alerts_total",
        "iot_gateway_sink_delivery_seconds_bucket", "iot_gateway_sink_up{sink=\"file\"} 0",
        "iot_gateway_config_reloads_total", "process_resident_memory_bytes",
        "process_cpu_seconds_total", "process_open_fds", "process_start_time_seconds"})
    CHECK_MESSAGE(metrics.body.find(name) != std::string::npos, name);

  // The exposition format passes Prometheus' own checker.
  std::ofstream(dir / "metrics.txt") << metrics.body;
  const auto check =
      test::run_command({"promtool", "check", "metrics"}, (dir / "metrics.txt").string());
  CHECK_MESSAGE(check.exit_code == 0, check.out, check.err);

  CHECK(gw::http_request("POST", base + "/healthz", "{}", {}, 5000).status == 405);
  CHECK(get("/nothing-here").status == 404);

  // The sink recovers: ready again, everything drains, the run exits 0.
  fs::remove(dir / "out");
  CHECK(test::wait_exit(pid) == 0);
}

TEST_CASE("http endpoint: readiness follows a sink going down and coming back") {
  const fs::path dir = fs::temp_directory_path() / "iot-gateway-http-ready";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "gateway.yaml")
      << "gateway: {id: ready-gw, data_dir: " << dir.string() << "}\n"
      << "simulator: {sales: {interval: 100ms}}\n"
      << "sinks:\n  file: {enabled: true, path: out}\n  kafka: {enabled: false}\n"
      << "http: {listen: '127.0.0.1:0'}\n";
  std::ofstream(dir / "out") << "not a folder\n";
  const pid_t pid =
      test::spawn_gateway({"run", "-c", (dir / "gateway.yaml").string()}, (dir / "log").string());
  const test::ReapOnExit reap_pid(pid);
  const std::string base = test::await_http_base(dir / "log");
  REQUIRE_FALSE(base.empty());
  auto ready = [&] { return gw::http_request("GET", base + "/readyz", "", {}, 5000); };
  REQUIRE(await([&] { return ready().status == 503; }));
  CHECK(ready().body.find("sink file is not delivering") != std::string::npos);
  CHECK(gw::http_request("GET", base + "/healthz", "", {}, 5000).status == 200);
  fs::remove(dir / "out");  // the sink comes back
  REQUIRE(await([&] { return ready().status == 200; }));
  CHECK(json(ready().body)["status"].GetString() == std::string("ready"));
  kill(pid, SIGTERM);
  CHECK(test::wait_exit(pid) == 0);
}
