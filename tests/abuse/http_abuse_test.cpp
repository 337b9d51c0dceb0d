// HTTP abuse (issue 9): a realtime gateway at ~10,000 events/s (the Zürich registry, access
// events every 100 ms per device) is measured idle, then while its local endpoint gets 1,000
// concurrent connections from `wrk`, slowloris clients, oversize bodies and malformed requests.
// It must not crash, must answer each bad request with its 4xx, must still take (202) and keep
// valid events, must close every slow client within http.request_timeout, must show all of it
// in /metrics, and its pipeline must keep within 10% of the idle run's throughput.
// Its own ctest (RUN_SERIAL): the throughput comparison needs the machine to itself.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "http/http_client.h"
#include "process.h"
#include "raw_client.h"

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kMeasureMs = 6000;         // each throughput window
constexpr int kRequestTimeoutMs = 2000;  // http.request_timeout of the gateway under test
constexpr int kSlowClients = 200;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// The sum of every sample of `name` (any labels) whose labels contain `filter`.
double metric_sum(const std::string& text, const std::string& name,
                  const std::string& filter = "") {
  double sum = 0;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name, 0) != 0 || line.size() <= name.size()) continue;
    const char next = line[name.size()];
    if (next != '{' && next != ' ') continue;
    if (!filter.empty() && line.find(filter) == std::string::npos) continue;
    sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

// /metrics; retried, since under a flood a connection may be evicted before it is answered.
std::string scrape(const std::string& base) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    const auto r = gw::http_request("GET", base + "/metrics", "", {}, 5000);
    if (r.status == 200) return r.body;
  }
  FAIL("/metrics did not answer 200 in 50 attempts");
  return {};
}

// Pipeline throughput over one window: events taken in, and records the file sink delivered.
struct Rates {
  double events = 0;   // per second
  double records = 0;  // per second
};

Rates measure(const std::string& base) {
  const std::string m0 = scrape(base);
  const auto t0 = Clock::now();
  std::this_thread::sleep_for(milliseconds(kMeasureMs));  // a measuring window, not a wait
  const std::string m1 = scrape(base);
  const double s = seconds_since(t0);
  const auto delta = [&](const char* name, const std::string& filter) {
    return (metric_sum(m1, name, filter) - metric_sum(m0, name, filter)) / s;
  };
  return {delta("iot_gateway_events_in_total", ""),
          delta("iot_gateway_sink_records_total", "result=\"delivered\"")};
}

// The status of the answer to `request` sent on a fresh connection; 0 if none came.
int raw_status(int port, const std::string& request) {
  test::RawClient c(port);
  if (!c.try_send(request)) return 0;
  const std::string answer = c.read(10'000, "\r\n\r\n");
  if (answer.rfind("HTTP/1.1 ", 0) != 0 || answer.size() < 12) return 0;
  return std::stoi(answer.substr(9, 3));
}

struct BadRequest {
  std::string what;
  std::string request;
  int expected;
};

std::vector<BadRequest> bad_requests(const std::string& token) {
  const std::string auth = "Authorization: Bearer " + token + "\r\n";
  return {
      {"body over max_body (Content-Length)",
       "POST /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth +
           "Content-Length: 104857600\r\n\r\n" + std::string(65536, 'x'),
       413},
      {"body over max_body (chunked)",
       "POST /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth +
           "Transfer-Encoding: chunked\r\n\r\n20000\r\n" + std::string(0x20000, 'x') + "\r\n",
       413},
      {"header over 16 KiB",
       "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + std::string(20'000, 'a') +
           "\r\n\r\n",
       431},
      {"garbage request line", "\x16\x03\x01 hello\r\n\r\n", 400},
      {"bad Content-Length",
       "POST /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: many\r\n\r\n", 400},
      {"bad chunk size",
       "POST /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth +
           "Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
       400},
      {"NDJSON that is not events",
       "POST /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth +
           "Content-Type: application/x-ndjson\r\nContent-Length: 13\r\n\r\n{\"nope\":true}",
       400},
      {"POST without the token",
       "POST /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{}", 401},
      {"unknown path", "GET /../../etc/passwd HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 404},
  };
}

// An hour ago: inside pipeline.max_past of the realtime gateway.
const long long kT0 = std::time(nullptr) * 1000LL - 3'600'000;

std::string sales(int from, int count) {
  std::string body;
  for (int i = from; i < from + count; ++i)
    body += R"({"store_id":"ABUSE","sale_amount":)" + std::to_string(100 + i % 900) +
            R"(,"sale_ts":)" + std::to_string(kT0 + i) + R"(,"event_id":"abuse-)" +
            std::to_string(i) + "\"}\n";
  return body;
}

}  // namespace

TEST_CASE("abuse: floods, slow, oversize and malformed requests while the pipeline runs") {
  // wrk's 1,000 connections and ours need more descriptors than a default soft limit of 1024.
  rlimit nofile{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &nofile) == 0);
  nofile.rlim_cur = nofile.rlim_max;
  REQUIRE(setrlimit(RLIMIT_NOFILE, &nofile) == 0);
  REQUIRE(nofile.rlim_cur >= 4096);

  const fs::path dir = fs::temp_directory_path() / "iot-gateway-abuse";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string token = "abuse-token";
  std::ofstream(dir / "gateway.yaml")
      << "gateway: {id: abuse-gw, data_dir: " << dir.string() << "}\n"
      << "simulator:\n  clock: realtime\n"
      << "  devices_file: " << PROJECT_DIR << "/data/devices_zurich.json\n"
      << "  access: {interval: 100ms}\n"
      << "sinks:\n  file: {enabled: true, path: out}\n  kafka: {enabled: false}\n"
      << "http: {listen: '127.0.0.1:0', token: " << token
      << ", max_body: 64KiB, max_connections: 64, request_timeout: " << kRequestTimeoutMs
      << "ms}\n";
  const pid_t pid =
      test::spawn_gateway({"run", "-c", (dir / "gateway.yaml").string()}, (dir / "log").string());
  const test::ReapOnExit reap_pid(pid);
  const std::string base = test::await_http_base(dir / "log");
  REQUIRE_FALSE(base.empty());
  const int port = std::stoi(base.substr(base.rfind(':') + 1));

  // Running: events flow and reach the file sink.
  REQUIRE(test::await([&] {
    return metric_sum(scrape(base), "iot_gateway_sink_records_total", "result=\"delivered\"") >
           10'000;
  }));

  const Rates idle = measure(base);
  MESSAGE("idle: " << idle.events << " events/s in, " << idle.records << " records/s delivered");
  REQUIRE(idle.events > 5000);  // the scenario really loads the pipeline

  // The abuse, all at once.
  std::atomic<bool> abusing{true};
  const std::string url = base + "/healthz";
  auto wrk = std::async(std::launch::async, [&] {
    const int seconds = kMeasureMs / 1000 + 4;
    return test::shell(std::string(WRK_BIN) + " -t2 -c1000 -d" + std::to_string(seconds) +
                       "s --timeout 5s " + url + " 2>&1");
  });
  // Slowloris: half a request each, then a header line every 200 ms, never finishing it.
  auto slow = std::async(std::launch::async, [&] {
    std::vector<std::unique_ptr<test::RawClient>> clients;
    for (int i = 0; i < kSlowClients; ++i) {
      clients.push_back(std::make_unique<test::RawClient>(port));
      clients.back()->try_send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    }
    const auto start = Clock::now();
    std::vector<bool> closed(clients.size(), false);
    std::size_t open = clients.size();
    // Until every one has been closed by the gateway (or far past request_timeout).
    while (open > 0 && seconds_since(start) < 30) {
      for (std::size_t i = 0; i < clients.size(); ++i) {
        if (closed[i]) continue;
        clients[i]->read(0);
        if (clients[i]->closed() || !clients[i]->try_send("X-Slow: 1\r\n")) {
          closed[i] = true;
          --open;
        }
      }
      std::this_thread::sleep_for(milliseconds(200));
    }
    return std::make_pair(open, seconds_since(start));
  });
  // Bad requests, each on its own connection, over and over; and valid events in between.
  struct Outcome {
    std::vector<std::string> wrong;  // "what: got N"
    int answered = 0;
    std::set<std::string> kinds_answered;
    std::set<int> accepted_batches;
  };
  auto bad = std::async(std::launch::async, [&] {
    Outcome o;
    const auto requests = bad_requests(token);
    const gw::HttpHeaders auth = {{"Authorization", "Bearer " + token},
                                  {"Content-Type", "application/x-ndjson"}};
    // While the flood lasts, and until each kind has had its answer (bounded).
    const auto start = Clock::now();
    for (int round = 0;
         abusing || (o.kinds_answered.size() < requests.size() && seconds_since(start) < 120);
         ++round) {
      for (const auto& r : requests) {
        const int status = raw_status(port, r.request);
        if (status == r.expected) {
          ++o.answered;
          o.kinds_answered.insert(r.what);
        } else if (status != 503 && status != 0)  // refused or evicted under the flood: try again
          o.wrong.push_back(r.what + ": got " + std::to_string(status));
      }
      const auto ok =
          gw::http_request("POST", base + "/api/v1/events", sales(round * 100, 100), auth, 30'000);
      if (ok.status == 202) o.accepted_batches.insert(round);
    }
    return o;
  });

  std::this_thread::sleep_for(milliseconds(1000));  // let the flood build up
  const Rates abused = measure(base);
  abusing = false;
  const std::string wrk_out = wrk.get();
  const auto [slow_open, slow_seconds] = slow.get();
  const Outcome outcome = bad.get();

  MESSAGE("under abuse: " << abused.events << " events/s in, " << abused.records
                          << " records/s delivered; ratio " << abused.events / idle.events << " / "
                          << abused.records / idle.records);
  MESSAGE("wrk: " << wrk_out);
  int code = 0;
  REQUIRE_FALSE(test::has_exited(pid, code));

  // 1,000 connections were made and answered.
  CHECK(wrk_out.find("1000 connections") != std::string::npos);
  CHECK(wrk_out.find("requests in") != std::string::npos);
  // The pipeline kept its pace.
  CHECK(abused.events >= 0.9 * idle.events);
  CHECK(abused.records >= 0.9 * idle.records);
  // Every slow client was closed, none outlived request_timeout by much.
  CHECK(slow_open == 0);
  CHECK(slow_seconds < kRequestTimeoutMs / 1000.0 + 5);
  // Each bad request got its own 4xx, none a wrong one.
  CHECK(outcome.wrong.empty());
  for (const auto& w : outcome.wrong) MESSAGE(w);
  CHECK(outcome.kinds_answered.size() == bad_requests(token).size());
  CHECK_FALSE(outcome.accepted_batches.empty());

  // Still serving, and it all shows in /metrics.
  CHECK(test::await(
      [&] { return gw::http_request("GET", base + "/healthz", "", {}, 5000).status == 200; }));
  const std::string m = scrape(base);
  const auto connections = [&](const char* result) {
    return metric_sum(m, "iot_gateway_http_connections_total",
                      std::string("result=\"") + result + "\"");
  };
  MESSAGE("connections: accepted "
          << connections("accepted") << ", evicted " << connections("evicted") << ", refused "
          << connections("refused") << ", timed_out " << connections("timed_out"));
  CHECK(connections("accepted") > 1000);
  CHECK(connections("evicted") + connections("timed_out") >= kSlowClients);
  CHECK(metric_sum(m, "iot_gateway_http_responses_total", "code=\"4xx\"") >= outcome.answered);
  // Every connection's place was given back: only our own scrapes remain.
  CHECK(test::await(
      [&] { return metric_sum(scrape(base), "iot_gateway_http_connections_open") <= 2; }));

  // A clean stop; every accepted event is in the file sink, exactly as sent.
  kill(pid, SIGTERM);
  CHECK(test::wait_exit(pid) == 0);
  const std::string written = test::slurp(dir / "out" / "SALES.ndjson");
  std::size_t missing = 0;
  for (const int round : outcome.accepted_batches)
    for (int i = round * 100; i < round * 100 + 100; ++i)
      if (written.find("\"event_id\":\"abuse-" + std::to_string(i) + "\"") == std::string::npos)
        ++missing;
  MESSAGE(outcome.accepted_batches.size()
          << " accepted batches of 100 events; missing " << missing);
  CHECK(missing == 0);
}
