#include "app/http_api.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <string_view>

#include "app/dashboard_assets.h"
#include "app/metrics_text.h"
#include "core/secrets.h"
#include "core/text.h"
#include "sources/event_validator.h"

namespace gw {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

HttpReply reply(int status, std::string content_type, std::string body,
                std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpReply r;
  r.status = status;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

HttpReply json_reply(int status, const std::string& body) {
  return reply(status, "application/json", body);
}

std::string error_json(const std::string& message) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("error");
  w.String(message);
  w.EndObject();
  return buf.GetString();
}

// A JSON array of records we encoded ourselves (already valid JSON objects).
std::string json_array(const std::vector<std::string>& values, std::size_t limit) {
  std::string out = "[";
  const std::size_t from = values.size() > limit ? values.size() - limit : 0;
  for (std::size_t i = from; i < values.size(); ++i) {
    if (i > from) out += ',';
    out += values[i];
  }
  return out + "]";
}

std::size_t limit_of(const HttpRequest& r, std::size_t fallback) {
  const auto it = r.query.find("limit");
  if (it == r.query.end()) return fallback;
  try {
    return std::min<std::size_t>(std::stoul(it->second), fallback);
  } catch (const std::exception&) {
    return fallback;
  }
}

HttpReply healthz(const ApiContext& c) {
  const PipelineStatus st = c.board.status();
  const TimeMs now = c.wall.now();
  if (st.running && now - st.last_progress > kStallAfter)
    return json_reply(503,
                      R"({"status":"stalled","reason":"the pipeline has made no progress for )" +
                          std::to_string((now - st.last_progress) / 1000) + R"( s"})");
  return json_reply(200, R"({"status":"ok"})");
}

HttpReply readyz(const ApiContext& c) {
  std::vector<std::string> problems;
  for (const auto& r : c.runners)
    if (!r->healthy())
      problems.push_back("sink " + r->name() +
                         " is not delivering: " + mask_url_credentials(r->last_error()));
    else if (!r->ready())
      problems.push_back("sink " + r->name() + " cannot reach its destination");
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("status");
  w.String(problems.empty() ? "ready" : "not ready");
  w.Key("buffer");
  w.String("open");
  w.Key("reasons");
  w.StartArray();
  for (const auto& p : problems) w.String(p);
  w.EndArray();
  w.EndObject();
  return json_reply(problems.empty() ? 200 : 503, buf.GetString());
}

HttpReply status(const ApiContext& c) {
  const PipelineStatus st = c.board.status();
  const auto options = c.options.get();
  const Options& o = *options;
  const TimeMs now = c.wall.now();
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("version");
  w.String(IOT_GATEWAY_VERSION);
  w.Key("gateway_id");
  w.String(o.gateway.id);
  w.Key("uptime_seconds");
  w.Int64((now - c.started_at) / 1000);
  w.Key("config");
  w.StartObject();
  w.Key("file");
  w.String(o.source_file);
  w.Key("data_dir");
  w.String(o.gateway.data_dir);
  w.Key("clock");
  w.String(o.simulator.clock == ClockKind::virtual_time ? "virtual" : "realtime");
  w.Key("simulator_enabled");
  w.Bool(o.simulator.enabled);
  w.Key("stores");
  w.Uint64(o.simulator.stores.size());
  w.Key("devices");
  w.Uint64(c.registry.size());
  w.Key("kafka_brokers");
  w.String(o.sinks.kafka.enabled ? o.sinks.kafka.brokers : "");
  w.Key("kafka_properties");
  w.StartObject();
  for (const auto& [k, v] : o.sinks.kafka.properties) {
    w.Key(k.c_str(), static_cast<rapidjson::SizeType>(k.size()));
    w.String(shown_kafka_property(k, v));
  }
  w.EndObject();
  w.Key("schema_registry");
  w.String(mask_url_credentials(o.sinks.kafka.schema_registry.url.value_or("")));
  w.Key("druid_url");
  w.String(o.sinks.druid.enabled ? mask_url_credentials(o.sinks.druid.url) : "");
  w.Key("druid_username");
  w.String(o.sinks.druid.username.value_or(""));
  w.Key("druid_password");
  w.String(o.sinks.druid.password ? "***" : "");
  w.Key("http_listen");
  w.String(o.http.listen);
  w.EndObject();
  w.Key("pipeline");
  w.StartObject();
  w.Key("watermark");
  if (st.watermark == kTimeMin)
    w.Null();
  else if (st.watermark == kTimeMax)
    w.String("end of run");
  else
    w.String(format_iso8601(st.watermark));
  w.Key("completed");
  w.Bool(st.completed);
  w.Key("run_start");
  if (st.run_start == kTimeMin)
    w.Null();
  else
    w.String(format_iso8601(st.run_start));
  w.Key("sales_in");
  w.Uint64(st.counters.sales_in);
  w.Key("access_in");
  w.Uint64(st.counters.access_in);
  w.Key("alerts");
  w.Uint64(st.counters.alerts_out);
  w.EndObject();
  w.Key("sinks");
  w.StartArray();
  for (std::size_t i = 0; i < c.runners.size(); ++i) {
    const auto& r = c.runners[i];
    w.StartObject();
    w.Key("name");
    w.String(r->name());
    w.Key("state");
    w.String(r->healthy() ? "delivering" : "retrying");
    w.Key("last_error");
    w.String(mask_url_credentials(r->last_error()));
    w.Key("delivered");
    w.Uint64(r->delivered());
    w.Key("backlog");
    std::int64_t backlog = -1;
    try {
      backlog = c.buffer.backlog(i);
    } catch (const std::exception&) {
    }
    w.Int64(backlog);
    w.EndObject();
  }
  w.EndArray();
  w.Key("buffer_bytes");
  w.Int64(c.buffer.bytes());
  w.EndObject();
  return json_reply(200, buf.GetString());
}

HttpReply devices(const ApiContext& c) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartArray();
  for (const auto& d : c.registry.all()) {
    w.StartObject();
    w.Key("deviceId");
    w.String(d.id.data(), static_cast<rapidjson::SizeType>(d.id.size()));
    w.Key("store_id");
    w.String(d.store_id.data(), static_cast<rapidjson::SizeType>(d.store_id.size()));
    w.Key("lat");
    w.Double(d.lat);
    w.Key("lon");
    w.Double(d.lon);
    w.Key("loc");
    w.String(d.loc.data(), static_cast<rapidjson::SizeType>(d.loc.size()));
    w.Key("city");
    w.String(d.city.data(), static_cast<rapidjson::SizeType>(d.city.size()));
    w.EndObject();
  }
  w.EndArray();
  return json_reply(200, buf.GetString());
}

// Compares in time that depends only on the lengths, not on where the two first differ.
bool same_secret(std::string_view a, std::string_view b) {
  unsigned diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i]) ^
            static_cast<unsigned char>(b.empty() ? 0 : b[i % b.size()]);
  return diff == 0;
}

// "Bearer TOKEN" with the scheme in any case (RFC 9110 11.1).
bool bearer_matches(std::string_view header, const std::string& token) {
  constexpr std::string_view kScheme = "bearer ";
  if (!starts_with_any_case(header, kScheme)) return false;
  header.remove_prefix(kScheme.size());
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  while (!header.empty() && header.back() == ' ') header.remove_suffix(1);
  return same_secret(header, token);
}

// http.token: required for POST, and for everything when the endpoint is not on loopback.
std::optional<HttpReply> check_token(const ApiContext& c, const HttpRequest& r) {
  const auto options = c.options.get();
  const auto& token = options->http.token;
  if (!token || (r.method == "GET" && options->http.loopback())) return std::nullopt;
  const auto it = r.headers.find("authorization");
  if (it != r.headers.end() && bearer_matches(it->second, *token)) return std::nullopt;
  return reply(401, "application/json",
               error_json(it == r.headers.end() ? "a bearer token is required (http.token)"
                                                : "the bearer token is not accepted"),
               {{"WWW-Authenticate", "Bearer realm=\"iot-gateway\""}});
}

// NDJSON or JSON only: a web page can send text/plain or a form to any address without asking,
// but not these.
std::optional<HttpReply> check_content_type(const HttpRequest& r) {
  const auto it = r.headers.find("content-type");
  std::string type =
      ascii_lower(it == r.headers.end() ? "" : it->second.substr(0, it->second.find(';')));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.pop_back();
  for (const char* ok : {"application/x-ndjson", "application/ndjson", "application/json",
                         "application/jsonl", "application/x-jsonlines"})
    if (type == ok) return std::nullopt;
  return reply(415, "application/json",
               error_json("Content-Type must be application/x-ndjson (or application/json), not '" +
                          type + "'"),
               {{"Accept-Post", "application/x-ndjson, application/json"}});
}

// The answer once the run loop has committed (or not) the events of a POST.
HttpReply ingest_answer(IngestQueue::Outcome outcome, std::size_t n) {
  if (outcome == IngestQueue::Outcome::committed)
    return json_reply(202, R"({"accepted":)" + std::to_string(n) + "}");
  const std::string why =
      outcome == IngestQueue::Outcome::dropped_full
          ? "the buffer is full (buffer.max_bytes, when_full: drop_oldest) and dropped these "
            "events as it committed them; resend later: event ids are kept"
          : "the events were not committed (the gateway is stopping, or the buffer cannot take "
            "them); resend later: event ids are kept";
  return reply(503, "application/json", error_json(why), {{"Retry-After", "5"}});
}

HttpReply post_events(const ApiContext& c, const HttpRequest& r) {
  using Rejection = IngestQueue::Rejection;
  const auto rejected = [&c](Rejection why, HttpReply answer) {
    if (c.ingest) c.ingest->count_rejected(why);
    return answer;
  };
  if (auto refused = check_content_type(r)) return rejected(Rejection::content_type, *refused);
  ParsedEvents parsed = parse_ndjson_events(r.body, input_limits(*c.options.get(), c.wall.now()));
  if (!parsed.errors.empty()) {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    w.Key("error");
    w.String("bad input; nothing of this request was accepted");
    w.Key("lines");
    w.StartArray();
    for (const auto& e : parsed.errors) w.String(e);
    w.EndArray();
    w.EndObject();
    return rejected(Rejection::invalid, json_reply(400, buf.GetString()));
  }
  if (parsed.too_large)
    return rejected(Rejection::too_large, json_reply(413, error_json(*parsed.too_large)));
  if (parsed.events.empty())
    return rejected(Rejection::invalid,
                    json_reply(400, error_json("no events in the body "
                                               "(NDJSON, one event per line)")));
  const std::size_t n = parsed.events.size();
  if (!c.ingest) return ingest_answer(IngestQueue::Outcome::not_committed, n);
  HttpReply later;
  later.deferred_timeout_ms = static_cast<int>(kIngestTimeout);
  auto events = std::make_shared<std::vector<Event>>(std::move(parsed.events));
  later.deferred = [ingest = c.ingest, events, n](HttpRespond respond) {
    ingest->submit(std::move(*events), [respond = std::move(respond), n](IngestQueue::Outcome o) {
      respond(ingest_answer(o, n));
    });
  };
  return later;
}

// The dashboard's files: only its own scripts, styles and connections.
constexpr char kDashboardPolicy[] =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' "
    "data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'";

HttpReply not_allowed(const HttpRequest& r, const char* allow) {
  return reply(405, "application/json",
               error_json(r.method + " is not allowed on " + r.path + "; use " + allow),
               {{"Allow", allow}});
}

}  // namespace

Handler make_api_handler(const ApiContext& context) {
  return [&c = context](const HttpRequest& r) -> HttpReply {
    if (auto denied = check_token(c, r)) return *denied;
    const bool read = r.method == "GET" || r.method == "HEAD";
    if (r.path == "/healthz" && read) return healthz(c);
    if (r.path == "/readyz" && read) return readyz(c);
    if (r.path == "/metrics" && read)
      return reply(200, "text/plain; version=0.0.4; charset=utf-8", render_metrics(c));
    if (r.path == "/api/v1/status" && read) return status(c);
    if (r.path == "/api/v1/aggregates" && read)
      return json_reply(200, json_array(c.board.recent(Stream::sales_aggregate),
                                        limit_of(r, StatusBoard::kRecentAggregates)));
    if (r.path == "/api/v1/alerts" && read)
      return json_reply(
          200, json_array(c.board.recent(Stream::alerts), limit_of(r, StatusBoard::kRecentAlerts)));
    if (r.path == "/api/v1/devices" && read) return devices(c);
    if (r.path == "/api/v1/events")
      return r.method == "POST" ? post_events(c, r) : not_allowed(r, "POST");
    std::string_view type;
    if (const std::string_view asset = dashboard_asset(r.path, type); !asset.empty()) {
      if (read)
        return reply(200, std::string(type), std::string(asset),
                     {{"Content-Security-Policy", kDashboardPolicy}});
      return not_allowed(r, "GET, HEAD");
    }
    for (const char* p : {"/healthz", "/readyz", "/metrics", "/api/v1/status", "/api/v1/aggregates",
                          "/api/v1/alerts", "/api/v1/devices"})
      if (r.path == p) return not_allowed(r, "GET, HEAD");
    return json_reply(404, error_json("no such resource: " + r.path));
  };
}

}  // namespace gw
