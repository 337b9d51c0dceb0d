// The fault matrix (issue 9): each case is a virtual-clock run with the Kafka and file sinks
// (and Druid where it is the fault) while one thing goes wrong. For each: the fault shows in
// /metrics while it lasts, /healthz keeps answering, the run drains and exits 0, and no record
// the pipeline produced is lost: Kafka (read back with kcat) holds every record of the file
// sink. Each case prints "fault matrix: CASE: produced N, delivered N, lost N".
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <rapidjson/document.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>

#include "core/random.h"
#include "druid_mock.h"
#include "http/http_client.h"
#include "kafka_mock.h"
#include "process.h"
#include "schema_registry_mock.h"

namespace fs = std::filesystem;

namespace {

constexpr const char* kTopics[] = {"SALES",      "DEVICES",         "EVENTS",
                                   "EVENTS_GEO", "SALES_AGGREGATE", "ALERTS"};

struct Run {
  fs::path dir;
  fs::path config() const { return dir / "gateway.yaml"; }
  fs::path log() const { return dir / "log"; }
};

Run prepare(const std::string& name, const std::string& bootstrap, const std::string& extra,
            const fs::path& data_dir = {}, const std::string& duration = "10m") {
  Run r{fs::temp_directory_path() / ("iot-gateway-fault-" + name)};
  fs::remove_all(r.dir);
  fs::create_directories(r.dir);
  const fs::path data = data_dir.empty() ? r.dir : data_dir;
  std::ofstream(r.config())
      << "gateway: {id: fault-gw, data_dir: " << data.string() << "}\n"
      << "simulator:\n  clock: virtual\n  duration: " << duration << "\n  access: {interval: 1s}\n"
      << "  max_delay: 2s\n"
      << "  disruptions: [{store: DEF, radius_m: 150, rejected_ratio: 0.99}]\n"
      << "sinks:\n  file: {enabled: true, path: " << (r.dir / "out").string() << "}\n"
      << "  kafka:\n    brokers: " << bootstrap << "\n"
      << "    properties: {message.timeout.ms: '3000'}\n"
      << extra << "http: {listen: '127.0.0.1:0'}\n";
  return r;
}

std::string metrics(const std::string& base) {
  return gw::http_request("GET", base + "/metrics", "", {}, 5000).body;
}

// /healthz answers (200, or 503 naming why) while the fault lasts.
void check_serving(const std::string& base) {
  const auto h = gw::http_request("GET", base + "/healthz", "", {}, 5000);
  INFO(h.error, h.body);
  CHECK((h.status == 200 || (h.status == 503 && h.body.find("reason") != std::string::npos)));
}

// Waits until /metrics contains every one of `lines` (while the fault lasts).
void await_metrics(const std::string& base, const std::vector<std::string>& lines,
                   int timeout_ms = 60'000) {
  std::string last;
  const bool ok = test::await(
      [&] {
        last = metrics(base);
        for (const auto& l : lines)
          if (last.find(l) == std::string::npos) return false;
        return true;
      },
      timeout_ms);
  INFO(last);
  CHECK(ok);
}

// The sum of a metric's samples whose name and labels start with `prefix`, e.g.
// "iot_gateway_buffer_bytes" (every stream) or "iot_gateway_sink_up{sink=\"kafka\"}"; -1 if none.
double value_of(const std::string& m, const std::string& prefix) {
  double sum = -1;
  std::size_t at = 0;
  while ((at = m.find("\n" + prefix, at)) != std::string::npos) {
    at += 1;
    const auto space = m.find(' ', at), end = m.find('\n', at);
    const char next = m[at + prefix.size()];
    if (next != ' ' && next != '{' && prefix.back() != '}') continue;
    sum = (sum < 0 ? 0 : sum) + std::stod(m.substr(space + 1, end - space - 1));
  }
  return sum;
}

// Kafka against the file sink; prints the case's line and checks nothing was lost.
void account(const std::string& name, const std::string& bootstrap, const Run& r,
             bool sales_avro = false) {
  std::size_t produced = 0, delivered = 0, lost = 0;
  for (const char* topic : kTopics) {
    const auto file = test::read_lines(r.dir / "out" / (std::string(topic) + ".ndjson"));
    const std::set<std::string> want(file.begin(), file.end());
    std::set<std::string> got;
    if (sales_avro && std::string(topic) == "SALES") {
      // Avro values: each record is known by its event_id header.
      for (const auto& h : test::consume_with_kcat(bootstrap, topic, "%h\n")) got.insert(h);
      std::set<std::string> ids;
      for (const auto& v : want) {
        rapidjson::Document d;
        d.Parse(v.c_str());
        ids.insert(std::string("gateway_id=fault-gw,event_id=") + d["event_id"].GetString());
      }
      std::size_t found = 0;
      for (const auto& id : ids) found += got.count(id);
      produced += ids.size();
      delivered += found;
      lost += ids.size() - found;
      continue;
    }
    for (const auto& v : test::consume_with_kcat(bootstrap, topic, "%s\n")) got.insert(v);
    std::size_t found = 0;
    for (const auto& v : want) found += got.count(v);
    produced += want.size();
    delivered += found;
    lost += want.size() - found;
  }
  std::printf("fault matrix: %-28s produced %zu, delivered %zu, lost %zu\n", name.c_str(), produced,
              delivered, lost);
  std::fflush(stdout);
  CHECK(produced > 10'000);
  CHECK(lost == 0);
}

// Starts the gateway, runs `during` once its endpoint is up, then waits for exit 0.
void run_case(const Run& r, const std::function<void(const std::string& base)>& during) {
  const pid_t pid = test::spawn_gateway({"run", "-c", r.config().string()}, r.log().string());
  const test::ReapOnExit reap_pid(pid);
  const std::string base = test::await_http_base(r.log());
  REQUIRE(!base.empty());
  during(base);
  CHECK(test::wait_exit(pid) == 0);
}

}  // namespace

TEST_CASE("fault matrix: brokers down") {
  test::KafkaMock kafka(test::kKafkaMockTopics, 3, 12);
  REQUIRE(kafka.command("all-down").rfind("ok", 0) == 0);
  const Run r = prepare("brokers-down", kafka.bootstrap(), "");
  run_case(r, [&](const std::string& base) {
    await_metrics(base, {"iot_gateway_sink_connected{sink=\"kafka\"} 0",
                         "iot_gateway_sink_up{sink=\"kafka\"} 0"});
    check_serving(base);
    REQUIRE(kafka.command("all-up").rfind("ok", 0) == 0);
  });
  account("brokers down", kafka.bootstrap(), r);
}

TEST_CASE("fault matrix: brokers slow") {
  test::KafkaMock kafka(test::kKafkaMockTopics, 3, 12);
  REQUIRE(kafka.command("rtt all 300").rfind("ok", 0) == 0);
  const Run r = prepare("brokers-slow", kafka.bootstrap(), "");
  run_case(r, [&](const std::string& base) {
    // Deliveries take at least the added round trip: none in the first latency bucket.
    test::await([&] {
      return value_of(metrics(base), "iot_gateway_sink_delivery_seconds_count{sink=\"kafka\"}") >=
             2;
    });
    const std::string m = metrics(base);
    CHECK(value_of(m, "iot_gateway_sink_delivery_seconds_sum{sink=\"kafka\"}") >= 0.6);
    check_serving(base);
    REQUIRE(kafka.command("rtt all 0").rfind("ok", 0) == 0);
  });
  account("brokers slow (300 ms rtt)", kafka.bootstrap(), r);
}

TEST_CASE("fault matrix: schema registry down") {
  test::KafkaMock kafka(test::kKafkaMockTopics, 3, 12);
  const std::string registry_at = "127.0.0.1:" + std::to_string(test::free_port());
  const Run r = prepare(
      "registry-down", kafka.bootstrap(),
      "    formats: {sales: avro}\n    schema_registry: {url: http://" + registry_at + "}\n");
  std::unique_ptr<MockRegistry> registry;
  run_case(r, [&](const std::string& base) {
    await_metrics(base, {"iot_gateway_sink_up{sink=\"kafka\"} 0"});
    check_serving(base);
    registry = std::make_unique<MockRegistry>(std::vector<std::string>{}, registry_at);
  });
  account("schema registry down", kafka.bootstrap(), r, true);
}

TEST_CASE("fault matrix: Druid answering 5xx, 400 and FAILED") {
  test::KafkaMock kafka(test::kKafkaMockTopics, 3, 12);
  MockDruid druid({"--running-polls", "4"});
  druid.inject(R"({"submit_status":503,"count":2})");
  druid.inject(R"({"task_result":"FAILED","count":2})");
  // Three 400s in a row: a batch and both its halves, or a single-row batch (then the next).
  druid.inject(R"({"submit_status":400,"count":3})");
  const Run r = prepare("druid", kafka.bootstrap(),
                        "  druid: {enabled: true, url: " + druid.url() +
                            ", flush_interval: 100ms, max_batch_bytes: 1KiB}\n");
  run_case(r, [&](const std::string& base) {
    await_metrics(base,
                  {"iot_gateway_druid_tasks_total{sink=\"druid\",outcome=\"failed\"} 2",
                   "iot_gateway_druid_tasks_total{sink=\"druid\",outcome=\"rejected\"} 3"},
                  120'000);
    check_serving(base);
  });
  account("druid 5xx/400/FAILED: kafka", kafka.bootstrap(), r);
  // Druid: every record is in Druid or a dead letter (the 400 batch), none twice.
  const auto stats = MockDruid::parse(
      test::shell(std::string(IOT_GATEWAY_BIN) + " buffer stats --json -c " + r.config().string()));
  const std::int64_t dead = stats["dead_letters"]["druid"]["records"].GetInt64();
  std::size_t in_druid = 0, in_files = 0;
  for (const char* ds : {"SALES_AGGREGATE", "ALERTS"}) {
    const auto rows = druid.rows(ds);
    const auto file = test::read_lines(r.dir / "out" / (std::string(ds) + ".ndjson"));
    CHECK(std::set<std::string>(rows.begin(), rows.end()).size() == rows.size());
    in_druid += rows.size();
    in_files += std::set<std::string>(file.begin(), file.end()).size();
  }
  std::printf("fault matrix: %-28s produced %zu, delivered %zu, lost %zu (dead letters %lld)\n",
              "druid 5xx/400/FAILED: druid", in_files, in_druid,
              in_files - in_druid - static_cast<std::size_t>(dead), static_cast<long long>(dead));
  CHECK(dead > 0);
  CHECK(in_druid + static_cast<std::size_t>(dead) == in_files);
}

TEST_CASE("fault matrix: the buffer at its size limit") {
  test::KafkaMock kafka(test::kKafkaMockTopics, 3, 12);
  REQUIRE(kafka.command("all-down").rfind("ok", 0) == 0);
  const Run r =
      prepare("buffer-full", kafka.bootstrap(), "buffer: {max_bytes: 512KiB, when_full: block}\n");
  run_case(r, [&](const std::string& base) {
    // The buffer fills up to its cap and the sources pause.
    test::await([&] { return value_of(metrics(base), "iot_gateway_buffer_bytes") >= 400 * 1024; });
    CHECK(value_of(metrics(base), "iot_gateway_buffer_bytes") >= 400 * 1024);
    check_serving(base);
    REQUIRE(kafka.command("all-up").rfind("ok", 0) == 0);
  });
  account("buffer at its size limit", kafka.bootstrap(), r);
}

TEST_CASE("fault matrix: wall-clock jumps") {
  // The gateway's wall clock is offset by the number of milliseconds in a file
  // (IOT_GATEWAY_TEST_CLOCK_OFFSET_FILE, read at most once a second; core/system_clock.cpp); its
  // monotonic clock stays real, as when NTP steps the clock. While the brokers are down and the
  // buffer holds the run (max_age 1 day), the clock steps back 2 days, then forward 32: nothing
  // may expire or be lost, and both jumps show in /metrics.
  constexpr long long kDay = 86'400'000;
  test::KafkaMock kafka(test::kKafkaMockTopics, 3, 12);
  REQUIRE(kafka.command("all-down").rfind("ok", 0) == 0);
  const Run r = prepare("clock-jumps", kafka.bootstrap(),
                        "buffer: {max_bytes: 512KiB, when_full: block, max_age: 1d}\n");
  const fs::path offset = r.dir / "clock-offset-ms";
  std::ofstream(offset) << "0\n";
  setenv("IOT_GATEWAY_TEST_CLOCK_OFFSET_FILE", offset.c_str(), 1);
  run_case(r, [&](const std::string& base) {
    unsetenv("IOT_GATEWAY_TEST_CLOCK_OFFSET_FILE");  // only the gateway's clock steps
    test::await([&] { return value_of(metrics(base), "iot_gateway_buffer_bytes") >= 400 * 1024; });
    std::ofstream(offset) << -2 * kDay << "\n";
    await_metrics(base, {"iot_gateway_clock_jumps_total{direction=\"backward\"} 1"});
    check_serving(base);
    std::ofstream(offset) << 30 * kDay << "\n";
    await_metrics(base, {"iot_gateway_clock_jumps_total{direction=\"forward\"} 1"});
    check_serving(base);
    const std::string m = metrics(base);
    CHECK(value_of(m, "iot_gateway_buffer_drops_total") <= 0);  // none counted (-1: no sample)
    // The oldest record is minutes old, not 30 days.
    CHECK(value_of(m, "iot_gateway_buffer_oldest_age_seconds") < 600);
    REQUIRE(kafka.command("all-up").rfind("ok", 0) == 0);
  });
  const std::string log = test::slurp(r.log());
  CHECK(log.find("the wall clock jumped back by 2d") != std::string::npos);
  CHECK(log.find("the wall clock jumped forward by 32d") != std::string::npos);
  CHECK(log.find("the buffer's record ages are kept") != std::string::npos);
  CHECK(log.find("older than buffer.max_age") == std::string::npos);
  account("wall-clock jumps (-2d, +32d)", kafka.bootstrap(), r);
}

TEST_CASE("fault matrix: the disk full") {
  // A small filesystem of its own (tmpfs) where the machine lets us mount one; else the
  // closest equivalent: a 2 MiB file size limit on the gateway (writes fail with EFBIG).
  test::KafkaMock kafka(test::kKafkaMockTopics, 3, 12);
  const fs::path mnt = fs::temp_directory_path() / "iot-gateway-fault-disk";
  fs::create_directories(mnt);
  umount(mnt.c_str());
  const bool tmpfs = mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=16m") == 0;
  fs::path filler = mnt / "filler";
  if (tmpfs) {
    // Someone else filled the disk, all but 256 KiB.
    const std::string cmd = "fallocate -l $(( $(df --output=avail -B1 " + mnt.string() +
                            " | tail -1) - 262144 )) " + filler.string();
    REQUIRE(std::system(cmd.c_str()) == 0);
  }
  const Run r = prepare("disk-full", kafka.bootstrap(), "", mnt / "data");
  const pid_t pid = test::spawn_gateway({"run", "-c", r.config().string()}, r.log().string());
  const test::ReapOnExit reap_pid(pid);
  if (!tmpfs) {
    const std::string cmd = "prlimit --pid " + std::to_string(pid) + " --fsize=2097152";
    REQUIRE(std::system(cmd.c_str()) == 0);
  }
  const std::string base = test::await_http_base(r.log());
  REQUIRE(!base.empty());
  test::await(
      [&] { return value_of(metrics(base), "iot_gateway_buffer_commit_failures_total") >= 1; });
  CHECK(value_of(metrics(base), "iot_gateway_buffer_commit_failures_total") >= 1);
  check_serving(base);
  // Space comes back.
  if (tmpfs)
    fs::remove(filler);
  else
    REQUIRE(std::system(("prlimit --pid " + std::to_string(pid) + " --fsize=unlimited").c_str()) ==
            0);
  CHECK(test::wait_exit(pid) == 0);
  account(tmpfs ? "disk full (tmpfs)" : "disk full (RLIMIT_FSIZE)", kafka.bootstrap(), r);
  if (tmpfs) umount(mnt.c_str());
}

TEST_CASE("fault matrix: SIGKILL loop") {
  test::KafkaMock kafka(test::kKafkaMockTopics, 3, 12);
  const Run r = prepare("sigkill", kafka.bootstrap(), "", {}, "2h");
  const std::vector<std::string> args = {"run", "-c", r.config().string()};
  const gw::DrawKey seed(99);
  std::size_t kills = 0;
  for (int i = 0; i < 5; ++i) {
    const pid_t pid = test::spawn_gateway(args, r.log().string());
    const test::ReapOnExit reap_pid(pid);
    const auto at = static_cast<std::uintmax_t>(50'000 + seed.combine(i).unit() * 400'000);
    std::error_code ec;
    int code = 0;
    bool exited = false;
    auto size = [&] {
      const auto n = fs::file_size(r.dir / "out" / "EVENTS.ndjson", ec);
      return ec ? 0 : n;
    };
    const auto start = size();
    while (!(exited = test::has_exited(pid, code)) && size() < start + at)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    if (exited) break;
    kill(pid, SIGKILL);
    test::wait_exit(pid);
    ++kills;
  }
  CHECK(kills >= 3);
  fs::rename(r.log(), r.dir / "log.killed");  // the last run's endpoint is in a fresh log
  run_case(r, [&](const std::string& base) {
    // The restarted gateway resumed: its state came back from the buffer.
    check_serving(base);
  });
  CHECK(test::slurp(r.log()).find("resumed from the buffer's last commit") != std::string::npos);
  account("SIGKILL loop", kafka.bootstrap(), r);
}
