#include "sinks/druid/supervisor_provisioning.h"

#include "sinks/druid/druid_specs.h"

namespace gw {

ProvisionReport provision_supervisors(const Options& options, const DruidClient& client,
                                      const std::function<void(const std::string&)>& say) {
  ProvisionReport report;
  const StreamSet streams = druid_supervisor_streams(options);
  for (const Stream s : kAllStreams) {
    if (!streams[stream_index(s)]) continue;
    const bool avro = options.sinks.kafka.formats[stream_index(s)] == ValueFormat::avro;
    const std::string what = "supervisor " + options.sinks.druid.datasource(s) + " (topic " +
                             options.sinks.topic(s) + ", " + (avro ? "avro" : "json") + ")";
    const DruidAnswer a = client.post_supervisor(druid_supervisor_spec(options, s));
    if (a.reached && a.status >= 200 && a.status < 300) {
      ++report.posted;
      say(what + ": posted (restarted by Druid only if its spec changed)");
    } else {
      ++report.failed;
      say(what + ": " + a.message);
    }
  }
  return report;
}

}  // namespace gw
