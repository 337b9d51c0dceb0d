// Drives one sink from the buffer on its own thread: reads the chunks it has not confirmed
// (alerts and aggregates first, each stream in order), delivers several at a time as the
// sink's BatchPolicy allows, and confirms them only after the sink answered `delivered`.
// `retry` keeps the chunks and backs off (100 ms doubling to 5 s, jittered); `rejected` moves
// them to the buffer's dead letters (counted); the rejected_records of a `delivered` batch go
// to the dead letters one by one (counted as failed, logged once per batch) and the chunks are
// confirmed; the chunks of its not_ready streams are kept and those streams held back for a
// backoff (see StreamHolds) while the others go on. Thread-safe accessors for the counters.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "buffer/buffer.h"
#include "core/histogram.h"
#include "sinks/sink.h"

namespace gw {

class SinkRunner {
 public:
  SinkRunner(std::unique_ptr<Sink> sink, std::size_t index, Buffer& buffer, Clock& wall_clock);
  ~SinkRunner();
  SinkRunner(const SinkRunner&) = delete;
  SinkRunner& operator=(const SinkRunner&) = delete;

  void start();
  // Drain what is in the buffer for this sink, then stop; give up at `deadline` (wall ms).
  void finish(TimeMs deadline);
  bool done() const { return done_.load(); }
  void join();

  const std::string& name() const { return name_; }
  std::uint64_t delivered() const { return delivered_.load(); }
  std::uint64_t delivered(Stream s) const { return by_stream_[stream_index(s)].delivered.load(); }
  std::uint64_t retried(Stream s) const { return by_stream_[stream_index(s)].retried.load(); }
  std::uint64_t failed(Stream s) const { return by_stream_[stream_index(s)].failed.load(); }
  bool healthy() const { return healthy_.load(); }
  // Ready: the last batch was delivered and, where the sink knows, its destination is
  // reachable (all Kafka brokers down turns this false within about a second, not only when
  // messages time out).
  bool ready() const { return healthy() && connected() != false; }
  std::optional<bool> connected() const { return sink_->connected(); }
  std::vector<SinkMetric> metrics() const { return sink_->metrics(); }
  std::string last_error() const;
  // Time from handing a batch to the sink to its answer.
  const Histogram& latency() const { return latency_; }

 private:
  void run();
  void log_rejected(std::span<const RejectedView> rejected);
  std::vector<BufferChunk> collect(const SinkCursor& cursor, const BatchPolicy& policy,
                                   std::size_t max_chunks);

  std::unique_ptr<Sink> sink_;
  std::string name_;
  std::size_t index_;
  Buffer& buffer_;
  Clock& clock_;
  std::thread thread_;
  std::atomic<bool> finishing_{false};
  std::atomic<TimeMs> deadline_{kTimeMax};
  std::atomic<bool> done_{false};
  std::atomic<std::uint64_t> delivered_{0};
  struct StreamCounts {
    std::atomic<std::uint64_t> delivered{0}, retried{0}, failed{0};  // records
  };
  std::array<StreamCounts, kStreamCount> by_stream_;
  std::atomic<bool> healthy_{true};
  mutable std::mutex error_mutex_;
  std::string last_error_;
  Histogram latency_;
  Wakeup wake_;
};

}  // namespace gw
