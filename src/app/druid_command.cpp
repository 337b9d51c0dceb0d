#include "app/druid_command.h"

#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <iostream>

#include "app/gateway.h"
#include "core/secrets.h"
#include "sinks/druid/druid_client.h"
#include "sinks/druid/druid_specs.h"
#include "sinks/druid/supervisor_provisioning.h"

namespace gw {
namespace {

void write_pretty(rapidjson::PrettyWriter<rapidjson::StringBuffer>& w, const std::string& json) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
  d.Accept(w);
}

std::string stream_list() {
  std::string out;
  for (auto n : kStreamNames) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

}  // namespace

int druid_spec_command(const Options& options, const std::string& name) {
  const auto stream = stream_from_name(name);
  if (!stream) {
    std::cerr << "iot-gateway: unknown stream '" << name << "'; streams are " << stream_list()
              << "\n";
    return kExitConfig;
  }
  if (!druid_supervisor_streams(options)[stream_index(*stream)]) {
    std::cerr << "iot-gateway: the " << name
              << " stream is pushed to Druid as batch tasks (sinks.druid.streams), so it has no "
                 "Kafka supervisor; take it out of sinks.druid.streams to ingest it from Kafka "
                 "instead\n";
    return kExitConfig;
  }
  rapidjson::StringBuffer buf;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
  write_pretty(w, druid_supervisor_spec(options, *stream));
  std::cout << mask_url_credentials(buf.GetString()) << "\n";
  return kExitOk;
}

int druid_provision_command(const Options& options, bool dry_run) {
  if (dry_run) {
    rapidjson::StringBuffer buf;
    rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
    w.StartArray();
    const StreamSet streams = druid_supervisor_streams(options);
    for (const Stream s : kAllStreams)
      if (streams[stream_index(s)]) write_pretty(w, druid_supervisor_spec(options, s));
    w.EndArray();
    std::cout << mask_url_credentials(buf.GetString()) << "\n";
    return kExitOk;
  }
  const DruidClient client(options.sinks.druid);
  std::cout << "posting Kafka supervisors to " << mask_url_credentials(client.url()) << "\n";
  const ProvisionReport r = provision_supervisors(options, client, [](const std::string& line) {
    std::cout << "  " << mask_url_credentials(line) << "\n";
  });
  std::cout << r.posted << " posted, " << r.failed << " failed\n";
  return r.failed == 0 ? kExitOk : kExitRuntime;
}

}  // namespace gw
