// A small synchronous HTTP/1.1 client (plain http; one connection per request).
// Boost.Beast is used only inside http_client.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace gw {

struct HttpResponse {
  int status = 0;     // the HTTP status code, when a response was read
  std::string body;   // the response body
  std::string error;  // non-empty: transport failure (bad URL, resolve, connect, I/O, timeout)
};

// An http:// URL split into its parts.
struct HttpUrl {
  std::string host;  // without brackets for IPv6 literals
  std::uint16_t port = 80;
  std::string target;  // path and query, at least "/"
  bool explicit_port = false;
};

// Parses http://host[:port][/path][?query] (IPv6 literals as [::1]). nullopt and `error` for
// anything else; https:// is recognised and reported as not supported yet.
std::optional<HttpUrl> parse_http_url(const std::string& url, std::string& error);

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// Sends one request and reads the whole response. Sets Host, User-Agent, Content-Length (for a
// non-empty body or any POST/PUT/PATCH) and Connection: close; `headers` are added after those
// and replace a default of the same name. The whole exchange (resolve excepted) is bounded by
// `timeout_ms`; <= 0 means no limit. A response of any status is not an error; `error` is set
// only when no complete response could be read.
HttpResponse http_request(const std::string& method, const std::string& url,
                          const std::string& body, const HttpHeaders& headers, int timeout_ms);

// The value of an Authorization header for HTTP basic authentication: "Basic base64(user:pass)".
std::string basic_auth_header(const std::string& user, const std::string& password);

// Percent-encodes everything but RFC 3986 unreserved characters: one path segment.
std::string percent_encode(const std::string& s);

// Base64 (RFC 4648, with padding).
std::string base64_encode(const std::string& data);

}  // namespace gw
