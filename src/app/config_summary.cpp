#include "app/config_summary.h"

#include "core/secrets.h"

namespace gw {

std::string config_summary(const Options& o, const DeviceRegistry& registry) {
  const auto& sim = o.simulator;
  std::string s = o.source_file + ": configuration OK\n";
  s += "  gateway:   id " + o.gateway.id + ", data in " + o.gateway.data_dir + "\n";
  if (sim.enabled) {
    s += "  simulator: " +
         std::string(sim.clock == ClockKind::virtual_time ? "virtual" : "realtime") +
         " clock, seed " + std::to_string(sim.seed) + ", " + std::to_string(sim.stores.size()) +
         " stores, " + std::to_string(registry.size()) + " devices, " +
         std::to_string(sim.disruptions.size()) + " disruptions, " +
         (sim.duration ? "duration " + format_duration(*sim.duration) : std::string("no end")) +
         "\n";
  } else {
    s += "  simulator: off\n";
  }
  const auto& p = o.pipeline;
  s += "  pipeline:  sales window " + format_duration(p.sales_window) + ", alert window " +
       format_duration(p.alerts.window) + "/" + format_duration(p.alerts.slide) +
       ", watermark delay " + format_duration(p.watermark_delay) + "\n";
  std::string sinks;
  if (o.sinks.file.enabled) sinks += "file (" + o.sinks.file.path + ")";
  if (o.sinks.kafka.enabled)
    sinks += std::string(sinks.empty() ? "" : ", ") + "kafka (" + o.sinks.kafka.brokers + ")";
  if (o.sinks.druid.enabled) {
    std::string streams;
    for (std::size_t i = 0; i < kStreamCount; ++i)
      if (o.sinks.druid.streams[i])
        streams += (streams.empty() ? "" : " ") + std::string(kStreamNames[i]);
    sinks += std::string(sinks.empty() ? "" : ", ") + "druid (" +
             mask_url_credentials(o.sinks.druid.url) + ": " +
             (streams.empty() ? std::string("no streams") : streams) + " every " +
             format_duration(o.sinks.druid.flush_interval) + ")";
  }
  s += "  sinks:     " + (sinks.empty() ? std::string("none") : sinks) + "\n";
  s += "  http:      " + o.http.listen + "\n";
  return s;
}

}  // namespace gw
