// Posts the Kafka supervisors (druid_specs.h) to Druid: used by `iot-gateway druid provision`
// and, with sinks.druid.provision_supervisors, by the Druid sink at start. Idempotent: posted
// with skipRestartIfUnmodified=true, so Druid restarts a supervisor only if its spec changed.
#pragma once

#include <functional>
#include <string>

#include "config/options.h"
#include "sinks/druid/druid_client.h"

namespace gw {

struct ProvisionReport {
  int posted = 0, failed = 0;
};

// Calls `say` with one line per supervisor ("supervisor SALES (topic SALES, avro): posted").
ProvisionReport provision_supervisors(const Options& options, const DruidClient& client,
                                      const std::function<void(const std::string&)>& say);

}  // namespace gw
