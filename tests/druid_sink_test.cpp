// The Druid sink against our Druid test server (tools/druid-mock, the task and supervisor APIs
// as documented): what lands in Druid equals the file sink's records, every task is an
// index_parallel spec that appends, failures are retried without double counting, a rejected
// batch is dead-lettered, and `druid provision` is idempotent.
#include <doctest/doctest.h>
#include <rapidjson/document.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "druid_mock.h"
#include "process.h"

namespace fs = std::filesystem;

namespace {

struct Pushed {
  const char* file;  // the file sink's file (topic) = the default datasource
};
constexpr Pushed kPushed[] = {{"SALES_AGGREGATE"}, {"ALERTS"}};

fs::path write_config(const std::string& name, const std::string& druid_url,
                      const std::string& extra = "") {
  const fs::path dir = fs::temp_directory_path() / ("iot-gateway-druid-" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "gateway.yaml")
      << "gateway: {id: druid-gw, data_dir: " << dir.string() << "}\n"
      << "simulator:\n  clock: virtual\n  duration: 30m\n"
      << "  devices_file: " << PROJECT_DIR << "/data/devices_zurich.json\n"
      << "  access: {interval: 10s}\n  max_delay: 3s\n"
      << "  disruptions: [{lat: 47.37, lon: 8.52, radius_m: 100, rejected_ratio: 0.99}]\n"
      << "sinks:\n  file: {enabled: true, path: out}\n  kafka: {enabled: false}\n"
      << "  druid:\n    enabled: true\n    url: " << druid_url << "\n"
      << "    username: gw\n    password: ${DRUID_TEST_PASSWORD:-s3cret-pw}\n"
      << "    flush_interval: 100ms\n    max_batch_bytes: 4KiB\n"
      << "http: {listen: '127.0.0.1:0'}\n"
      << extra;
  return dir;
}

int run_gateway(const fs::path& dir) {
  return test::wait_exit(
      test::spawn_gateway({"run", "-c", (dir / "gateway.yaml").string()}, (dir / "log").string()));
}

// Druid holds each pushed stream's file records, each exactly once.
void check_druid_equals_files(const MockDruid& druid, const fs::path& dir) {
  for (const auto& p : kPushed) {
    INFO(p.file);
    const auto file = test::read_lines(dir / "out" / (std::string(p.file) + ".ndjson"));
    const auto rows = druid.rows(p.file);
    CHECK(!file.empty());
    const std::set<std::string> want(file.begin(), file.end()), got(rows.begin(), rows.end());
    CHECK(got == want);
    CHECK(rows.size() == got.size());  // nothing counted twice
  }
}

rapidjson::Document buffer_stats(const fs::path& dir) {
  return MockDruid::parse(test::shell(std::string(IOT_GATEWAY_BIN) + " buffer stats --json -c " +
                                      (dir / "gateway.yaml").string()));
}

std::string status_of(const rapidjson::Value& task) {
  return task["status"].GetString();
}

}  // namespace

TEST_CASE("druid: a 30-minute run lands exactly the file sink's records as appending tasks") {
  MockDruid druid({"--user", "gw", "--password", "s3cret-pw", "--running-polls", "2"});
  const fs::path dir = write_config("run", druid.url());
  REQUIRE(run_gateway(dir) == 0);
  check_druid_equals_files(druid, dir);

  const auto tasks = druid.tasks();
  REQUIRE(tasks.IsArray());
  std::map<std::string, int> per_datasource;
  for (const auto& t : tasks.GetArray()) {
    const std::string id = t["id"].GetString();
    INFO(id);
    CHECK(id.rfind("iot-gateway_druid-gw_", 0) == 0);
    CHECK(status_of(t) == "SUCCESS");
    CHECK(t["append_to_existing"].GetBool());
    const auto& spec = t["spec"];
    CHECK(std::string(spec["type"].GetString()) == "index_parallel");
    CHECK(spec["spec"]["ioConfig"]["appendToExisting"].GetBool());
    CHECK(std::string(spec["spec"]["ioConfig"]["inputSource"]["type"].GetString()) == "inline");
    CHECK(std::string(spec["spec"]["tuningConfig"]["partitionsSpec"]["type"].GetString()) ==
          "dynamic");
    const std::string ds = t["dataSource"].GetString();
    const std::string time_column =
        spec["spec"]["dataSchema"]["timestampSpec"]["column"].GetString();
    CHECK(time_column == "window_end");
    per_datasource[ds]++;
  }
  // max_batch_bytes splits the streams into several tasks; each task is one datasource.
  CHECK(per_datasource["SALES_AGGREGATE"] > 3);
  CHECK(per_datasource["ALERTS"] >= 1);
  CHECK(per_datasource.size() == 2);
  CHECK(druid.stats()["unauthorized"].GetInt() == 0);

  const auto stats = buffer_stats(dir);
  CHECK(stats["sinks"]["druid"]["unconfirmed_records"].GetInt64() == 0);
  // The password never reaches the log.
  CHECK(test::slurp(dir / "log").find("s3cret-pw") == std::string::npos);
}

TEST_CASE("druid: 503s, lost answers and FAILED tasks are retried, nothing lost or doubled") {
  MockDruid druid({"--user", "gw", "--password", "s3cret-pw"});
  druid.inject(R"({"submit_status":503,"count":3})");
  druid.inject(R"({"accept_then_status":503,"count":2})");
  druid.inject(R"({"task_result":"FAILED","count":3})");
  druid.inject(R"({"status_status":503,"count":4})");
  const fs::path dir = write_config("faults", druid.url());
  REQUIRE(run_gateway(dir) == 0);
  check_druid_equals_files(druid, dir);
  int failed = 0;
  const auto tasks = druid.tasks();
  for (const auto& t : tasks.GetArray()) failed += status_of(t) == "FAILED";
  CHECK(failed == 3);
  CHECK(buffer_stats(dir)["sinks"]["druid"]["unconfirmed_records"].GetInt64() == 0);
  const std::string log = test::slurp(dir / "log");
  CHECK(log.find("will retry") != std::string::npos);
}

TEST_CASE("druid: a batch Druid rejects (400) is dead-lettered, counted, and the sink goes on") {
  MockDruid druid({"--user", "gw", "--password", "s3cret-pw"});
  // The batch and both its halves: a refusal that is not about single rows.
  druid.inject(R"({"submit_status":400,"count":3})");
  const fs::path dir = write_config("rejected", druid.url());
  REQUIRE(run_gateway(dir) == 0);

  const auto stats = buffer_stats(dir);
  REQUIRE(stats["dead_letters"].HasMember("druid"));
  const auto& dead = stats["dead_letters"]["druid"];
  CHECK(dead["batches"].GetInt64() == 1);
  const std::int64_t dead_records = dead["records"].GetInt64();
  CHECK(dead_records > 0);
  CHECK(std::string(dead["last_reason"].GetString()).find("400") != std::string::npos);
  CHECK(stats["sinks"]["druid"]["unconfirmed_records"].GetInt64() == 0);
  // Every record is either in Druid or a dead letter; nothing else is missing.
  std::size_t file_total = 0, druid_total = 0;
  std::int64_t dropped = 0;
  for (const auto& p : kPushed) {
    const auto file = test::read_lines(dir / "out" / (std::string(p.file) + ".ndjson"));
    const auto rows = druid.rows(p.file);
    const std::set<std::string> want(file.begin(), file.end());
    for (const auto& r : rows) CHECK(want.count(r) == 1);
    file_total += file.size();
    druid_total += rows.size();
  }
  for (const char* s : {"sales_aggregate", "alerts"}) {
    const auto& drops = stats["streams"][s]["drops"];
    if (drops.HasMember("rejected")) dropped += drops["rejected"].GetInt64();
  }
  CHECK(dropped == dead_records);
  CHECK(druid_total + static_cast<std::size_t>(dead_records) == file_total);
  // The later batches went on: more tasks succeeded after the rejection.
  CHECK(druid_total > 0);
  const std::string table = test::shell(std::string(IOT_GATEWAY_BIN) + " buffer stats -c " +
                                        (dir / "gateway.yaml").string());
  CHECK(table.find("dead letters of sink druid") != std::string::npos);
  CHECK(test::slurp(dir / "log").find("dead letters") != std::string::npos);
}

TEST_CASE("druid: kill -9 while a task runs, the restarted gateway does not send it twice") {
  // Tasks stay RUNNING until the test completes them.
  MockDruid druid({"--user", "gw", "--password", "s3cret-pw", "--running-polls", "1000000000"});
  const fs::path dir = write_config("killed", druid.url());
  const std::vector<std::string> args = {"run", "-c", (dir / "gateway.yaml").string()};
  const pid_t first = test::spawn_gateway(args, (dir / "log").string());
  const test::ReapOnExit reap_first(first);
  REQUIRE(test::await([&] { return druid.tasks().Size() >= 1; }));
  kill(first, SIGKILL);
  test::wait_exit(first);
  REQUIRE(druid.tasks().Size() == 1);
  druid.complete_tasks();  // it succeeds while the gateway is down

  const pid_t second = test::spawn_gateway(args, (dir / "log").string());
  const test::ReapOnExit reap_second(second);
  int code = -1;
  REQUIRE(test::await(
      [&] {
        druid.complete_tasks();
        return test::has_exited(second, code);
      },
      120'000));
  CHECK(code == 0);
  check_druid_equals_files(druid, dir);
  CHECK(test::slurp(dir / "log").find("had already succeeded") != std::string::npos);
}

TEST_CASE(
    "druid provision: one supervisor per Kafka stream, Avro through the registry, idempotent") {
  MockDruid druid({"--user", "gw", "--password", "s3cret-pw"});
  const fs::path dir = write_config("provision", druid.url());
  // Sales as Avro; Kafka's address as Druid sees it.
  const std::string set =
      " --set sinks.kafka.formats.sales=avro"
      " --set sinks.kafka.schema_registry.url=http://127.0.0.1:1"
      " --set sinks.druid.schema_registry_url=http://schema-registry:8081"
      " --set sinks.druid.kafka_bootstrap=kafka:19092";
  const std::string cmd =
      std::string(IOT_GATEWAY_BIN) + " druid provision -c " + (dir / "gateway.yaml").string() + set;
  const std::string out1 = test::shell(cmd + " 2>&1");
  INFO(out1);
  CHECK(out1.find("4 posted, 0 failed") != std::string::npos);
  auto sup = druid.supervisors();
  // Streams not pushed as batch tasks: sales, devices, events, events_geo.
  std::set<std::string> ids;
  for (const auto& m : sup.GetObject()) ids.insert(m.name.GetString());
  CHECK(ids == std::set<std::string>{"SALES", "DEVICES", "EVENTS", "EVENTS_GEO"});
  const auto& sales = sup["SALES"]["spec"]["spec"];
  CHECK(std::string(sales["ioConfig"]["inputFormat"]["type"].GetString()) == "avro_stream");
  CHECK(std::string(sales["ioConfig"]["inputFormat"]["avroBytesDecoder"]["type"].GetString()) ==
        "schema_registry");
  CHECK(std::string(sales["ioConfig"]["inputFormat"]["avroBytesDecoder"]["url"].GetString()) ==
        "http://schema-registry:8081");
  CHECK(std::string(sales["dataSchema"]["timestampSpec"]["format"].GetString()) == "millis");
  CHECK(std::string(sales["ioConfig"]["consumerProperties"]["bootstrap.servers"].GetString()) ==
        "kafka:19092");
  CHECK(std::string(sup["EVENTS"]["spec"]["spec"]["ioConfig"]["inputFormat"]["type"].GetString()) ==
        "json");
  // The posted specs are the ones --dry-run prints.
  const auto dry = MockDruid::parse(test::shell(cmd + " --dry-run"));
  REQUIRE(dry.IsArray());
  CHECK(dry.Size() == 4);
  for (const auto& spec : dry.GetArray()) {
    const std::string ds = spec["spec"]["dataSchema"]["dataSource"].GetString();
    CHECK(spec == sup[ds.c_str()]["spec"]);
  }

  // A second run changes nothing.
  const std::string out2 = test::shell(cmd + " 2>&1");
  CHECK(out2.find("4 posted, 0 failed") != std::string::npos);
  const auto after = druid.supervisors();
  for (const auto& id : ids) {
    INFO(id);
    CHECK(after[id.c_str()]["restarts"].GetInt() == 1);
    CHECK(after[id.c_str()]["posts"].GetInt() == 2);
  }
}

TEST_CASE("druid spec: prints a stream's supervisor, batch-pushed streams have none") {
  const fs::path dir = write_config("spec", "http://127.0.0.1:1");
  const std::string base =
      std::string(IOT_GATEWAY_BIN) + " druid spec -c " + (dir / "gateway.yaml").string();
  const auto spec = MockDruid::parse(test::shell(base + " devices"));
  CHECK(std::string(spec["spec"]["ioConfig"]["topic"].GetString()) == "DEVICES");
  const std::string err = test::shell(base + " alerts 2>&1 >/dev/null");
  CHECK(err.find("pushed to Druid as batch tasks") != std::string::npos);
  CHECK(test::shell(base + " nope 2>&1 >/dev/null").find("unknown stream 'nope'") !=
        std::string::npos);
}
