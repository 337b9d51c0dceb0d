// Drops of chunks a sink may have in flight. A chunk dropped (buffer full, max_age) after every
// sink that still needed it had been handed it is not counted as dropped at once: it counts
// only if one of those sinks goes on without delivering it (it confirms a later chunk of the
// stream, or the buffer closes first). A chunk every such sink delivers in the end is not a
// drop. Any other drop counts at once. Not thread-safe: the Buffer's mutex guards it.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <span>
#include <vector>

#include "core/stream.h"

namespace gw {

enum class DropReason;
struct BufferChunk;

struct SettledDrop {
  Stream stream;
  DropReason reason;
  std::int64_t records;
};

class InFlightDrops {
 public:
  // `sink` has been handed chunk `id` of `stream`.
  void handed(std::size_t sink, Stream stream, std::int64_t id);
  // Chunk `id` is dropped while the sinks of `pending` needed it (`sink_bits`: each sink's
  // bit). True: count it now; false: remembered until settled.
  bool counts_now(std::int64_t id, Stream stream, std::int64_t records, DropReason reason,
                  std::int64_t pending, std::span<const std::int64_t> sink_bits);
  // The sink of `bit` delivered `chunks`: the remembered drops that count now.
  std::vector<SettledDrop> confirmed(std::int64_t bit, std::span<const BufferChunk> chunks);
  // Every drop not settled yet: they count (the buffer closes).
  std::vector<SettledDrop> take_all();

 private:
  struct Dropped {
    SettledDrop drop;
    std::int64_t waiting = 0;  // bits of the sinks that may still deliver it
  };
  static constexpr std::size_t kMaxRemembered = 100'000;
  std::vector<std::array<std::int64_t, kStreamCount>> handed_;  // per sink: highest chunk id
  std::map<std::int64_t, Dropped> dropped_;                     // by chunk id
};

}  // namespace gw
