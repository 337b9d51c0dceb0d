// The embedded HTTP server's guards: deferred replies (a handler that answers later never holds
// up the server thread; the deadline and the order of answers on a connection hold), a
// Transfer-Encoding other than `chunked` refused and the connection closed (no smuggled second
// request), nosniff on every answer, and Host / Origin checks against web pages.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "http/http_client.h"
#include "http/server.h"
#include "process.h"
#include "raw_client.h"

namespace {

using test::RawClient;

constexpr int kTimeoutMs = 5000;

// A handler whose /later is answered when the test says so; counts what it served.
struct Later {
  std::mutex mutex;
  std::vector<gw::HttpRespond> waiting;
  std::atomic<int> served{0};

  gw::Handler handler(int deadline_ms = 30'000) {
    return [this, deadline_ms](const gw::HttpRequest& r) {
      ++served;
      gw::HttpReply reply;
      reply.content_type = "text/plain";
      if (r.path == "/later") {
        reply.deferred_timeout_ms = deadline_ms;
        reply.deferred = [this](gw::HttpRespond respond) {
          std::lock_guard lock(mutex);
          waiting.push_back(std::move(respond));
        };
        return reply;
      }
      reply.body = "now:" + r.path;
      return reply;
    };
  }
  std::size_t count() {
    std::lock_guard lock(mutex);
    return waiting.size();
  }
  // Answers the oldest waiting request from a thread of its own.
  void answer(const std::string& body) {
    gw::HttpRespond respond;
    {
      std::lock_guard lock(mutex);
      respond = waiting.front();
    }
    std::thread([respond, body] {
      gw::HttpReply r;
      r.content_type = "text/plain";
      r.body = body;
      respond(r);
    }).join();
  }
};

struct Running {
  Running(gw::HttpServerOptions o, gw::Handler h) : server(with_port(std::move(o)), std::move(h)) {
    std::string error;
    REQUIRE_MESSAGE(server.start(error), error);
  }
  static gw::HttpServerOptions with_port(gw::HttpServerOptions o) {
    o.listen = "127.0.0.1:0";
    return o;
  }
  int port() const {
    const std::string a = server.bound_address();
    return std::stoi(a.substr(a.rfind(':') + 1));
  }
  std::string url(const std::string& path) const {
    return "http://" + server.bound_address() + path;
  }
  gw::HttpServer server;
};

}  // namespace

TEST_CASE("http server: a deferred reply holds up neither the server nor the order of answers") {
  Later later;
  Running s({}, later.handler());
  RawClient waiting(s.port());
  // Pipelined: the second request is answered only after the first, deferred one.
  waiting.send("GET /later HTTP/1.1\r\nHost: x\r\n\r\nGET /second HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(test::await([&] { return later.count() == 1; }, kTimeoutMs));

  // Meanwhile another connection is answered at once.
  const auto t0 = std::chrono::steady_clock::now();
  const auto other = gw::http_request("GET", s.url("/other"), "", {}, kTimeoutMs);
  CHECK(other.status == 200);
  CHECK(other.body == "now:/other");
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));
  CHECK(waiting.read(0).empty());
  CHECK(later.served == 2);  // /second is not read before /later is answered

  later.answer("answered later");
  const std::string text = waiting.read(kTimeoutMs, "now:/second");
  const auto first = text.find("answered later");
  REQUIRE(first != std::string::npos);
  CHECK(text.find("now:/second") > first);
  CHECK(text.find("X-Content-Type-Options: nosniff\r\n") != std::string::npos);
  CHECK_FALSE(waiting.closed());
}

TEST_CASE("http server: a deferred reply that misses its deadline is answered 503 and closed") {
  Later later;
  std::optional<Running> s;
  s.emplace(gw::HttpServerOptions{}, later.handler(200));
  RawClient raw(s->port());
  raw.send("GET /later HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string text = raw.read(kTimeoutMs);
  CHECK(text.rfind("HTTP/1.1 503 ", 0) == 0);
  CHECK(text.find("Retry-After: 1\r\n") != std::string::npos);
  CHECK(raw.closed());
  // A reply after the deadline goes nowhere, also once the server is gone.
  REQUIRE(later.count() == 1);
  later.answer("too late");
  s.reset();
  later.answer("after stop");
  CHECK(raw.read(0) == text);
}

TEST_CASE(
    "http server: a Transfer-Encoding other than chunked is refused and the connection closed") {
  Later later;
  Running s({}, later.handler());
  for (const std::string te :
       {"Transfer-Encoding: gzip\r\n", "Transfer-Encoding: chunked, identity\r\n",
        "Transfer-Encoding: identity\r\n",
        "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"}) {
    CAPTURE(te);
    const int before = later.served;
    RawClient raw(s.port());
    // What follows the headers would be a second request if the body were taken as empty.
    raw.send("POST /first HTTP/1.1\r\nHost: x\r\n" + te +
             "\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n");
    const std::string text = raw.read(kTimeoutMs);
    CHECK(text.rfind("HTTP/1.1 400 ", 0) == 0);
    CHECK(text.find("X-Content-Type-Options: nosniff\r\n") != std::string::npos);
    CHECK(text.find("now:/smuggled") == std::string::npos);
    CHECK(raw.closed());
    CHECK(later.served == before);
  }
  // Exactly `chunked` (any case) is still read.
  RawClient ok(s.port());
  ok.send(
      "POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
      "Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
  CHECK(ok.read(kTimeoutMs, "now:/chunked").find("HTTP/1.1 200 ") == 0);
}

TEST_CASE("http server: Host must be one it answers to, Origin its own or an allowed one") {
  Later later;
  gw::HttpServerOptions o;
  o.allowed_hosts = std::vector<std::string>{"gw.example", "other.example:81"};
  o.allowed_origins = std::vector<std::string>{"http://dash.example:3000"};
  Running s(o, later.handler());
  const std::string self = "127.0.0.1:" + std::to_string(s.port());
  const auto status = [&](const gw::HttpHeaders& headers) {
    return gw::http_request("GET", s.url("/x"), "", headers, kTimeoutMs).status;
  };
  CHECK(status({}) == 200);  // the bound address
  for (const char* host : {"localhost", "localhost:1", "127.0.0.1:9", "[::1]:8080", "GW.example",
                           "gw.example:8080", "other.example:81"})
    CHECK_MESSAGE(status({{"Host", host}}) == 200, host);
  for (const char* host :
       {"evil.example", "evil.example:8080", "other.example:82", "gw.example.evil"})
    CHECK_MESSAGE(status({{"Host", host}}) == 421, host);

  CHECK(status({{"Origin", "http://" + self}}) == 200);  // the dashboard itself
  CHECK(status({{"Host", "localhost:5"}, {"Origin", "http://localhost:5"}}) == 200);
  CHECK(status({{"Origin", "http://dash.example:3000"}}) == 200);
  CHECK(status({{"Origin", "http://evil.example"}}) == 403);
  CHECK(status({{"Origin", "null"}}) == 403);
  CHECK(status({{"Host", "localhost:5"}, {"Origin", "http://" + self}}) == 403);
}
