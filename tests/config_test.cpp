#include <doctest/doctest.h>

#include <map>
#include <string>

#include "config/load_config.h"

using namespace gw;

namespace {

ConfigResult parse(const std::string& yaml, std::vector<std::string> sets = {},
                   std::map<std::string, std::string> env = {}) {
  return parse_config({"/etc/gw/test.yaml", yaml, std::move(sets),
                       [env](const std::string& name) -> std::optional<std::string> {
                         auto it = env.find(name);
                         if (it == env.end()) return std::nullopt;
                         return it->second;
                       },
                       "host-1"});
}

std::string all(const ConfigResult& r) {
  std::string s;
  for (const auto& d : r.errors) s += d.format() + "\n";
  return s;
}

}  // namespace

TEST_CASE("an empty file gives every default of the contract") {
  const auto r = parse("");
  REQUIRE_MESSAGE(r.ok(), all(r));
  const Options& o = r.options;
  CHECK(o.gateway.id == "host-1");
  CHECK(o.gateway.data_dir == "/var/lib/iot-gateway");
  CHECK(o.gateway.shutdown_timeout == 30'000);
  CHECK(o.simulator.enabled);
  CHECK(o.simulator.seed == 42);
  CHECK(o.simulator.clock == ClockKind::realtime);
  CHECK(o.simulator.start_time == 1767225600000);
  CHECK_FALSE(o.simulator.duration);
  REQUIRE(o.simulator.stores.size() == 3);
  CHECK(o.simulator.stores[0].id == "ABC");
  CHECK(o.simulator.stores[1].id == "DEF");
  CHECK(o.simulator.stores[2].id == "GHI");
  CHECK(o.simulator.stores[2].devices == 10);
  CHECK(o.simulator.sales_interval == 3000);
  CHECK(o.simulator.amount_min == 100);
  CHECK(o.simulator.amount_max == 1000);
  CHECK(o.simulator.access_interval == 10'000);
  CHECK(o.simulator.rejected_ratio == 0.01);
  CHECK(o.simulator.max_delay == 0);
  CHECK(o.pipeline.watermark_delay == 5000);
  CHECK(o.pipeline.idle_timeout == 10'000);
  CHECK(o.pipeline.sales_window == 60'000);
  CHECK(o.pipeline.alerts.window == 60'000);
  CHECK(o.pipeline.alerts.slide == 30'000);
  CHECK(o.pipeline.alerts.k_sigma == 3);
  CHECK(o.pipeline.alerts.min_excess == 5);
  CHECK_FALSE(o.sinks.file.enabled);
  CHECK(o.sinks.kafka.enabled);
  CHECK(o.sinks.kafka.brokers == "localhost:9092");
  CHECK(o.sinks.topic(Stream::sales_aggregate) == "SALES_AGGREGATE");
  CHECK(o.sinks.topic(Stream::events_geo) == "EVENTS_GEO");
  CHECK(o.http.listen == "127.0.0.1:8080");
  CHECK(o.http.max_connections == 64);
  CHECK(o.http.request_timeout == 10'000);
}

TEST_CASE("http limits: max_connections and request_timeout are read and range-checked") {
  auto r = parse("http: {max_connections: 200, request_timeout: 2500ms}\n");
  REQUIRE(r.errors.empty());
  CHECK(r.options.http.max_connections == 200);
  CHECK(r.options.http.request_timeout == 2500);
  r = parse("http:\n  max_connections: 0\n  request_timeout: 10ms\n");
  const std::string text = all(r);
  CHECK(r.errors.size() == 2);
  CHECK(text.find("test.yaml:2:20: error: http.max_connections: 0 is out of range") !=
        std::string::npos);
  CHECK(text.find("test.yaml:3:20: error: http.request_timeout: 10ms is out of range") !=
        std::string::npos);
}

TEST_CASE("http.allowed_hosts and http.allowed_origins: read, empty by default, checked") {
  CHECK(parse("").options.http.allowed_hosts.empty());
  CHECK(parse("").options.http.allowed_origins.empty());
  auto r = parse(
      "http:\n  allowed_hosts: [gw.local, 'gw.local:8080', '[fe80::1]']\n"
      "  allowed_origins: ['https://dash.example:3000']\n");
  REQUIRE(r.errors.empty());
  CHECK(r.options.http.allowed_hosts ==
        std::vector<std::string>{"gw.local", "gw.local:8080", "[fe80::1]"});
  CHECK(r.options.http.allowed_origins == std::vector<std::string>{"https://dash.example:3000"});
  r = parse("http:\n  allowed_hosts: [ok, 'http://gw.local']\n  allowed_origins: [dash.example]\n");
  const std::string text = all(r);
  CHECK(r.errors.size() == 2);
  CHECK(text.find("test.yaml:2:23: error: http.allowed_hosts: 'http://gw.local' is not a host") !=
        std::string::npos);
  CHECK(text.find("test.yaml:3:21: error: http.allowed_origins: 'dash.example' is not an origin") !=
        std::string::npos);
}

TEST_CASE("every problem is reported with its line and column") {
  const std::string yaml =
      "simulator:\n"                            // 1
      "  sead: 7\n"                             // 2: misspelt key
      "  seed: lots\n"                          // 3: wrong type
      "  max_delay: -5s\n"                      // 4: negative duration
      "  devices_file: ${NOPE}/devices.json\n"  // 5: unset variable
      "  disruptions:\n"                        // 6
      "    - {store: DFE, radius_m: 50}\n";     // 7: unknown store
  const auto r = parse(yaml);
  REQUIRE(r.errors.size() == 5);
  const std::string text = all(r);
  CHECK(text.find("/etc/gw/test.yaml:2:3: error: unknown key 'simulator.sead' (did you mean "
                  "'simulator.seed'?)") != std::string::npos);
  CHECK(text.find("/etc/gw/test.yaml:3:9: error: simulator.seed: expected an unsigned 64-bit "
                  "integer") != std::string::npos);
  CHECK(text.find("/etc/gw/test.yaml:4:14: error: simulator.max_delay: -5s is out of range") !=
        std::string::npos);
  CHECK(text.find("/etc/gw/test.yaml:5:17: error: simulator.devices_file: environment variable "
                  "'NOPE' is not set") != std::string::npos);
  CHECK(text.find("/etc/gw/test.yaml:7:15: error: simulator.disruptions[0].store: unknown store "
                  "'DFE' (did you mean 'DEF'?)") != std::string::npos);
}

TEST_CASE("range, choice and cross-key errors name the key, the value and what is allowed") {
  const auto r = parse(
      "simulator:\n"
      "  clock: virtaul\n"
      "  access: {rejected_ratio: 1.5}\n"
      "  sales: {amount: {min: 10, max: 5}}\n"
      "pipeline:\n"
      "  alerts: {window: 1m, slide: 7s}\n"
      "http: {listen: localhost}\n");
  const std::string text = all(r);
  CHECK(r.errors.size() == 5);
  CHECK(text.find("simulator.clock: 'virtaul' is not allowed: use one of realtime, virtual (did "
                  "you mean 'virtual'?)") != std::string::npos);
  CHECK(text.find("simulator.access.rejected_ratio: 1.5 is out of range: allowed is 0 to 1") !=
        std::string::npos);
  CHECK(text.find("simulator.sales.amount.max: 5 is below min 10") != std::string::npos);
  CHECK(text.find("pipeline.alerts.slide: 7s must divide pipeline.alerts.window (1m)") !=
        std::string::npos);
  CHECK(text.find("http.listen: 'localhost' is not an address:port") != std::string::npos);
}

TEST_CASE("unknown sections and keys without a close match list what is known") {
  const auto r = parse("gateway:\n  zzzzzz: 1\nsinkz: {}\n");
  const std::string text = all(r);
  CHECK(text.find("test.yaml:2:3: error: unknown key 'gateway.zzzzzz'; known keys here: id, "
                  "data_dir, shutdown_timeout") != std::string::npos);
  CHECK(text.find("test.yaml:3:1: error: unknown key 'sinkz' (did you mean 'sinks'?)") !=
        std::string::npos);
}

TEST_CASE("malformed YAML is one error with its position") {
  const auto r = parse("simulator:\n  seed: [1, 2\n");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].file == "/etc/gw/test.yaml");
  CHECK(r.errors[0].line >= 2);
  CHECK(r.errors[0].message.find("invalid YAML") == 0);
}

TEST_CASE("${ENV} interpolation, with defaults, in any scalar") {
  const auto r = parse(
      "gateway: {id: 'gw-${STORE}', data_dir: '${DATA:-/srv/gw}'}\n"
      "simulator: {seed: '${SEED}'}\n",
      {}, {{"STORE", "zurich-7"}, {"SEED", "99"}});
  REQUIRE_MESSAGE(r.ok(), all(r));
  CHECK(r.options.gateway.id == "gw-zurich-7");
  CHECK(r.options.gateway.data_dir == "/srv/gw");
  CHECK(r.options.simulator.seed == 99);
}

TEST_CASE("--set overrides keys before validation and its errors point at the argument") {
  auto r =
      parse("simulator: {seed: 1, stores: [{id: A, lat: 1, lon: 2}, {id: B, lat: 1, lon: 3}]}\n",
            {"simulator.seed=7", "sinks.file.enabled=true", "simulator.stores.1.devices=3"});
  REQUIRE_MESSAGE(r.ok(), all(r));
  CHECK(r.options.simulator.seed == 7);
  CHECK(r.options.sinks.file.enabled);
  CHECK(r.options.simulator.stores[1].devices == 3);

  r = parse("simulator:\n  stores: [{id: A, lat: 1, lon: 2}]\n",
            {"simulator.stores.0.devices=-4", "pipeline.sales_window=soon", "nokey"});
  const std::string text = all(r);
  CHECK(r.errors.size() == 3);
  CHECK(text.find("--set:1:28: error: simulator.stores[0].devices: -4 is out of range") !=
        std::string::npos);
  CHECK(text.find("--set:2:23: error: pipeline.sales_window: expected a duration") !=
        std::string::npos);
  CHECK(text.find("--set:3:1: error: --set 'nokey': expected PATH=VALUE") != std::string::npos);
}

TEST_CASE("relative paths in the file are relative to the file's folder") {
  const auto r = parse("simulator: {devices_file: ../data/d.json}\nsinks: {file: {path: out}}\n");
  REQUIRE_MESSAGE(r.ok(), all(r));
  CHECK(r.options.simulator.devices_file == "/etc/data/d.json");
  CHECK(r.options.sinks.file.path == "/etc/gw/out");
}

TEST_CASE("the shipped configs are valid") {
  for (const char* name : {"config/iot-gateway.yaml", "config/demo.yaml"}) {
    const auto r =
        load_config_file(std::string(PROJECT_DIR) + "/" + name, {},
                         [](const std::string&) { return std::optional<std::string>(); });
    CHECK_MESSAGE(r.ok(), name, "\n", all(r));
  }
}

TEST_CASE("a key written twice is an error naming both places") {
  const auto r = parse(
      "gateway:\n  id: a\nsimulator:\n  seed: 1\ngateway:\n  id: b\n"
      "pipeline:\n  alerts:\n    k_sigma: 2\n    k_sigma: 4\n");
  REQUIRE_FALSE(r.ok());
  const std::string errors = all(r);
  CHECK_MESSAGE(errors.find("/etc/gw/test.yaml:5:1: error: duplicate key 'gateway' (first at "
                            "1:1)") != std::string::npos,
                errors);
  CHECK_MESSAGE(errors.find("/etc/gw/test.yaml:10:5: error: duplicate key 'k_sigma' (first at "
                            "9:5)") != std::string::npos,
                errors);
}

TEST_CASE("problems come out in the order of their places, the file's before --set's") {
  const auto r = parse("pipeline:\n  watermark_delay: soon\ngateway:\n  shutdown_timeout: x\n",
                       {"simulator.seed=-1", "nonsense", "simulator.sales.interval=never"});
  REQUIRE_FALSE(r.ok());
  std::vector<std::pair<std::string, int>> places;
  for (const auto& d : r.errors) places.emplace_back(d.file, d.line);
  const std::vector<std::pair<std::string, int>> want = {
      {"/etc/gw/test.yaml", 2}, {"/etc/gw/test.yaml", 4}, {"--set", 1}, {"--set", 2}, {"--set", 3}};
  CHECK_MESSAGE(places == want, all(r));
}
