#include "app/buffer_discard_command.h"

#include <filesystem>
#include <iostream>
#include <stdexcept>

#include "app/buffer_stats_command.h"
#include "app/gateway.h"
#include "buffer/buffer.h"
#include "core/clock.h"
#include "sinks/sink_factory.h"

namespace gw {
namespace {

std::string stream_list(const StreamSet& streams) {
  std::string out;
  for (std::size_t i = 0; i < kStreamCount; ++i)
    if (streams[i]) out += (out.empty() ? "" : ", ") + std::string(kStreamNames[i]);
  return out;
}

}  // namespace

int buffer_discard_command(const Options& options, const std::string& sink,
                           std::optional<Stream> stream) {
  const auto found = existing_buffer(options);
  if (!found) return kExitRuntime;
  const std::string& path = *found;
  StreamSet chosen{};
  for (std::size_t i = 0; i < kStreamCount; ++i) chosen[i] = !stream || stream_index(*stream) == i;
  StreamSet taken{};
  for (const auto& [name, streams] : enabled_sink_streams(options))
    if (name == sink) taken = streams;
  StreamSet discard{};
  for (std::size_t i = 0; i < kStreamCount; ++i) discard[i] = chosen[i] && !taken[i];
  if (stream_list(discard).empty()) {
    std::cerr << "iot-gateway: sink " << sink << " is enabled in this configuration and takes "
              << stream_list(chosen)
              << ": its records are still to be delivered; nothing discarded (to give them up, "
                 "disable it first: --set sinks."
              << sink << ".enabled=false)\n";
    return kExitConfig;
  }
  SystemClock wall;
  try {
    Buffer buffer(options.gateway, options.buffer, wall);
    const auto dropped = buffer.discard(sink, discard);
    std::int64_t total = 0;
    std::string per_stream;
    for (std::size_t i = 0; i < kStreamCount; ++i) {
      total += dropped[i];
      if (dropped[i] > 0)
        per_stream += (per_stream.empty() ? "" : ", ") + std::string(kStreamNames[i]) + " " +
                      std::to_string(dropped[i]);
    }
    std::cout << "discarded " << total << " records kept for sink " << sink
              << (per_stream.empty() ? "" : " (" + per_stream + ")")
              << "; counted as dropped, reason \"discarded\" (see `iot-gateway buffer stats`)\n";
  } catch (const std::invalid_argument& e) {
    std::cerr << "iot-gateway: " << path << ": " << e.what() << "\n";
    return kExitConfig;
  } catch (const sql::SqliteError& e) {
    if ((e.code() & 0xff) == SQLITE_BUSY)
      std::cerr << "iot-gateway: a gateway is running on " << options.gateway.data_dir
                << ": stop it first, nothing discarded (" << e.what() << ")\n";
    else
      std::cerr << "iot-gateway: cannot discard: " << e.what() << "\n";
    return kExitRuntime;
  }
  return kExitOk;
}

}  // namespace gw
