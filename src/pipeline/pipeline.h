// The in-process stream jobs: enrichment join, tumbling sales windows and hopping alert
// windows, driven by one event-time watermark (max event time seen over all inputs minus
// watermark_delay). Takes events one at a time; appends output records in the order they
// are produced. With a realtime clock, event times beyond now + max_future (always: beyond
// kLatestEventTime) are forwarded raw but kept out of the windows and the watermark. Not
// thread-safe: owned by the run loop's thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/options.h"
#include "core/clock.h"
#include "core/device.h"
#include "core/event.h"
#include "core/record_batch.h"
#include "core/records.h"
#include "pipeline/alert_windows.h"
#include "pipeline/sales_windows.h"
#include "pipeline/watermark.h"

namespace gw {

struct PipelineCounters {
  std::uint64_t sales_in = 0;
  std::uint64_t access_in = 0;
  std::uint64_t unknown_device_dropped = 0;
  std::uint64_t late_sales = 0;   // excluded from sales aggregates
  std::uint64_t late_access = 0;  // excluded from (at least one) alert window
  std::uint64_t aggregates_out = 0;
  std::uint64_t alerts_out = 0;
  std::uint64_t alert_windows_fired = 0;
  std::uint64_t too_far_ahead = 0;   // event time beyond the ceiling: raw only
  std::uint64_t window_refused = 0;  // left out of a window: max_open_windows open
  bool operator==(const PipelineCounters&) const = default;
};

// What a fired window produced, for the operator's log.
struct WindowReport {
  enum class Kind { sales, alerts } kind;
  TimeMs start = 0, end = 0;
  std::string summary;
};

class Pipeline {
 public:
  // A reload: the alert rule's thresholds for the windows that fire from now on.
  void set_alert_thresholds(double k_sigma, double min_excess) {
    options_.alerts.k_sigma = k_sigma;
    options_.alerts.min_excess = min_excess;
  }
  // `realtime`: the clock max_future counts from (null: virtual time, no such bound).
  Pipeline(const PipelineOptions& options, const DeviceRegistry& registry, RecordEncoder encoder,
           const Clock* realtime = nullptr);

  // The devices stream: one record per registered device, from device `first` on, at most
  // `count` of them. Returns the index past the last one emitted.
  std::size_t emit_registry(RecordBatch& out, std::size_t first = 0,
                            std::size_t count = SIZE_MAX) const;
  // Forwards the raw record(s) of `event`, adds it to its windows unless late, advances the
  // watermark and fires every window it passed.
  void process(const Event& event, RecordBatch& out);
  // Moves the watermark to at least t (idle input) and fires what it passed.
  void advance_watermark(TimeMs t, RecordBatch& out);
  // End of a bounded run: the watermark jumps to +infinity; every open window fires.
  void finish(RecordBatch& out) { advance_watermark(kTimeMax, out); }

  TimeMs watermark() const { return watermark_.value(); }
  TimeMs max_event_time() const { return watermark_.max_seen(); }
  const PipelineCounters& counters() const { return counters_; }
  // Reports of windows fired since the last call.
  std::vector<WindowReport> take_reports() { return std::exchange(reports_, {}); }
  const RecordEncoder& encoder() const { return encoder_; }

  // Complete state as JSON ("version": 2): watermark, open sales windows, open alert windows
  // (devices by registry index, the registry checked by a hash of its ids) and counters; not the
  // reports. Equal states give equal snapshots.
  std::string snapshot() const;
  // On a Pipeline with the same options and registry: adopts the snapshot's state, so that it
  // goes on exactly as the snapshotted one would have. False with `error`, nothing changed,
  // if the snapshot is malformed, of another version, taken with other window sizes, or names
  // a device the registry does not know, or if its watermark is impossible (beyond now +
  // max_future with a realtime clock, beyond kLatestEventTime: a poisoned state).
  bool restore(std::string_view data, std::string& error);

 private:
  void on_sale(const SaleEvent& e, bool ahead, RecordBatch& out);
  void on_access(const AccessEvent& e, bool ahead, RecordBatch& out);
  void fire(RecordBatch& out);
  // The latest event time the windows and the watermark take, read from the clock.
  TimeMs ceiling() const;
  // Counts an event kept out of the windows; true at the 1st, 10th, 100th, ... of its kind,
  // the ones logged (log_refusal), so that a flood is counted in full but logged a few times.
  bool count_refusal(std::uint64_t PipelineCounters::*counter);
  void log_refusal(std::uint64_t PipelineCounters::*counter, std::string_view what);

  PipelineOptions options_;
  const DeviceRegistry& registry_;
  RecordEncoder encoder_;
  const Clock* realtime_;
  TimeMs ceiling_;  // ceiling() when last read; re-read when an event lies beyond it
  Watermark watermark_;
  SalesWindows sales_;
  AlertWindows alerts_;
  PipelineCounters counters_;
  std::vector<WindowReport> reports_;
  std::string devices_hash_;  // DeviceRegistry::ids_hash, in hex: in every snapshot
};

}  // namespace gw
