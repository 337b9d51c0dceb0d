#include "http/server.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "core/log.h"
#include "core/text.h"
#include "http/request_guard.h"
#include "http/request_parser.h"

namespace gw {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Ms = std::chrono::milliseconds;

// After an answer that closes the connection, what the client still sends is read and dropped
// (for at most this long and this much) so that closing does not reset the connection before the
// client has read the answer.
constexpr int kDrainTimeoutMs = 2000;
constexpr std::size_t kDrainLimit = 8u << 20;
constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";

std::string_view view(beast::string_view s) {
  return {s.data(), s.size()};
}

std::string json_escape(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size());
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += ch;
        }
    }
  }
  return out;
}

std::string error_body(std::string_view message) {
  return "{\"error\":\"" + json_escape(message) + "\"}";
}

std::string format_endpoint(const tcp::endpoint& ep) {
  asio::ip::address address = ep.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  const std::string port = std::to_string(ep.port());
  return address.is_v6() ? "[" + address.to_string() + "]:" + port
                         : address.to_string() + ":" + port;
}

// "ip:port", "[ip6]:port", "localhost:port"; port 0 asks for an ephemeral port.
bool parse_listen(const std::string& listen, tcp::endpoint& endpoint, std::string& error) {
  std::string host;
  std::string port_text;
  if (!listen.empty() && listen[0] == '[') {
    const std::size_t close = listen.find(']');
    if (close == std::string::npos || close + 1 >= listen.size() || listen[close + 1] != ':') {
      error = "bad listen address '" + listen + "': expected [ipv6]:port";
      return false;
    }
    host = listen.substr(1, close - 1);
    port_text = listen.substr(close + 2);
  } else {
    const std::size_t colon = listen.rfind(':');
    if (colon == std::string::npos) {
      error = "bad listen address '" + listen + "': expected host:port";
      return false;
    }
    host = listen.substr(0, colon);
    port_text = listen.substr(colon + 1);
    if (host.find(':') != std::string::npos) {
      error = "bad listen address '" + listen + "': write IPv6 addresses as [ipv6]:port";
      return false;
    }
  }
  const bool digits = !port_text.empty() && port_text.size() <= 5 &&
                      std::all_of(port_text.begin(), port_text.end(),
                                  [](unsigned char c) { return std::isdigit(c) != 0; });
  if (!digits || std::stol(port_text) > 65535) {
    error = "bad port '" + port_text + "' in listen address '" + listen + "'";
    return false;
  }
  if (host == "localhost") host = "127.0.0.1";
  beast::error_code ec;
  const asio::ip::address address = asio::ip::make_address(host, ec);
  if (ec) {
    error = "bad listen address '" + listen + "': '" + host + "' is not an IP address";
    return false;
  }
  endpoint = tcp::endpoint(address, static_cast<unsigned short>(std::stol(port_text)));
  return true;
}

// The fields every answer carries, then the handler's own.
void set_fields(bhttp::fields& fields, const HttpReply& reply) {
  fields.set(bhttp::field::server, "iot-gateway");
  fields.set(bhttp::field::cache_control, "no-store");
  fields.set("X-Content-Type-Options", "nosniff");
  if (!reply.content_type.empty()) fields.set(bhttp::field::content_type, reply.content_type);
  std::vector<std::string> replaced;
  for (const auto& [name, value] : reply.headers) {
    const std::string n = ascii_lower(name);
    const auto bad = [](const std::string& s) { return s.find_first_of("\r\n") != s.npos; };
    if (n.empty() || bad(name) || bad(value) || n == "content-length" || n == "transfer-encoding" ||
        n == "connection")
      continue;
    if (std::find(replaced.begin(), replaced.end(), n) == replaced.end()) {
      fields.erase(n);
      replaced.push_back(n);
    }
    fields.insert(name, value);
  }
}

HttpReply error_reply(int status, std::string_view message) {
  HttpReply reply;
  reply.status = status;
  reply.body = error_body(message);
  return reply;
}

}  // namespace

struct HttpServer::Impl {
  class Session;

  // Shared by a streaming session (server thread) and the thread that runs its producer.
  struct Stream {
    std::mutex mutex;
    std::condition_variable cv;
    bool cancelled = false;      // the client went away, a write failed, or the server stops
    bool write_pending = false;  // a chunk handed to the server thread is not written yet
    bool finished = false;       // the producer thread is done and may be joined

    void cancel() {
      {
        std::lock_guard lock(mutex);
        cancelled = true;
      }
      cv.notify_all();
    }
  };
  struct Worker {
    std::thread thread;
    std::shared_ptr<Stream> stream;
  };
  // How deferred replies reach the server thread from anywhere; `ioc` is null once stopped.
  struct Gate {
    std::mutex mutex;
    asio::io_context* ioc = nullptr;
  };

  Impl(HttpServerOptions o, Handler h)
      : options(std::move(o)),
        handler(std::move(h)),
        stats(options.stats ? *options.stats : own_stats) {}

  void run();
  void accept();
  void on_accept(const beast::error_code& ec, tcp::socket socket);
  bool evict_longest_waiting();
  void shutdown();
  bool start_stream(std::shared_ptr<Session> session, std::shared_ptr<Stream> stream,
                    HttpStream produce);
  void stop_streams();

  const HttpServerOptions options;
  const Handler handler;
  HttpServerStats own_stats;
  HttpServerStats& stats;
  std::unique_ptr<asio::io_context> ioc;
  std::optional<tcp::acceptor> acceptor;
  std::optional<asio::steady_timer> accept_timer;
  std::thread thread;
  std::string bound;
  std::shared_ptr<Gate> gate;

  // Server-thread state.
  int active = 0;     // connections being served and not closed yet
  int rejecting = 0;  // connections being answered 503
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;

  std::mutex workers_mutex;
  std::vector<Worker> workers;
};

class HttpServer::Impl::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Impl& server, tcp::socket socket, bool rejected)
      : server_(server),
        stream_(std::move(socket)),
        defer_timer_(stream_.get_executor()),
        rejected_(rejected) {
    if (rejected_) {
      ++server_.rejecting;
      server_.stats.refused.fetch_add(1, std::memory_order_relaxed);
    } else {
      ++server_.active;
      server_.stats.accepted.fetch_add(1, std::memory_order_relaxed);
      server_.stats.open.fetch_add(1, std::memory_order_relaxed);
    }
    beast::error_code ec;
    const tcp::endpoint peer = stream_.socket().remote_endpoint(ec);
    remote_ = ec ? std::string("?") : format_endpoint(peer);
    stream_.socket().set_option(tcp::no_delay(true), ec);
  }

  ~Session() {
    release_slot();
    if (rejected_) --server_.rejecting;
    server_.sessions.erase(this);
  }

  // Waiting for (the rest of) a request since `since`: may be evicted to make room.
  bool evictable(std::chrono::steady_clock::time_point& since) const {
    if (closed_ || rejected_ || !waiting_) return false;
    since = waiting_since_;
    return true;
  }

  void start() {
    server_.sessions.emplace(this, weak_from_this());
    if (rejected_) {
      send_error(503, "too many connections (limit " +
                          std::to_string(server_.options.max_connections) + ")");
      return;
    }
    read_header();
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    release_slot();
    if (stream_state_) stream_state_->cancel();
    defer_timer_.cancel();
    stream_.close();
  }

  // Called on the server thread for each chunk a stream's producer hands over.
  void write_chunk(std::shared_ptr<std::string> data, std::shared_ptr<Stream> st) {
    if (closed_) {
      st->cancel();
      return;
    }
    auto done = [self = shared_from_this(), st, data](const beast::error_code& ec, std::size_t) {
      if (ec) {
        st->cancel();
        self->close();
        return;
      }
      {
        std::lock_guard lock(st->mutex);
        st->write_pending = false;
      }
      st->cv.notify_all();
    };
    stream_.expires_after(Ms(server_.options.write_timeout_ms));
    if (chunked_)
      asio::async_write(stream_, bhttp::make_chunk(asio::const_buffer(data->data(), data->size())),
                        std::move(done));
    else
      asio::async_write(stream_, asio::buffer(*data), std::move(done));
  }

  // Called on the server thread when a stream's producer is done.
  void end_stream(const std::shared_ptr<Stream>& st) {
    bool cancelled = false;
    {
      std::lock_guard lock(st->mutex);
      cancelled = st->cancelled;
    }
    if (closed_) return;
    if (cancelled || !chunked_) {
      if (cancelled)
        close();
      else
        linger_close();
      return;
    }
    stream_.expires_after(Ms(server_.options.write_timeout_ms));
    asio::async_write(stream_, bhttp::make_chunk_last(),
                      [self = shared_from_this()](const beast::error_code& ec, std::size_t) {
                        if (ec)
                          self->close();
                        else
                          self->linger_close();
                      });
  }

 private:
  void read_header() {
    parser_.emplace();
    parser_->body_limit(server_.options.max_body);
    parser_->header_limit(kHttpHeaderLimit);
    waiting_ = true;
    waiting_since_ = std::chrono::steady_clock::now();
    stream_.expires_after(Ms(server_.options.read_timeout_ms));
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = shared_from_this()](const beast::error_code& ec, std::size_t) {
                               self->on_header(ec);
                             });
  }

  void on_header(const beast::error_code& ec) {
    if (ec) {
      on_read_error(ec);
      return;
    }
    const auto& req = parser_->get();
    std::vector<std::string_view> codings;
    for (const auto& field : req)
      if (field.name() == bhttp::field::transfer_encoding) codings.push_back(view(field.value()));
    if (!transfer_encoding_supported(codings)) {
      send_error(400, "Transfer-Encoding '" +
                          std::string(view(req[bhttp::field::transfer_encoding])) +
                          "' is not supported (only chunked)");
      return;
    }
    if (!parser_->is_done() && req.version() >= 11 &&
        beast::iequals(req[bhttp::field::expect], "100-continue")) {
      stream_.expires_after(Ms(server_.options.write_timeout_ms));
      asio::async_write(stream_, asio::buffer(kContinue, sizeof kContinue - 1),
                        [self = shared_from_this()](const beast::error_code& e, std::size_t) {
                          if (e)
                            self->close();
                          else
                            self->read_body();
                        });
      return;
    }
    read_body();
  }

  void read_body() {
    if (parser_->is_done()) {
      on_request();
      return;
    }
    stream_.expires_after(Ms(server_.options.read_timeout_ms));
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared_from_this()](const beast::error_code& ec, std::size_t) {
                        if (ec)
                          self->on_read_error(ec);
                        else
                          self->on_request();
                      });
  }

  void on_read_error(const beast::error_code& ec) {
    waiting_ = false;
    if (closed_ || ec == asio::error::operation_aborted) return;
    if (ec == bhttp::error::body_limit) {
      send_error(413, "request body over " + std::to_string(server_.options.max_body) + " bytes");
    } else if (ec == bhttp::error::header_limit) {
      send_error(431, "request header over " + std::to_string(kHttpHeaderLimit) + " bytes");
    } else if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
               ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
      send_error(400, "malformed request: " + ec.message());
    } else {
      if (ec == beast::error::timeout)
        server_.stats.timed_out.fetch_add(1, std::memory_order_relaxed);
      close();  // the client went away or timed out
    }
  }

  void on_request() {
    waiting_ = false;
    auto& req = parser_->get();
    const bool head = req.method() == bhttp::verb::head;
    const bool keep_alive = req.keep_alive();
    const unsigned version = req.version();

    HttpFieldViews fields;
    for (const auto& field : req)
      fields.emplace_back(view(field.name_string()), view(field.value()));
    HttpRequest request = make_http_request(view(req.method_string()), view(req.target()), fields,
                                            std::move(req.body()));
    request.remote = remote_;
    parser_.reset();

    if (auto refused = guard_request(server_.options, request, server_.bound)) {
      send_reply(std::move(*refused), version, head, keep_alive);
      return;
    }
    HttpReply reply;
    try {
      reply = server_.handler(request);
    } catch (const std::exception& e) {
      log::warn("http: " + request.method + " " + request.target + ": " + e.what());
      reply = error_reply(500, e.what());
    } catch (...) {
      log::warn("http: " + request.method + " " + request.target + ": unknown exception");
      reply = error_reply(500, "unknown exception");
    }
    if (reply.status < 200 || reply.status > 999)
      reply = error_reply(500, "the handler answered status " + std::to_string(reply.status));
    if (reply.stream) {
      send_stream(std::move(reply), version, head);
      return;
    }
    if (reply.deferred) {
      defer(std::move(reply), version, head, keep_alive);
      return;
    }
    send_reply(std::move(reply), version, head, keep_alive);
  }

  // Waits for the handler's reply (HttpReply::deferred) until its deadline; reads nothing more
  // meanwhile. `answered` makes the first of the reply and the deadline the only one.
  void defer(HttpReply reply, unsigned version, bool head, bool keep_alive) {
    auto answered = std::make_shared<std::atomic<bool>>(false);
    defer_timer_.expires_after(Ms(std::max(reply.deferred_timeout_ms, 1)));
    defer_timer_.async_wait(
        [self = shared_from_this(), answered, version, head](const beast::error_code& ec) {
          if (ec || self->closed_ || answered->exchange(true)) return;
          self->server_.stats.deferred_timeouts.fetch_add(1, std::memory_order_relaxed);
          HttpReply late = error_reply(503, "no answer in time; try again later");
          late.headers.emplace_back("Retry-After", "1");
          self->send_reply(std::move(late), version, head, false);
        });
    HttpRespond respond = [gate = server_.gate, weak = weak_from_this(), answered, version, head,
                           keep_alive](HttpReply r) {
      if (answered->exchange(true)) return;
      std::lock_guard lock(gate->mutex);
      if (!gate->ioc) return;
      asio::post(*gate->ioc, [weak, r = std::move(r), version, head, keep_alive]() mutable {
        if (auto self = weak.lock()) self->finish_deferred(std::move(r), version, head, keep_alive);
      });
    };
    try {
      reply.deferred(respond);
    } catch (const std::exception& e) {
      log::warn(std::string("http: a deferred reply failed: ") + e.what());
      respond(error_reply(500, e.what()));
    }
  }

  void finish_deferred(HttpReply reply, unsigned version, bool head, bool keep_alive) {
    defer_timer_.cancel();
    if (closed_) return;
    if (reply.status < 200 || reply.status > 999)
      reply = error_reply(500, "the handler answered status " + std::to_string(reply.status));
    reply.stream = nullptr;
    send_reply(std::move(reply), version, head, keep_alive);
  }

  void send_error(int status, const std::string& message) {
    send_reply(error_reply(status, message), 11, false, false);
  }

  void send_reply(HttpReply reply, unsigned version, bool head, bool keep_alive) {
    server_.stats.answered(reply.status);
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>();
    res->version(version >= 11 ? 11 : 10);
    res->result(static_cast<unsigned>(reply.status));
    set_fields(*res, reply);
    const bool no_body = reply.status == 204 || reply.status == 304;
    if (!no_body) res->content_length(reply.body.size());
    if (!no_body && !head) res->body() = std::move(reply.body);
    res->keep_alive(keep_alive);
    stream_.expires_after(Ms(server_.options.write_timeout_ms));
    bhttp::async_write(
        stream_, *res,
        [self = shared_from_this(), res, keep_alive](const beast::error_code& ec, std::size_t) {
          if (ec) {
            if (ec == beast::error::timeout)
              self->server_.stats.timed_out.fetch_add(1, std::memory_order_relaxed);
            self->close();
          } else if (keep_alive)
            self->read_header();
          else
            self->linger_close();
        });
  }

  struct StreamHead {
    bhttp::response<bhttp::empty_body> res;
    bhttp::response_serializer<bhttp::empty_body> serializer{res};
  };

  void send_stream(HttpReply reply, unsigned version, bool head) {
    server_.stats.answered(reply.status);
    auto h = std::make_shared<StreamHead>();
    h->res.version(version >= 11 ? 11 : 10);
    h->res.result(static_cast<unsigned>(reply.status));
    set_fields(h->res, reply);
    h->res.keep_alive(false);
    chunked_ = version >= 11;
    if (chunked_) h->res.chunked(true);
    stream_state_ = std::make_shared<Stream>();
    stream_.expires_after(Ms(server_.options.write_timeout_ms));
    bhttp::async_write_header(
        stream_, h->serializer,
        [self = shared_from_this(), h, head, produce = std::move(reply.stream)](
            const beast::error_code& ec, std::size_t) mutable {
          if (ec) {
            self->close();
          } else if (head) {
            self->linger_close();
          } else {
            self->stream_.expires_never();
            self->watch_client();
            if (!self->server_.start_stream(self, self->stream_state_, std::move(produce)))
              self->close();
          }
        });
  }

  // While a stream runs, notices a client that goes away (it sends nothing meanwhile).
  void watch_client() {
    stream_.socket().async_wait(
        tcp::socket::wait_read, [self = shared_from_this()](const beast::error_code& ec) {
          if (self->closed_ || ec == asio::error::operation_aborted) return;
          if (!ec) {
            std::array<char, 512> scratch;
            beast::error_code rec;
            auto& socket = self->stream_.socket();
            socket.non_blocking(true, rec);
            const std::size_t n = socket.read_some(asio::buffer(scratch), rec);
            if (rec == asio::error::would_block || (!rec && n > 0)) {
              self->watch_client();
              return;
            }
          }
          self->stream_state_->cancel();
        });
  }

  // Half-closes, then reads and drops what the client still sends until it closes too (or a
  // short while passes), so that the answer is not lost to a connection reset.
  void linger_close() {
    if (closed_) return;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) {
      close();
      return;
    }
    waiting_ = true;  // only for the client to close: may be evicted too
    waiting_since_ = std::chrono::steady_clock::now();
    stream_.expires_after(Ms(std::min(server_.options.read_timeout_ms, kDrainTimeoutMs)));
    drain();
  }

  void drain() {
    stream_.async_read_some(
        asio::buffer(drain_buffer_),
        [self = shared_from_this()](const beast::error_code& ec, std::size_t n) {
          self->drained_ += n;
          if (ec || self->drained_ > kDrainLimit)
            self->close();
          else
            self->drain();
        });
  }

  // Gives the connection's place back (once), when it is closed or destroyed.
  void release_slot() {
    if (rejected_ || released_) return;
    released_ = true;
    --server_.active;
    server_.stats.open.fetch_sub(1, std::memory_order_relaxed);
  }

  Impl& server_;
  beast::tcp_stream stream_;
  asio::steady_timer defer_timer_;  // the deadline of a deferred reply
  const bool rejected_;
  bool closed_ = false;
  bool released_ = false;
  bool waiting_ = false;  // on the client: for a request's header or body, or to close
  std::chrono::steady_clock::time_point waiting_since_;
  bool chunked_ = false;
  std::string remote_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::shared_ptr<Stream> stream_state_;
  std::array<char, 4096> drain_buffer_{};
  std::size_t drained_ = 0;
};

void HttpServer::Impl::run() {
  for (;;) {
    try {
      ioc->run();
      return;
    } catch (const std::exception& e) {
      log::error(std::string("http server: ") + e.what());
    }
  }
}

void HttpServer::Impl::accept() {
  acceptor->async_accept([this](const beast::error_code& ec, tcp::socket socket) {
    on_accept(ec, std::move(socket));
  });
}

void HttpServer::Impl::on_accept(const beast::error_code& ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
  if (ec) {
    // E.g. out of file descriptors: try again shortly rather than spin.
    log::warn("http: accept: " + ec.message());
    accept_timer->expires_after(Ms(100));
    accept_timer->async_wait([this](const beast::error_code& e) {
      if (!e) accept();
    });
    return;
  }
  try {
    const int limit = options.max_connections;
    if (limit <= 0 || active < limit || evict_longest_waiting()) {
      std::make_shared<Session>(*this, std::move(socket), false)->start();
    } else if (rejecting < std::max(limit, 16)) {
      std::make_shared<Session>(*this, std::move(socket), true)->start();
    } else {
      beast::error_code ignored;
      socket.close(ignored);
    }
  } catch (const std::exception& e) {
    log::error(std::string("http: accepting a connection: ") + e.what());
  }
  accept();
}

// On the server thread: closes the connection that has waited longest for its request, if one
// does; false if every connection is busy being answered.
bool HttpServer::Impl::evict_longest_waiting() {
  std::shared_ptr<Session> oldest;
  std::chrono::steady_clock::time_point oldest_since{};
  for (const auto& entry : sessions) {
    auto s = entry.second.lock();
    std::chrono::steady_clock::time_point since;
    if (s && s->evictable(since) && (!oldest || since < oldest_since)) {
      oldest = std::move(s);
      oldest_since = since;
    }
  }
  if (!oldest) return false;
  oldest->close();
  stats.evicted.fetch_add(1, std::memory_order_relaxed);
  return true;
}

// On the server thread: closes the listener and every connection, then ends the thread.
void HttpServer::Impl::shutdown() {
  beast::error_code ignored;
  if (acceptor) acceptor->close(ignored);
  if (accept_timer) accept_timer->cancel();
  std::vector<std::shared_ptr<Session>> open;
  for (const auto& entry : sessions)
    if (auto s = entry.second.lock()) open.push_back(std::move(s));
  for (const auto& s : open) s->close();
  open.clear();
  ioc->stop();
}

// On the server thread: runs `produce` on a thread of its own, its chunks written by `session`.
bool HttpServer::Impl::start_stream(std::shared_ptr<Session> session,
                                    std::shared_ptr<Stream> stream, HttpStream produce) {
  std::lock_guard lock(workers_mutex);
  for (auto it = workers.begin(); it != workers.end();) {
    bool finished = false;
    {
      std::lock_guard stream_lock(it->stream->mutex);
      finished = it->stream->finished;
    }
    if (finished) {
      it->thread.join();
      it = workers.erase(it);
    } else {
      ++it;
    }
  }
  auto executor = ioc->get_executor();
  auto body = [executor, session = std::move(session), st = stream,
               produce = std::move(produce)]() mutable {
    for (;;) {
      {
        std::lock_guard lock(st->mutex);
        if (st->cancelled) break;
      }
      std::string chunk;
      bool more = false;
      try {
        more = produce(chunk);
      } catch (const std::exception& e) {
        log::warn(std::string("http: stream ended by an exception: ") + e.what());
      } catch (...) {
        log::warn("http: stream ended by an exception");
      }
      if (!chunk.empty()) {
        std::unique_lock lock(st->mutex);
        if (st->cancelled) break;
        st->write_pending = true;
        asio::post(executor,
                   [session, st, data = std::make_shared<std::string>(std::move(chunk))]() {
                     session->write_chunk(data, st);
                   });
        st->cv.wait(lock, [&] { return !st->write_pending || st->cancelled; });
        if (st->cancelled) break;
      }
      if (!more) break;
    }
    produce = nullptr;
    // The last reference to the session goes back to the server thread.
    asio::post(executor, [session = std::move(session), st]() { session->end_stream(st); });
    std::lock_guard lock(st->mutex);
    st->finished = true;
  };
  try {
    workers.push_back({std::thread(std::move(body)), std::move(stream)});
  } catch (const std::exception& e) {
    log::error(std::string("http: cannot start a stream: ") + e.what());
    return false;
  }
  return true;
}

void HttpServer::Impl::stop_streams() {
  std::vector<Worker> all;
  {
    std::lock_guard lock(workers_mutex);
    all.swap(workers);
  }
  for (auto& w : all) w.stream->cancel();
  for (auto& w : all) w.thread.join();
}

HttpServer::HttpServer(HttpServerOptions options, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

HttpServer::~HttpServer() {
  stop();
}

bool HttpServer::start(std::string& error) {
  Impl& s = *impl_;
  if (s.thread.joinable()) {
    error = "the HTTP server is already running on " + s.bound;
    return false;
  }
  tcp::endpoint endpoint;
  if (!parse_listen(s.options.listen, endpoint, error)) return false;

  auto ioc = std::make_unique<asio::io_context>(1);
  tcp::acceptor acceptor(*ioc);
  beast::error_code ec;
  const auto fail = [&] {
    error = "cannot listen on " + s.options.listen + ": " + ec.message();
    return false;
  };
  acceptor.open(endpoint.protocol(), ec);
  if (ec) return fail();
  acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return fail();
  acceptor.bind(endpoint, ec);
  if (ec) return fail();
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail();
  const tcp::endpoint local = acceptor.local_endpoint(ec);
  if (ec) return fail();

  s.ioc = std::move(ioc);
  s.acceptor.emplace(std::move(acceptor));
  s.accept_timer.emplace(*s.ioc);
  s.bound = format_endpoint(local);
  s.gate = std::make_shared<Impl::Gate>();
  s.gate->ioc = s.ioc.get();
  s.accept();
  try {
    s.thread = std::thread([&s] { s.run(); });
  } catch (const std::exception& e) {
    error = std::string("cannot start the HTTP server thread: ") + e.what();
    s.gate->ioc = nullptr;
    s.accept_timer.reset();
    s.acceptor.reset();
    s.ioc.reset();
    return false;
  }
  return true;
}

void HttpServer::stop() {
  Impl& s = *impl_;
  if (!s.thread.joinable()) return;
  asio::post(*s.ioc, [&s] { s.shutdown(); });
  s.thread.join();
  {
    std::lock_guard lock(s.gate->mutex);
    s.gate->ioc = nullptr;  // deferred replies from now on go nowhere
  }
  s.stop_streams();
  s.accept_timer.reset();
  s.acceptor.reset();
  s.ioc.reset();  // destroys the handlers still queued, and the sessions they hold
}

std::string HttpServer::bound_address() const {
  return impl_->bound;
}

}  // namespace gw
