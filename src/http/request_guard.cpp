#include "http/request_guard.h"
#include "core/text.h"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace gw {
namespace {

// "name:port" -> "name"; "[v6]:port" -> "[v6]"; a bare name or "[v6]" as it is.
std::string_view host_part(std::string_view host) {
  const std::size_t colon = host.rfind(':');
  if (colon == std::string_view::npos) return host;
  if (host.front() == '[' && host.find(']') > colon) return host;  // "[::1" alone: left as is
  return host.substr(0, colon);
}

bool host_allowed(const HttpServerOptions& guard, const std::string& host,
                  const std::string& bound) {
  const std::string name(host_part(host));
  for (const char* loopback : {"localhost", "127.0.0.1", "[::1]"})
    if (name == loopback) return true;
  if (host == ascii_lower(bound)) return true;
  for (const std::string& allowed : *guard.allowed_hosts) {
    const std::string a = ascii_lower(allowed);
    if (a == host || (host_part(a) == a && a == name)) return true;
  }
  return false;
}

HttpReply refusal(int status, const std::string& message) {
  HttpReply r;
  r.status = status;
  std::string escaped;
  for (const char c : message) {
    if (c == '"' || c == '\\') escaped += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) escaped += c;
  }
  r.body = "{\"error\":\"" + escaped + "\"}";
  return r;
}

}  // namespace

std::optional<HttpReply> guard_request(const HttpServerOptions& guard, const HttpRequest& request,
                                       const std::string& bound) {
  const auto host_it = request.headers.find("host");
  const std::string host = host_it == request.headers.end() ? "" : ascii_lower(host_it->second);
  if (guard.allowed_hosts && host_it != request.headers.end() && !host_allowed(guard, host, bound))
    return refusal(421, "this endpoint does not answer to Host '" + host_it->second +
                            "' (http.allowed_hosts)");
  const auto origin_it = request.headers.find("origin");
  if (!guard.allowed_origins || origin_it == request.headers.end()) return std::nullopt;
  const std::string origin = ascii_lower(origin_it->second);
  if (!host.empty() && origin == "http://" + host) return std::nullopt;
  for (const std::string& allowed : *guard.allowed_origins)
    if (ascii_lower(allowed) == origin) return std::nullopt;
  return refusal(403, "requests from origin '" + origin_it->second +
                          "' are not allowed (http.allowed_origins)");
}

}  // namespace gw
