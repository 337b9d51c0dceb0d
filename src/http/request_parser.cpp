#include "http/request_parser.h"
#include "core/text.h"

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cctype>

namespace gw {
namespace {

namespace bhttp = boost::beast::http;

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX sequences decoded (malformed ones are kept as they are); '+' is a space in a query.
std::string percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%' && i + 2 < s.size()) {
      const int hi = hex_digit(s[i + 1]);
      const int lo = hex_digit(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += c == '+' && plus_is_space ? ' ' : c;
  }
  return out;
}

void parse_query(std::string_view q, std::map<std::string, std::string>& out) {
  while (!q.empty()) {
    const std::size_t amp = q.find('&');
    const std::string_view pair = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    std::string key = percent_decode(pair.substr(0, eq), true);
    std::string value =
        eq == std::string_view::npos ? std::string{} : percent_decode(pair.substr(eq + 1), true);
    out[std::move(key)] = std::move(value);
  }
}

bool starts_with_http_scheme(std::string_view s) {
  constexpr std::string_view kScheme = "http://";
  return s.size() > kScheme.size() && starts_with_any_case(s, kScheme);
}

std::string_view view(boost::beast::string_view s) {
  return {s.data(), s.size()};
}

}  // namespace

bool transfer_encoding_supported(const std::vector<std::string_view>& values) {
  if (values.empty()) return true;
  if (values.size() > 1) return false;
  std::string_view v = values.front();
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return boost::beast::iequals(boost::beast::string_view(v.data(), v.size()), "chunked");
}

HttpRequest make_http_request(std::string_view method, std::string_view target,
                              const HttpFieldViews& fields, std::string body) {
  HttpRequest request;
  request.method = method == "HEAD" ? "GET" : std::string(method);
  request.target = std::string(target);
  if (starts_with_http_scheme(target)) {
    const std::size_t slash = target.find_first_of("/?", 7);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  const std::size_t q = target.find('?');
  request.path = percent_decode(target.substr(0, q), false);
  if (request.path.empty()) request.path = "/";
  if (q != std::string_view::npos) parse_query(target.substr(q + 1), request.query);
  for (const auto& [name, value] : fields) {
    std::string key(name);
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto [it, inserted] = request.headers.emplace(std::move(key), value);
    if (!inserted) (it->second += ", ") += value;
  }
  request.body = std::move(body);
  return request;
}

std::optional<HttpRequest> parse_http_request(std::string_view bytes, std::size_t max_body,
                                              std::string& error) {
  bhttp::request_parser<bhttp::string_body> parser;
  parser.body_limit(max_body);
  parser.header_limit(kHttpHeaderLimit);
  parser.eager(true);
  boost::beast::error_code ec;
  std::size_t used = 0;
  for (;;) {
    const std::size_t n =
        parser.put(boost::asio::const_buffer(bytes.data() + used, bytes.size() - used), ec);
    used += n;
    if (parser.is_done() || (ec && ec != bhttp::error::need_more)) break;
    ec = {};
    if (n == 0 || used == bytes.size()) {  // the end of the input, as Beast's read sees it
      if (parser.got_some())
        parser.put_eof(ec);  // complete only if the message is
      else
        ec = bhttp::error::end_of_stream;
      break;
    }
  }
  if (ec || !parser.is_done()) {
    error = ec ? ec.message() : "incomplete request";
    return std::nullopt;
  }
  auto& req = parser.get();
  std::vector<std::string_view> codings;
  for (const auto& field : req)
    if (field.name() == bhttp::field::transfer_encoding) codings.push_back(view(field.value()));
  if (!transfer_encoding_supported(codings)) {
    error = "unsupported Transfer-Encoding";
    return std::nullopt;
  }
  HttpFieldViews fields;
  for (const auto& field : req) fields.emplace_back(view(field.name_string()), view(field.value()));
  return make_http_request(view(req.method_string()), view(req.target()), fields,
                           std::move(req.body()));
}

}  // namespace gw
