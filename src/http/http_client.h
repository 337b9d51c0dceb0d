// A small synchronous HTTP/1.1 client (http and https; one connection per request).
// Boost.Beast and OpenSSL are used only inside http_client.cpp.
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

// An http:// or https:// URL split into its parts.
struct HttpUrl {
  bool tls = false;         // https
  std::string host;         // without brackets for IPv6 literals
  std::uint16_t port = 80;  // 443 for https unless given
  std::string target;       // path and query, at least "/"
  bool explicit_port = false;
};

// Parses http(s)://host[:port][/path][?query] (IPv6 literals as [::1]). nullopt and `error`
// for anything else, credentials in the URL (user:pass@) included; the error shows the URL with
// its credentials masked.
std::optional<HttpUrl> parse_http_url(const std::string& url, std::string& error);

// How an https request checks the server: its certificate must chain to a CA of `ca_file` (PEM)
// when set, else to one of the system's trust store (/etc/ssl/certs), and must name the URL's
// host (DNS name or IP address). SNI is sent for host names. Unused for http://.
struct TlsOptions {
  std::string ca_file;
};

// Empty when CA certificates can be loaded from the PEM file `path`; else why not.
std::string check_ca_file(const std::string& path);

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// Sends one request and reads the whole response. Sets Host, User-Agent, Content-Length (for a
// non-empty body or any POST/PUT/PATCH) and Connection: close; `headers` are added after those
// and replace a default of the same name. The whole exchange (resolve excepted) is bounded by
// `timeout_ms`; <= 0 means no limit. A response of any status is not an error; `error` is set
// only when no complete response could be read (for https also: the TLS handshake failed, e.g.
// "certificate verify failed: unable to get local issuer certificate").
HttpResponse http_request(const std::string& method, const std::string& url,
                          const std::string& body, const HttpHeaders& headers, int timeout_ms,
                          const TlsOptions& tls = {});

// The value of an Authorization header for HTTP basic authentication: "Basic base64(user:pass)".
std::string basic_auth_header(const std::string& user, const std::string& password);

// Percent-encodes everything but RFC 3986 unreserved characters: one path segment.
std::string percent_encode(const std::string& s);

// Base64 (RFC 4648, with padding).
std::string base64_encode(const std::string& data);

}  // namespace gw
