#include "sinks/kafka/schema_registry.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cerrno>
#include <cstdlib>
#include <limits>
#include <utility>

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

// "error_code 42201: Invalid schema" from a registry error body, or an excerpt of the body.
std::string registry_error_detail(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (!doc.HasParseError() && doc.IsObject()) {
    std::string detail;
    const auto code = doc.FindMember("error_code");
    if (code != doc.MemberEnd() && code->value.IsInt64())
      detail = "error_code " + std::to_string(code->value.GetInt64());
    const auto message = doc.FindMember("message");
    if (message != doc.MemberEnd() && message->value.IsString()) {
      if (!detail.empty()) detail += ": ";
      detail += message->value.GetString();
    }
    if (!detail.empty()) return detail;
  }
  return body.empty() ? "empty body" : excerpt(body);
}

}  // namespace

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
  const HttpResponse res = http_request("POST", target, body, headers, timeout_ms_);

  const std::string what = "schema registry " + url_ + ": registering subject '" + subject + "'";
  if (!res.error.empty()) {
    error = "schema registry " + url_ + " is unreachable: " + res.error;
    return std::nullopt;
  }
  if (res.status < 200 || res.status > 299) {
    error = what + " failed: HTTP " + std::to_string(res.status) + " (" +
            registry_error_detail(res.body) + ")";
    return std::nullopt;
  }
  rapidjson::Document doc;
  doc.Parse(res.body.data(), res.body.size());
  if (!doc.HasParseError() && doc.IsObject()) {
    const auto id = doc.FindMember("id");
    if (id != doc.MemberEnd())
      if (const auto parsed = parse_id(id->value)) return parsed;
  }
  error = what + ": HTTP " + std::to_string(res.status) +
          " without a schema id: " + (res.body.empty() ? "empty body" : excerpt(res.body));
  return std::nullopt;
}

}  // namespace gw
