#include "sources/event_validator.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <charconv>

#include "core/json.h"
#include "core/random.h"
#include "core/records.h"
#include "sources/registry_builder.h"
#include "sources/text_checks.h"

namespace gw {
namespace {

// librdkafka's message.max.bytes default (CONFIGURATION.md).
constexpr std::int64_t kKafkaMessageMaxBytes = 1'000'000;
// Taken off message.max.bytes for what a Kafka message carries besides the record's key and
// value: the record batch framing, the gateway_id and event_id headers, and room for the
// enriched copy of an access event (events_geo adds the device's registry fields).
constexpr std::int64_t kKafkaRecordOverhead = 2048;

constexpr auto kParseFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;

using json::member;
using json::text;

std::string id_for(std::string_view line) {
  const DrawKey k = DrawKey(0x1d6e57).combine(line);
  return uuid_from_bits(k.combine("hi").bits(), k.combine("lo").bits());
}

// Empty if `v` is an id of 1..max bytes of UTF-8 without control characters; else why not.
std::string id_error(const rapidjson::Value* v, const char* name, std::size_t max) {
  const std::string rule = std::string(name) + " must be a non-empty string of at most " +
                           std::to_string(max) + " bytes";
  if (!v || !v->IsString() || v->GetStringLength() == 0) return rule;
  if (v->GetStringLength() > max)
    return rule + " (it has " + std::to_string(v->GetStringLength()) + ")";
  if (!is_valid_utf8(text(*v))) return std::string(name) + " is not valid UTF-8";
  if (has_control_character(text(*v)))
    return std::string(name) + " must not contain control characters";
  return {};
}

// Empty if t is a time the limits take; else why not.
std::string time_error(TimeMs t, const char* name, const InputLimits& limits) {
  if (t < 0 || t > kLatestEventTime)
    return std::string(name) + " must lie between 1970-01-01 and 9999-12-31";
  if (!limits.now) return {};
  if (t > add_saturated(*limits.now, limits.max_future))
    return std::string(name) + " " + format_iso8601(t) + " is more than " +
           format_duration(limits.max_future) +
           " ahead of the gateway's clock (pipeline.max_future)";
  if (t < sub_saturated(*limits.now, limits.max_past))
    return std::string(name) + " " + format_iso8601(t) + " is more than " +
           format_duration(limits.max_past) + " behind the gateway's clock (pipeline.max_past)";
  return {};
}

std::optional<Event> parse_sale(const rapidjson::Value& d, std::string event_id,
                                const InputLimits& limits, std::string& error) {
  const auto* store = member(d, "store_id");
  const auto* amount = member(d, "sale_amount");
  const auto* ts = member(d, "sale_ts");
  error = id_error(store, "store_id", limits.max_store_id_bytes);
  if (!error.empty()) return std::nullopt;
  if (!amount || !amount->IsInt64() || amount->GetInt64() < 0 || amount->GetInt64() > INT32_MAX) {
    error = "a sale needs sale_amount, an integer from 0 to 2147483647";
    return std::nullopt;
  }
  if (!ts || !ts->IsInt64()) {
    error = "a sale needs sale_ts, epoch milliseconds";
    return std::nullopt;
  }
  error = time_error(ts->GetInt64(), "sale_ts", limits);
  if (!error.empty()) return std::nullopt;
  return SaleEvent{std::string(text(*store)), amount->GetInt64(), ts->GetInt64(),
                   std::move(event_id)};
}

std::optional<Event> parse_access(const rapidjson::Value& d, std::string event_id,
                                  const InputLimits& limits, std::string& error) {
  const auto* device = member(d, "deviceId");
  error = id_error(device, "deviceId", limits.max_device_id_bytes);
  if (!error.empty()) return std::nullopt;
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
        "payload.eventTimestamp (or timestamp) must be an existing RFC 3339 time such as "
        "2026-01-01T00:00:00.000Z";
    return std::nullopt;
  }
  error = time_error(*ts, "the event's timestamp", limits);
  if (!error.empty()) return std::nullopt;
  return AccessEvent{std::string(text(*device)), text(*name) == kAccessRejected, *ts,
                     std::move(event_id)};
}

// The event of one line, or an error message.
std::optional<Event> parse_line(std::string_view line, const InputLimits& limits,
                                std::string& error) {
  if (line.size() > limits.max_line_bytes) {
    error = "the line has " + std::to_string(line.size()) + " bytes, more than the " +
            std::to_string(limits.max_line_bytes) + " allowed";
    return std::nullopt;
  }
  if (json_depth_exceeds(line, limits.max_depth)) {
    error = "JSON nested deeper than " + std::to_string(limits.max_depth) + " levels";
    return std::nullopt;
  }
  rapidjson::Document d;
  d.Parse<kParseFlags>(line.data(), line.size());
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
    error = id_error(id, "event_id", limits.max_event_id_bytes);
    if (!error.empty()) return std::nullopt;
    event_id = text(*id);
  } else {
    event_id = id_for(line);
  }
  if (member(d, "store_id") || member(d, "sale_amount") || member(d, "sale_ts"))
    return parse_sale(d, std::move(event_id), limits, error);
  if (!member(d, "deviceId")) {
    error =
        "neither a sale (store_id, sale_amount, sale_ts) nor an access event (deviceId, payload)";
    return std::nullopt;
  }
  return parse_access(d, std::move(event_id), limits, error);
}

// The size of the raw record `e` becomes (key + value).
std::size_t record_bytes(const RecordEncoder& encoder, const Event& e, Record& scratch) {
  if (const auto* sale = std::get_if<SaleEvent>(&e))
    encoder.sale(*sale, scratch);
  else
    encoder.event(std::get<AccessEvent>(e), scratch);
  return scratch.key.size() + scratch.value.size();
}

std::int64_t kafka_message_max_bytes(const KafkaSinkOptions& kafka) {
  const auto it = kafka.properties.find("message.max.bytes");
  if (it == kafka.properties.end()) return kKafkaMessageMaxBytes;
  std::int64_t v = 0;
  const auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  return ec == std::errc() && p == it->second.data() + it->second.size() && v > 0
             ? v
             : kKafkaMessageMaxBytes;
}

}  // namespace

InputLimits input_limits(const Options& options, TimeMs now) {
  InputLimits limits;
  if (options.simulator.clock == ClockKind::realtime) limits.now = now;
  limits.max_future = options.pipeline.max_future;
  limits.max_past = options.pipeline.max_past;
  limits.gateway_id = options.gateway.id;
  if (options.sinks.kafka.enabled) {
    const std::int64_t max = kafka_message_max_bytes(options.sinks.kafka) - kKafkaRecordOverhead -
                             static_cast<std::int64_t>(options.gateway.id.size());
    limits.max_record_bytes = static_cast<std::size_t>(std::max<std::int64_t>(max, 0));
    limits.record_limit_source = "the Kafka sink's message.max.bytes less headers and framing";
  }
  return limits;
}

ParsedEvents parse_ndjson_events(std::string_view body, const InputLimits& limits) {
  ParsedEvents out;
  const std::optional<RecordEncoder> encoder =
      limits.max_record_bytes ? std::optional<RecordEncoder>(limits.gateway_id) : std::nullopt;
  Record scratch;
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
    auto e = parse_line(line, limits, error);
    if (!e) {
      if (out.errors.size() < limits.max_errors)
        out.errors.push_back("line " + std::to_string(line_no) + ": " + error);
      continue;
    }
    if (encoder && !out.too_large) {
      const std::size_t size = record_bytes(*encoder, *e, scratch);
      if (size > *limits.max_record_bytes)
        out.too_large = "line " + std::to_string(line_no) + ": its record would have " +
                        std::to_string(size) + " bytes, more than the " +
                        std::to_string(*limits.max_record_bytes) + " the sinks can carry (" +
                        limits.record_limit_source + ")";
    }
    out.events.push_back(std::move(*e));
  }
  return out;
}

}  // namespace gw
