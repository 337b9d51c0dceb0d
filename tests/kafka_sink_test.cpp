// The Kafka sink against librdkafka's mock cluster (real Kafka protocol over TCP) and against a
// real Apache Kafka (label kafka-real: scripts/kafka.sh), checked with an independent client
// (kcat): what arrives equals the file sink's records, with the contract's keys; broker
// outages, a replica leader killed and kill -9 lose nothing.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "core/random.h"
#include "http/http_client.h"
#include "kafka_mock.h"
#include "kafka_real.h"
#include "process.h"

namespace fs = std::filesystem;

namespace {

struct Topic {
  const char* name;
  const char* key_field;
};
constexpr Topic kTopics[] = {{"SALES", "store_id"},           {"DEVICES", "deviceId"},
                             {"EVENTS", "deviceId"},          {"EVENTS_GEO", "deviceId"},
                             {"SALES_AGGREGATE", "store_id"}, {"ALERTS", "deviceId"}};

fs::path write_config(const std::string& name, const std::string& bootstrap,
                      const std::string& duration, const std::string& message_timeout_ms,
                      const std::string& extra = "") {
  const fs::path dir = fs::temp_directory_path() / ("iot-gateway-kafka-" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "gateway.yaml")
      << "gateway: {id: kafka-gw, data_dir: " << dir.string() << "}\n"
      << "simulator:\n  clock: virtual\n  duration: " << duration
      << "\n  devices_file: " << PROJECT_DIR << "/data/devices_zurich.json\n"
      << "  access: {interval: 10s}\n  max_delay: 3s\n"
      << "  disruptions: [{lat: 47.37, lon: 8.52, radius_m: 100, rejected_ratio: 0.99}]\n"
      << "sinks:\n  file: {enabled: true, path: out}\n"
      << "  kafka:\n    enabled: true\n    brokers: " << bootstrap << "\n"
      << "    properties: {message.timeout.ms: '" << message_timeout_ms << "'}\n"
      << "http: {listen: '127.0.0.1:0'}\n"
      << extra;
  return dir;
}

std::string key_of(const std::string& json, const char* field) {
  rapidjson::Document d;
  d.Parse(json.c_str());
  REQUIRE_FALSE(d.HasParseError());
  return d[field].GetString();
}

int run_to_end(const fs::path& dir) {
  return test::wait_exit(
      test::spawn_gateway({"run", "-c", (dir / "gateway.yaml").string()}, (dir / "log").string()));
}

// What a run produced (the file sink's records) and what Kafka holds of it.
struct Tally {
  std::size_t produced = 0, delivered = 0, lost = 0, keys_out_of_order = 0;
};

// Per topic: Kafka (consumed with kcat) holds exactly the file sink's records as a set, every
// message has the contract's key, and each key's records come in the file's order.
Tally check_kafka_equals_files(const std::string& bootstrap, const fs::path& dir) {
  Tally tally;
  for (const auto& t : kTopics) {
    INFO("topic " << std::string(t.name));
    const auto file = test::read_lines(dir / "out" / (std::string(t.name) + ".ndjson"));
    const auto kafka = test::consume_with_kcat(bootstrap, t.name, "%k\t%s\n");
    CHECK(!file.empty());
    std::set<std::string> want(file.begin(), file.end()), got;
    std::map<std::string, std::vector<std::string>> kafka_by_key, file_by_key;
    std::size_t wrong_keys = 0;
    for (const auto& line : kafka) {
      const auto tab = line.find('\t');
      REQUIRE(tab != std::string::npos);
      const std::string key = line.substr(0, tab), value = line.substr(tab + 1);
      wrong_keys += key != key_of(value, t.key_field);
      got.insert(value);
      auto& seq = kafka_by_key[key];
      if (std::find(seq.begin(), seq.end(), value) == seq.end()) seq.push_back(value);
    }
    CHECK(wrong_keys == 0);
    std::size_t missing = 0;
    for (const auto& v : want) missing += got.count(v) == 0;
    INFO("file " << want.size() << ", kafka " << got.size() << " (" << kafka.size()
                 << " messages), missing " << missing);
    CHECK(got == want);
    std::set<std::string> seen;
    for (const auto& v : file)
      if (seen.insert(v).second) file_by_key[key_of(v, t.key_field)].push_back(v);
    CHECK(kafka_by_key == file_by_key);
    tally.produced += want.size();
    tally.delivered += got.size();
    tally.lost += missing;
    for (const auto& [key, seq] : file_by_key) tally.keys_out_of_order += kafka_by_key[key] != seq;
  }
  return tally;
}

// Broker outages take a real cluster longer to come back from (JVM start, elections).
std::string timeout_for(const test::KafkaMock&) {
  return "3000";
}
std::string timeout_for(const test::RealKafka&) {
  return "10000";
}

// The scenarios, on a mock or a real cluster.
template <typename Cluster>
void thirty_minute_run(Cluster& kafka, const std::string& name) {
  const fs::path dir = write_config(name, kafka.bootstrap(), "30m", timeout_for(kafka));
  REQUIRE(run_to_end(dir) == 0);
  check_kafka_equals_files(kafka.bootstrap(), dir);
  // Headers: gateway_id everywhere, event_id on raw events.
  const auto headers = test::consume_with_kcat(kafka.bootstrap(), "SALES", "%h\n");
  REQUIRE_FALSE(headers.empty());
  CHECK(headers[0].rfind("gateway_id=kafka-gw,event_id=", 0) == 0);
}

template <typename Cluster>
void brokers_down_and_back(Cluster& kafka, const std::string& name) {
  const fs::path dir = write_config(name, kafka.bootstrap(), "10m", timeout_for(kafka));
  const pid_t pid =
      test::spawn_gateway({"run", "-c", (dir / "gateway.yaml").string()}, (dir / "log").string());
  const test::ReapOnExit reap_pid(pid);
  std::error_code ec;
  // Take the brokers down once the first records went through, keep them down until the
  // gateway has noticed, then bring them back.
  for (int i = 0; i < 5000 && fs::file_size(dir / "out" / "EVENTS.ndjson", ec) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  kafka.all_down();
  CHECK(test::await(
      [&] {
        return test::slurp(dir / "log").find("sink kafka cannot deliver") != std::string::npos;
      },
      60'000));
  int code = 0;
  CHECK_FALSE(test::has_exited(pid, code));
  // /metrics shows the brokers as unreachable.
  const std::string base = test::await_http_base(dir / "log");
  REQUIRE_FALSE(base.empty());
  const auto metrics = gw::http_request("GET", base + "/metrics", "", {}, 5000);
  CHECK(metrics.body.find("iot_gateway_sink_connected{sink=\"kafka\"} 0") != std::string::npos);
  kafka.all_up();
  CHECK(test::wait_exit(pid) == 0);
  check_kafka_equals_files(kafka.bootstrap(), dir);
}

template <typename Cluster>
void killed_during_delivery(Cluster& kafka, const std::string& name) {
  const fs::path dir = write_config(name, kafka.bootstrap(), "10m", timeout_for(kafka));
  const std::vector<std::string> args = {"run", "-c", (dir / "gateway.yaml").string()};
  const gw::DrawKey seed(4242);
  int kills = 0;
  std::uintmax_t last = 0;
  for (int i = 0; i < 6; ++i) {
    const pid_t pid = test::spawn_gateway(args, (dir / "log").string());
    const test::ReapOnExit reap_pid(pid);
    // Kill once the gateway has delivered a random amount more.
    const auto more = static_cast<std::uintmax_t>(200'000 + seed.combine(i).unit() * 2'000'000);
    std::error_code ec;
    int code = 0;
    bool exited = false;
    while (!(exited = test::has_exited(pid, code)) &&
           fs::file_size(dir / "out" / "EVENTS_GEO.ndjson", ec) < last + more)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    if (exited) break;
    kill(pid, SIGKILL);
    test::wait_exit(pid);
    last = fs::file_size(dir / "out" / "EVENTS_GEO.ndjson", ec);
    ++kills;
  }
  CHECK(kills >= 5);
  REQUIRE(run_to_end(dir) == 0);
  // Equal as sets: every record is there, and a duplicate is the same bytes (else it would be
  // a second, different element).
  check_kafka_equals_files(kafka.bootstrap(), dir);
}

}  // namespace

TEST_CASE("30-minute virtual run: Kafka holds exactly the file sink's records, keyed") {
  // Enough partitions that the mock's retention (5 MB of message sets per partition, the oldest
  // dropped beyond) keeps everything, even when a slow machine (sanitizers) sends small,
  // poorly compressed batches: ~80 MB of EVENTS_GEO over 48 partitions.
  test::KafkaMock kafka(test::kKafkaMockTopics, 3, 48);
  thirty_minute_run(kafka, "full");
}

TEST_CASE("brokers down for part of a run: nothing lost, order per key kept, the run drains") {
  test::KafkaMock kafka(test::kKafkaMockTopics, 3, 12);
  brokers_down_and_back(kafka, "outage");
}

TEST_CASE("kill -9 during delivery: no record missing in Kafka, duplicates byte-identical") {
  test::KafkaMock kafka(test::kKafkaMockTopics, 3, 12);
  killed_during_delivery(kafka, "killed");
}

TEST_SUITE("kafka-real") {
  TEST_CASE("real Kafka: 30-minute virtual run and Kafka holds exactly the file sink's records") {
    test::RealKafka kafka("full");
    thirty_minute_run(kafka, "real-full");
  }

  TEST_CASE("real Kafka: every broker killed and started again with nothing lost and order kept") {
    test::RealKafka kafka("outage");
    brokers_down_and_back(kafka, "real-outage");
  }

  TEST_CASE("real Kafka: the gateway killed -9 during delivery with nothing missing") {
    test::RealKafka kafka("killed");
    killed_during_delivery(kafka, "real-killed");
  }

  TEST_CASE("real Kafka with 3 brokers: the leader of the busiest partition killed mid-run") {
    test::RealKafka kafka("leader", 3);
    const fs::path dir = write_config("real-leader", kafka.bootstrap(), "60m", "30000");
    const pid_t pid =
        test::spawn_gateway({"run", "-c", (dir / "gateway.yaml").string()}, (dir / "log").string());
    const test::ReapOnExit reap_pid(pid);
    const std::string base = test::await_http_base(dir / "log");
    REQUIRE_FALSE(base.empty());
    // Once EVENTS_GEO has records in Kafka, its busiest partition's leader goes (kill -9).
    std::map<int, long long> ends;
    REQUIRE(test::await([&] {
      ends = kafka.end_offsets("EVENTS_GEO", 3);
      return !ends.empty() && std::max_element(ends.begin(), ends.end(), [](auto& a, auto& b) {
                                return a.second < b.second;
                              })->second > 1000;
    }));
    const int busiest = std::max_element(ends.begin(), ends.end(), [](auto& a, auto& b) {
                          return a.second < b.second;
                        })->first;
    const int leader = kafka.leader_of("EVENTS_GEO", busiest);
    REQUIRE(leader >= 1);
    kafka.kill(leader);
    // /metrics shows the broker missing while it is.
    const std::string missing = "iot_gateway_kafka_brokers{sink=\"kafka\",state=\"down\"} 1";
    CHECK(test::await([&] {
      return gw::http_request("GET", base + "/metrics", "", {}, 5000).body.find(missing) !=
             std::string::npos;
    }));
    int code = 0;
    CHECK_FALSE(test::has_exited(pid, code));
    kafka.start(leader);
    CHECK(test::wait_exit(pid) == 0);
    const Tally t = check_kafka_equals_files(kafka.bootstrap(), dir);
    MESSAGE("leader " << leader << " of EVENTS_GEO[" << busiest << "] killed: records produced "
                      << t.produced << ", delivered " << t.delivered << ", lost " << t.lost
                      << ", keys out of order " << t.keys_out_of_order);
    CHECK(t.lost == 0);
    CHECK(t.keys_out_of_order == 0);
  }
}
