#include "app/gateway.h"

#include <functional>
#include <iostream>
#include <memory>
#include <vector>

#include "app/config_reload.h"
#include "app/http_api.h"
#include "app/live_options.h"
#include "app/run_loop.h"
#include "app/service_notifier.h"
#include "app/status_board.h"
#include "buffer/buffer.h"
#include "core/clock.h"
#include "core/log.h"
#include "http/server.h"
#include "pipeline/pipeline.h"
#include "sinks/sink_factory.h"
#include "sinks/sink_runner.h"
#include "sources/ingest_queue.h"
#include "sources/registry_builder.h"
#include "sources/simulator.h"

namespace gw {
namespace {

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

// How often the STATUS= line for systemd is refreshed.
constexpr DurationMs kServiceStatusInterval = 5000;

// STATUS= for systemd: throughput since the last one, and what the sinks still have to send.
std::string service_status(const PipelineStatus& now, const PipelineStatus& before,
                           DurationMs elapsed, Buffer& buffer,
                           const std::vector<std::unique_ptr<SinkRunner>>& runners) {
  const auto events = [](const PipelineStatus& s) {
    return s.counters.sales_in + s.counters.access_in;
  };
  const double rate = elapsed > 0 ? static_cast<double>(events(now) - events(before)) * 1000.0 /
                                        static_cast<double>(elapsed)
                                  : 0.0;
  std::string s = std::to_string(static_cast<long long>(rate)) + " events/s; backlog";
  for (std::size_t i = 0; i < runners.size(); ++i) {
    std::int64_t backlog = -1;
    try {
      backlog = buffer.backlog(i);
    } catch (const std::exception&) {
    }
    s += " " + runners[i]->name() + " " + std::to_string(backlog) +
         (runners[i]->healthy() ? "" : " (retrying)") + ",";
  }
  if (runners.empty()) s += " none,";
  return s + " buffer " + std::to_string(buffer.bytes() / 1024) + " KiB";
}

// Records kept for sinks that this run does not send them to: per sink at the start (how to
// discard them), their total at the end.
void log_waiting(Buffer& buffer, bool at_start) {
  try {
    const auto waiting = buffer.waiting();
    if (at_start) {
      for (const auto& line : describe_waiting(waiting)) log::warn(line);
      return;
    }
    std::int64_t kept = 0;
    for (const auto& w : waiting) kept += w.records;
    if (kept > 0)
      log::warn("buffer: " + std::to_string(kept) +
                " records still wait for sinks that this run did not send them to (`iot-gateway "
                "buffer stats` lists them)");
  } catch (const std::exception& e) {
    log::error(std::string("buffer: cannot count the records kept for disabled sinks: ") +
               e.what());
  }
}

// SIGHUP: reads the config again; a valid one applies (what can apply live), an invalid one is
// refused with its problems logged and the running configuration kept.
std::optional<Options> reload_config(const ReloadSource& source, LiveOptions& live,
                                     StatusBoard& board, ServiceNotifier& notifier) {
  if (!source.request || !source.request->take()) return std::nullopt;
  notifier.reloading();
  log::info("SIGHUP: reloading the configuration");
  const LoadedConfig loaded = source.load();
  std::optional<Options> result;
  if (!loaded.options) {
    for (const auto& e : loaded.errors) log::error(e);
    log::error("reload refused: " + std::to_string(loaded.errors.size()) +
               (loaded.errors.size() == 1 ? " problem" : " problems") +
               " in the configuration; still running with the previous one");
    board.count_reload(false);
  } else {
    ReloadPlan plan = plan_reload(*live.get(), *loaded.options);
    std::string applied, restart;
    for (const auto& k : plan.applied) applied += (applied.empty() ? "" : ", ") + k;
    for (const auto& k : plan.need_restart) restart += (restart.empty() ? "" : ", ") + k;
    log::info("reload applied: " + (applied.empty() ? std::string("nothing changed") : applied));
    if (!restart.empty())
      log::warn("reload: " + restart +
                " changed; these take effect only after a restart and keep their running values");
    live.set(plan.effective);
    board.count_reload(true);
    result = std::move(plan.effective);
  }
  notifier.ready();
  return result;
}

}  // namespace

int run_gateway(const Options& options, StopSignal& stop, const ReloadSource& reload) {
  ServiceNotifier notifier;
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
  log_waiting(*buffer, true);

  std::vector<std::unique_ptr<SinkRunner>> runners;
  for (std::size_t i = 0; i < sink_set.sinks.size(); ++i) {
    runners.push_back(std::make_unique<SinkRunner>(std::move(sink_set.sinks[i]), i, *buffer, wall));
    runners.back()->start();
  }

  LiveOptions live(options);
  StatusBoard board;
  IngestQueue ingest;
  // The local endpoint: health, metrics and ingest. A service whose endpoint cannot listen
  // (the port taken, a bad address) does not start: systemd restarts it, and nobody is told
  // about a URL that is not served.
  HttpServerStats http_stats;
  const ApiContext api{live, registry,   board,   *buffer,    runners,
                       wall, wall.now(), &ingest, &http_stats};
  HttpServerOptions http_options;
  http_options.listen = options.http.listen;
  http_options.max_body = static_cast<std::size_t>(options.http.max_body);
  http_options.max_connections = static_cast<int>(options.http.max_connections);
  http_options.read_timeout_ms = static_cast<int>(options.http.request_timeout);
  http_options.write_timeout_ms = static_cast<int>(options.http.request_timeout);
  http_options.stats = &http_stats;
  http_options.allowed_hosts = options.http.allowed_hosts;
  if (const std::string host = options.http.listen_host(); !host.empty())
    http_options.allowed_hosts->push_back(host);
  http_options.allowed_origins = options.http.allowed_origins;
  HttpServer http(http_options, make_api_handler(api));
  std::string http_error;
  if (!http.start(http_error)) {
    log::error("http: cannot listen on " + options.http.listen + ": " + http_error +
               "; not starting (free the port or change http.listen)");
    for (auto& r : runners) r->finish(wall.now());
    for (auto& r : runners) r->join();
    return kExitRuntime;
  }
  log::info("http: listening on " + http.bound_address());

  RunLoop loop(options, registry, *buffer, board, ingest, stop, wall);
  loop.resume();
  notifier.ready();
  PipelineStatus last_status = loop.status();
  TimeMs last_status_at = wall.monotonic() - kServiceStatusInterval;
  RunLoopHooks hooks;
  hooks.every_minute = [&] {
    std::string line = "progress:";
    for (std::size_t i = 0; i < runners.size(); ++i)
      line += " sink " + runners[i]->name() + " " + std::to_string(runners[i]->delivered()) +
              " records delivered, " + std::to_string(buffer->backlog(i)) + " waiting;";
    log::info(line + " buffer " + std::to_string(buffer->bytes() / 1024) + " KiB");
  };
  hooks.each_turn = [&] {
    const TimeMs mono = wall.monotonic();
    notifier.watchdog(mono);
    if (mono - last_status_at < kServiceStatusInterval) return;
    const PipelineStatus now = loop.status();
    notifier.status(service_status(now, last_status, mono - last_status_at, *buffer, runners));
    last_status = now;
    last_status_at = mono;
  };
  hooks.reload = [&] { return reload_config(reload, live, board, notifier); };
  const bool completed = loop.run(hooks);

  ingest.close();  // the run loop takes no more: pushes from now on get 503
  notifier.stopping();
  // Drain: a completed bounded run waits for every sink; a stop gives them shutdown_timeout.
  const DurationMs shutdown_timeout = live.get()->gateway.shutdown_timeout;
  TimeMs deadline = stop.stop_requested() ? wall.now() + shutdown_timeout : kTimeMax;
  for (auto& r : runners) r->finish(deadline);
  for (auto& r : runners) {
    while (!r->done()) {
      notifier.watchdog(wall.monotonic());
      if (deadline == kTimeMax && stop.stop_requested()) {
        deadline = wall.now() + shutdown_timeout;
        for (auto& other : runners) other->finish(deadline);
      }
      buffer->wait_for_change(100);
    }
    r->join();
  }
  if (loop.resumed_completed()) {
    std::string left;
    for (const auto& r : runners)
      left += "; sink " + r->name() + ": " + std::to_string(r->delivered()) + " records delivered";
    log::info("nothing else to do: the bounded run had completed earlier" + left);
  } else {
    log_summary(loop.pipeline(), runners);
    log::info(completed ? "bounded run complete: every window fired and every sink drained"
                        : "stopped");
  }
  log_waiting(*buffer, false);
  return kExitOk;
}

}  // namespace gw
