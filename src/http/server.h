// A small embedded HTTP/1.1 server for the gateway's local endpoint (plain http, keep-alive).
// One thread of its own runs every connection with asynchronous operations, so a slow client
// never holds up the others; the handler is called on that thread and must not block: what
// takes time is answered later (HttpReply::deferred). Boost.Beast is used only inside
// server.cpp.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "http/server_stats.h"

namespace gw {

struct HttpRequest {
  std::string method;  // as sent ("GET", "POST", ...); a HEAD request is handed over as "GET"
  std::string target;  // path and query, as sent
  std::string path;    // the target's path, percent-decoded
  std::map<std::string, std::string> query;    // percent-decoded ('+' is a space); last one wins
  std::map<std::string, std::string> headers;  // lower-case names; repeated fields joined by ", "
  std::string body;
  std::string remote;  // the peer, "ip:port" ("[ip6]:port")
};

// A streaming reply (server-sent events): called repeatedly until it returns false or the
// client goes away. Each call sets `chunk` to the next piece to send (empty: nothing this time)
// and may block up to ~1 s waiting for data. Calls for one stream come one after the other from
// a thread of its own (one per open stream, so a waiting stream never holds up the server
// thread); the last call happens before stop() returns. An exception ends the stream.
using HttpStream = std::function<bool(std::string& chunk)>;

struct HttpReply;
// Gives a deferred reply (HttpReply::deferred). May be called from any thread; only the first
// call counts, and a call after the deadline or after stop() does nothing.
using HttpRespond = std::function<void(HttpReply)>;

struct HttpReply {
  int status = 200;                               // 200..999; anything else is answered 500
  std::string content_type = "application/json";  // empty: no Content-Type
  std::string body;
  // Extra fields; one named like a default (Server, Cache-Control, Content-Type) replaces it.
  // Content-Length, Transfer-Encoding and Connection are the server's and are ignored.
  std::vector<std::pair<std::string, std::string>> headers;
  // Set: `body` is ignored; the reply is sent chunked (HTTP/1.0: until the close), chunk by
  // chunk as `stream` produces them, and the connection is closed after it.
  HttpStream stream;
  // Set: the answer comes later. The server calls `deferred` (on its thread) with a respond
  // function, to be called once, from any thread, with the reply (its own `stream` and
  // `deferred` are ignored). Meanwhile the connection reads no further request, so the answers
  // keep the order of the requests. Without a reply within `deferred_timeout_ms`, the server
  // answers 503 itself and closes the connection.
  std::function<void(HttpRespond)> deferred;
  int deferred_timeout_ms = 30'000;
};

using Handler = std::function<HttpReply(const HttpRequest&)>;

struct HttpServerOptions {
  std::string listen = "127.0.0.1:8080";  // "ip:port", "[ip6]:port" or "localhost:port"; port 0 =
                                          // ephemeral
  std::size_t max_body = 1 << 20;         // larger request bodies are answered 413
  int max_connections = 64;               // see below; <= 0: no limit
  int read_timeout_ms = 10000;   // to read one request (headers, then the body); idle keep-alive
  int write_timeout_ms = 10000;  // to write one response (or one chunk of a stream)
  HttpServerStats* stats = nullptr;  // counted into when set; must outlive the server
  // Set: Host must be a loopback name (localhost, 127.0.0.1, [::1]; any port), the bound
  // address, or one of these ("name" for any port, "name:port" for one port; IPv6 as
  // "[addr]"), else 421 (against DNS rebinding). A request without Host is let through (no
  // browser sends one). Unset: any Host.
  std::optional<std::vector<std::string>> allowed_hosts;
  // Set: a request with an Origin header is served only if it comes from its own origin
  // (http://HOST, HOST validated as above) or one of these ("scheme://host[:port]", as browsers
  // send it), else 403 (against other web pages). Unset: any Origin.
  std::optional<std::vector<std::string>> allowed_origins;
};

// Every response carries Content-Length (streams: chunked), Server: iot-gateway,
// Cache-Control: no-store and X-Content-Type-Options: nosniff. The server answers by itself:
// 400 to malformed HTTP (and closes the connection after a Transfer-Encoding that is not
// exactly `chunked`, RFC 9112 6.3, so a body is never read as a request), 413 to a body
// over max_body, 431 to headers over 16 KiB, 500 {"error":"..."} when the handler throws, 503
// when max_connections are busy. A client that does not send a whole request within
// read_timeout_ms (a deadline for the whole request, not per byte), or does not take a response
// within write_timeout_ms, is dropped. At max_connections, a new connection takes the place of
// the one that has waited longest for its request (idle keep-alive, or a request still coming
// in: slow clients cannot starve the others); only when every connection is busy being answered
// is it answered 503 and closed.
class HttpServer {
 public:
  HttpServer(HttpServerOptions options, Handler handler);
  ~HttpServer();  // stops and joins
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts the server thread. False with `error` (bad address, address in use,
  // already started) — the caller decides. May be called again after stop().
  bool start(std::string& error);
  // Closes the listener and every connection and joins the server thread (and the threads of
  // open streams, waiting for their current call). Idempotent. Not to be called from the
  // handler or a stream (they run on threads that stop() joins).
  void stop();
  // "127.0.0.1:PORT" ("[::1]:PORT") after start, with the port actually bound.
  std::string bound_address() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gw
