// Pipeline::snapshot and Pipeline::restore: the pipeline's state as JSON ("version": 2).
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <initializer_list>

#include "core/json.h"
#include "core/text.h"
#include "pipeline/pipeline.h"

namespace gw {
namespace {

constexpr int kSnapshotVersion = 2;
using Value = rapidjson::Value;

struct CounterField {
  const char* name;
  std::uint64_t PipelineCounters::*field;
  bool optional;  // absent in snapshots of earlier releases: 0
};
constexpr CounterField kCounterFields[] = {
    {"sales_in", &PipelineCounters::sales_in, false},
    {"access_in", &PipelineCounters::access_in, false},
    {"unknown_device_dropped", &PipelineCounters::unknown_device_dropped, false},
    {"late_sales", &PipelineCounters::late_sales, false},
    {"late_access", &PipelineCounters::late_access, false},
    {"aggregates_out", &PipelineCounters::aggregates_out, false},
    {"alerts_out", &PipelineCounters::alerts_out, false},
    {"alert_windows_fired", &PipelineCounters::alert_windows_fired, false},
    {"too_far_ahead", &PipelineCounters::too_far_ahead, true},
    {"window_refused", &PipelineCounters::window_refused, true},
};

using json::member;
using json::text;

bool get_i64(const Value& obj, const char* name, std::int64_t& out) {
  const Value* v = member(obj, name);
  if (!v || !v->IsInt64()) return false;
  out = v->GetInt64();
  return true;
}

// "stores": [name, ...] and "sales_windows": [{"start": t, "sales": [[store, sum, count]]}].
bool read_sales(const Value& doc, SalesWindows::State& state, std::string& error) {
  const Value* stores = member(doc, "stores");
  const Value* windows = member(doc, "sales_windows");
  if (!stores || !stores->IsArray() || !windows || !windows->IsArray()) {
    error = "\"stores\" or \"sales_windows\" missing or not an array";
    return false;
  }
  for (const auto& name : stores->GetArray()) {
    if (!name.IsString()) {
      error = "a store name is not a string";
      return false;
    }
    state.stores.emplace_back(text(name));
  }
  for (const auto& w : windows->GetArray()) {
    std::int64_t start = 0;
    const Value* sales = member(w, "sales");
    if (!get_i64(w, "start", start) || !sales || !sales->IsArray()) {
      error = "a sales window is not {\"start\", \"sales\"}";
      return false;
    }
    const auto [it, inserted] = state.windows.try_emplace(start);
    auto& accs = it->second;
    accs.resize(state.stores.size());
    for (const auto& c : sales->GetArray()) {
      const bool ok = c.IsArray() && c.Size() == 3 && c[0].IsUint() && c[1].IsInt64() &&
                      c[2].IsInt64() && c[0].GetUint() < accs.size() && c[2].GetInt64() > 0 &&
                      accs[c[0].GetUint()].count == 0;
      if (!inserted || !ok) {
        error = "a sales window is listed twice or has an entry other than [store, sum, count]";
        return false;
      }
      accs[c[0].GetUint()] = {c[1].GetInt64(), c[2].GetInt64()};
    }
  }
  return true;
}

// "alert_windows": [{"start": t, "rejections": [[device index, count], ...]}].
bool read_alerts(const Value& doc, const DeviceRegistry& registry, AlertWindows::State& state,
                 std::string& error) {
  const Value* windows = member(doc, "alert_windows");
  if (!windows || !windows->IsArray()) {
    error = "\"alert_windows\" missing or not an array";
    return false;
  }
  for (const auto& w : windows->GetArray()) {
    std::int64_t start = 0;
    const Value* rejections = member(w, "rejections");
    if (!get_i64(w, "start", start) || !rejections || !rejections->IsArray() ||
        !state.try_emplace(start).second) {
      error = "an alert window is not {\"start\", \"rejections\"} or is listed twice";
      return false;
    }
    for (const auto& c : rejections->GetArray()) {
      if (!c.IsArray() || c.Size() != 2 || !c[0].IsUint() || !c[1].IsInt64()) {
        error = "an alert window has an entry other than [device index, count]";
        return false;
      }
      const std::uint32_t device = c[0].GetUint();
      if (device >= registry.size()) {
        error = cat({"unknown device index ", std::to_string(device)});
        return false;
      }
      state[start].emplace_back(device, c[1].GetInt64());
    }
  }
  return true;
}

}  // namespace

std::string Pipeline::snapshot() const {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("version");
  w.Int(kSnapshotVersion);
  w.Key("kind");
  w.String("pipeline");
  w.Key("devices");  // the registry the device indices refer to
  w.String(devices_hash_);
  w.Key("sales_window");
  w.Int64(options_.sales_window);
  w.Key("alert_window");
  w.Int64(options_.alerts.window);
  w.Key("alert_slide");
  w.Int64(options_.alerts.slide);
  w.Key("watermark");
  w.StartObject();
  w.Key("max_seen");
  w.Int64(watermark_.max_seen());
  w.Key("value");
  w.Int64(watermark_.value());
  w.EndObject();
  w.Key("counters");
  w.StartObject();
  for (const auto& [name, field, optional] : kCounterFields) {
    w.Key(name);
    w.Uint64(counters_.*field);
  }
  w.EndObject();

  const SalesWindows::State sales = sales_.state();
  w.Key("stores");
  w.StartArray();
  for (const auto& name : sales.stores) w.String(name);
  w.EndArray();
  w.Key("sales_windows");
  w.StartArray();
  for (const auto& [start, accs] : sales.windows) {
    w.StartObject();
    w.Key("start");
    w.Int64(start);
    w.Key("sales");  // [store index, sum, count] of the stores with sales
    w.StartArray();
    for (std::uint32_t i = 0; i < accs.size(); ++i) {
      if (accs[i].count == 0) continue;
      w.StartArray();
      w.Uint(i);
      w.Int64(accs[i].sum);
      w.Int64(accs[i].count);
      w.EndArray();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();

  w.Key("alert_windows");
  w.StartArray();
  for (const auto& [start, counts] : alerts_.state()) {
    w.StartObject();
    w.Key("start");
    w.Int64(start);
    w.Key("rejections");  // [device index, count], in device-index order
    w.StartArray();
    for (const auto& [device, count] : counts) {
      w.StartArray();
      w.Uint(device);
      w.Int64(count);
      w.EndArray();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

bool Pipeline::restore(std::string_view data, std::string& error) {
  std::string message;
  const auto fail = [&](std::string_view why) {
    error = cat({"pipeline snapshot: ", why});
    return false;
  };
  rapidjson::Document doc;
  doc.Parse(data.data(), data.size());
  if (doc.HasParseError())
    return fail(cat({"invalid JSON: ", rapidjson::GetParseError_En(doc.GetParseError())}));
  const Value* version = member(doc, "version");
  if (!version || !version->IsInt()) return fail("no \"version\"");
  if (version->GetInt() != kSnapshotVersion)
    return fail(cat({"unsupported version ", std::to_string(version->GetInt())}));
  const Value* kind = member(doc, "kind");
  if (!kind || !kind->IsString() || text(*kind) != "pipeline") return fail("not a pipeline's");
  const Value* devices = member(doc, "devices");
  if (!devices || !devices->IsString() || text(*devices) != devices_hash_)
    return fail("taken with another device registry");
  std::int64_t sales_window = 0, alert_window = 0, alert_slide = 0;
  if (!get_i64(doc, "sales_window", sales_window) || !get_i64(doc, "alert_window", alert_window) ||
      !get_i64(doc, "alert_slide", alert_slide))
    return fail("window sizes missing");
  if (sales_window != options_.sales_window || alert_window != options_.alerts.window ||
      alert_slide != options_.alerts.slide)
    return fail("taken with other window sizes");

  const Value* wm = member(doc, "watermark");
  std::int64_t max_seen = 0, value = 0;
  if (!wm || !get_i64(*wm, "max_seen", max_seen) || !get_i64(*wm, "value", value))
    return fail("\"watermark\" is not {\"max_seen\", \"value\"}");
  const Value* counters = member(doc, "counters");
  PipelineCounters restored_counters;
  for (const auto& [name, field, optional] : kCounterFields) {
    const Value* v = counters ? member(*counters, name) : nullptr;
    if (!v && optional) continue;
    if (!v || !v->IsUint64()) return fail(cat({"counter ", name, " missing"}));
    restored_counters.*field = v->GetUint64();
  }
  const TimeMs ceiling = this->ceiling();
  if ((max_seen != kTimeMin && max_seen > ceiling) || (value != kTimeMax && value > ceiling))
    return fail(
        cat({"the saved watermark (", format_time_or_ms(value), ", latest event ",
             format_time_or_ms(max_seen), ") lies beyond ", format_time_or_ms(ceiling),
             realtime_ ? " (now + pipeline.max_future)" : "", ": a poisoned state, not resumed"}));

  SalesWindows::State sales_state;
  AlertWindows::State alert_state;
  const auto max_open = static_cast<std::size_t>(options_.max_open_windows);
  SalesWindows sales(options_.sales_window, max_open);
  AlertWindows alerts(options_.alerts.window, options_.alerts.slide, max_open);
  if (!read_sales(doc, sales_state, message) ||
      !read_alerts(doc, registry_, alert_state, message) ||
      !sales.restore(std::move(sales_state), message) || !alerts.restore(alert_state, message))
    return fail(message);

  watermark_.restore(max_seen, value);
  sales_ = std::move(sales);
  alerts_ = std::move(alerts);
  counters_ = restored_counters;
  return true;
}

}  // namespace gw
