#include "app/run_loop.h"

#include <algorithm>

#include "core/log.h"

namespace gw {
namespace {

// Event time covered by one iteration of the virtual-clock loop. Only affects batching.
constexpr DurationMs kVirtualStep = 1000;
// Realtime: the longest the loop sleeps (idle watermark, reloads, events pushed over HTTP).
constexpr DurationMs kRealtimeTick = 100;
// Realtime: records are committed (and so reach the sinks) this soon after they arrive, unless
// the run state is so large (many devices) that committing it this often would write more than
// kStateBytesPerSecond: then as often as that budget allows, at least once a second.
constexpr DurationMs kRealtimeCommitInterval = 5;
constexpr DurationMs kRealtimeCommitIntervalMax = 1000;
constexpr std::int64_t kStateBytesPerSecond = 4 << 20;
// A batch is committed once it holds this many records or this much wall time has passed.
constexpr std::size_t kCommitRecords = 20'000;
// The devices stream at the start: this many devices' records per commit.
constexpr std::size_t kDevicesPerCommit = 1'000;
// Realtime catching up: event time taken per turn.
constexpr DurationMs kCatchUpStep = 100;
constexpr DurationMs kCommitInterval = 250;
constexpr DurationMs kExpireInterval = 60'000;
constexpr DurationMs kProgressInterval = 60'000;

void log_reports(Pipeline& pipeline, bool realtime) {
  for (const auto& r : pipeline.take_reports()) {
    const std::string span = format_iso8601(r.start) + " to " + format_iso8601(r.end);
    const std::string line =
        (r.kind == WindowReport::Kind::sales ? "sales window " : "ALERT in window ") + span + ": " +
        r.summary;
    if (!realtime)
      log::debug(line);
    else if (r.kind == WindowReport::Kind::sales)
      log::info(line);
    else
      log::warn(line);
  }
}

// Batches stay a small fraction of the buffer's cap, so the cap holds closely.
std::int64_t commit_bytes_for(const BufferOptions& o) {
  return std::max<std::int64_t>(64 * 1024, o.max_bytes / 4);
}

}  // namespace

RunLoop::RunLoop(const Options& o, const DeviceRegistry& registry, Buffer& buffer,
                 StatusBoard& board, IngestQueue& ingest, StopSignal& stop, Clock& wall)
    : o_(o),
      registry_(registry),
      buffer_(buffer),
      board_(board),
      ingest_(ingest),
      stop_(stop),
      wall_(wall),
      realtime_(o.simulator.clock == ClockKind::realtime),
      virtual_clock_(o.simulator.start_time),
      commit_bytes_(commit_bytes_for(o.buffer)) {
  state_.fingerprint = config_fingerprint(o);
  state_.registry_hash = registry_fingerprint(registry);
  ingest_.set_wake([&stop] { stop.notify(); });
  fresh_start();
}

void RunLoop::fresh_start(std::optional<TimeMs> start) {
  start_ = start ? *start : realtime_ ? wall_.now() : o_.simulator.start_time;
  pipeline_ = std::make_unique<Pipeline>(o_.pipeline, registry_, RecordEncoder(o_.gateway.id),
                                         realtime_ ? &wall_ : nullptr);
  simulator_.reset();
  devices_next_ = 0;
  if (o_.simulator.enabled)
    simulator_ = std::make_unique<Simulator>(o_.simulator, registry_, start_);
}

void RunLoop::resume() {
  const auto saved = buffer_.load_state();
  if (!saved) return;
  const auto rs = decode_run_state(*saved);
  std::string error = "unreadable saved state";
  // A realtime run continues the run it was: same start, the downtime skipped below.
  if (rs && realtime_ && simulator_) fresh_start(Simulator::snapshot_start(rs->simulator));
  if (rs && rs->fingerprint == state_.fingerprint && pipeline_->restore(rs->pipeline, error) &&
      (!simulator_ || simulator_->restore(rs->simulator, error))) {
    state_.completed = rs->completed;
    state_.completed_at = rs->completed_at;
    resumed_completed_ = rs->completed;
    if (realtime_ && simulator_) simulator_->resume_at(wall_.now());
    devices_next_ =
        rs->registry_hash != state_.registry_hash
            ? 0
            : static_cast<std::size_t>(std::min<std::uint64_t>(rs->devices_sent, registry_.size()));
    if (resumed_completed_) {
      log::info("this bounded run completed earlier" +
                (state_.completed_at != 0 ? " (" + format_iso8601(state_.completed_at) + ")"
                                          : std::string()) +
                ": nothing to run, only what the sinks have not confirmed yet is delivered. To "
                "run it again from the start, use an empty gateway.data_dir (or delete " +
                buffer_.path() + " once `iot-gateway buffer stats` shows nothing waiting)");
      return;
    }
    log::info(std::string("resumed from the buffer's last commit") + ", watermark " +
              (pipeline_->watermark() == kTimeMin ? std::string("none")
                                                  : format_iso8601(pipeline_->watermark())));
    return;
  }
  if (rs && rs->fingerprint != state_.fingerprint)
    log::warn(
        "the buffer's saved state belongs to another configuration: starting afresh "
        "(records already in the buffer are still delivered to the sinks that take them)");
  else
    log::warn("cannot resume from the saved state (" + error + "): starting afresh");
  fresh_start();
}

void RunLoop::apply(const Options& effective) {
  o_ = effective;
  if (simulator_) simulator_->update_behaviour(o_.simulator, registry_);
  pipeline_->set_alert_thresholds(o_.pipeline.alerts.k_sigma, o_.pipeline.alerts.min_excess);
  buffer_.set_limits(o_.buffer);
  commit_bytes_ = commit_bytes_for(o_.buffer);
  // A restart with the reloaded file resumes this run.
  state_.fingerprint = config_fingerprint(o_);
}

void RunLoop::check_clock(TimeMs now) {
  const auto jump = jumps_.check(now, wall_.monotonic());
  if (!jump) return;
  // The buffer's ages follow, in either mode: what it holds is as old as it was.
  std::string buffer_note = "; the buffer's record ages are kept";
  try {
    buffer_.follow_clock_jump(*jump);
    buffer_.expire();  // ages re-judged at once: nothing should have become older than it is
  } catch (const std::exception& e) {
    buffer_note =
        std::string("; the buffer's record ages could not be moved along (") + e.what() + ")";
  }
  // Logged to the second: the two clocks are read a few microseconds apart.
  const DurationMs rounded = (*jump + (*jump > 0 ? 500 : -500)) / 1000 * 1000;
  if (*jump > 0) {
    ++jumps_forward_;
    log::warn("the wall clock jumped forward by " + format_duration(rounded) +
              (realtime_ ? "; the simulated sensors skip the gap" : "") + buffer_note);
    if (simulator_ && realtime_) simulator_->resume_at(now);
  } else {
    ++jumps_backward_;
    log::warn("the wall clock jumped back by " + format_duration(-rounded) +
              (realtime_ ? "; the simulated sensors wait until it is back where it was, and "
                           "windows that fired stay fired"
                         : "") +
              buffer_note);
  }
  board_.publish(status(), {});  // on /metrics at once, even while a commit is held up
}

bool RunLoop::run(const RunLoopHooks& hooks) {
  log::info("started: gateway " + o_.gateway.id + ", " + std::to_string(registry_.size()) +
            " devices, " + (realtime_ ? "realtime" : "virtual") + " clock from " +
            format_iso8601(start_) + ", buffer " + buffer_.path());
  TimeMs last_arrival = wall_.now(), last_commit = wall_.monotonic(),
         last_expire = wall_.monotonic(), last_progress = wall_.monotonic();
  std::vector<Event> events;
  while (!stop_.stop_requested() && !state_.completed) {
    board_.set_running(true, wall_.now());
    if (hooks.each_turn) hooks.each_turn();
    if (hooks.reload)
      if (auto effective = hooks.reload()) apply(*effective);
    // The buffer's times are wall-clock times in either mode (realtime: checked with `now`).
    if (!realtime_) check_clock(wall_.now());
    if (!buffer_.has_room()) {  // buffer.when_full: block -- the sources pause
      commit();
      buffer_.wait_for_change(500);
      continue;
    }
    if (devices_next_ < registry_.size()) {  // the devices stream first, a slice a commit
      devices_next_ = pipeline_->emit_registry(pending_, devices_next_, kDevicesPerCommit);
      commit();
      last_commit = wall_.monotonic();
      continue;
    }
    if (simulator_ && simulator_->finished()) {
      pipeline_->finish(pending_);
      log_reports(*pipeline_, realtime_);
      state_.completed = true;
      state_.completed_at = wall_.now();
      break;
    }
    TimeMs now;
    if (realtime_) {
      now = wall_.now();
      check_clock(now);
    } else {
      const TimeMs next = simulator_ ? simulator_->next_arrival() : kTimeMax;
      now = next >= kTimeMax - kVirtualStep ? next : next + kVirtualStep - 1;
      virtual_clock_.advance_to(now);
    }
    events.clear();
    // Realtime, when the loop fell behind (the devices stream at the start, a slow disk): the
    // arrivals are taken kCatchUpStep of event time at a time, each step committed on its own,
    // so that no batch (and no chunk in memory) grows with how far behind it was.
    TimeMs poll_to = now;
    if (realtime_ && simulator_ && simulator_->next_arrival() < now - kCatchUpStep)
      poll_to = simulator_->next_arrival() + kCatchUpStep;
    const bool behind = poll_to < now;
    if (simulator_) simulator_->poll(poll_to, events);
    for (const Event& e : events) pipeline_->process(e, pending_);
    // Events pushed over HTTP: committed right away, and only then answered.
    if (auto batches = ingest_.take(); !batches.empty()) {
      for (const auto& b : batches)
        for (const Event& e : b.events) pipeline_->process(e, pending_);
      last_arrival = wall_.now();
      log_reports(*pipeline_, realtime_);
      const IngestQueue::Outcome outcome = commit();
      ingest_.complete(batches, outcome);
      last_commit = wall_.monotonic();
    }
    if (realtime_) {
      if (!events.empty() || last_arrival > now)
        last_arrival = now;
      else if (now - last_arrival >= o_.pipeline.idle_timeout)
        pipeline_->advance_watermark(now - o_.pipeline.watermark_delay, pending_);
    }
    log_reports(*pipeline_, realtime_);
    const TimeMs mono = wall_.monotonic();
    for (; counted_ < pending_.size(); ++counted_)
      pending_bytes_ += static_cast<std::int64_t>(pending_[counted_].value.size());
    const DurationMs interval = realtime_ ? realtime_commit_interval_ : kCommitInterval;
    if (pending_.size() >= kCommitRecords || pending_bytes_ >= commit_bytes_ ||
        (!pending_.empty() && (behind || mono - last_commit >= interval))) {
      commit();
      last_commit = mono;
    }
    if (realtime_ && mono - last_progress >= kProgressInterval) {
      if (hooks.every_minute) hooks.every_minute();
      last_progress = mono;
    }
    if (mono - last_expire >= std::min(kExpireInterval, o_.buffer.max_age / 2)) {
      buffer_.expire();
      last_expire = mono;
    }
    if ((realtime_ && !behind) || !simulator_) {
      // Until the pending records are due, else until the next event arrives.
      DurationMs wait = kRealtimeTick;
      if (!pending_.empty())
        wait = last_commit + interval - mono;
      else if (simulator_ && realtime_)
        wait = std::min(wait, simulator_->next_arrival() - wall_.now());
      wall_.sleep_for(std::clamp<DurationMs>(wait, 1, kRealtimeTick), stop_);
    }
  }
  commit();
  board_.publish(status(), {});
  board_.set_running(false, wall_.now());
  if (state_.completed && !resumed_completed_)
    log::info("bounded run: every window has fired; draining the sinks");
  return state_.completed;
}

PipelineStatus RunLoop::status() const {
  PipelineStatus st;
  st.counters = pipeline_->counters();
  st.run_start = start_;
  st.watermark = pipeline_->watermark();
  st.max_event_time = pipeline_->max_event_time();
  st.last_progress = wall_.now();
  st.completed = state_.completed;
  st.clock_jumps_forward = jumps_forward_;
  st.clock_jumps_backward = jumps_backward_;
  return st;
}

// Commits the pending records with the state they leave behind, retrying while the buffer
// cannot take them (full with `block`, or a failing disk) unless a stop is requested.
IngestQueue::Outcome RunLoop::commit() {
  state_.devices_sent = devices_next_;
  state_.pipeline = pipeline_->snapshot();
  state_.simulator = simulator_ ? simulator_->snapshot() : std::string();
  const std::string state = encode_run_state(state_);
  realtime_commit_interval_ =
      std::clamp<DurationMs>(static_cast<DurationMs>(state.size()) * 1000 / kStateBytesPerSecond,
                             kRealtimeCommitInterval, kRealtimeCommitIntervalMax);
  // Only `state` is needed from here on: no second copy of large snapshots between commits.
  state_.pipeline = std::string();
  state_.simulator = std::string();
  auto outcome = IngestQueue::Outcome::committed;
  while (true) {
    const CommitResult r = buffer_.commit(pending_, &state);
    if (r == CommitResult::ok) {
      board_.publish(status(), pending_);
      if (r.dropped_own) outcome = IngestQueue::Outcome::dropped_full;
      break;
    }
    if (stop_.stop_requested()) {
      log::error(
          "stopping with " + std::to_string(pending_.size()) +
          " records that the buffer could not take; they are produced again after a restart");
      outcome = IngestQueue::Outcome::not_committed;
      break;
    }
    buffer_.wait_for_change(r == CommitResult::no_room ? 500 : 1000);
    check_clock(wall_.now());  // a gateway held up here still notices the clock stepping
  }
  pending_.clear();  // keeps the records' storage for the next batch (RecordBatch)
  counted_ = 0;
  pending_bytes_ = 0;
  return outcome;
}

}  // namespace gw
