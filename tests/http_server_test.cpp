// The embedded HTTP server, checked with the project's HTTP client and with raw sockets (for
// what a well-behaved client never sends: malformed requests, half requests, idle connections).
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "http/http_client.h"
#include "http/server.h"
#include "process.h"
#include "raw_client.h"

namespace {

using test::RawClient;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kClientTimeoutMs = 5000;

long elapsed_ms(Clock::time_point since) {
  return static_cast<long>(std::chrono::duration_cast<milliseconds>(Clock::now() - since).count());
}

// Sets its flag when destroyed (with the stream producer that holds it).
struct SetOnDestroy {
  explicit SetOnDestroy(std::atomic<bool>& f) : flag(f) {}
  SetOnDestroy(const SetOnDestroy&) = delete;
  SetOnDestroy& operator=(const SetOnDestroy&) = delete;
  ~SetOnDestroy() { flag = true; }
  std::atomic<bool>& flag;
};

gw::HttpServerOptions listen_on(const std::string& listen) {
  gw::HttpServerOptions o;
  o.listen = listen;
  return o;
}

gw::HttpReply test_handler(const gw::HttpRequest& req) {
  gw::HttpReply reply;
  if (req.path == "/hello") {
    reply.body = R"({"hello":"world"})";
  } else if (req.path == "/echo") {
    reply.content_type = "text/plain";
    std::string out = req.method + "|" + req.path + "|";
    for (const auto& [k, v] : req.query) out += k + "=" + v + ";";
    const auto h = req.headers.find("x-test");
    out += "|" + (h == req.headers.end() ? std::string("-") : h->second) + "|" + req.body;
    reply.body = out;
    reply.headers.push_back({"X-Reply", "yes"});
  } else if (req.path == "/throw") {
    throw std::runtime_error("boom \"quoted\"");
  } else if (req.path == "/big") {
    reply.content_type = "text/plain";
    reply.body.assign(16u << 20, 'x');
  } else if (req.path == "/stream") {
    reply.content_type = "text/event-stream";
    auto n = std::make_shared<int>(0);
    reply.stream = [n](std::string& chunk) {
      chunk = "data: " + std::to_string(*n) + "\n\n";
      return ++*n < 3;
    };
  } else {
    reply.status = 404;
    reply.body = R"({"error":"not found"})";
  }
  return reply;
}

struct Server {
  explicit Server(gw::HttpServerOptions options = {}, gw::Handler handler = test_handler)
      : server(with_ephemeral_port(std::move(options)), std::move(handler)) {
    std::string error;
    REQUIRE_MESSAGE(server.start(error), error);
  }
  static gw::HttpServerOptions with_ephemeral_port(gw::HttpServerOptions o) {
    if (o.listen == gw::HttpServerOptions{}.listen) o.listen = "127.0.0.1:0";
    return o;
  }
  std::string url(const std::string& target) const {
    return "http://" + server.bound_address() + target;
  }
  gw::HttpServer server;
};

int port_of(const std::string& address) {
  return std::stoi(address.substr(address.rfind(':') + 1));
}

}  // namespace

TEST_CASE("http server: a route answers 200 with the standard headers") {
  Server s;
  const auto res = gw::http_request("GET", s.url("/hello"), "", {}, kClientTimeoutMs);
  CHECK(res.error == "");
  CHECK(res.status == 200);
  CHECK(res.body == R"({"hello":"world"})");

  RawClient raw(port_of(s.server.bound_address()));
  raw.send("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const std::string text = raw.read(kClientTimeoutMs);
  CHECK(raw.closed());
  CHECK(text.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(text.find("Server: iot-gateway\r\n") != std::string::npos);
  CHECK(text.find("Cache-Control: no-store\r\n") != std::string::npos);
  CHECK(text.find("Content-Type: application/json\r\n") != std::string::npos);
  CHECK(text.find("Content-Length: 17\r\n") != std::string::npos);
  CHECK(text.find("\r\n\r\n{\"hello\":\"world\"}") != std::string::npos);
}

TEST_CASE("http server: query, headers and body reach the handler decoded") {
  Server s;
  const auto res = gw::http_request("POST", s.url("/echo?a=1&b=x+y%21&empty&c=%2Fz&a=2"), "payload",
                                    {{"X-Test", "hdr"}}, kClientTimeoutMs);
  CHECK(res.status == 200);
  CHECK(res.body == "POST|/echo|a=2;b=x y!;c=/z;empty=;|hdr|payload");

  const auto path = gw::http_request("GET", s.url("/ec%68o"), "", {}, kClientTimeoutMs);
  CHECK(path.body == "GET|/echo||-|");
}

TEST_CASE("http server: 404 from the handler, HEAD without a body") {
  Server s;
  const auto missing = gw::http_request("GET", s.url("/nope"), "", {}, kClientTimeoutMs);
  CHECK(missing.status == 404);
  CHECK(missing.body == R"({"error":"not found"})");

  const auto head = gw::http_request("HEAD", s.url("/hello"), "", {}, kClientTimeoutMs);
  CHECK(head.error == "");
  CHECK(head.status == 200);
  CHECK(head.body == "");

  RawClient raw(port_of(s.server.bound_address()));
  raw.send("HEAD /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const std::string text = raw.read(kClientTimeoutMs);
  CHECK(raw.closed());
  CHECK(text.find("Content-Length: 17\r\n") != std::string::npos);
  CHECK(text.size() == text.find("\r\n\r\n") + 4);  // nothing after the header
}

TEST_CASE("http server: a handler that throws is answered 500 with the message") {
  Server s;
  const auto res = gw::http_request("GET", s.url("/throw"), "", {}, kClientTimeoutMs);
  CHECK(res.status == 500);
  CHECK(res.body == R"({"error":"boom \"quoted\""})");
  // The server goes on.
  CHECK(gw::http_request("GET", s.url("/hello"), "", {}, kClientTimeoutMs).status == 200);
}

TEST_CASE("http server: a body over max_body is answered 413") {
  gw::HttpServerOptions o;
  o.max_body = 1024;
  Server s(o);
  const auto ok =
      gw::http_request("POST", s.url("/echo"), std::string(1024, 'b'), {}, kClientTimeoutMs);
  CHECK(ok.status == 200);
  const auto res =
      gw::http_request("POST", s.url("/echo"), std::string(300000, 'b'), {}, kClientTimeoutMs);
  CHECK(res.error == "");
  CHECK(res.status == 413);
  CHECK(res.body == R"({"error":"request body over 1024 bytes"})");

  // Chunked bodies are counted as they arrive.
  RawClient raw(port_of(s.server.bound_address()));
  raw.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" +
           std::string(0x800, 'c') + "\r\n");
  const std::string text = raw.read(kClientTimeoutMs, "bytes\"}");
  CHECK(text.rfind("HTTP/1.1 413 ", 0) == 0);

  // Expect: 100-continue is answered before the body is read.
  RawClient cont(port_of(s.server.bound_address()));
  cont.send(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n"
      "Connection: close\r\n\r\n");
  CHECK(cont.read(kClientTimeoutMs, "\r\n\r\n") == "HTTP/1.1 100 Continue\r\n\r\n");
  cont.send("body");
  const std::string answer = cont.read(kClientTimeoutMs);
  CHECK(answer.find("HTTP/1.1 200 OK\r\n") != std::string::npos);
  CHECK(answer.find("POST|/echo||-|body") != std::string::npos);
}

TEST_CASE("http server: malformed HTTP is answered 400") {
  Server s;
  RawClient raw(port_of(s.server.bound_address()));
  raw.send("this is not http\r\n\r\n");
  const std::string text = raw.read(kClientTimeoutMs);
  CHECK(raw.closed());
  CHECK(text.rfind("HTTP/1.1 400 Bad Request\r\n", 0) == 0);
  CHECK(text.find("{\"error\":\"malformed request: ") != std::string::npos);

  RawClient field(port_of(s.server.bound_address()));
  field.send("GET / HTTP/1.1\r\nHost x\r\n\r\n");
  CHECK(field.read(kClientTimeoutMs).rfind("HTTP/1.1 400 ", 0) == 0);

  RawClient huge(port_of(s.server.bound_address()));
  huge.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'h') + "\r\n\r\n");
  CHECK(huge.read(kClientTimeoutMs).rfind("HTTP/1.1 431 ", 0) == 0);
}

TEST_CASE("http server: keep-alive serves several requests on one connection") {
  Server s;
  RawClient raw(port_of(s.server.bound_address()));
  raw.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(raw.read(kClientTimeoutMs, "{\"hello\":\"world\"}").find("HTTP/1.1 200 OK") == 0);
  CHECK_FALSE(raw.closed());
  // Two more, pipelined; the last one closes.
  raw.send(
      "GET /nope HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\nConnection: "
      "close\r\n\r\n");
  const std::string text = raw.read(kClientTimeoutMs);
  CHECK(raw.closed());
  const auto second = text.find("HTTP/1.1 404 Not Found");
  REQUIRE(second != std::string::npos);
  CHECK(text.find("HTTP/1.1 200 OK", second) != std::string::npos);
}

TEST_CASE("http server: a client that sends nothing or half a request is dropped") {
  gw::HttpServerOptions o;
  o.read_timeout_ms = 300;
  Server s(o);
  RawClient idle(port_of(s.server.bound_address()));
  RawClient half(port_of(s.server.bound_address()));
  const auto t0 = Clock::now();
  half.send("GET /hello HTTP/1.1\r\nHost: x\r\n");
  CHECK(idle.read(5000) == "");
  CHECK(idle.closed());
  CHECK(half.read(5000) == "");
  CHECK(half.closed());
  const long ms = elapsed_ms(t0);
  CHECK(ms >= 250);
  CHECK(ms < 3000);
}

TEST_CASE("http server: a client that does not read its answer is dropped") {
  gw::HttpServerOptions o;
  o.write_timeout_ms = 300;
  o.max_connections = 1;  // the next request gets in once the server has dropped the reader
  Server s(o);
  RawClient reader(port_of(s.server.bound_address()));
  reader.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");  // 16 MiB, more than the sockets hold
  const auto t0 = Clock::now();
  int status = 0;
  while (status != 200 && elapsed_ms(t0) < 5000) {
    status = gw::http_request("GET", s.url("/hello"), "", {}, kClientTimeoutMs).status;
    if (status != 200) std::this_thread::sleep_for(milliseconds(5));
  }
  CHECK(status == 200);
  CHECK(elapsed_ms(t0) >= 250);
  const std::string text = reader.read(kClientTimeoutMs);
  CHECK(reader.closed());
  CHECK(text.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(text.size() < (16u << 20));
}

TEST_CASE("http server: when max_connections are busy answering, more are answered 503") {
  gw::HttpServerStats stats;
  gw::HttpServerOptions o;
  o.max_connections = 2;
  o.stats = &stats;
  Server s(o);
  const int port = port_of(s.server.bound_address());
  // Both ask for 16 MiB and do not read them: busy, not waiting for a request.
  auto first = std::make_unique<RawClient>(port);
  first->send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
  RawClient second(port);
  second.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
  first->read(kClientTimeoutMs, "\r\n\r\n");
  second.read(kClientTimeoutMs, "\r\n\r\n");
  const auto res = gw::http_request("GET", s.url("/hello"), "", {}, kClientTimeoutMs);
  CHECK(res.error == "");
  CHECK(res.status == 503);
  CHECK(res.body == "{\"error\":\"too many connections (limit 2)\"}");
  CHECK(stats.refused == 1);
  CHECK(stats.evicted == 0);
  CHECK(stats.open == 2);

  // Once one of them goes, there is room again.
  first.reset();
  int status = 0;
  const auto t0 = Clock::now();
  while (status != 200 && elapsed_ms(t0) < 3000) {
    status = gw::http_request("GET", s.url("/hello"), "", {}, kClientTimeoutMs).status;
    if (status != 200) std::this_thread::sleep_for(milliseconds(10));
  }
  CHECK(status == 200);
}

TEST_CASE("http server: at max_connections a new connection evicts the longest waiting one") {
  gw::HttpServerStats stats;
  gw::HttpServerOptions o;
  o.max_connections = 2;
  o.stats = &stats;
  Server s(o);
  const int port = port_of(s.server.bound_address());
  RawClient idle(port);  // has sent nothing
  CHECK(test::await([&] { return stats.open == 1; }));
  RawClient half(port);  // a slow client: half a request
  half.send("GET /hello HTTP/1.1\r\nHost: x\r\n");
  CHECK(test::await([&] { return stats.open == 2; }));

  // A third client is served and keeps its connection; the one that waited longest made room.
  RawClient third(port);
  third.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(third.read(kClientTimeoutMs, "world").find("200 OK") != std::string::npos);
  CHECK(idle.read(kClientTimeoutMs) == "");
  CHECK(idle.closed());
  CHECK_FALSE(half.closed());
  // The next one evicts the half request: the third's keep-alive has waited less long.
  const auto res = gw::http_request("GET", s.url("/hello"), "", {}, kClientTimeoutMs);
  CHECK(res.status == 200);
  CHECK(half.read(kClientTimeoutMs) == "");
  CHECK(half.closed());
  CHECK(stats.evicted == 2);
  // The third's connection is still served.
  third.send("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(third.read(kClientTimeoutMs, "GET|/echo").find("GET|/echo") != std::string::npos);
  CHECK_FALSE(third.closed());
  CHECK(stats.refused == 0);
  CHECK(stats.accepted == 4);
  CHECK(stats.answers[2] == 3);
}

TEST_CASE("http server: a slow client does not hold up the others") {
  Server s;  // read and write timeouts of 10 s
  const int port = port_of(s.server.bound_address());
  RawClient half(port);
  half.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc");
  RawClient not_reading(port);  // asks for 16 MiB and never reads them
  not_reading.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
  RawClient silent(port);

  const auto t0 = Clock::now();
  for (int i = 0; i < 5; ++i) {
    const auto res = gw::http_request("GET", s.url("/hello"), "", {}, kClientTimeoutMs);
    CHECK(res.status == 200);
  }
  CHECK(elapsed_ms(t0) < 2000);
  CHECK_FALSE(half.closed());
}

TEST_CASE("http server: a streaming reply is sent chunk by chunk") {
  Server s;
  const auto res = gw::http_request("GET", s.url("/stream"), "", {}, kClientTimeoutMs);
  CHECK(res.error == "");
  CHECK(res.status == 200);
  CHECK(res.body == "data: 0\n\ndata: 1\n\ndata: 2\n\n");

  RawClient raw(port_of(s.server.bound_address()));
  raw.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string text = raw.read(kClientTimeoutMs);
  CHECK(raw.closed());
  CHECK(text.find("Transfer-Encoding: chunked\r\n") != std::string::npos);
  CHECK(text.find("Content-Type: text/event-stream\r\n") != std::string::npos);
  CHECK(text.find("Cache-Control: no-store\r\n") != std::string::npos);
}

TEST_CASE("http server: an endless stream ends when the client goes, and on stop") {
  std::atomic<bool> gone{false};
  std::atomic<bool> kept{false};
  std::atomic<int> calls{0};
  gw::HttpServer server(listen_on("127.0.0.1:0"), [&](const gw::HttpRequest& req) {
    gw::HttpReply reply;
    reply.content_type = "text/event-stream";
    auto token = std::make_shared<SetOnDestroy>(req.path == "/gone" ? gone : kept);
    reply.stream = [token, &calls](std::string& chunk) {
      ++calls;
      std::this_thread::sleep_for(milliseconds(20));
      chunk = ": tick\n\n";
      return true;
    };
    return reply;
  });
  std::string error;
  REQUIRE(server.start(error));
  const int port = port_of(server.bound_address());

  {
    RawClient raw(port);
    raw.send("GET /gone HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(raw.read(kClientTimeoutMs, ": tick").find(": tick") != std::string::npos);
  }
  const auto t0 = Clock::now();
  while (!gone && elapsed_ms(t0) < 3000) std::this_thread::sleep_for(milliseconds(5));
  CHECK(gone.load());

  RawClient raw(port);
  raw.send("GET /kept HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(raw.read(kClientTimeoutMs, ": tick").find(": tick") != std::string::npos);
  CHECK_FALSE(kept.load());
  server.stop();
  CHECK(kept.load());
  raw.read(kClientTimeoutMs);
  CHECK(raw.closed());
  CHECK(calls.load() > 1);
}

TEST_CASE("http server: stop joins, closes connections, and the server can start again") {
  gw::HttpServer server(listen_on("127.0.0.1:0"), test_handler);
  std::string error;
  REQUIRE(server.start(error));
  const std::string address = server.bound_address();
  CHECK(address.rfind("127.0.0.1:", 0) == 0);
  CHECK(port_of(address) > 0);
  CHECK_FALSE(server.start(error));
  CHECK(error.find("already running") != std::string::npos);

  RawClient idle(port_of(address));
  const auto url = "http://" + address + "/hello";
  CHECK(gw::http_request("GET", url, "", {}, kClientTimeoutMs).status == 200);
  const auto t0 = Clock::now();
  server.stop();
  CHECK(elapsed_ms(t0) < 1000);
  idle.read(kClientTimeoutMs);
  CHECK(idle.closed());
  const auto after = gw::http_request("GET", url, "", {}, kClientTimeoutMs);
  CHECK(after.status == 0);
  CHECK(after.error != "");
  server.stop();  // idempotent

  REQUIRE(server.start(error));
  CHECK(gw::http_request("GET", "http://" + server.bound_address() + "/hello", "", {},
                         kClientTimeoutMs)
            .status == 200);
}

TEST_CASE("http server: start fails on a port in use and on a bad address") {
  Server first;
  gw::HttpServer second(listen_on(first.server.bound_address()), test_handler);
  std::string error;
  CHECK_FALSE(second.start(error));
  CHECK(error.find(first.server.bound_address()) != std::string::npos);
  CHECK(error.find("in use") != std::string::npos);

  for (const char* bad :
       {"nonsense", "127.0.0.1", "127.0.0.1:70000", "::1:80", "host.example:80", "[::1]8080"}) {
    gw::HttpServer s(listen_on(bad), test_handler);
    error.clear();
    CHECK_FALSE(s.start(error));
    CHECK(error != "");
  }
}

TEST_CASE("http server: listens on an IPv6 literal") {
  gw::HttpServer server(listen_on("[::1]:0"), test_handler);
  std::string error;
  if (!server.start(error)) {
    MESSAGE("no IPv6 loopback here, skipped: " << error);
    return;
  }
  CHECK(server.bound_address().rfind("[::1]:", 0) == 0);
  const auto res =
      gw::http_request("GET", "http://" + server.bound_address() + "/echo?v=6", "", {}, 5000);
  CHECK(res.status == 200);
  CHECK(res.body == "GET|/echo|v=6;|-|");
}
