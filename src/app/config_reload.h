// What a reload (SIGHUP) changes. Some keys apply to the running gateway at once; the others
// take effect only after a restart and keep their running values until then (the reload says
// which). Live keys:
//   simulator.sales.amount, simulator.access.rejected_ratio, simulator.disruptions,
//   pipeline.alerts.k_sigma, pipeline.alerts.min_excess,
//   buffer.max_bytes, buffer.max_age, buffer.when_full,
//   http.token, gateway.shutdown_timeout.
#pragma once

#include <string>
#include <vector>

#include "config/options.h"

namespace gw {

struct ReloadPlan {
  Options effective;                      // what the gateway runs with from now on
  std::vector<std::string> applied;       // changed keys that apply now
  std::vector<std::string> need_restart;  // changed keys kept as they were until a restart
};

ReloadPlan plan_reload(const Options& current, const Options& loaded);

}  // namespace gw
