#include "pipeline/pipeline.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cstdio>
#include <initializer_list>

#include "core/log.h"
#include "pipeline/alert_rule.h"

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

bool is_power_of_ten(std::uint64_t n) {
  while (n >= 10 && n % 10 == 0) n /= 10;
  return n == 1;
}

// A time as ISO 8601 where it can be written so, else as epoch ms.
std::string time_text(TimeMs t) {
  return t >= 0 && t <= kLatestEventTime ? format_iso8601(t) : std::to_string(t) + " ms";
}

std::string cat(std::initializer_list<std::string_view> parts) {
  std::string s;
  for (const auto p : parts) s += p;
  return s;
}

const Value* member(const Value& obj, const char* name) {
  if (!obj.IsObject()) return nullptr;
  const auto it = obj.FindMember(name);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

std::string_view text(const Value& v) {
  return {v.GetString(), v.GetStringLength()};
}

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

Pipeline::Pipeline(const PipelineOptions& options, const DeviceRegistry& registry,
                   RecordEncoder encoder, const Clock* realtime)
    : options_(options),
      registry_(registry),
      encoder_(std::move(encoder)),
      realtime_(realtime),
      ceiling_(ceiling()),
      watermark_(options.watermark_delay),
      sales_(options.sales_window, static_cast<std::size_t>(options.max_open_windows)),
      alerts_(options.alerts.window, options.alerts.slide,
              static_cast<std::size_t>(options.max_open_windows)) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(registry.ids_hash()));
  devices_hash_ = hex;
}

std::size_t Pipeline::emit_registry(RecordBatch& out, std::size_t first, std::size_t count) const {
  const std::size_t end =
      first + std::min(count, registry_.size() - std::min(first, registry_.size()));
  for (std::size_t i = first; i < end; ++i)
    encoder_.device(registry_.at(static_cast<std::uint32_t>(i)), out.next());
  return end;
}

TimeMs Pipeline::ceiling() const {
  if (!realtime_) return kLatestEventTime;
  return std::min(kLatestEventTime, add_saturated(realtime_->now(), options_.max_future));
}

void Pipeline::count_refusal(std::uint64_t PipelineCounters::*counter, std::string_view what) {
  const std::uint64_t n = ++(counters_.*counter);
  if (is_power_of_ten(n))  // logged at the 1st, 10th, 100th, ... of its kind
    log::warn(cat({what, " (", std::to_string(n), " so far)"}));
}

void Pipeline::process(const Event& event, RecordBatch& out) {
  const TimeMs t = event_time(event);
  if (t > ceiling_) ceiling_ = ceiling();
  const bool ahead = t > ceiling_;
  if (const auto* sale = std::get_if<SaleEvent>(&event))
    on_sale(*sale, ahead, out);
  else
    on_access(std::get<AccessEvent>(event), ahead, out);
  if (ahead) {
    count_refusal(&PipelineCounters::too_far_ahead,
                  cat({"an event at ", time_text(t), " lies beyond ", time_text(ceiling_),
                       realtime_ ? " (now + pipeline.max_future)" : "",
                       ": forwarded raw, kept out of the windows and the watermark"}));
    return;
  }
  const TimeMs before = watermark_.value();
  if (watermark_.observe(t) != before) fire(out);
}

void Pipeline::on_sale(const SaleEvent& e, bool ahead, RecordBatch& out) {
  ++counters_.sales_in;
  encoder_.sale(e, out.next());
  if (ahead) return;
  if (sales_.is_late(e.sale_ts, watermark_.value()))
    ++counters_.late_sales;
  else if (!sales_.add(e.store_id, e.sale_ts, e.amount, watermark_.value()))
    count_refusal(&PipelineCounters::window_refused,
                  cat({"a sale of store ", e.store_id.substr(0, 64),
                       " is left out of its window: pipeline.max_open_windows (",
                       std::to_string(options_.max_open_windows), ") sums are open"}));
}

void Pipeline::on_access(const AccessEvent& e, bool ahead, RecordBatch& out) {
  ++counters_.access_in;
  encoder_.event(e, out.next());
  std::optional<std::uint32_t> device;
  if (e.device_index < registry_.size() && registry_.at(e.device_index).id == e.device_id)
    device = e.device_index;
  else
    device = registry_.index_of(e.device_id);
  if (!device) {
    ++counters_.unknown_device_dropped;
    return;
  }
  encoder_.event_geo(e, registry_.at(*device), out.next());
  if (ahead) return;
  if (alerts_.is_late(e.event_ts, watermark_.value())) ++counters_.late_access;
  if (e.rejected && !alerts_.add_rejection(*device, e.event_ts, watermark_.value()))
    count_refusal(&PipelineCounters::window_refused,
                  cat({"a rejection of device ", e.device_id.substr(0, 64),
                       " is left out of a window: pipeline.max_open_windows (",
                       std::to_string(options_.max_open_windows), ") counts are open"}));
}

void Pipeline::advance_watermark(TimeMs t, RecordBatch& out) {
  const TimeMs before = watermark_.value();
  watermark_.advance_to(t);
  if (watermark_.value() != before) fire(out);
}

void Pipeline::fire(RecordBatch& out) {
  const TimeMs wm = watermark_.value();
  WindowReport sales_report{WindowReport::Kind::sales, 0, 0, {}};
  TimeMs current = kTimeMin;
  auto flush_sales = [&] {
    if (!sales_report.summary.empty()) reports_.push_back(std::move(sales_report));
    sales_report = {WindowReport::Kind::sales, 0, 0, {}};
  };
  sales_.fire_until(wm, [&](const SalesAggregate& a) {
    if (a.window_start != current) {
      flush_sales();
      current = a.window_start;
      sales_report.start = a.window_start;
      sales_report.end = a.window_end;
    }
    encoder_.sales_aggregate(a, out.next());
    ++counters_.aggregates_out;
    char buf[160];
    std::snprintf(buf, sizeof buf, "%s%.*s %lld sales, total %lld",
                  sales_report.summary.empty() ? "" : "; ", static_cast<int>(a.store_id.size()),
                  a.store_id.data(), static_cast<long long>(a.sales_count),
                  static_cast<long long>(a.aggregated_sales));
    sales_report.summary += buf;
  });
  flush_sales();

  std::vector<std::int64_t> values;
  alerts_.fire_until(wm, [&](TimeMs start, TimeMs end,
                             std::span<const AlertWindows::DeviceCount> counts) {
    ++counters_.alert_windows_fired;
    values.clear();
    for (const auto& [device, count] : counts) values.push_back(count);
    const auto stats = window_stats(values);
    if (!stats) return;
    // Alerts of one window in deviceId order, so the output does not depend on registry order.
    std::vector<Alert> fired;
    for (const auto& [device, count] : counts) {
      if (!is_anomalous(count, *stats, options_.alerts.k_sigma, options_.alerts.min_excess))
        continue;
      fired.push_back(Alert{start, end, count, registry_.at(device), stats->avg, stats->std});
    }
    std::sort(fired.begin(), fired.end(),
              [](const Alert& a, const Alert& b) { return a.device.id < b.device.id; });
    for (const auto& a : fired) {
      encoder_.alert(a, out.next());
      ++counters_.alerts_out;
      char buf[256];
      std::snprintf(buf, sizeof buf,
                    "device %.*s at store %.*s (%.*s): %lld rejections; window avg %.2f, std %.2f",
                    static_cast<int>(a.device.id.size()), a.device.id.data(),
                    static_cast<int>(a.device.store_id.size()), a.device.store_id.data(),
                    static_cast<int>(a.device.loc.size()), a.device.loc.data(),
                    static_cast<long long>(a.total_count_per_deviceid), a.avg_error_count,
                    a.std_error_count);
      reports_.push_back({WindowReport::Kind::alerts, start, end, buf});
    }
  });
}

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
        cat({"the saved watermark (", time_text(value), ", latest event ", time_text(max_seen),
             ") lies beyond ", time_text(ceiling), realtime_ ? " (now + pipeline.max_future)" : "",
             ": a poisoned state, not resumed"}));

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
