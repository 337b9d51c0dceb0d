// Issue 19 item 1: records left for a sink that a later run disables stay in the buffer,
// counted, shown by `buffer stats`, dropped only by `buffer discard` (counted as "discarded"),
// and delivered when the sink is enabled again.
#include <doctest/doctest.h>
#include <rapidjson/document.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "http/http_client.h"
#include "kafka_mock.h"
#include "process.h"
#include "sinks/sink_factory.h"

namespace fs = std::filesystem;

namespace {

// A 2-minute virtual-clock run whose Kafka is unreachable and whose file sink is disabled.
fs::path write_config(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("iot-gateway-disabled-sink-" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "gateway.yaml")
      << "gateway: {id: disabled-gw, data_dir: " << dir.string() << ", shutdown_timeout: 1s}\n"
      << "simulator: {clock: virtual, duration: 2m}\n"
      << "sinks:\n  file: {enabled: false, path: out}\n"
      << "  kafka: {enabled: true, brokers: '127.0.0.1:" << test::free_port() << "'}\n"
      << "http: {listen: '127.0.0.1:0'}\n";
  return dir;
}

std::string gateway(const fs::path& dir, const std::string& args, int* status = nullptr) {
  return test::shell(std::string(IOT_GATEWAY_BIN) + " " + args + " -c " +
                         (dir / "gateway.yaml").string() + " 2>&1",
                     status);
}

// `iot-gateway run -c CONFIG ARGS...`, its log appended to <dir>/log: the exit code.
int run(const fs::path& dir, std::vector<std::string> args) {
  args.insert(args.begin(), {"run", "-c", (dir / "gateway.yaml").string()});
  return test::wait_exit(test::spawn_gateway(args, (dir / "log").string()));
}

const std::vector<std::string> kFileOnly = {"--set", "sinks.kafka.enabled=false", "--set",
                                            "sinks.file.enabled=true"};

rapidjson::Document stats(const fs::path& dir) {
  rapidjson::Document d;
  d.Parse(gateway(dir, "buffer stats --json").c_str());
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

std::int64_t records_in_buffer(const rapidjson::Document& st) {
  std::int64_t n = 0;
  for (const auto& s : st["streams"].GetObject()) n += s.value["records"].GetInt64();
  return n;
}

std::int64_t waiting_for(const rapidjson::Document& st, const std::string& sink) {
  std::int64_t n = 0;
  if (!st.HasMember("waiting")) return 0;
  for (const auto& w : st["waiting"].GetArray())
    if (w["sink"].GetString() == sink) n += w["records"].GetInt64();
  return n;
}

// The sum of iot_gateway_buffer_waiting_records{sink="SINK",...} over the streams.
std::int64_t waiting_metric(const std::string& metrics, const std::string& sink) {
  std::int64_t n = 0;
  const std::regex line("iot_gateway_buffer_waiting_records\\{sink=\"" + sink +
                        "\",stream=\"[a-z_]+\"\\} ([0-9]+)");
  for (std::sregex_iterator it(metrics.begin(), metrics.end(), line), end; it != end; ++it)
    n += std::stoll((*it)[1].str());
  return n;
}

std::int64_t drops(const rapidjson::Document& st, const std::string& reason) {
  std::int64_t n = 0;
  for (const auto& s : st["streams"].GetObject())
    if (s.value["drops"].HasMember(reason.c_str()))
      n += s.value["drops"][reason.c_str()].GetInt64();
  return n;
}

// Run 1: the bounded run completes its windows but Kafka takes nothing; stopped. While it
// runs, `buffer discard` is refused. Returns the records left for Kafka.
std::int64_t leave_records_for_kafka(const fs::path& dir) {
  const pid_t pid =
      test::spawn_gateway({"run", "-c", (dir / "gateway.yaml").string()}, (dir / "log").string());
  const test::ReapOnExit reap_pid(pid);
  REQUIRE(test::await([&] {
    return test::slurp(dir / "log").find("every window has fired") != std::string::npos;
  }));
  int status = 0;
  const std::string refused =
      gateway(dir, "buffer discard --sink kafka --set sinks.kafka.enabled=false", &status);
  CHECK(WEXITSTATUS(status) == 1);
  CHECK(refused.find("a gateway is running on") != std::string::npos);
  kill(pid, SIGTERM);
  CHECK(test::wait_exit(pid) == 0);
  const auto st = stats(dir);
  const std::int64_t left = st["sinks"]["kafka"]["unconfirmed_records"].GetInt64();
  CHECK(records_in_buffer(st) == left);
  return left;
}

}  // namespace

TEST_CASE("a run with Kafka disabled keeps Kafka's records, discard drops them, counted") {
  const fs::path dir = write_config("discard");
  const std::int64_t left = leave_records_for_kafka(dir);
  REQUIRE(left > 100);

  REQUIRE(run(dir, kFileOnly) == 0);
  const std::string log = test::slurp(dir / "log");
  CHECK(log.find("buffer: " + std::to_string(left) +
                 " records wait for sink kafka, which is not enabled") != std::string::npos);
  CHECK(log.find("buffer discard --sink kafka") != std::string::npos);
  CHECK(log.find("buffer: " + std::to_string(left) + " records still wait for sinks") !=
        std::string::npos);
  auto st = stats(dir);
  CHECK(records_in_buffer(st) == left);  // nothing lost
  CHECK(waiting_for(st, "kafka") == left);
  CHECK(drops(st, "discarded") == 0);
  CHECK(gateway(dir, "buffer stats").find("sink not enabled") != std::string::npos);

  // A service run (realtime) without Kafka: /metrics shows what waits for it, per stream.
  std::vector<std::string> realtime = kFileOnly;
  realtime.insert(realtime.end(), {"--set", "simulator.clock=realtime"});
  realtime.insert(realtime.begin(), {"run", "-c", (dir / "gateway.yaml").string()});
  const pid_t pid = test::spawn_gateway(realtime, (dir / "log-realtime").string());
  const test::ReapOnExit reap_pid(pid);
  const std::string base = test::await_http_base(dir / "log-realtime");
  REQUIRE(!base.empty());
  const std::string metrics = gw::http_request("GET", base + "/metrics", "", {}, 10'000).body;
  kill(pid, SIGTERM);
  CHECK(test::wait_exit(pid) == 0);
  CHECK(waiting_metric(metrics, "kafka") == left);
  CHECK(metrics.find("iot_gateway_buffer_drops_total{stream=\"sales\",reason=\"discarded\"} 0") !=
        std::string::npos);
  CHECK(waiting_for(stats(dir), "kafka") == left);

  // Kafka is enabled in this configuration: its records are not given up.
  int status = 0;
  const std::string refused = gateway(dir, "buffer discard --sink kafka", &status);
  CHECK(WEXITSTATUS(status) == 2);
  CHECK(refused.find("is enabled in this configuration") != std::string::npos);
  CHECK(records_in_buffer(stats(dir)) == left);

  const std::string done =
      gateway(dir, "buffer discard --sink kafka --set sinks.kafka.enabled=false");
  CHECK(done.find("discarded " + std::to_string(left) + " records") != std::string::npos);
  st = stats(dir);
  CHECK(records_in_buffer(st) == 0);
  CHECK(waiting_for(st, "kafka") == 0);
  CHECK(drops(st, "discarded") == left);
}

TEST_CASE("records kept for a disabled Kafka are delivered when it is enabled again") {
  const fs::path dir = write_config("reenabled");
  const std::int64_t left = leave_records_for_kafka(dir);
  REQUIRE(left > 100);
  REQUIRE(run(dir, kFileOnly) == 0);
  REQUIRE(records_in_buffer(stats(dir)) == left);

  test::KafkaMock kafka;
  REQUIRE(run(dir, {"--set", "sinks.kafka.brokers=" + kafka.bootstrap()}) == 0);
  // The bounded run had completed: this run only drains what waited.
  CHECK(
      test::slurp(dir / "log").find("sink kafka: " + std::to_string(left) + " records delivered") !=
      std::string::npos);
  const auto st = stats(dir);
  CHECK(records_in_buffer(st) == 0);
  CHECK(drops(st, "discarded") == 0);
  CHECK(drops(st, "expired") == 0);
}

TEST_CASE("buffer discard knows the enabled sinks' streams as the built sinks do") {
  gw::Options o;
  o.sinks.kafka.enabled = false;
  o.sinks.file.enabled = true;
  o.sinks.druid.enabled = true;
  o.sinks.druid.provision_supervisors = false;
  o.sinks.druid.streams = {true, false, false, false, false, true};
  const auto built = gw::build_sinks(o);
  REQUIRE(built.error.empty());
  const auto listed = gw::enabled_sink_streams(o);
  REQUIRE(listed.size() == built.sinks.size());
  for (std::size_t i = 0; i < listed.size(); ++i) {
    CHECK(listed[i].first == built.sinks[i]->name());
    CHECK(listed[i].second == built.sinks[i]->streams());
  }
}
