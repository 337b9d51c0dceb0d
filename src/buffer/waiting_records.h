// Records the buffer keeps for a sink that no longer takes them: pending for a sink that was not
// enabled at the last gateway start, or of a stream that sink no longer took. Each start stores
// its sink setup (names and streams) in the database, so that `buffer stats` can tell them too.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "buffer/sqlite.h"
#include "core/stream.h"

namespace gw {

struct WaitingRecords {
  std::string sink;
  Stream stream = Stream::sales;
  std::int64_t records = 0;
  bool sink_disabled = false;  // else the sink is enabled but no longer takes `stream`
};

using SinkSetup = std::vector<std::pair<std::string, StreamSet>>;

void save_sink_setup(sql::Connection& db, const SinkSetup& setup);
// Empty when no setup is stored (a buffer written by an earlier version).
std::vector<WaitingRecords> read_waiting(sql::Connection& db);
// The start's warnings, one per sink: how many records wait, why, and how to discard them.
std::vector<std::string> describe_waiting(const std::vector<WaitingRecords>& waiting);

}  // namespace gw
