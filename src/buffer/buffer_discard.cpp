// Buffer::waiting() and Buffer::discard(): records kept for sinks that no longer take them.
#include <stdexcept>

#include "buffer/buffer.h"

namespace gw {

std::vector<WaitingRecords> Buffer::waiting() {
  std::lock_guard lock(mutex_);
  return read_waiting(*db_);
}

std::array<std::int64_t, kStreamCount> Buffer::discard(const std::string& sink,
                                                       const StreamSet& streams) {
  std::array<std::int64_t, kStreamCount> dropped{};
  {
    std::lock_guard lock(mutex_);
    db_->exec("BEGIN IMMEDIATE");
    try {
      std::string known;
      std::optional<std::int64_t> bit;
      {
        auto s = db_->prepare("SELECT name, bit FROM sinks ORDER BY name");
        while (s.step()) {
          known += (known.empty() ? "" : ", ") + s.text(0);
          if (s.text(0) == sink) bit = std::int64_t{1} << s.int64(1);
        }
      }
      if (!bit)
        throw std::invalid_argument("this buffer has never had a sink named '" + sink +
                                    "' (it knows: " + (known.empty() ? "none" : known) + ")");
      auto q =
          db_->prepare("SELECT id, stream, records, bytes, pending FROM chunks WHERE pending & ?");
      q.bind(1, *bit);
      std::vector<std::array<std::int64_t, 5>> chunks;
      while (q.step())
        chunks.push_back({q.int64(0), q.int64(1), q.int64(2), q.int64(3), q.int64(4)});
      q.reset();
      auto update = db_->prepare("UPDATE chunks SET pending = ? WHERE id = ?");
      auto remove = db_->prepare("DELETE FROM chunks WHERE id = ?");
      for (const auto& [id, stream, records, bytes, pending] : chunks) {
        const auto i = static_cast<std::size_t>(stream);
        if (i >= kStreamCount || !streams[i]) continue;
        dropped[i] += records;
        if ((pending & ~*bit) != 0) {
          update.bind(1, pending & ~*bit).bind(2, id);
          update.run();
        } else {
          bytes_ -= bytes;
          remove.bind(1, id);
          remove.run();
        }
      }
      for (std::size_t i = 0; i < kStreamCount; ++i)
        add_counter("drops." + std::string(kStreamNames[i]) + "." +
                        std::string(drop_reason_name(DropReason::discarded)),
                    dropped[i]);
      db_->exec("COMMIT");
    } catch (...) {
      db_->exec("ROLLBACK");
      throw;
    }
  }
  changed_.notify();
  return dropped;
}

}  // namespace gw
