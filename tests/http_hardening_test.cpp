// The local endpoint against hostile input and load (issue 18): a POST waiting for its commit
// holds up nothing else (finding 9); 202 only for events their commit kept, else 503 with
// Retry-After, counted (finding 5); web pages kept out by Content-Type, Origin and Host rules,
// nosniff and a content security policy (finding 2); 405 with Allow, the bearer scheme in any
// case, the token compared whole.
#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "http/http_client.h"
#include "process.h"
#include "raw_client.h"

namespace fs = std::filesystem;

namespace {

using test::await;

constexpr int kTimeoutMs = 10'000;

// `count` sales of now, with random event ids (so that they do not compress away).
std::string sales(int count, std::uint64_t seed) {
  std::mt19937_64 random(seed);
  const long long now = static_cast<long long>(std::time(nullptr)) * 1000;
  std::string body;
  for (int i = 0; i < count; ++i) {
    char id[40];
    std::snprintf(id, sizeof id, "%016llx%016llx", static_cast<unsigned long long>(random()),
                  static_cast<unsigned long long>(random()));
    body += R"({"store_id":"S)" + std::to_string(i % 5) + R"(","sale_amount":)" +
            std::to_string(100 + i % 900) + R"(,"sale_ts":)" + std::to_string(now + i % 1000) +
            R"(,"event_id":")" + id + "\"}\n";
  }
  return body;
}

struct Gateway {
  Gateway(const std::string& name, const std::string& extra_config) {
    dir = fs::temp_directory_path() / ("iot-gateway-hardening-" + name);
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::ofstream(dir / "gateway.yaml")
        << "gateway: {id: hard-gw, data_dir: " << dir.string() << "}\n"
        << "simulator: {enabled: false}\n"
        << "sinks:\n  file: {enabled: true, path: out}\n  kafka: {enabled: false}\n"
        << extra_config;
  }
  void start() {
    pid =
        test::spawn_gateway({"run", "-c", (dir / "gateway.yaml").string()}, (dir / "log").string());
    base = test::await_http_base(dir / "log");
    REQUIRE_FALSE(base.empty());
    port = std::stoi(base.substr(base.rfind(':') + 1));
  }
  ~Gateway() {
    if (pid > 0) {
      kill(pid, SIGTERM);
      test::wait_exit(pid);
    }
  }
  // A raw request's whole answer (headers and body), on a connection of its own.
  std::string raw(const std::string& request, int timeout_ms = kTimeoutMs) const {
    test::RawClient c(port);
    c.send(request);
    return c.read(timeout_ms);
  }
  std::string metrics() const {
    return gw::http_request("GET", base + "/metrics", "", {}, 2000).body;
  }
  fs::path dir;
  pid_t pid = -1;
  std::string base;
  int port = 0;
};

std::string post(const std::string& body, const std::string& headers = "") {
  return "POST /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
         "Content-Type: application/x-ndjson\r\n" +
         headers + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

const gw::HttpHeaders kNdjson = {{"Content-Type", "application/x-ndjson"}};

}  // namespace

TEST_CASE("POST /api/v1/events: a POST waiting for its commit does not hold up /healthz") {
  Gateway g("pending",
            "buffer: {max_bytes: 64KiB, when_full: block}\nhttp: {listen: '127.0.0.1:0'}\n");
  std::ofstream(g.dir / "out") << "a file where the sink's folder should be\n";  // the sink fails
  g.start();
  REQUIRE(gw::http_request("POST", g.base + "/api/v1/events", sales(10, 1), kNdjson, kTimeoutMs)
              .status == 202);
  // More than the buffer can take while its sink fails: the commit waits for room.
  test::RawClient waiting(g.port);
  waiting.send(post(sales(5000, 2)));
  REQUIRE(await([&] {
    return g.metrics().find("\niot_gateway_http_ingest_pending 1\n") != std::string::npos;
  }));
  const auto t0 = std::chrono::steady_clock::now();
  const auto health = gw::http_request("GET", g.base + "/healthz", "", {}, kTimeoutMs);
  CHECK(health.status == 200);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(1));
  CHECK(waiting.read(0).empty());
  // The sink recovers, the buffer drains, the commit goes through: then the 202.
  fs::remove(g.dir / "out");
  const std::string answer = waiting.read(30'000, R"({"accepted":5000})");
  CHECK(answer.rfind("HTTP/1.1 202 ", 0) == 0);
  CHECK(answer.find(R"({"accepted":5000})") != std::string::npos);
}

TEST_CASE("POST /api/v1/events: 503 with Retry-After when the commit drops the POST's events") {
  Gateway g("dropped",
            "buffer: {max_bytes: 64KiB, when_full: drop_oldest}\nhttp: {listen: '127.0.0.1:0'}\n");
  std::ofstream(g.dir / "out") << "a file where the sink's folder should be\n";
  g.start();
  CHECK(g.raw(post(sales(10, 3))).rfind("HTTP/1.1 202 ", 0) == 0);
  // 5,000 sales do not fit in 64 KiB even with everything older dropped.
  const std::string answer = g.raw(post(sales(5000, 4)));
  CHECK(answer.rfind("HTTP/1.1 503 ", 0) == 0);
  CHECK(answer.find("Retry-After: ") != std::string::npos);
  CHECK(answer.find("buffer is full") != std::string::npos);
  CHECK(g.metrics().find("iot_gateway_http_ingest_refused_total{reason=\"buffer_full\"} 1\n") !=
        std::string::npos);
}

TEST_CASE("the endpoint keeps web pages out: Content-Type, Origin, Host, nosniff, CSP") {
  Gateway g("browsers", "http: {listen: '127.0.0.1:0'}\n");
  g.start();
  const std::string url = g.base + "/api/v1/events";
  const auto status = [&](const gw::HttpHeaders& h, const std::string& method = "POST") {
    return gw::http_request(method, url, sales(1, 5), h, kTimeoutMs).status;
  };
  // Only NDJSON / JSON: a page can send text/plain or a form without asking, not these.
  CHECK(status({}) == 415);
  CHECK(status({{"Content-Type", "text/plain"}}) == 415);
  CHECK(status({{"Content-Type", "application/x-www-form-urlencoded"}}) == 415);
  CHECK(status({{"Content-Type", "multipart/form-data; boundary=x"}}) == 415);
  CHECK(status({{"Content-Type", "application/x-ndjson; charset=utf-8"}}) == 202);
  CHECK(status({{"Content-Type", "application/json"}}) == 202);
  // Origin: another page's is refused; the endpoint's own (its dashboard) is not.
  const std::string self = g.base.substr(std::string("http://").size());
  CHECK(status({{"Content-Type", "application/json"}, {"Origin", "http://evil.example"}}) == 403);
  CHECK(status({{"Content-Type", "application/json"}, {"Origin", "http://" + self}}) == 202);
  // Host: a name that only points here (DNS rebinding) is refused, reads included.
  const auto get = [&](const std::string& host) {
    return gw::http_request("GET", g.base + "/api/v1/status", "", {{"Host", host}}, kTimeoutMs)
        .status;
  };
  CHECK(get("evil.example:" + std::to_string(g.port)) == 421);
  CHECK(get("localhost:" + std::to_string(g.port)) == 200);
  CHECK(get(self) == 200);
  // nosniff on every answer, a policy on the dashboard.
  const std::string page = g.raw("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  CHECK(page.rfind("HTTP/1.1 200 ", 0) == 0);
  CHECK(page.find("X-Content-Type-Options: nosniff\r\n") != std::string::npos);
  CHECK(page.find("Content-Security-Policy: default-src 'self'") != std::string::npos);
  // Another method on the ingest path: 405 naming POST, not 404.
  const std::string wrong =
      g.raw("GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  CHECK(wrong.rfind("HTTP/1.1 405 ", 0) == 0);
  CHECK(wrong.find("Allow: POST\r\n") != std::string::npos);
  CHECK(wrong.find("X-Content-Type-Options: nosniff\r\n") != std::string::npos);
}

TEST_CASE("the bearer scheme in any case, the token compared whole") {
  Gateway g("bearer", "http: {listen: '127.0.0.1:0', token: s3cret}\n");
  g.start();
  const auto status = [&](const std::string& authorization) {
    return gw::http_request(
               "POST", g.base + "/api/v1/events", sales(1, 6),
               {{"Content-Type", "application/x-ndjson"}, {"Authorization", authorization}},
               kTimeoutMs)
        .status;
  };
  CHECK(status("Bearer s3cret") == 202);
  CHECK(status("bearer s3cret") == 202);
  CHECK(status("BEARER s3cret") == 202);
  CHECK(status("Bearer s3cre") == 401);
  CHECK(status("Bearer s3cretx") == 401);
  CHECK(status("Basic s3cret") == 401);
  CHECK(status("bearers3cret") == 401);
}
