#include "app/gateway.h"

#include <functional>
#include <iostream>
#include <memory>
#include <vector>

#include "app/http_api.h"
#include "app/run_state.h"
#include "app/status_board.h"
#include "buffer/buffer.h"
#include "core/clock.h"
#include "core/log.h"
#include "http/server.h"
#include "pipeline/pipeline.h"
#include "sinks/sink_factory.h"
#include "sinks/sink_runner.h"
#include "sources/ingest.h"
#include "sources/registry_builder.h"
#include "sources/simulator.h"

namespace gw {
namespace {

// Event time covered by one iteration of the virtual-clock loop. Only affects batching.
constexpr DurationMs kVirtualStep = 1000;
// Realtime loop period: arrivals are taken in batches of this much wall time.
constexpr DurationMs kRealtimeTick = 100;
// A batch is committed once it holds this many records or this much wall time has passed.
constexpr std::size_t kCommitRecords = 20'000;
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

void log_summary(const Pipeline& p, const std::vector<std::unique_ptr<SinkRunner>>& runners) {
  const auto& c = p.counters();
  std::string s = "processed " + std::to_string(c.sales_in) + " sales and " +
                  std::to_string(c.access_in) + " access events; produced " +
                  std::to_string(c.aggregates_out) + " sales aggregates and " +
                  std::to_string(c.alerts_out) + " alerts; late: " + std::to_string(c.late_sales) +
                  " sales, " + std::to_string(c.late_access) +
                  " access events; unknown devices: " + std::to_string(c.unknown_device_dropped);
  for (const auto& r : runners)
    s += "; sink " + r->name() + ": " + std::to_string(r->delivered()) + " records delivered";
  log::info(s);
}

// The running parts of one gateway process.
class Gateway {
 public:
  Gateway(const Options& o, const DeviceRegistry& registry, Buffer& buffer, StatusBoard& board,
          IngestQueue& ingest, StopSignal& stop)
      : o_(o),
        registry_(registry),
        buffer_(buffer),
        board_(board),
        ingest_(ingest),
        stop_(stop),
        realtime_(o.simulator.clock == ClockKind::realtime),
        virtual_clock_(o.simulator.start_time) {
    state_.fingerprint = config_fingerprint(o);
    state_.registry_hash = registry_fingerprint(registry);
    fresh_start();
  }

  void fresh_start(std::optional<TimeMs> start = std::nullopt) {
    start_ = start ? *start : realtime_ ? wall_.now() : o_.simulator.start_time;
    pipeline_ = std::make_unique<Pipeline>(o_.pipeline, registry_, RecordEncoder(o_.gateway.id));
    simulator_.reset();
    if (o_.simulator.enabled)
      simulator_ = std::make_unique<Simulator>(o_.simulator, registry_, start_);
  }

  // Picks up where the last commit left off, if that commit belongs to this config.
  void resume() {
    const auto saved = buffer_.load_state();
    if (!saved) {
      pipeline_->emit_registry(pending_);
      return;
    }
    const auto rs = decode_run_state(*saved);
    std::string error = "unreadable saved state";
    // A realtime run continues the run it was: same start, the downtime skipped below.
    if (rs && realtime_ && simulator_) fresh_start(Simulator::snapshot_start(rs->simulator));
    if (rs && rs->fingerprint == state_.fingerprint && pipeline_->restore(rs->pipeline, error) &&
        (!simulator_ || simulator_->restore(rs->simulator, error))) {
      state_.completed = rs->completed;
      if (realtime_ && simulator_) simulator_->resume_at(wall_.now());
      if (rs->registry_hash != state_.registry_hash) pipeline_->emit_registry(pending_);
      log::info(std::string("resumed from the buffer's last commit") +
                (state_.completed ? " (the bounded run had completed; draining only)" : "") +
                ", watermark " +
                (pipeline_->watermark() == kTimeMin ? std::string("none")
                                                    : format_iso8601(pipeline_->watermark())));
      return;
    }
    if (rs && rs->fingerprint != state_.fingerprint)
      log::warn(
          "the buffer's saved state belongs to another configuration: starting afresh "
          "(records already in the buffer are still delivered)");
    else
      log::warn("cannot resume from the saved state (" + error + "): starting afresh");
    fresh_start();
    pipeline_->emit_registry(pending_);
  }

  // Runs sources -> pipeline -> buffer until completion or a stop. True if a bounded run completed.
  bool run(const std::function<void()>& every_minute) {
    log::info("started: gateway " + o_.gateway.id + ", " + std::to_string(registry_.size()) +
              " devices, " + (realtime_ ? "realtime" : "virtual") + " clock from " +
              format_iso8601(start_) + ", buffer " + buffer_.path());
    TimeMs last_arrival = wall_.now(), last_commit = wall_.now(), last_expire = wall_.now();
    TimeMs last_progress = wall_.now();
    std::vector<Event> events;
    while (!stop_.stop_requested() && !state_.completed) {
      board_.set_running(true, wall_.now());
      if (!buffer_.has_room()) {  // buffer.when_full: block -- the sources pause
        commit();
        buffer_.wait_for_change(500);
        continue;
      }
      if (simulator_ && simulator_->finished()) {
        pipeline_->finish(pending_);
        log_reports(*pipeline_, realtime_);
        state_.completed = true;
        break;
      }
      TimeMs now;
      if (realtime_) {
        now = wall_.now();
      } else {
        const TimeMs next = simulator_ ? simulator_->next_arrival() : kTimeMax;
        now = next >= kTimeMax - kVirtualStep ? next : next + kVirtualStep - 1;
        virtual_clock_.advance_to(now);
      }
      events.clear();
      if (simulator_) simulator_->poll(now, events);
      for (const Event& e : events) pipeline_->process(e, pending_);
      // Events pushed over HTTP: committed right away, and only then acknowledged.
      if (auto batches = ingest_.take(); !batches.empty()) {
        for (const auto& b : batches)
          for (const Event& e : b->events) pipeline_->process(e, pending_);
        last_arrival = wall_.now();
        log_reports(*pipeline_, realtime_);
        ingest_.complete(batches, commit());
        last_commit = wall_.now();
      }
      if (realtime_) {
        if (!events.empty())
          last_arrival = now;
        else if (now - last_arrival >= o_.pipeline.idle_timeout)
          pipeline_->advance_watermark(now - o_.pipeline.watermark_delay, pending_);
      }
      log_reports(*pipeline_, realtime_);
      const TimeMs wall_now = wall_.now();
      for (; counted_ < pending_.size(); ++counted_)
        pending_bytes_ += static_cast<std::int64_t>(pending_[counted_].value.size());
      if (pending_.size() >= kCommitRecords || pending_bytes_ >= commit_bytes_ ||
          (!pending_.empty() && wall_now - last_commit >= kCommitInterval) || realtime_) {
        if (!pending_.empty()) commit();
        last_commit = wall_now;
      }
      if (realtime_ && wall_now - last_progress >= kProgressInterval) {
        every_minute();
        last_progress = wall_now;
      }
      if (wall_now - last_expire >= std::min(kExpireInterval, o_.buffer.max_age / 2)) {
        buffer_.expire();
        last_expire = wall_now;
      }
      if (realtime_ || !simulator_) wall_.sleep_until(wall_now + kRealtimeTick, stop_);
    }
    commit();
    board_.publish(status(), {});
    board_.set_running(false, wall_.now());
    if (state_.completed) log::info("bounded run: every window has fired; draining the sinks");
    return state_.completed;
  }

  const Pipeline& pipeline() const { return *pipeline_; }

  PipelineStatus status() const {
    PipelineStatus st;
    st.counters = pipeline_->counters();
    st.watermark = pipeline_->watermark();
    st.max_event_time = pipeline_->max_event_time();
    st.last_progress = wall_.now();
    st.completed = state_.completed;
    return st;
  }

 private:
  // Commits the pending records with the state they leave behind, retrying while the buffer
  // cannot take them (full with `block`, or a failing disk) unless a stop is requested.
  bool commit() {
    state_.pipeline = pipeline_->snapshot();
    state_.simulator = simulator_ ? simulator_->snapshot() : std::string();
    const std::string state = encode_run_state(state_);
    bool ok = true;
    while (true) {
      const CommitResult r = buffer_.commit(pending_, &state);
      if (r == CommitResult::ok) {
        board_.publish(status(), pending_);
        break;
      }
      if (stop_.stop_requested()) {
        log::error(
            "stopping with " + std::to_string(pending_.size()) +
            " records that the buffer could not take; they are produced again after a restart");
        ok = false;
        break;
      }
      buffer_.wait_for_change(r == CommitResult::no_room ? 500 : 1000);
    }
    pending_.clear();
    counted_ = 0;
    pending_bytes_ = 0;
    return ok;
  }

  const Options& o_;
  const DeviceRegistry& registry_;
  Buffer& buffer_;
  StatusBoard& board_;
  IngestQueue& ingest_;
  StopSignal& stop_;
  bool realtime_;
  SystemClock wall_;
  VirtualClock virtual_clock_;
  TimeMs start_ = 0;
  std::unique_ptr<Pipeline> pipeline_;
  std::unique_ptr<Simulator> simulator_;
  RunState state_;
  std::vector<Record> pending_;
  std::size_t counted_ = 0;         // records of pending_ already in pending_bytes_
  std::int64_t pending_bytes_ = 0;  // uncompressed
  // Batches stay a small fraction of the buffer's cap, so the cap holds closely.
  std::int64_t commit_bytes_ = std::max<std::int64_t>(64 * 1024, o_.buffer.max_bytes / 4);
};

}  // namespace

int run_gateway(const Options& options, StopSignal& stop) {
  Diagnostics errors;
  const DeviceRegistry registry = build_registry(options.simulator, errors);
  if (!errors.empty()) {
    for (const auto& e : errors) std::cerr << e.format() << "\n";
    return kExitConfig;
  }
  SinkSet sink_set = build_sinks(options);
  if (!sink_set.error.empty()) {
    log::error(sink_set.error);
    return kExitRuntime;
  }
  if (sink_set.sinks.empty()) log::warn("no sink is enabled: records are produced and discarded");
  std::vector<BufferSink> buffer_sinks;
  for (const auto& s : sink_set.sinks)
    buffer_sinks.push_back({std::string(s->name()), s->streams()});

  SystemClock wall;
  std::unique_ptr<Buffer> buffer;
  try {
    buffer = std::make_unique<Buffer>(options.gateway, options.buffer, buffer_sinks, wall);
  } catch (const std::exception& e) {
    log::error(std::string("cannot open the buffer: ") + e.what());
    return kExitRuntime;
  }

  std::vector<std::unique_ptr<SinkRunner>> runners;
  for (std::size_t i = 0; i < sink_set.sinks.size(); ++i) {
    runners.push_back(std::make_unique<SinkRunner>(std::move(sink_set.sinks[i]), i, *buffer, wall));
    runners.back()->start();
  }

  StatusBoard board;
  IngestQueue ingest;
  // The local endpoint. It must not keep the gateway from collecting data: if it cannot
  // listen, that is logged and the run goes on without it.
  const ApiContext api{options, registry, board, *buffer, runners, wall, wall.now(), &ingest};
  HttpServerOptions http_options;
  http_options.listen = options.http.listen;
  http_options.max_body = static_cast<std::size_t>(options.http.max_body);
  HttpServer http(http_options, make_api_handler(api));
  std::string http_error;
  if (http.start(http_error))
    log::info("http: listening on " + http.bound_address());
  else
    log::error("http: " + http_error + "; running without the local endpoint");

  Gateway gateway(options, registry, *buffer, board, ingest, stop);
  gateway.resume();
  const bool completed = gateway.run([&] {
    std::string line = "progress:";
    for (std::size_t i = 0; i < runners.size(); ++i)
      line += " sink " + runners[i]->name() + " " + std::to_string(runners[i]->delivered()) +
              " records delivered, " + std::to_string(buffer->backlog(i)) + " waiting;";
    log::info(line + " buffer " + std::to_string(buffer->bytes() / 1024) + " KiB");
  });

  ingest.close();  // the run loop takes no more: pushes from now on get 503

  // Drain: a completed bounded run waits for every sink; a stop gives them shutdown_timeout.
  TimeMs deadline =
      stop.stop_requested() ? wall.now() + options.gateway.shutdown_timeout : kTimeMax;
  for (auto& r : runners) r->finish(deadline);
  for (auto& r : runners) {
    while (!r->done()) {
      if (deadline == kTimeMax && stop.stop_requested()) {
        deadline = wall.now() + options.gateway.shutdown_timeout;
        for (auto& other : runners) other->finish(deadline);
      }
      buffer->wait_for_change(100);
    }
    r->join();
  }
  log_summary(gateway.pipeline(), runners);
  log::info(completed ? "bounded run complete: every window fired and every sink drained"
                      : "stopped");
  return kExitOk;
}

}  // namespace gw
