#include "app/run_state.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdio>

#include "core/random.h"

namespace gw {
namespace {

std::string hex(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string time_spec_text(const TimeSpec& t) {
  return (t.is_offset ? "+" : "@") + std::to_string(t.value);
}

}  // namespace

std::string encode_run_state(const RunState& s) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("version");
  w.Int(1);
  w.Key("fingerprint");
  w.String(s.fingerprint);
  w.Key("registry");
  w.String(s.registry_hash);
  w.Key("completed");
  w.Bool(s.completed);
  if (s.completed_at != 0) {
    w.Key("completed_at");
    w.Int64(s.completed_at);
  }
  w.Key("devices_sent");
  w.Uint64(s.devices_sent);
  w.Key("simulator");
  w.String(s.simulator);
  w.Key("pipeline");
  w.String(s.pipeline);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::optional<RunState> decode_run_state(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.c_str(), text.size());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("version") || !d["version"].IsInt() ||
      d["version"].GetInt() != 1)
    return std::nullopt;
  for (const char* k : {"fingerprint", "registry", "simulator", "pipeline"})
    if (!d.HasMember(k) || !d[k].IsString()) return std::nullopt;
  if (!d.HasMember("completed") || !d["completed"].IsBool()) return std::nullopt;
  RunState s;
  s.fingerprint = d["fingerprint"].GetString();
  s.registry_hash = d["registry"].GetString();
  s.completed = d["completed"].GetBool();
  if (d.HasMember("completed_at")) {  // absent: not completed, or an older version
    if (!d["completed_at"].IsInt64()) return std::nullopt;
    s.completed_at = d["completed_at"].GetInt64();
  }
  if (d.HasMember("devices_sent")) {  // absent (older buffers): all of them
    if (!d["devices_sent"].IsUint64()) return std::nullopt;
    s.devices_sent = d["devices_sent"].GetUint64();
  }
  s.simulator.assign(d["simulator"].GetString(), d["simulator"].GetStringLength());
  s.pipeline.assign(d["pipeline"].GetString(), d["pipeline"].GetStringLength());
  return s;
}

std::string config_fingerprint(const Options& o) {
  const auto& s = o.simulator;
  const auto& p = o.pipeline;
  std::string t = o.gateway.id + "|" + std::to_string(s.enabled) + "|" + std::to_string(s.seed) +
                  "|" + std::to_string(static_cast<int>(s.clock)) + "|";
  if (s.clock == ClockKind::virtual_time) t += std::to_string(s.start_time);
  t += "|" + (s.duration ? std::to_string(*s.duration) : std::string("-"));
  for (const auto& st : s.stores)
    t += "|" + st.id + "," + st.name + "," + st.city + "," + st.region + "," + st.country_code +
         "," + st.timezone + "," + std::to_string(st.lat) + "," + std::to_string(st.lon) + "," +
         std::to_string(st.devices);
  t += "|" + s.devices_file.value_or("-") + "|" + std::to_string(s.sales_interval) + "|" +
       std::to_string(s.amount_min) + "-" + std::to_string(s.amount_max) + "|" +
       std::to_string(s.access_interval) + "|" + std::to_string(s.rejected_ratio);
  for (const auto& d : s.disruptions)
    t += "|" + d.store.value_or("-") + "," + std::to_string(d.lat) + "," + std::to_string(d.lon) +
         "," + std::to_string(d.radius_m) + "," + std::to_string(d.rejected_ratio) + "," +
         time_spec_text(d.from) + "," + time_spec_text(d.until);
  t += "|" + std::to_string(s.max_delay) + "|" + std::to_string(p.watermark_delay) + "|" +
       std::to_string(p.sales_window) + "|" + std::to_string(p.alerts.window) + "/" +
       std::to_string(p.alerts.slide) + "|" + std::to_string(p.alerts.k_sigma) + "|" +
       std::to_string(p.alerts.min_excess);
  return hex(hash_string(t));
}

std::string registry_fingerprint(const DeviceRegistry& r) {
  DrawKey k(0);
  for (const auto& d : r.all())
    k = k.combine(d.id).combine(d.store_id).combine(d.loc).combine(d.city).combine(d.region);
  return hex(k.bits());
}

}  // namespace gw
