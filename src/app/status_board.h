// What the run loop publishes for the HTTP endpoint: pipeline counters and watermark, records
// produced per stream, the latest aggregates and alerts. Written by the run loop, read by the
// HTTP thread; thread-safe (one mutex, short critical sections, copies out).
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "core/stream.h"
#include "core/time.h"
#include "pipeline/pipeline.h"

namespace gw {

struct PipelineStatus {
  PipelineCounters counters;
  TimeMs watermark = kTimeMin;
  TimeMs max_event_time = kTimeMin;
  TimeMs last_progress = 0;  // wall ms of the run loop's last turn
  bool completed = false;    // a bounded run has fired everything
  // Event time the run started at (a realtime run resumed keeps its first start): a window
  // that began before it holds only part of its events.
  TimeMs run_start = kTimeMin;
  bool running = false;  // the run loop is turning (false before start and after stop)
  std::array<std::uint64_t, kStreamCount> produced{};
  std::uint64_t clock_jumps_forward = 0, clock_jumps_backward = 0;  // realtime wall clock
};

class StatusBoard {
 public:
  static constexpr std::size_t kRecentAggregates = 600;
  static constexpr std::size_t kRecentAlerts = 200;

  // Run loop: after each turn. `records` are the ones just committed to the buffer.
  void publish(const PipelineStatus& status, std::span<const Record> records);
  void set_running(bool running, TimeMs wall_now);

  PipelineStatus status() const;
  // Reloads (SIGHUP) by outcome.
  void count_reload(bool applied);
  std::uint64_t reloads_applied() const;
  std::uint64_t reloads_refused() const;
  std::vector<std::string> recent(Stream stream) const;  // JSON values, oldest first

 private:
  mutable std::mutex mutex_;
  PipelineStatus status_;
  std::deque<std::string> aggregates_, alerts_;
  std::uint64_t reloads_applied_ = 0, reloads_refused_ = 0;
};

}  // namespace gw
