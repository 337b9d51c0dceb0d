#include "app/metrics_text.h"

#include <dirent.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <vector>

#include "app/http_api.h"
#include "core/clock.h"

namespace gw {
namespace {

class Text {
 public:
  void family(const char* name, const char* type, const char* help) {
    out_ << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
  }
  template <typename V>
  void sample(const std::string& name, const std::string& labels, V value) {
    out_ << name;
    if (!labels.empty()) out_ << '{' << labels << '}';
    out_ << ' ' << value << '\n';
  }
  std::string str() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

std::string label(const char* k, std::string_view v) {
  std::string s = std::string(k) + "=\"";
  for (char c : v) {
    if (c == '\\' || c == '"') s += '\\';
    if (c == '\n') {
      s += "\\n";
      continue;
    }
    s += c;
  }
  return s + "\"";
}

void process_metrics(Text& t) {
  long ticks = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
  std::ifstream stat("/proc/self/stat");
  std::string line;
  std::getline(stat, line);
  // Fields after the command name (which is in parentheses and may contain spaces).
  std::istringstream rest(line.substr(line.rfind(')') + 2));
  std::vector<std::string> f((std::istream_iterator<std::string>(rest)),
                             std::istream_iterator<std::string>());
  double cpu = 0, start = 0, vsize = 0, rss = 0;
  if (f.size() > 22) {
    cpu = (std::stod(f[11]) + std::stod(f[12])) / static_cast<double>(ticks);
    vsize = std::stod(f[20]);
    rss = std::stod(f[21]) * static_cast<double>(page);
    // Boot time from the clocks, not /proc/stat (hidden by systemd's ProcSubset=pid).
    start = static_cast<double>(boot_time_ms()) / 1000.0 +
            std::stod(f[19]) / static_cast<double>(ticks);
  }
  int fds = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (readdir(d)) ++fds;
    closedir(d);
    fds -= 3;  // ".", ".." and the directory itself
  }
  t.family("process_cpu_seconds_total", "counter",
           "Total user and system CPU time spent in seconds.");
  t.sample("process_cpu_seconds_total", "", cpu);
  t.family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
  t.sample("process_resident_memory_bytes", "", static_cast<std::uint64_t>(rss));
  t.family("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
  t.sample("process_virtual_memory_bytes", "", static_cast<std::uint64_t>(vsize));
  t.family("process_open_fds", "gauge", "Number of open file descriptors.");
  t.sample("process_open_fds", "", fds);
  t.family("process_max_fds", "gauge", "Maximum number of open file descriptors.");
  t.sample("process_max_fds", "", sysconf(_SC_OPEN_MAX));
  t.family("process_start_time_seconds", "gauge",
           "Start time of the process since unix epoch in seconds.");
  t.sample("process_start_time_seconds", "", static_cast<std::uint64_t>(start));
}

void http_metrics(Text& t, const HttpServerStats& s) {
  const auto get = [](const auto& counter) { return counter.load(std::memory_order_relaxed); };
  t.family("iot_gateway_http_connections_open", "gauge",
           "Connections the local endpoint is serving now (at most http.max_connections).");
  t.sample("iot_gateway_http_connections_open", "", get(s.open));
  t.family("iot_gateway_http_connections_total", "counter",
           "Connections to the local endpoint by what became of them: accepted; refused (503, "
           "every connection busy); evicted (closed while waiting for a request, to make room); "
           "timed_out (a request or an answer took longer than http.request_timeout).");
  t.sample("iot_gateway_http_connections_total", label("result", "accepted"), get(s.accepted));
  t.sample("iot_gateway_http_connections_total", label("result", "refused"), get(s.refused));
  t.sample("iot_gateway_http_connections_total", label("result", "evicted"), get(s.evicted));
  t.sample("iot_gateway_http_connections_total", label("result", "timed_out"), get(s.timed_out));
  t.family("iot_gateway_http_responses_total", "counter",
           "Answers of the local endpoint by status class (this scrape's own answer not yet).");
  static constexpr const char* kClasses[] = {"", "1xx", "2xx", "3xx", "4xx", "5xx"};
  for (std::size_t i = 2; i < s.answers.size(); ++i)
    t.sample("iot_gateway_http_responses_total", label("code", kClasses[i]), get(s.answers[i]));
}

// POSTs refused at the door (4xx) by reason, and POSTs answered 503: their events were dropped
// by their own commit (buffer full), not committed (stopping, buffer failing), or not committed
// within the deadline.
void ingest_metrics(Text& t, const ApiContext& c) {
  if (!c.ingest) return;
  t.family("iot_gateway_http_ingest_pending", "gauge",
           "POST /api/v1/events requests whose events wait for their commit.");
  t.sample("iot_gateway_http_ingest_pending", "", c.ingest->pending());
  t.family("iot_gateway_http_ingest_refused_total", "counter",
           "POST /api/v1/events answered 503 (Retry-After) by reason: buffer_full (the commit "
           "holding them dropped them, when_full: drop_oldest), not_committed (stopping, or the "
           "buffer cannot take them), timeout (not committed within 30 s).");
  t.sample("iot_gateway_http_ingest_refused_total", label("reason", "buffer_full"),
           c.ingest->refused(IngestQueue::Outcome::dropped_full));
  t.sample("iot_gateway_http_ingest_refused_total", label("reason", "not_committed"),
           c.ingest->refused(IngestQueue::Outcome::not_committed));
  t.sample("iot_gateway_http_ingest_refused_total", label("reason", "timeout"),
           c.http ? c.http->deferred_timeouts.load(std::memory_order_relaxed) : 0);
  t.family("iot_gateway_http_ingest_rejected_total", "counter",
           "POST /api/v1/events refused at the door, nothing of it taken, by reason: invalid "
           "(400: a line that is not a valid event, or no event), too_large (413: a record "
           "larger than the sinks carry), content_type (415: not NDJSON or JSON).");
  using Rejection = IngestQueue::Rejection;
  t.sample("iot_gateway_http_ingest_rejected_total", label("reason", "invalid"),
           c.ingest->rejected(Rejection::invalid));
  t.sample("iot_gateway_http_ingest_rejected_total", label("reason", "too_large"),
           c.ingest->rejected(Rejection::too_large));
  t.sample("iot_gateway_http_ingest_rejected_total", label("reason", "content_type"),
           c.ingest->rejected(Rejection::content_type));
}

}  // namespace

std::string render_metrics(const ApiContext& c) {
  Text t;
  const PipelineStatus st = c.board.status();
  const TimeMs now = c.wall.now();

  t.family("iot_gateway_build_info", "gauge", "Always 1; the version as a label.");
  t.sample("iot_gateway_build_info", label("version", IOT_GATEWAY_VERSION), 1);

  t.family("iot_gateway_records_produced_total", "counter",
           "Records produced by the pipeline and committed to the buffer.");
  for (std::size_t i = 0; i < kStreamCount; ++i)
    t.sample("iot_gateway_records_produced_total", label("stream", kStreamNames[i]),
             st.produced[i]);

  t.family("iot_gateway_events_in_total", "counter", "Input events taken by the pipeline.");
  t.sample("iot_gateway_events_in_total", label("kind", "sale"), st.counters.sales_in);
  t.sample("iot_gateway_events_in_total", label("kind", "access"), st.counters.access_in);
  t.family(
      "iot_gateway_late_events_total", "counter",
      "Events whose window had already fired: forwarded raw, left out of aggregates and alerts.");
  t.sample("iot_gateway_late_events_total", label("kind", "sale"), st.counters.late_sales);
  t.sample("iot_gateway_late_events_total", label("kind", "access"), st.counters.late_access);
  t.family("iot_gateway_unknown_device_events_total", "counter",
           "Access events of devices not in the registry (dropped from events_geo).");
  t.sample("iot_gateway_unknown_device_events_total", "", st.counters.unknown_device_dropped);
  t.family("iot_gateway_window_refused_events_total", "counter",
           "Events forwarded raw but left out of the windows: their time lies beyond now + "
           "pipeline.max_future (too_far_ahead), or pipeline.max_open_windows were open (full).");
  t.sample("iot_gateway_window_refused_events_total", label("reason", "too_far_ahead"),
           st.counters.too_far_ahead);
  t.sample("iot_gateway_window_refused_events_total", label("reason", "full"),
           st.counters.window_refused);
  t.family("iot_gateway_windows_fired_total", "counter",
           "Windows fired: sales aggregates emitted, alert windows evaluated.");
  t.sample("iot_gateway_windows_fired_total", label("kind", "sales_aggregate"),
           st.counters.aggregates_out);
  t.sample("iot_gateway_windows_fired_total", label("kind", "alert_window"),
           st.counters.alert_windows_fired);
  t.family("iot_gateway_alerts_total", "counter", "Alerts raised.");
  t.sample("iot_gateway_alerts_total", "", st.counters.alerts_out);
  t.family("iot_gateway_watermark_lag_seconds", "gauge",
           "Max event time seen minus the watermark (realtime: wall clock minus the watermark).");
  double lag = 0;
  if (st.watermark != kTimeMin && st.watermark != kTimeMax)
    lag = static_cast<double>(
              (c.options.get()->simulator.clock == ClockKind::realtime ? now : st.max_event_time) -
              st.watermark) /
          1000.0;
  t.sample("iot_gateway_watermark_lag_seconds", "", lag);

  BufferStats b;
  try {
    b = Buffer::read_stats(c.buffer.path());
  } catch (const std::exception&) {
  }
  t.family("iot_gateway_buffer_records", "gauge", "Records in the buffer, per stream.");
  for (std::size_t i = 0; i < kStreamCount; ++i)
    t.sample("iot_gateway_buffer_records", label("stream", kStreamNames[i]), b.streams[i].records);
  t.family("iot_gateway_buffer_bytes", "gauge",
           "Bytes of (compressed) records in the buffer, per stream.");
  for (std::size_t i = 0; i < kStreamCount; ++i)
    t.sample("iot_gateway_buffer_bytes", label("stream", kStreamNames[i]), b.streams[i].bytes);
  t.family("iot_gateway_buffer_oldest_age_seconds", "gauge",
           "Age of the oldest record in the buffer, per stream (0 when empty).");
  for (std::size_t i = 0; i < kStreamCount; ++i) {
    const auto& o = b.streams[i].oldest_created;
    t.sample("iot_gateway_buffer_oldest_age_seconds", label("stream", kStreamNames[i]),
             o ? static_cast<double>(std::max<TimeMs>(0, now - *o)) / 1000.0 : 0.0);
  }
  t.family(
      "iot_gateway_buffer_drops_total", "counter",
      "Records deleted from the buffer unsent, per stream and reason (full, expired, rejected, "
      "discarded).");
  for (std::size_t i = 0; i < kStreamCount; ++i)
    for (const char* reason : {"full", "expired", "rejected", "discarded"}) {
      const auto it = b.streams[i].drops.find(reason);
      t.sample("iot_gateway_buffer_drops_total",
               label("stream", kStreamNames[i]) + "," + label("reason", reason),
               it == b.streams[i].drops.end() ? 0 : it->second);
    }
  t.family("iot_gateway_buffer_waiting_records", "gauge",
           "Records kept for a sink this run does not enable, or of a stream it no longer takes "
           "(`iot-gateway buffer discard` drops them), per sink and stream.");
  for (const auto& w : b.waiting)
    t.sample("iot_gateway_buffer_waiting_records",
             label("sink", w.sink) + "," + label("stream", stream_name(w.stream)), w.records);
  t.family("iot_gateway_buffer_corruptions_total", "counter", "Corrupt buffer files set aside.");
  const auto corrupt = b.counters.find("buffer_corruptions");
  t.sample("iot_gateway_buffer_corruptions_total", "",
           corrupt == b.counters.end() ? 0 : corrupt->second);
  t.family("iot_gateway_buffer_commit_failures_total", "counter",
           "Buffer commits that failed (e.g. disk full) and were retried.");
  t.sample("iot_gateway_buffer_commit_failures_total", "", c.buffer.commit_failures());

  t.family("iot_gateway_sink_records_total", "counter",
           "Records handed to a sink, per sink, stream and result (delivered, retried, failed).");
  for (const auto& r : c.runners)
    for (std::size_t i = 0; i < kStreamCount; ++i) {
      const std::string l = label("sink", r->name()) + "," + label("stream", kStreamNames[i]);
      t.sample("iot_gateway_sink_records_total", l + "," + label("result", "delivered"),
               r->delivered(kAllStreams[i]));
      t.sample("iot_gateway_sink_records_total", l + "," + label("result", "retried"),
               r->retried(kAllStreams[i]));
      t.sample("iot_gateway_sink_records_total", l + "," + label("result", "failed"),
               r->failed(kAllStreams[i]));
    }
  t.family("iot_gateway_sink_up", "gauge",
           "1 while the sink delivers, 0 while it fails (e.g. Kafka brokers unreachable).");
  for (const auto& r : c.runners)
    t.sample("iot_gateway_sink_up", label("sink", r->name()), r->healthy() ? 1 : 0);
  t.family("iot_gateway_sink_backlog_records", "gauge",
           "Records in the buffer that the sink has not confirmed.");
  for (std::size_t i = 0; i < c.runners.size(); ++i) {
    const auto it = b.unconfirmed.find(c.runners[i]->name());
    t.sample("iot_gateway_sink_backlog_records", label("sink", c.runners[i]->name()),
             it == b.unconfirmed.end() ? 0 : it->second);
  }
  t.family("iot_gateway_sink_delivery_seconds", "histogram",
           "Time from handing a batch to a sink to its answer.");
  for (const auto& r : c.runners) {
    const Histogram& h = r->latency();
    for (std::size_t i = 0; i < Histogram::kBuckets.size(); ++i) {
      char le[32];
      std::snprintf(le, sizeof le, "%g", Histogram::kBuckets[i]);
      t.sample("iot_gateway_sink_delivery_seconds_bucket",
               label("sink", r->name()) + "," + label("le", le), h.bucket(i));
    }
    t.sample("iot_gateway_sink_delivery_seconds_bucket",
             label("sink", r->name()) + "," + label("le", "+Inf"), h.count());
    t.sample("iot_gateway_sink_delivery_seconds_sum", label("sink", r->name()), h.sum());
    t.sample("iot_gateway_sink_delivery_seconds_count", label("sink", r->name()), h.count());
  }
  t.family("iot_gateway_sink_connected", "gauge",
           "1 while the sink reaches its servers (Kafka: not all brokers down), else 0.");
  for (const auto& r : c.runners)
    if (const auto up = r->connected())
      t.sample("iot_gateway_sink_connected", label("sink", r->name()), *up ? 1 : 0);
  // Sink-specific families (e.g. Druid tasks), grouped by name.
  std::map<std::string, std::vector<std::pair<std::string, SinkMetric>>> families;
  for (const auto& r : c.runners)
    for (SinkMetric& m : r->metrics()) families[m.name].emplace_back(r->name(), std::move(m));
  for (const auto& [name, samples] : families) {
    const std::string family = "iot_gateway_" + name;
    t.family(family.c_str(), samples.front().second.type.c_str(),
             samples.front().second.help.c_str());
    for (const auto& [sink, m] : samples) {
      std::string labels = label("sink", sink);
      for (const auto& [k, v] : m.labels) labels += "," + label(k.c_str(), v);
      t.sample(family + m.suffix, labels, m.value);
    }
  }
  t.family("iot_gateway_config_reloads_total", "counter",
           "Configuration reloads (SIGHUP), per result.");
  t.sample("iot_gateway_config_reloads_total", label("result", "applied"),
           c.board.reloads_applied());
  t.sample("iot_gateway_config_reloads_total", label("result", "refused"),
           c.board.reloads_refused());
  t.family("iot_gateway_clock_jumps_total", "counter",
           "Steps of the wall clock the realtime loop noticed (NTP corrections, RTC-less boots).");
  t.sample("iot_gateway_clock_jumps_total", label("direction", "forward"), st.clock_jumps_forward);
  t.sample("iot_gateway_clock_jumps_total", label("direction", "backward"),
           st.clock_jumps_backward);
  if (c.http) http_metrics(t, *c.http);
  ingest_metrics(t, c);
  process_metrics(t);
  return t.str();
}

}  // namespace gw
