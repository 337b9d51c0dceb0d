#include "sinks/kafka/schema_registry.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cerrno>
#include <cstdlib>
#include <limits>
#include <utility>

#include "core/json.h"
#include "http/http_client.h"

namespace gw {
namespace {

constexpr const char* kContentType = "application/vnd.schemaregistry.v1+json";
constexpr std::size_t kExcerpt = 200;

std::string excerpt(const std::string& body) {
  std::string s = body.size() > kExcerpt ? body.substr(0, kExcerpt) + "…" : body;
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

// The id of a registration response, parsed leniently: a number, or a number in a string.
std::optional<std::int32_t> parse_id(const rapidjson::Value& v) {
  if (v.IsInt64()) {
    const std::int64_t id = v.GetInt64();
    if (id >= 0 && id <= std::numeric_limits<std::int32_t>::max())
      return static_cast<std::int32_t>(id);
    return std::nullopt;
  }
  if (v.IsString()) {
    errno = 0;
    char* end = nullptr;
    const long long id = std::strtoll(v.GetString(), &end, 10);
    if (errno == 0 && end != v.GetString() && *end == '\0' && id >= 0 &&
        id <= std::numeric_limits<std::int32_t>::max())
      return static_cast<std::int32_t>(id);
  }
  return std::nullopt;
}

using json::member;

// "error_code 42201: Invalid schema" from a registry error body, or an excerpt of the body.
std::string registry_error_detail(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
  if (!doc.HasParseError() && doc.IsObject()) {
    std::string detail;
    const rapidjson::Value* code = member(doc, "error_code");
    if (code && code->IsInt64()) detail = "error_code " + std::to_string(code->GetInt64());
    const rapidjson::Value* message = member(doc, "message");
    if (message && message->IsString()) {
      if (!detail.empty()) detail += ": ";
      detail += message->GetString();
    }
    if (!detail.empty()) return detail;
  }
  return body.empty() ? "empty body" : excerpt(body);
}

}  // namespace

std::optional<std::int32_t> parse_registration_answer(int http_status, const std::string& body,
                                                      const std::string& what, std::string& error) {
  if (http_status < 200 || http_status > 299) {
    error = what + " failed: HTTP " + std::to_string(http_status) + " (" +
            registry_error_detail(body) + ")";
    return std::nullopt;
  }
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
  if (!doc.HasParseError() && doc.IsObject())
    if (const rapidjson::Value* id = member(doc, "id"))
      if (const auto parsed = parse_id(*id)) return parsed;
  error = what + ": HTTP " + std::to_string(http_status) +
          " without a schema id: " + (body.empty() ? "empty body" : excerpt(body));
  return std::nullopt;
}

SchemaRegistryClient::SchemaRegistryClient(std::string url, std::optional<std::string> user,
                                           std::optional<std::string> password)
    : url_(std::move(url)) {
  while (!url_.empty() && url_.back() == '/') url_.pop_back();
  if (user) authorization_ = basic_auth_header(*user, password.value_or(""));
}

std::optional<std::int32_t> SchemaRegistryClient::register_schema(const std::string& subject,
                                                                  const std::string& schema_json,
                                                                  std::string& error) const {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buf);
  writer.StartObject();
  writer.Key("schema");
  writer.String(schema_json.data(), static_cast<rapidjson::SizeType>(schema_json.size()));
  writer.EndObject();
  const std::string body(buf.GetString(), buf.GetSize());

  HttpHeaders headers{{"Content-Type", kContentType}, {"Accept", kContentType}};
  if (authorization_) headers.emplace_back("Authorization", *authorization_);
  const std::string target = url_ + "/subjects/" + percent_encode(subject) + "/versions";
  const HttpResponse res = http_request("POST", target, body, headers, timeout_ms_, tls_);

  const std::string what = "schema registry " + url_ + ": registering subject '" + subject + "'";
  if (!res.error.empty()) {
    error = "schema registry " + url_ + " is unreachable: " + res.error;
    return std::nullopt;
  }
  return parse_registration_answer(res.status, res.body, what, error);
}

}  // namespace gw
