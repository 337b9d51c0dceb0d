#include "sinks/stream_holds.h"

#include <algorithm>
#include <limits>

#include "core/random.h"

namespace gw {

SinkCursor StreamHolds::visible(const SinkCursor& ahead, TimeMs now) const {
  SinkCursor c = ahead;
  for (std::size_t i = 0; i < kStreamCount; ++i)
    if (until_[i] > now) c.after[i] = std::numeric_limits<std::int64_t>::max();
  return c;
}

StreamSet StreamHolds::resume(std::span<const BufferChunk> chunks) {
  StreamSet resumed{};
  for (const BufferChunk& c : chunks) {
    const std::size_t i = stream_index(c.stream);
    resumed[i] = resumed[i] || to_resume_[i];
    to_resume_[i] = false;
  }
  return resumed;
}

StreamSet StreamHolds::hold(const StreamSet& not_ready, const Generations& handed, TimeMs now) {
  StreamSet started{};
  for (std::size_t i = 0; i < kStreamCount; ++i) {
    if (!not_ready[i] || handed[i] != generation_[i]) continue;
    ++generation_[i];
    backoff_[i] = backoff_[i] == 0 ? 100 : std::min<DurationMs>(backoff_[i] * 2, 5000);
    until_[i] = now + DrawKey(++draws_).uniform(backoff_[i] / 2, backoff_[i]);
    to_resume_[i] = stuck_[i] = started[i] = true;
  }
  return started;
}

void StreamHolds::ready(const StreamSet& streams) {
  for (std::size_t i = 0; i < kStreamCount; ++i) {
    if (!streams[i] || to_resume_[i]) continue;
    stuck_[i] = false;
    backoff_[i] = 0;
  }
}

bool StreamHolds::any() const {
  return std::find(stuck_.begin(), stuck_.end(), true) != stuck_.end();
}

}  // namespace gw
