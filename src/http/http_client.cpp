#include "http/http_client.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <functional>
#include <type_traits>

#include "core/secrets.h"
#include "core/text.h"

namespace gw {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using Request = bhttp::request<bhttp::string_body>;

constexpr std::uint64_t kMaxResponseBody = 64u << 20;

// Runs the io_context until the operation started before has completed.
void run(asio::io_context& ioc) {
  ioc.restart();
  ioc.run();
}

}  // namespace

std::optional<HttpUrl> parse_http_url(const std::string& raw_url, std::string& error) {
  const std::string url = mask_url_credentials(raw_url);  // for the messages
  HttpUrl out;
  out.tls = starts_with_any_case(raw_url, "https://");
  if (!out.tls && !starts_with_any_case(raw_url, "http://")) {
    error = "not an http:// or https:// URL: '" + url + "'";
    return std::nullopt;
  }
  if (out.tls) out.port = 443;
  const std::string rest = raw_url.substr(out.tls ? 8 : 7);
  const std::size_t target_pos = rest.find_first_of("/?#");
  const std::string authority = rest.substr(0, target_pos);
  std::string target = target_pos == std::string::npos ? "/" : rest.substr(target_pos);
  if (const auto hash = target.find('#'); hash != std::string::npos) target.resize(hash);
  if (target.empty() || target[0] == '?') target.insert(0, "/");
  if (authority.find('@') != std::string::npos) {
    error = "credentials in the URL are not supported: '" + url + "'";
    return std::nullopt;
  }

  out.target = target;
  std::string port_text;
  if (!authority.empty() && authority[0] == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string::npos) {
      error = "unterminated IPv6 address in '" + url + "'";
      return std::nullopt;
    }
    out.host = authority.substr(1, close - 1);
    const std::string after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') {
        error = "unexpected text after the IPv6 address in '" + url + "'";
        return std::nullopt;
      }
      port_text = after.substr(1);
      out.explicit_port = true;
    }
  } else {
    const std::size_t colon = authority.find(':');
    out.host = authority.substr(0, colon);
    if (colon != std::string::npos) {
      port_text = authority.substr(colon + 1);
      out.explicit_port = true;
    }
  }
  if (out.host.empty()) {
    error = "no host in '" + url + "'";
    return std::nullopt;
  }
  if (out.explicit_port) {
    const bool digits = !port_text.empty() && port_text.size() <= 5 &&
                        std::all_of(port_text.begin(), port_text.end(),
                                    [](unsigned char c) { return std::isdigit(c) != 0; });
    const long port = digits ? std::stol(port_text) : 0;
    if (!digits || port < 1 || port > 65535) {
      error = "bad port '" + port_text + "' in '" + url + "'";
      return std::nullopt;
    }
    out.port = static_cast<std::uint16_t>(port);
  }
  return out;
}

namespace {

using Describe = std::function<std::string(const char* step, const beast::error_code&)>;

// Writes `req` and reads the whole response into `response` (error set on failure).
template <class Stream>
void exchange(asio::io_context& ioc, Stream& stream, Request& req, const Describe& describe,
              HttpResponse& response) {
  beast::error_code op_ec;
  bhttp::async_write(stream, req, [&](const beast::error_code& e, std::size_t) { op_ec = e; });
  run(ioc);
  if (op_ec) {
    response.error = describe("sending the request", op_ec);
    return;
  }
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(kMaxResponseBody);
  if (req.method() == bhttp::verb::head) parser.skip(true);
  bhttp::async_read(stream, buffer, parser,
                    [&](const beast::error_code& e, std::size_t) { op_ec = e; });
  run(ioc);
  if (op_ec) {
    response.error = describe("reading the response", op_ec);
    return;
  }
  auto res = parser.release();
  response.status = static_cast<int>(res.result_int());
  response.body = std::move(res.body());
}

// A client context that verifies the server against `tls.ca_file` or the system's CAs.
bool make_context(ssl::context& ctx, const TlsOptions& tls, std::string& error) {
  boost::system::error_code ec;
  if (tls.ca_file.empty())
    ctx.set_default_verify_paths(ec);
  else
    ctx.load_verify_file(tls.ca_file, ec);
  if (ec) {
    error = tls.ca_file.empty() ? "cannot load the system's CA certificates: " + ec.message()
                                : "cannot load CA file " + tls.ca_file + ": " + ec.message();
    return false;
  }
  ctx.set_verify_mode(ssl::verify_peer);
  return true;
}

// Asks for SNI (host names only) and for a certificate that names `host` (DNS or IP).
bool expect_host(SSL* ssl, const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  if (!ec) return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str()) == 1;
  return SSL_set_tlsext_host_name(ssl, host.c_str()) == 1 && SSL_set1_host(ssl, host.c_str()) == 1;
}

// The TLS handshake on a connected stream; false with `error` set (the certificate check's own
// reason when it failed).
bool handshake(asio::io_context& ioc, beast::ssl_stream<beast::tcp_stream>& stream,
               const std::string& host, const Describe& describe, std::string& error) {
  SSL* ssl = stream.native_handle();
  if (!expect_host(ssl, host)) {
    error = describe("TLS set-up", {}) + "cannot check certificates for '" + host + "'";
    return false;
  }
  beast::error_code op_ec;
  stream.async_handshake(ssl::stream_base::client, [&](const beast::error_code& e) { op_ec = e; });
  run(ioc);
  if (!op_ec) return true;
  const long verify = SSL_get_verify_result(ssl);
  error = verify != X509_V_OK && op_ec != beast::error::timeout
              ? describe("TLS handshake", {}) +
                    "certificate verify failed: " + X509_verify_cert_error_string(verify)
              : describe("TLS handshake", op_ec);
  return false;
}

// Connects `stream` (beast::tcp_stream, or for https beast::ssl_stream<beast::tcp_stream>, then
// with the handshake) to `endpoints` and exchanges `req` for the response, all before the
// deadline `timeout_ms` (<= 0: none). Errors start with `what`.
template <class Stream>
void roundtrip(asio::io_context& ioc, Stream& stream, const tcp::resolver::results_type& endpoints,
               const std::string& host, Request& req, int timeout_ms, const std::string& what,
               HttpResponse& response) {
  beast::tcp_stream& tcp_layer = beast::get_lowest_layer(stream);
  if (timeout_ms > 0)
    tcp_layer.expires_at(std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms));
  const Describe describe = [&](const char* step, const beast::error_code& e) {
    if (!e) return what + step + ": ";
    if (e == beast::error::timeout)
      return what + step + ": timed out after " + std::to_string(timeout_ms) + " ms";
    return what + step + ": " + e.message();
  };
  beast::error_code op_ec;
  tcp_layer.async_connect(endpoints,
                          [&](const beast::error_code& e, const tcp::endpoint&) { op_ec = e; });
  run(ioc);
  if (op_ec) {
    response.error = describe("connect", op_ec);
    return;
  }
  if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
    if (!handshake(ioc, stream, host, describe, response.error)) return;
  }
  exchange(ioc, stream, req, describe, response);
  beast::error_code ignored;
  tcp_layer.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

// The request for `u`: Host (with a port other than the scheme's), User-Agent, Connection:
// close and the body, then `headers`.
Request make_request(bhttp::verb verb, const HttpUrl& u, const std::string& body,
                     const HttpHeaders& headers) {
  Request req{verb, u.target, 11};
  const bool ipv6 = u.host.find(':') != std::string::npos;
  std::string host = ipv6 ? "[" + u.host + "]" : u.host;
  if (u.explicit_port && u.port != (u.tls ? 443 : 80)) host += ":" + std::to_string(u.port);
  req.set(bhttp::field::host, host);
  req.set(bhttp::field::user_agent, "iot-gateway/" IOT_GATEWAY_VERSION);
  req.keep_alive(false);
  req.body() = body;
  req.prepare_payload();
  for (const auto& [name, value] : headers) req.set(name, value);
  return req;
}

}  // namespace

std::string check_ca_file(const std::string& path) {
  ssl::context ctx(ssl::context::tls_client);
  std::string error;
  make_context(ctx, TlsOptions{path}, error);
  return error;
}

HttpResponse http_request(const std::string& method, const std::string& url,
                          const std::string& body, const HttpHeaders& headers, int timeout_ms,
                          const TlsOptions& tls) {
  HttpResponse response;
  std::string error;
  const auto parsed = parse_http_url(url, error);
  if (!parsed) {
    response.error = error;
    return response;
  }
  const HttpUrl& u = *parsed;
  const bhttp::verb verb = bhttp::string_to_verb(method);
  if (verb == bhttp::verb::unknown) {
    response.error = "unknown HTTP method '" + method + "'";
    return response;
  }
  const std::string what = method + " " + mask_url_credentials(url) + ": ";
  std::optional<ssl::context> ctx;
  if (u.tls && !make_context(ctx.emplace(ssl::context::tls_client), tls, error)) {
    response.error = what + error;
    return response;
  }

  asio::io_context ioc;
  boost::system::error_code ec;
  tcp::resolver resolver(ioc);
  const auto endpoints = resolver.resolve(u.host, std::to_string(u.port), ec);
  if (ec) {
    response.error = what + "cannot resolve '" + u.host + "': " + ec.message();
    return response;
  }
  Request req = make_request(verb, u, body, headers);
  if (ctx) {
    beast::ssl_stream<beast::tcp_stream> stream(ioc, *ctx);
    roundtrip(ioc, stream, endpoints, u.host, req, timeout_ms, what, response);
  } else {
    beast::tcp_stream stream(ioc);
    roundtrip(ioc, stream, endpoints, u.host, req, timeout_ms, what, response);
  }
  return response;
}

std::string percent_encode(const std::string& s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : s) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string base64_encode(const std::string& data) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  const auto byte = [&](std::size_t k) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(data[k]));
  };
  for (; i + 3 <= data.size(); i += 3) {
    const std::uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
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

std::string basic_auth_header(const std::string& user, const std::string& password) {
  return "Basic " + base64_encode(user + ":" + password);
}

}  // namespace gw
