#include "app/config_reload.h"

#include <functional>

namespace gw {
namespace {

// A key that applies live: compares current and loaded, copies the loaded value.
struct LiveKey {
  const char* name;
  std::function<bool(const Options&, const Options&)> same;
  std::function<void(Options&, const Options&)> take;
};

// A part of the configuration that needs a restart; compared after the live keys were taken.
struct RestartKey {
  const char* name;
  std::function<bool(const Options&, const Options&)> same;
};

#define GW_LIVE(NAME, FIELD)                                                     \
  LiveKey {                                                                      \
    NAME, [](const Options& a, const Options& b) { return a.FIELD == b.FIELD; }, \
        [](Options& a, const Options& b) { a.FIELD = b.FIELD; }                  \
  }
#define GW_RESTART(NAME, FIELD)                                                 \
  RestartKey {                                                                  \
    NAME, [](const Options& a, const Options& b) { return a.FIELD == b.FIELD; } \
  }

const std::vector<LiveKey>& live_keys() {
  static const std::vector<LiveKey> keys = {
      GW_LIVE("simulator.sales.amount.min", simulator.amount_min),
      GW_LIVE("simulator.sales.amount.max", simulator.amount_max),
      GW_LIVE("simulator.access.rejected_ratio", simulator.rejected_ratio),
      GW_LIVE("simulator.disruptions", simulator.disruptions),
      GW_LIVE("pipeline.alerts.k_sigma", pipeline.alerts.k_sigma),
      GW_LIVE("pipeline.alerts.min_excess", pipeline.alerts.min_excess),
      GW_LIVE("buffer.max_bytes", buffer.max_bytes),
      GW_LIVE("buffer.max_age", buffer.max_age),
      GW_LIVE("buffer.when_full", buffer.when_full),
      GW_LIVE("http.token", http.token),
      GW_LIVE("gateway.shutdown_timeout", gateway.shutdown_timeout),
  };
  return keys;
}

const std::vector<RestartKey>& restart_keys() {
  static const std::vector<RestartKey> keys = {
      GW_RESTART("gateway.id", gateway.id),
      GW_RESTART("gateway.data_dir", gateway.data_dir),
      GW_RESTART("simulator", simulator),
      GW_RESTART("pipeline", pipeline),
      GW_RESTART("buffer.sync", buffer.sync),
      GW_RESTART("sinks.file", sinks.file),
      GW_RESTART("sinks.kafka", sinks.kafka),
      GW_RESTART("sinks.kafka.topics", sinks.topics),
      GW_RESTART("sinks.druid", sinks.druid),
      GW_RESTART("http.listen", http.listen),
      GW_RESTART("http.max_body", http.max_body),
      GW_RESTART("http.max_connections", http.max_connections),
      GW_RESTART("http.request_timeout", http.request_timeout),
      GW_RESTART("http.allowed_hosts", http.allowed_hosts),
      GW_RESTART("http.allowed_origins", http.allowed_origins),
  };
  return keys;
}

#undef GW_LIVE
#undef GW_RESTART

}  // namespace

ReloadPlan plan_reload(const Options& current, const Options& loaded) {
  ReloadPlan plan{current, {}, {}};
  for (const auto& k : live_keys()) {
    if (k.same(current, loaded)) continue;
    k.take(plan.effective, loaded);
    plan.applied.emplace_back(k.name);
  }
  for (const auto& k : restart_keys())
    if (!k.same(plan.effective, loaded)) plan.need_restart.emplace_back(k.name);
  return plan;
}

}  // namespace gw
