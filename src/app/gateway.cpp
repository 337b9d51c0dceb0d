#include "app/gateway.h"

#include <iostream>
#include <memory>
#include <vector>

#include "core/clock.h"
#include "core/log.h"
#include "pipeline/pipeline.h"
#include "sinks/dispatcher.h"
#include "sinks/sink_factory.h"
#include "sources/registry_builder.h"
#include "sources/simulator.h"

namespace gw {
namespace {

// Event time covered by one iteration of the virtual-clock loop. Only affects batching.
constexpr DurationMs kVirtualStep = 1000;
// Longest realtime sleep, so the idle rule and stop requests are looked at regularly.
constexpr DurationMs kRealtimeTick = 1000;

void log_reports(Pipeline& pipeline, bool realtime) {
  for (const auto& r : pipeline.take_reports()) {
    const std::string span = format_iso8601(r.start) + " to " + format_iso8601(r.end);
    if (r.kind == WindowReport::Kind::sales) {
      const std::string line = "sales window " + span + ": " + r.summary;
      realtime ? log::info(line) : log::debug(line);
    } else {
      const std::string line = "ALERT in window " + span + ": " + r.summary;
      realtime ? log::warn(line) : log::debug(line);
    }
  }
}

void log_summary(const Pipeline& p, const Dispatcher& d) {
  const auto& c = p.counters();
  std::string s = "processed " + std::to_string(c.sales_in) + " sales and " +
                  std::to_string(c.access_in) + " access events; produced " +
                  std::to_string(c.aggregates_out) + " sales aggregates and " +
                  std::to_string(c.alerts_out) + " alerts; late: " + std::to_string(c.late_sales) +
                  " sales, " + std::to_string(c.late_access) +
                  " access events; unknown devices: " + std::to_string(c.unknown_device_dropped);
  for (const auto& sc : d.counters())
    s += "; sink " + sc.name + ": " + std::to_string(sc.delivered) + " records delivered";
  log::info(s);
}

}  // namespace

int run_gateway(const Options& options, StopSignal& stop) {
  Diagnostics errors;
  const DeviceRegistry registry = build_registry(options.simulator, errors);
  if (!errors.empty()) {
    for (const auto& e : errors) std::cerr << e.format() << "\n";
    return kExitConfig;
  }
  SinkSet sink_set = build_sinks(options);
  if (!sink_set.error.empty()) {
    log::error(sink_set.error);
    return kExitRuntime;
  }
  if (sink_set.sinks.empty()) log::warn("no sink is enabled: records are produced and discarded");

  SystemClock wall;
  const bool realtime = options.simulator.clock == ClockKind::realtime;
  VirtualClock virtual_clock(options.simulator.start_time);
  const TimeMs start = realtime ? wall.now() : options.simulator.start_time;

  Pipeline pipeline(options.pipeline, registry, RecordEncoder(options.gateway.id));
  Dispatcher dispatcher(std::move(sink_set.sinks), wall, stop, options.gateway.shutdown_timeout);
  std::unique_ptr<Source> source;
  if (options.simulator.enabled)
    source = std::make_unique<Simulator>(options.simulator, registry, start);

  log::info("started: gateway " + options.gateway.id + ", " + std::to_string(registry.size()) +
            " devices, " + (realtime ? "realtime" : "virtual") + " clock from " +
            format_iso8601(start));

  std::vector<Event> events;
  std::vector<Record> out;
  pipeline.emit_registry(out);
  dispatcher.deliver(out);
  out.clear();

  TimeMs last_arrival = wall.now();
  bool completed = false;
  while (!stop.stop_requested()) {
    if (source && source->finished()) {
      pipeline.finish(out);
      log_reports(pipeline, realtime);
      dispatcher.deliver(out);
      out.clear();
      completed = true;
      break;
    }
    TimeMs now;
    if (realtime) {
      now = wall.now();
    } else {
      const TimeMs next = source ? source->next_arrival() : kTimeMax;
      now = next >= kTimeMax - kVirtualStep ? next : next + kVirtualStep - 1;
      virtual_clock.advance_to(now);
    }
    events.clear();
    if (source) source->poll(now, events);
    for (const Event& e : events) pipeline.process(e, out);
    if (realtime) {
      if (!events.empty())
        last_arrival = now;
      else if (now - last_arrival >= options.pipeline.idle_timeout)
        pipeline.advance_watermark(now - options.pipeline.watermark_delay, out);
    }
    log_reports(pipeline, realtime);
    dispatcher.deliver(out);
    out.clear();
    if (realtime || !source) {
      const TimeMs next = source ? source->next_arrival() : kTimeMax;
      wall.sleep_until(std::min(next, wall.now() + kRealtimeTick), stop);
    }
  }
  if (!out.empty()) dispatcher.deliver(out);
  log_summary(pipeline, dispatcher);
  log::info(completed ? "bounded run complete: every window fired and every sink drained"
                      : "stopped");
  return kExitOk;
}

}  // namespace gw
