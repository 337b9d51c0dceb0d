// schema-registry-mock: an in-memory stand-in for a Confluent Schema Registry (tests).
//
// Serves the REST calls of the documented API that the gateway uses:
//   POST /subjects/{subject}/versions   register  → {"id":N}; ids are global and start at 1, the
//                                                   same schema (any subject) gets the same id
//   POST /subjects/{subject}            look up   → {"subject","id","version","schema"}
//   GET  /subjects                      subjects  → ["…", …]
//   GET  /subjects/{subject}/versions   versions  → [1, 2, …]
//   GET  /subjects/{subject}/versions/{version|latest}
//   GET  /schemas/ids/{id}              schema    → {"schema":"…"}
// Errors are {"error_code":N,"message":"…"}: 42201 (422) invalid JSON body, missing "schema" or
// an invalid Avro schema; 40401 (404) unknown subject; 40403 (404) unknown schema; 401 without
// the credentials given by --user/--password; 415 for a body that is not JSON by its type.
//
// With --tls-cert and --tls-key (PEM files) it speaks https only.
//
// Prints `listening=HOST:PORT` on stdout once it accepts connections; exits 0 on SIGTERM,
// SIGINT or end of stdin (unless --ignore-stdin).
#include <avro.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr const char* kContentType = "application/vnd.schemaregistry.v1+json";

std::string base64_encode(const std::string& data) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  const auto byte = [&](std::size_t k) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(data[k]));
  };
  for (; i + 3 <= data.size(); i += 3) {
    const std::uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    for (const int shift : {18, 12, 6, 0}) out += kAlphabet[(v >> shift) & 63];
  }
  if (const std::size_t left = data.size() - i; left > 0) {
    std::uint32_t v = byte(i) << 16;
    if (left == 2) v |= byte(i + 1) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += left == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::vector<std::string> path_segments(std::string_view target) {
  target = target.substr(0, target.find('?'));
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < target.size()) {
    const std::size_t slash = target.find('/', pos);
    const std::size_t end = slash == std::string_view::npos ? target.size() : slash;
    if (end > pos) out.push_back(percent_decode(target.substr(pos, end - pos)));
    pos = end + 1;
  }
  return out;
}

std::string json_string(const std::string& s) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  return std::string(buf.GetString(), buf.GetSize());
}

struct Reply {
  http::status status = http::status::ok;
  std::string body;
};

Reply error_reply(http::status status, int code, const std::string& message) {
  return {status,
          "{\"error_code\":" + std::to_string(code) + ",\"message\":" + json_string(message) + "}"};
}

class Registry {
 public:
  Registry(std::optional<std::string> authorization, bool verbose)
      : authorization_(std::move(authorization)), verbose_(verbose) {}

  Response handle(const Request& req) {
    const Reply r = route(req);
    if (verbose_)
      std::cerr << req.method_string() << ' ' << req.target() << " -> "
                << static_cast<unsigned>(r.status) << ' ' << r.body << '\n';
    Response res{r.status, req.version()};
    res.set(http::field::server, "schema-registry-mock");
    res.set(http::field::content_type, kContentType);
    if (r.status == http::status::unauthorized)
      res.set(http::field::www_authenticate, "Basic realm=\"SchemaRegistry\"");
    res.body() = r.body;
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    return res;
  }

 private:
  struct Subject {
    std::vector<int> versions;  // schema id of version i + 1
  };

  Reply route(const Request& req) {
    if (authorization_ && req[http::field::authorization] != *authorization_)
      return error_reply(http::status::unauthorized, 401, "Unauthorized");
    const auto seg = path_segments(std::string_view(req.target().data(), req.target().size()));
    const http::verb m = req.method();
    const auto method_not_allowed = [] {
      return error_reply(http::status::method_not_allowed, 405, "HTTP 405 Method Not Allowed");
    };

    if (seg.empty()) return {http::status::ok, "{}"};
    if (seg[0] == "subjects") {
      if (seg.size() == 1) {
        if (m != http::verb::get) return method_not_allowed();
        return list_subjects();
      }
      if (seg.size() == 2) {
        if (m != http::verb::post) return method_not_allowed();
        return lookup(seg[1], req);
      }
      if (seg[2] == "versions" && seg.size() == 3) {
        if (m == http::verb::post) return register_schema(seg[1], req);
        if (m == http::verb::get) return list_versions(seg[1]);
        return method_not_allowed();
      }
      if (seg[2] == "versions" && seg.size() == 4) {
        if (m != http::verb::get) return method_not_allowed();
        return get_version(seg[1], seg[3]);
      }
    }
    if (seg.size() == 3 && seg[0] == "schemas" && seg[1] == "ids") {
      if (m != http::verb::get) return method_not_allowed();
      return get_schema(seg[2]);
    }
    return error_reply(http::status::not_found, 404, "HTTP 404 Not Found");
  }

  // The compact form of a valid Avro schema text from a request body; else a 415/422 reply.
  std::optional<Reply> read_schema(const Request& req, std::string& normalized) {
    const std::string type(req[http::field::content_type]);
    const std::string base = type.substr(0, type.find(';'));
    if (base != kContentType && base != "application/vnd.schemaregistry+json" &&
        base != "application/json" && base != "application/octet-stream")
      return error_reply(http::status::unsupported_media_type, 415,
                         "HTTP 415 Unsupported Media Type");
    rapidjson::Document body;
    body.Parse(req.body().data(), req.body().size());
    if (body.HasParseError() || !body.IsObject())
      return error_reply(http::status::unprocessable_entity, 42201,
                         "Invalid schema: the request body is not a JSON object");
    const auto schema = body.FindMember("schema");
    if (schema == body.MemberEnd() || !schema->value.IsString())
      return error_reply(http::status::unprocessable_entity, 42201,
                         "Invalid schema: no \"schema\" string in the request");
    const auto type_member = body.FindMember("schemaType");
    if (type_member != body.MemberEnd() &&
        !(type_member->value.IsString() && std::string(type_member->value.GetString()) == "AVRO"))
      return error_reply(http::status::unprocessable_entity, 42201,
                         "Invalid schema: only AVRO schemas are supported by this mock");
    const std::string text(schema->value.GetString(), schema->value.GetStringLength());
    rapidjson::Document parsed;
    parsed.Parse<rapidjson::kParseFullPrecisionFlag>(text.data(), text.size());
    if (parsed.HasParseError())
      return error_reply(http::status::unprocessable_entity, 42201,
                         "Invalid schema: the schema is not JSON");
    avro_schema_t avro = nullptr;
    if (avro_schema_from_json_length(text.data(), text.size(), &avro) != 0)
      return error_reply(http::status::unprocessable_entity, 42201,
                         std::string("Invalid schema: ") + avro_strerror());
    avro_schema_decref(avro);
    rapidjson::StringBuffer buf;
    Writer w(buf);
    parsed.Accept(w);
    normalized.assign(buf.GetString(), buf.GetSize());
    return std::nullopt;
  }

  Reply register_schema(const std::string& subject, const Request& req) {
    std::string schema;
    if (auto err = read_schema(req, schema)) return *err;
    auto [it, added] = ids_.emplace(schema, static_cast<int>(schemas_.size()) + 1);
    if (added) schemas_.push_back(schema);
    const int id = it->second;
    auto& versions = subjects_[subject].versions;
    if (std::find(versions.begin(), versions.end(), id) == versions.end()) versions.push_back(id);
    return {http::status::ok, "{\"id\":" + std::to_string(id) + "}"};
  }

  Reply lookup(const std::string& subject, const Request& req) {
    std::string schema;
    if (auto err = read_schema(req, schema)) return *err;
    const auto s = subjects_.find(subject);
    if (s == subjects_.end())
      return error_reply(http::status::not_found, 40401, "Subject '" + subject + "' not found.");
    const auto id = ids_.find(schema);
    const auto& versions = s->second.versions;
    const auto v =
        id == ids_.end() ? versions.end() : std::find(versions.begin(), versions.end(), id->second);
    if (v == versions.end()) return error_reply(http::status::not_found, 40403, "Schema not found");
    return version_reply(subject, static_cast<int>(v - versions.begin()) + 1, *v);
  }

  Reply version_reply(const std::string& subject, int version, int id) {
    return {http::status::ok, "{\"subject\":" + json_string(subject) + ",\"version\":" +
                                  std::to_string(version) + ",\"id\":" + std::to_string(id) +
                                  ",\"schema\":" + json_string(schemas_[id - 1]) + "}"};
  }

  Reply list_subjects() {
    std::string body = "[";
    for (const auto& [name, s] : subjects_) {
      if (body.size() > 1) body += ',';
      body += json_string(name);
    }
    return {http::status::ok, body + "]"};
  }

  Reply list_versions(const std::string& subject) {
    const auto s = subjects_.find(subject);
    if (s == subjects_.end())
      return error_reply(http::status::not_found, 40401, "Subject '" + subject + "' not found.");
    std::string body = "[";
    for (std::size_t i = 0; i < s->second.versions.size(); ++i)
      body += (i > 0 ? "," : "") + std::to_string(i + 1);
    return {http::status::ok, body + "]"};
  }

  Reply get_version(const std::string& subject, const std::string& version) {
    const auto s = subjects_.find(subject);
    if (s == subjects_.end())
      return error_reply(http::status::not_found, 40401, "Subject '" + subject + "' not found.");
    const auto& versions = s->second.versions;
    long v = -1;
    if (version == "latest") {
      v = static_cast<long>(versions.size());
    } else if (!version.empty() && version.size() < 10 &&
               version.find_first_not_of("0123456789") == std::string::npos) {
      v = std::stol(version);
    }
    if (v < 1 || v > static_cast<long>(versions.size()))
      return error_reply(http::status::not_found, 40402, "Version " + version + " not found.");
    return version_reply(subject, static_cast<int>(v), versions[static_cast<std::size_t>(v - 1)]);
  }

  Reply get_schema(const std::string& id_text) {
    long id = 0;
    if (!id_text.empty() && id_text.size() < 10 &&
        id_text.find_first_not_of("0123456789") == std::string::npos)
      id = std::stol(id_text);
    if (id < 1 || id > static_cast<long>(schemas_.size()))
      return error_reply(http::status::not_found, 40403, "Schema " + id_text + " not found");
    return {http::status::ok,
            "{\"schema\":" + json_string(schemas_[static_cast<std::size_t>(id - 1)]) + "}"};
  }

  std::optional<std::string> authorization_;
  bool verbose_ = false;
  std::vector<std::string> schemas_;         // compact schema text of id i + 1
  std::map<std::string, int> ids_;           // compact schema text → id
  std::map<std::string, Subject> subjects_;  // sorted, for GET /subjects
};

// One connection; Stream is beast::tcp_stream or beast::ssl_stream<beast::tcp_stream>.
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  template <class... StreamArgs>
  Session(Registry& registry, tcp::socket socket, StreamArgs&... args)
      : stream_(std::move(socket), args...), registry_(registry) {}

  void start() {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      read();
    } else {
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](const beast::error_code& ec) {
                                if (ec)
                                  self->close();
                                else
                                  self->read();
                              });
    }
  }

 private:
  void read() {
    req_ = {};
    http::async_read(stream_, buffer_, req_,
                     [self = this->shared_from_this()](const beast::error_code& ec, std::size_t) {
                       self->on_read(ec);
                     });
  }

  void on_read(const beast::error_code& ec) {
    if (ec) {
      close();
      return;
    }
    res_ = registry_.handle(req_);
    http::async_write(stream_, res_,
                      [self = this->shared_from_this()](const beast::error_code& e, std::size_t) {
                        self->on_write(e);
                      });
  }

  void on_write(const beast::error_code& ec) {
    if (ec || !res_.keep_alive()) {
      close();
      return;
    }
    read();
  }

  void close() {
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  Request req_;
  Response res_;
  Registry& registry_;
};

class Listener {
 public:
  // With a `tls` context, every connection is https.
  Listener(asio::io_context& ioc, const tcp::endpoint& endpoint, Registry& registry,
           ssl::context* tls)
      : ioc_(ioc), acceptor_(ioc), registry_(registry), tls_(tls) {
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(asio::socket_base::max_listen_connections);
  }
  tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

  void accept() {
    acceptor_.async_accept(ioc_, [this](const beast::error_code& ec, tcp::socket socket) {
      if (!ec && tls_)
        std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(registry_,
                                                                        std::move(socket), *tls_)
            ->start();
      else if (!ec)
        std::make_shared<Session<beast::tcp_stream>>(registry_, std::move(socket))->start();
      accept();
    });
  }

 private:
  asio::io_context& ioc_;
  tcp::acceptor acceptor_;
  Registry& registry_;
  ssl::context* tls_;
};

// "127.0.0.1:0" or "[::1]:8081".
std::optional<tcp::endpoint> parse_listen(const std::string& text) {
  std::string host, port;
  if (!text.empty() && text[0] == '[') {
    const auto close = text.find("]:");
    if (close == std::string::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  const long p = std::stol(port);
  beast::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec || p > 65535) return std::nullopt;
  return tcp::endpoint(address, static_cast<unsigned short>(p));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"In-memory Confluent Schema Registry for tests"};
  std::string listen = "127.0.0.1:0";
  std::optional<std::string> user, password;
  std::string tls_cert, tls_key;
  bool verbose = false, ignore_stdin = false;
  app.add_option("--listen", listen, "HOST:PORT to listen on (port 0: an ephemeral port)");
  app.add_option("--user", user, "require HTTP basic auth with this user");
  app.add_option("--password", password, "the password for --user");
  app.add_option("--tls-cert", tls_cert, "serve https with this certificate chain (PEM)");
  app.add_option("--tls-key", tls_key, "the private key (PEM) of --tls-cert");
  app.add_flag("--verbose", verbose, "log every request to stderr");
  app.add_flag("--ignore-stdin", ignore_stdin, "do not exit at the end of stdin");
  CLI11_PARSE(app, argc, argv);
  if (password && !user) {
    std::cerr << "schema-registry-mock: --password needs --user\n";
    return 2;
  }
  const auto endpoint = parse_listen(listen);
  if (!endpoint) {
    std::cerr << "schema-registry-mock: bad --listen '" << listen << "' (want HOST:PORT)\n";
    return 2;
  }

  // Never destroyed: the stdin thread may still post to it while the process exits.
  auto* ioc = new asio::io_context(1);
  std::optional<std::string> authorization;
  if (user) authorization = "Basic " + base64_encode(*user + ":" + password.value_or(""));
  Registry registry(authorization, verbose);
  if (tls_cert.empty() != tls_key.empty()) {
    std::cerr << "schema-registry-mock: --tls-cert and --tls-key go together\n";
    return 2;
  }
  std::unique_ptr<ssl::context> tls;
  std::unique_ptr<Listener> listener;
  try {
    if (!tls_cert.empty()) {
      tls = std::make_unique<ssl::context>(ssl::context::tls_server);
      tls->use_certificate_chain_file(tls_cert);
      tls->use_private_key_file(tls_key, ssl::context::pem);
    }
    listener = std::make_unique<Listener>(*ioc, *endpoint, registry, tls.get());
  } catch (const std::exception& e) {
    std::cerr << "schema-registry-mock: cannot serve on " << listen << ": " << e.what() << '\n';
    return 1;
  }
  listener->accept();

  asio::signal_set signals(*ioc, SIGINT, SIGTERM);
  signals.async_wait([ioc](const beast::error_code&, int) { ioc->stop(); });
  if (!ignore_stdin) {
    std::thread([ioc] {
      char buf[256];
      for (;;) {
        const ssize_t n = ::read(0, buf, sizeof buf);
        if (n == 0 || (n < 0 && errno != EINTR)) break;
      }
      asio::post(*ioc, [ioc] { ioc->stop(); });
    }).detach();
  }

  const tcp::endpoint local = listener->local_endpoint();
  const std::string host = local.address().is_v6() ? "[" + local.address().to_string() + "]"
                                                   : local.address().to_string();
  std::printf("listening=%s:%u\n", host.c_str(), static_cast<unsigned>(local.port()));
  std::fflush(stdout);
  ioc->run();
  return 0;
}
