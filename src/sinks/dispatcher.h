// Hands each batch of pipeline output to every enabled sink, retrying a sink that answers
// `retry` with capped, jittered exponential backoff (100 ms doubling up to 5 s). Once a stop
// is requested, a sink still failing gets at most `shutdown_timeout` more before the batch is
// given up. Called from the run loop's thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/stop_signal.h"
#include "sinks/sink.h"

namespace gw {

struct SinkCounters {
  std::string name;
  std::uint64_t delivered = 0;  // records
  std::uint64_t rejected = 0;   // records
  std::uint64_t retries = 0;    // failed attempts
  std::uint64_t given_up = 0;   // records left undelivered at shutdown
};

class Dispatcher {
 public:
  Dispatcher(std::vector<std::unique_ptr<Sink>> sinks, Clock& wall_clock, StopSignal& stop,
             DurationMs shutdown_timeout);

  // Returns false if some sink could not take the batch before the shutdown deadline.
  bool deliver(std::span<const Record> batch);
  const std::vector<SinkCounters>& counters() const { return counters_; }
  const std::vector<std::unique_ptr<Sink>>& sinks() const { return sinks_; }

 private:
  bool deliver_to(std::size_t i, std::span<const Record> batch);

  std::vector<std::unique_ptr<Sink>> sinks_;
  std::vector<SinkCounters> counters_;
  Clock& clock_;
  StopSignal& stop_;
  StopSignal backoff_;  // never stopped: backoff sleeps are bounded and not cut short
  DurationMs shutdown_timeout_;
  TimeMs stop_seen_ = kTimeMax;
  std::uint64_t attempts_ = 0;
};

}  // namespace gw
