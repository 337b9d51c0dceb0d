#include "pipeline/pipeline.h"

#include <algorithm>
#include <cstdio>

#include "pipeline/alert_rule.h"

namespace gw {

Pipeline::Pipeline(const PipelineOptions& options, const DeviceRegistry& registry,
                   RecordEncoder encoder)
    : options_(options),
      registry_(registry),
      encoder_(std::move(encoder)),
      watermark_(options.watermark_delay),
      sales_(options.sales_window),
      alerts_(options.alerts.window, options.alerts.slide) {}

void Pipeline::emit_registry(std::vector<Record>& out) const {
  for (const auto& d : registry_.all()) out.push_back(encoder_.device(d));
}

void Pipeline::process(const Event& event, std::vector<Record>& out) {
  if (const auto* sale = std::get_if<SaleEvent>(&event))
    on_sale(*sale, out);
  else
    on_access(std::get<AccessEvent>(event), out);
  const TimeMs before = watermark_.value();
  if (watermark_.observe(event_time(event)) != before) fire(out);
}

void Pipeline::on_sale(const SaleEvent& e, std::vector<Record>& out) {
  ++counters_.sales_in;
  out.push_back(encoder_.sale(e));
  if (!sales_.add(sales_.intern(e.store_id), e.sale_ts, e.amount, watermark_.value()))
    ++counters_.late_sales;
}

void Pipeline::on_access(const AccessEvent& e, std::vector<Record>& out) {
  ++counters_.access_in;
  out.push_back(encoder_.event(e));
  const auto device = registry_.index_of(e.device_id);
  if (!device) {
    ++counters_.unknown_device_dropped;
    return;
  }
  out.push_back(encoder_.event_geo(e, registry_.at(*device)));
  if (alerts_.is_late(e.event_ts, watermark_.value())) ++counters_.late_access;
  if (e.rejected) alerts_.add_rejection(*device, e.event_ts, watermark_.value());
}

void Pipeline::advance_watermark(TimeMs t, std::vector<Record>& out) {
  const TimeMs before = watermark_.value();
  watermark_.advance_to(t);
  if (watermark_.value() != before) fire(out);
}

void Pipeline::fire(std::vector<Record>& out) {
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
    out.push_back(encoder_.sales_aggregate(a));
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
      fired.push_back(Alert{start, end, count, &registry_.at(device), stats->avg, stats->std});
    }
    std::sort(fired.begin(), fired.end(),
              [](const Alert& a, const Alert& b) { return a.device->id < b.device->id; });
    for (const auto& a : fired) {
      out.push_back(encoder_.alert(a));
      ++counters_.alerts_out;
      char buf[256];
      std::snprintf(
          buf, sizeof buf, "device %s at store %s (%s): %lld rejections; window avg %.2f, std %.2f",
          a.device->id.c_str(), a.device->store_id.c_str(), a.device->loc.c_str(),
          static_cast<long long>(a.total_count_per_deviceid), a.avg_error_count, a.std_error_count);
      reports_.push_back({WindowReport::Kind::alerts, start, end, buf});
    }
  });
}

}  // namespace gw
