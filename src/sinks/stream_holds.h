// The streams a sink answered not_ready for (DeliveryResult::not_ready): each is held back
// from the sink for a backoff (100 ms doubling to 5 s, jittered), then handed over again with
// Batch::resumed, while the other streams go on. A result for a batch handed over before the
// hold started (a later batch already in flight) does not start another one. For the
// SinkRunner's thread only.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "buffer/buffer.h"
#include "core/stream.h"
#include "core/time.h"

namespace gw {

class StreamHolds {
 public:
  using Generations = std::array<std::uint64_t, kStreamCount>;

  // `ahead` with the streams held at `now` looking done: nothing of them is read.
  SinkCursor visible(const SinkCursor& ahead, TimeMs now) const;
  // For a batch of `chunks` about to be handed over: the streams it resumes (Batch::resumed).
  StreamSet resume(std::span<const BufferChunk> chunks);
  const Generations& generations() const { return generation_; }
  // The answer for a batch handed over at `handed`: the streams whose hold starts now.
  StreamSet hold(const StreamSet& not_ready, const Generations& handed, TimeMs now);
  // These streams were delivered, ready: their backoff starts over.
  void ready(const StreamSet& streams);
  // Some stream is held or has not been delivered since its hold.
  bool any() const;

 private:
  std::array<TimeMs, kStreamCount> until_{};
  std::array<DurationMs, kStreamCount> backoff_{};
  StreamSet to_resume_{}, stuck_{};
  Generations generation_{};
  std::uint64_t draws_ = 0;
};

}  // namespace gw
