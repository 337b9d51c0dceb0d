#include "buffer/waiting_records.h"

#include <map>
#include <optional>
#include <sstream>

namespace gw {
namespace {

constexpr const char* kSetupKey = "sink_setup";

// "name streams-bitmask" per line.
std::optional<std::map<std::string, std::int64_t>> load_setup(sql::Connection& db) {
  auto q = db.prepare("SELECT value FROM state WHERE key = ?");
  q.bind(1, std::string_view(kSetupKey));
  if (!q.step()) return std::nullopt;
  std::map<std::string, std::int64_t> setup;
  std::istringstream in(q.blob(0));
  std::string name;
  std::int64_t mask = 0;
  while (in >> name >> mask) setup[name] = mask;
  return setup;
}

}  // namespace

void save_sink_setup(sql::Connection& db, const SinkSetup& setup) {
  std::string value;
  for (const auto& [name, streams] : setup) {
    std::int64_t mask = 0;
    for (std::size_t i = 0; i < kStreamCount; ++i)
      if (streams[i]) mask |= std::int64_t{1} << i;
    value += name + " " + std::to_string(mask) + "\n";
  }
  db.prepare("INSERT OR REPLACE INTO state(key, value) VALUES(?, ?)")
      .bind(1, std::string_view(kSetupKey))
      .bind_blob(2, value)
      .run();
}

std::vector<WaitingRecords> read_waiting(sql::Connection& db) {
  std::vector<WaitingRecords> out;
  const auto setup = load_setup(db);
  if (!setup) return out;
  std::vector<std::pair<std::string, std::int64_t>> sinks;
  {
    auto s = db.prepare("SELECT name, bit FROM sinks ORDER BY name");
    while (s.step()) sinks.emplace_back(s.text(0), s.int64(1));
  }
  auto q = db.prepare(
      "SELECT stream, SUM(records) FROM chunks WHERE pending & ? GROUP BY stream ORDER BY stream");
  for (const auto& [name, bit] : sinks) {
    const auto it = setup->find(name);
    q.bind(1, std::int64_t{1} << bit);
    while (q.step()) {
      const auto stream = static_cast<std::size_t>(q.int64(0));
      if (stream >= kStreamCount) continue;
      const bool disabled = it == setup->end();
      if (!disabled && (it->second >> stream & 1)) continue;
      out.push_back({name, kAllStreams[stream], q.int64(1), disabled});
    }
    q.reset();
  }
  return out;
}

std::vector<std::string> describe_waiting(const std::vector<WaitingRecords>& waiting) {
  std::vector<std::string> lines;
  for (std::size_t i = 0; i < waiting.size();) {
    const std::string& sink = waiting[i].sink;
    std::int64_t total = 0;
    std::string per_stream;
    const bool disabled = waiting[i].sink_disabled;
    for (; i < waiting.size() && waiting[i].sink == sink; ++i) {
      total += waiting[i].records;
      per_stream += (per_stream.empty() ? "" : ", ") + std::string(stream_name(waiting[i].stream)) +
                    " " + std::to_string(waiting[i].records);
    }
    lines.push_back(
        "buffer: " + std::to_string(total) + " records wait for sink " + sink +
        (disabled ? ", which is not enabled" : " in streams it no longer takes") + " (" +
        per_stream +
        "); they are kept (they count toward buffer.max_bytes, expire after buffer.max_age) and "
        "delivered once it takes them again; to drop them, stop the gateway and run `iot-gateway "
        "buffer discard --sink " +
        sink + "` with this run's --config and --set");
  }
  return lines;
}

}  // namespace gw
