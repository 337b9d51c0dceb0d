// A sink that cannot deliver: the buffer stops at max_bytes, the policy applies, `buffer stats`
// shows the drops per stream, the process stays up, and once the sink recovers, everything
// left drains and the process exits 0.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "process.h"

namespace fs = std::filesystem;

namespace {

fs::path write_config(const std::string& name, const std::string& when_full,
                      const std::string& max_bytes = "512KiB") {
  const fs::path dir = fs::temp_directory_path() / ("iot-gateway-blocked-" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "gateway.yaml") << "gateway: {id: blocked-gw, data_dir: " << dir.string()
                                      << "}\n"
                                         "simulator:\n"
                                         "  clock: virtual\n"
                                         "  duration: 20m\n"
                                         "  access: {interval: 1s}\n"
                                         "  disruptions: [{store: DEF, radius_m: 60}]\n"
                                         "buffer: {max_bytes: "
                                      << max_bytes << ", when_full: " << when_full
                                      << "}\n"
                                         "sinks:\n"
                                         "  file: {enabled: true, path: out}\n"
                                         "  kafka: {enabled: false}\n"
                                         "http: {listen: '127.0.0.1:0'}\n";
  return dir;
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

std::size_t lines(const fs::path& p) {
  const std::string s = slurp(p);
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

// Runs `iot-gateway buffer stats --json` and parses its output.
rapidjson::Document stats(const fs::path& dir) {
  const std::string cmd = std::string(IOT_GATEWAY_BIN) + " buffer stats --json -c " +
                          (dir / "gateway.yaml").string() + " > " + (dir / "stats.json").string();
  REQUIRE(std::system(cmd.c_str()) == 0);
  rapidjson::Document d;
  d.Parse(slurp(dir / "stats.json").c_str());
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

// Polls (bounded) until the log contains `text`.
bool await_log(const fs::path& log, const std::string& text) {
  for (int i = 0; i < 3000; ++i) {
    if (slurp(log).find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

}  // namespace

TEST_CASE("a sink that never confirms: drop_oldest caps the buffer, counts, recovers") {
  const fs::path ref = write_config("reference-a", "drop_oldest", "1GiB");
  REQUIRE(test::wait_exit(test::spawn_gateway({"run", "-c", (ref / "gateway.yaml").string()},
                                              (ref / "log").string())) == 0);

  const fs::path dir = write_config("drop", "drop_oldest");
  std::ofstream(dir / "out") << "a file where the sink's folder should be\n";  // the sink fails
  const pid_t pid =
      test::spawn_gateway({"run", "-c", (dir / "gateway.yaml").string()}, (dir / "log").string());
  const test::ReapOnExit reap_pid(pid);
  REQUIRE(await_log(dir / "log", "draining the sinks"));
  int code = 0;
  CHECK_FALSE(test::has_exited(pid, code));  // the process stays up

  const auto st = stats(dir);
  CHECK(st["bytes"].GetInt64() <= 512 * 1024);
  CHECK(st["streams"]["events"]["drops"]["full"].GetInt64() > 0);
  CHECK_FALSE(st["streams"]["alerts"]["drops"].HasMember("full"));
  CHECK(st["sinks"]["file"]["unconfirmed_records"].GetInt64() > 0);

  fs::remove(dir / "out");  // the sink recovers
  CHECK(test::wait_exit(pid) == 0);
  CHECK(stats(dir)["sinks"]["file"]["unconfirmed_records"].GetInt64() == 0);
  // Aggregates and alerts are dropped last: none was lost. Raw events: delivered + dropped.
  for (const char* topic : {"SALES_AGGREGATE", "ALERTS"})
    CHECK(slurp(dir / "out" / (std::string(topic) + ".ndjson")) ==
          slurp(ref / "out" / (std::string(topic) + ".ndjson")));
  CHECK(lines(ref / "out" / "ALERTS.ndjson") > 0);
  const auto after = stats(dir);
  for (const auto& [topic, stream] :
       {std::pair{"EVENTS", "events"}, {"EVENTS_GEO", "events_geo"}, {"SALES", "sales"}}) {
    const auto& drops = after["streams"][stream]["drops"];
    const std::size_t dropped =
        drops.HasMember("full") ? static_cast<std::size_t>(drops["full"].GetInt64()) : 0;
    CHECK(lines(dir / "out" / (std::string(topic) + ".ndjson")) + dropped ==
          lines(ref / "out" / (std::string(topic) + ".ndjson")));
  }
}

TEST_CASE("a sink that never confirms: block pauses the sources and loses nothing") {
  const fs::path ref = write_config("reference-b", "drop_oldest", "1GiB");
  REQUIRE(test::wait_exit(test::spawn_gateway({"run", "-c", (ref / "gateway.yaml").string()},
                                              (ref / "log").string())) == 0);
  const fs::path dir = write_config("block", "block");
  std::ofstream(dir / "out") << "not a folder\n";
  const pid_t pid =
      test::spawn_gateway({"run", "-c", (dir / "gateway.yaml").string()}, (dir / "log").string());
  const test::ReapOnExit reap_pid(pid);
  REQUIRE(await_log(dir / "log", "sink file cannot deliver"));
  // Full: the buffer stops near max_bytes and stays there while the sources pause.
  int code = 0;
  std::int64_t bytes = 0;
  for (int i = 0; i < 3000 && bytes < 400 * 1024; ++i) {
    bytes = stats(dir)["bytes"].GetInt64();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(bytes >= 400 * 1024);
  CHECK(bytes <= 600 * 1024);  // one batch may go over
  CHECK_FALSE(test::has_exited(pid, code));
  fs::remove(dir / "out");
  CHECK(test::wait_exit(pid) == 0);
  for (const char* topic : {"SALES", "EVENTS", "EVENTS_GEO", "SALES_AGGREGATE", "ALERTS"})
    CHECK_MESSAGE(lines(dir / "out" / (std::string(topic) + ".ndjson")) ==
                      lines(ref / "out" / (std::string(topic) + ".ndjson")),
                  topic);
  CHECK(stats(dir)["streams"]["events"]["drops"].ObjectEmpty());
}
