// The run loop: sources -> pipeline -> buffer, on one thread. Commits each batch of records
// with the run state (so a restart resumes where the last commit left off), publishes to the
// StatusBoard, applies reloaded options and, on the realtime clock, handles wall-clock jumps:
// a forward jump skips the gap (no burst of simulated events, no flood of windows), a backward
// one holds the simulator until the clock is back where it was (windows that fired stay
// fired). Jumps are logged and counted. Events pushed over HTTP wake it: every batch waiting is
// committed together at once, and each is answered with what that commit did with it.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "app/run_state.h"
#include "app/status_board.h"
#include "buffer/buffer.h"
#include "config/options.h"
#include "core/clock.h"
#include "core/clock_jump.h"
#include "core/stop_signal.h"
#include "pipeline/pipeline.h"
#include "sources/ingest_queue.h"
#include "sources/simulator.h"

namespace gw {

struct RunLoopHooks {
  std::function<void()> every_minute;  // realtime: the progress line
  std::function<void()> each_turn;     // e.g. the systemd watchdog
  // Asked each turn: the options to run with from now on, after a reload.
  std::function<std::optional<Options>()> reload;
};

class RunLoop {
 public:
  // `wall` is the wall clock (injected so tests can step it and make it jump).
  RunLoop(const Options& options, const DeviceRegistry& registry, Buffer& buffer,
          StatusBoard& board, IngestQueue& ingest, StopSignal& stop, Clock& wall);

  // Picks up where the last commit left off, if that commit belongs to this config.
  void resume();
  // Runs until a bounded run completed (true) or a stop was requested (false).
  bool run(const RunLoopHooks& hooks);

  const Pipeline& pipeline() const { return *pipeline_; }
  PipelineStatus status() const;
  const Options& options() const { return o_; }
  // resume() found a bounded run that had completed: there is only draining left to do.
  bool resumed_completed() const { return resumed_completed_; }

 private:
  void fresh_start(std::optional<TimeMs> start = std::nullopt);
  // committed; dropped_full: the commit dropped records of its own (drop_oldest);
  // not_committed: stopping while the buffer could not take them.
  IngestQueue::Outcome commit();
  void apply(const Options& effective);
  // Notices a wall-clock jump since the last turn: the buffer's times follow it; in realtime
  // mode the simulated sensors skip a forward gap.
  void check_clock(TimeMs now);

  Options o_;
  const DeviceRegistry& registry_;
  Buffer& buffer_;
  StatusBoard& board_;
  IngestQueue& ingest_;
  StopSignal& stop_;
  Clock& wall_;
  bool realtime_;
  VirtualClock virtual_clock_;
  ClockJumpDetector jumps_;
  std::uint64_t jumps_forward_ = 0, jumps_backward_ = 0;
  TimeMs start_ = 0;
  std::unique_ptr<Pipeline> pipeline_;
  std::unique_ptr<Simulator> simulator_;
  RunState state_;
  bool resumed_completed_ = false;
  RecordBatch pending_;
  std::size_t counted_ = 0;         // records of pending_ already in pending_bytes_
  std::int64_t pending_bytes_ = 0;  // uncompressed
  std::int64_t commit_bytes_ = 0;
  std::size_t devices_next_ = 0;             // the next device for the devices stream
  DurationMs realtime_commit_interval_ = 5;  // see run_loop.cpp; set from the run state's size
};

}  // namespace gw
