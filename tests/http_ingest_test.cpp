// POST /api/v1/events on a running gateway: 202 only after the events are durable, and they
// reach the sink; one bad line rejects the whole request with its line number; 401 without the
// token; 413 over http.max_body.
#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <thread>

#include "core/time.h"
#include "http/http_client.h"
#include "process.h"

namespace fs = std::filesystem;

namespace {

using test::await;
using test::slurp;

// An hour ago: inside pipeline.max_past of the realtime gateway.
const long long kT0 = std::time(nullptr) * 1000LL - 3'600'000;

std::string sales(int from, int count) {
  std::string body;
  for (int i = from; i < from + count; ++i)
    body += R"({"store_id":"POS-)" + std::to_string(i % 7) + R"(","sale_amount":)" +
            std::to_string(100 + i % 900) + R"(,"sale_ts":)" + std::to_string(kT0 + i) +
            R"(,"event_id":"e-)" + std::to_string(i) + "\"}\n";
  return body;
}

std::size_t count_lines(const fs::path& p) {
  const std::string s = slurp(p);
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

}  // namespace

TEST_CASE("POST /api/v1/events: durable before 202, bad lines refused whole, token and size") {
  const fs::path dir = fs::temp_directory_path() / "iot-gateway-http-ingest";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "gateway.yaml")
      << "gateway: {id: ingest-gw, data_dir: " << dir.string() << "}\n"
      << "simulator: {enabled: false}\n"
      << "sinks:\n  file: {enabled: true, path: out}\n  kafka: {enabled: false}\n"
      << "http: {listen: '127.0.0.1:0', token: s3cret, max_body: 2MiB}\n";
  const pid_t pid =
      test::spawn_gateway({"run", "-c", (dir / "gateway.yaml").string()}, (dir / "log").string());
  const test::ReapOnExit reap_pid(pid);
  const std::string base = test::await_http_base(dir / "log");
  REQUIRE_FALSE(base.empty());
  const std::string url = base + "/api/v1/events";
  const gw::HttpHeaders auth = {{"Authorization", "Bearer s3cret"},
                                {"Content-Type", "application/x-ndjson"}};

  // 10,000 valid lines: 202, and every one of them reaches the file sink.
  const auto ok = gw::http_request("POST", url, sales(0, 10'000), auth, 30'000);
  CHECK(ok.status == 202);
  CHECK(ok.body == R"({"accepted":10000})");
  const fs::path out = dir / "out" / "SALES.ndjson";
  REQUIRE(await([&] { return count_lines(out) >= 10'000; }));
  const std::string written = slurp(out);
  for (int i : {0, 1, 4999, 9999})
    CHECK(written.find("\"event_id\":\"e-" + std::to_string(i) + "\"") != std::string::npos);

  // One bad line among good ones: 400 naming it, nothing of the request taken.
  std::string bad = sales(20'000, 4) + R"({"store_id":"X","sale_amount":"many","sale_ts":1})" +
                    "\n" + sales(20'004, 5);
  const auto refused = gw::http_request("POST", url, bad, auth, 30'000);
  CHECK(refused.status == 400);
  CHECK(refused.body.find("line 5: a sale needs sale_amount, an integer") != std::string::npos);
  // A later good request is committed; the refused one's events never show up.
  REQUIRE(gw::http_request("POST", url, sales(30'000, 3), auth, 30'000).status == 202);
  REQUIRE(await([&] { return count_lines(out) >= 10'003; }));
  CHECK(count_lines(out) == 10'003);
  CHECK(slurp(out).find("\"event_id\":\"e-20000\"") == std::string::npos);

  // Without the token: 401. With a wrong one: 401.
  CHECK(gw::http_request("POST", url, sales(40'000, 1), {}, 10'000).status == 401);
  CHECK(gw::http_request("POST", url, sales(40'000, 1), {{"Authorization", "Bearer nope"}}, 10'000)
            .status == 401);
  // Over http.max_body (2 MiB): 413.
  CHECK(gw::http_request("POST", url, sales(50'000, 30'000), auth, 30'000).status == 413);
  // Access events are enriched like the simulator's.
  CHECK(
      gw::http_request(
          "POST", url,
          R"({"deviceId":"unknown-door","payload":{"notificationName":"accessRejected","eventTimestamp":")" +
              gw::format_iso8601(kT0 + 5000) + "\"}}\n",
          auth, 10'000)
          .status == 202);
  REQUIRE(await([&] { return count_lines(dir / "out" / "EVENTS.ndjson") == 1; }));

  kill(pid, SIGTERM);
  CHECK(test::wait_exit(pid) == 0);
}
