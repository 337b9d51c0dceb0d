#include "pipeline/pipeline.h"

#include <algorithm>
#include <cstdio>
#include <initializer_list>

#include "core/log.h"
#include "pipeline/alert_rule.h"

namespace gw {
namespace {

bool is_power_of_ten(std::uint64_t n) {
  while (n >= 10 && n % 10 == 0) n /= 10;
  return n == 1;
}

std::string cat(std::initializer_list<std::string_view> parts) {
  std::string s;
  for (const auto p : parts) s += p;
  return s;
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

bool Pipeline::count_refusal(std::uint64_t PipelineCounters::*counter) {
  return is_power_of_ten(++(counters_.*counter));
}

void Pipeline::log_refusal(std::uint64_t PipelineCounters::*counter, std::string_view what) {
  log::warn(cat({what, " (", std::to_string(counters_.*counter), " so far)"}));
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
    if (count_refusal(&PipelineCounters::too_far_ahead))
      log_refusal(&PipelineCounters::too_far_ahead,
                  cat({"an event at ", format_time_or_ms(t), " lies beyond ",
                       format_time_or_ms(ceiling_), realtime_ ? " (now + pipeline.max_future)" : "",
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
  else if (!sales_.add(e.store_id, e.sale_ts, e.amount, watermark_.value()) &&
           count_refusal(&PipelineCounters::window_refused))
    log_refusal(&PipelineCounters::window_refused,
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
  if (e.rejected && !alerts_.add_rejection(*device, e.event_ts, watermark_.value()) &&
      count_refusal(&PipelineCounters::window_refused))
    log_refusal(&PipelineCounters::window_refused,
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

}  // namespace gw
