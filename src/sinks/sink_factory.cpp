#include "sinks/sink_factory.h"

#include <functional>

#include "sinks/druid/druid_sink.h"
#include "sinks/file/file_sink.h"
#include "sinks/kafka/kafka_sink.h"

namespace gw {
namespace {

struct SinkEntry {
  const char* name;
  std::function<bool(const Options&)> enabled;
  // Returns the sink, or nullptr with `error` set.
  std::function<std::unique_ptr<Sink>(const Options&, std::string& error)> make;
};

// One line per sink kind.
const std::vector<SinkEntry>& sink_table() {
  static const std::vector<SinkEntry> table = {
      {"file", [](const Options& o) { return o.sinks.file.enabled; },
       [](const Options& o, std::string&) -> std::unique_ptr<Sink> {
         return std::make_unique<FileSink>(o.sinks.file.path, o.sinks.topics,
                                           o.buffer.sync == SyncMode::full);
       }},
      {"kafka", [](const Options& o) { return o.sinks.kafka.enabled; },
       [](const Options& o, std::string& error) -> std::unique_ptr<Sink> {
         return KafkaSink::create(o, error);
       }},
      {"druid", [](const Options& o) { return o.sinks.druid.enabled; },
       [](const Options& o, std::string&) -> std::unique_ptr<Sink> {
         return std::make_unique<DruidSink>(o);
       }},
  };
  return table;
}

}  // namespace

SinkSet build_sinks(const Options& options) {
  SinkSet set;
  for (const auto& entry : sink_table()) {
    if (!entry.enabled(options)) continue;
    auto sink = entry.make(options, set.error);
    if (!sink) return set;
    set.sinks.push_back(std::move(sink));
  }
  return set;
}

std::vector<std::pair<std::string, StreamSet>> enabled_sink_streams(const Options& options) {
  std::vector<std::pair<std::string, StreamSet>> out;
  for (const auto& entry : sink_table()) {
    if (!entry.enabled(options)) continue;
    const std::string name = entry.name;
    out.emplace_back(name, name == "druid" ? options.sinks.druid.streams : kEveryStream);
  }
  return out;
}

}  // namespace gw
