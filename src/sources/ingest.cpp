#include "sources/ingest.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <chrono>

#include "core/random.h"
#include "core/records.h"
#include "sources/registry_builder.h"

namespace gw {
namespace {

const rapidjson::Value* member(const rapidjson::Value& v, const char* name) {
  if (!v.IsObject()) return nullptr;
  const auto it = v.FindMember(name);
  return it == v.MemberEnd() ? nullptr : &it->value;
}

// A string value whole: GetString() alone would end it at an escaped NUL ("\u0000").
std::string_view text(const rapidjson::Value& v) {
  return {v.GetString(), v.GetStringLength()};
}

std::string id_for(std::string_view line) {
  const DrawKey k = DrawKey(0x1d6e57).combine(line);
  return uuid_from_bits(k.combine("hi").bits(), k.combine("lo").bits());
}

// The event of one line, or an error message.
std::optional<Event> parse_line(std::string_view line, std::string& error) {
  rapidjson::Document d;
  d.Parse(line.data(), line.size());
  if (d.HasParseError()) {
    error = std::string("not JSON: ") + rapidjson::GetParseError_En(d.GetParseError()) +
            " at column " + std::to_string(d.GetErrorOffset() + 1);
    return std::nullopt;
  }
  if (!d.IsObject()) {
    error = "not a JSON object";
    return std::nullopt;
  }
  std::string event_id;
  if (const auto* id = member(d, "event_id")) {
    if (!id->IsString() || id->GetStringLength() == 0 || id->GetStringLength() > 128) {
      error = "event_id must be a non-empty string of at most 128 characters";
      return std::nullopt;
    }
    event_id = text(*id);
  } else {
    event_id = id_for(line);
  }
  if (member(d, "store_id") || member(d, "sale_amount") || member(d, "sale_ts")) {
    const auto* store = member(d, "store_id");
    const auto* amount = member(d, "sale_amount");
    const auto* ts = member(d, "sale_ts");
    if (!store || !store->IsString() || store->GetStringLength() == 0)
      error = "a sale needs store_id, a non-empty string";
    else if (!amount || !amount->IsInt64())
      error = "a sale needs sale_amount, an integer";
    else if (!ts || !ts->IsInt64() || ts->GetInt64() < 0)
      error = "a sale needs sale_ts, epoch milliseconds";
    if (!error.empty()) return std::nullopt;
    return SaleEvent{std::string(text(*store)), amount->GetInt64(), ts->GetInt64(),
                     std::move(event_id)};
  }
  const auto* device = member(d, "deviceId");
  if (!device) {
    error =
        "neither a sale (store_id, sale_amount, sale_ts) nor an access event (deviceId, payload)";
    return std::nullopt;
  }
  if (!device->IsString() || device->GetStringLength() == 0) {
    error = "deviceId must be a non-empty string";
    return std::nullopt;
  }
  const auto* payload = member(d, "payload");
  const auto* name = payload ? member(*payload, "notificationName") : nullptr;
  if (!name || !name->IsString() ||
      (text(*name) != kAccessGranted && text(*name) != kAccessRejected)) {
    error = "payload.notificationName must be accessGranted or accessRejected";
    return std::nullopt;
  }
  const rapidjson::Value* when = payload ? member(*payload, "eventTimestamp") : nullptr;
  if (!when) when = member(d, "timestamp");
  const auto ts = when && when->IsString() ? parse_rfc3339(text(*when)) : std::nullopt;
  if (!ts) {
    error =
        "payload.eventTimestamp (or timestamp) must be an ISO-8601 time such as "
        "2026-01-01T00:00:00.000Z";
    return std::nullopt;
  }
  return AccessEvent{std::string(text(*device)), text(*name) == kAccessRejected, *ts,
                     std::move(event_id)};
}

}  // namespace

ParsedEvents parse_ndjson_events(std::string_view body, std::size_t max_errors) {
  ParsedEvents out;
  std::size_t pos = 0, line_no = 0;
  while (pos < body.size()) {
    std::size_t nl = body.find('\n', pos);
    if (nl == std::string_view::npos) nl = body.size();
    std::string_view line = body.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    std::string error;
    if (auto e = parse_line(line, error)) {
      out.events.push_back(std::move(*e));
    } else if (out.errors.size() < max_errors) {
      out.errors.push_back("line " + std::to_string(line_no) + ": " + error);
    }
  }
  return out;
}

}  // namespace gw
