// A sink ships batches of records to one destination. Adding a sink = one folder under
// src/sinks/ plus one line in sinks/sink_factory.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/stream.h"
#include "core/time.h"

namespace gw {

enum class DeliveryStatus {
  delivered,  // every record is durable there, but its rejected_records and not_ready streams
  retry,      // nothing may be assumed delivered; send the batch again later
  rejected,   // the destination will never take this batch; dead-letter it (counted)
};

// A record of a batch that the destination refuses for good (too large for it, invalid for its
// schema, ...): sending it again cannot help.
struct RejectedRecord {
  std::size_t index = 0;  // into Batch::records
  std::string reason;
};

struct DeliveryResult {
  DeliveryStatus status = DeliveryStatus::delivered;
  std::string message;  // why, for retry and rejected
  // With `delivered`: the records set aside, each of them alone, as dead letters (counted as
  // dropped "rejected"); the rest of the batch is delivered and confirmed.
  std::vector<RejectedRecord> rejected_records = {};
  // With `delivered`: the streams whose records were not sent because the sink cannot ship
  // them yet (e.g. Avro while the schema registry is down). They stay in the buffer and are
  // handed over again after a backoff (Batch::resumed) while the other streams go on.
  StreamSet not_ready = {};
};

struct SinkHealth {
  bool ok = true;
  std::string reason;
};

// How the SinkRunner groups buffered records into batches for a sink.
struct BatchPolicy {
  std::size_t max_chunks = 64;       // buffer chunks per batch
  std::size_t max_records = 50'000;  // stop adding chunks past this many records
  std::size_t max_bytes = 0;         // stop adding chunks past this many value bytes; 0: no limit
  bool one_stream = false;           // every batch holds the records of a single stream
  // > 0: send only every flush_interval (wall time), or as soon as max_bytes are waiting.
  DurationMs flush_interval = 0;
  // The runner persists each batch's chunk range before handing it over and, after a restart,
  // hands the very same batch over again first, so Batch::id names one batch across crashes.
  bool stable_batches = false;
  // On `rejected`, find the one bad chunk by sending chunk by chunk (true), or dead-letter the
  // whole batch (false).
  bool isolate_rejects = true;
};

// One delivery: records of whole buffer chunks, oldest first per stream.
struct Batch {
  std::span<const RecordView> records;
  // With BatchPolicy::one_stream: the stream of every record.
  Stream stream = Stream::sales;
  // Identifies the batch: the buffer database, the stream and the chunk range. The same for a
  // batch handed over again after a retry or a restart (with BatchPolicy::stable_batches).
  std::string id;
  // The streams handed over again for the first time since the sink answered not_ready for
  // them. Until then, the sink must not send a record of those streams from any batch (the
  // order per key): it answers not_ready for them again.
  StreamSet resumed = {};
};

// One sample of a sink-specific metric; the sink="<name>" label is added by /metrics.
struct SinkMetric {
  std::string name;  // without the iot_gateway_ prefix, e.g. "druid_tasks_total"
  std::string type;  // "counter" or "gauge"
  std::string help;
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
  // Appended to the family's name for this sample: "_bucket", "_sum", "_count" of a histogram.
  std::string suffix = {};
};

class Sink {
 public:
  virtual ~Sink() = default;
  virtual std::string_view name() const = 0;
  // The streams this sink ships; the buffer keeps the others from it.
  virtual StreamSet streams() const { return kEveryStream; }
  virtual BatchPolicy batch_policy() const { return {}; }
  // Called from one thread at a time. `delivered` only once the records are durable there.
  virtual DeliveryResult deliver(const Batch& batch) = 0;

  // Pipelining: how many batches the runner may hand over before the oldest one's result is
  // in (1: one at a time, through deliver()). A sink that allows more implements submit() and
  // take_result(); the runner still confirms the batches one by one, in order, and after a
  // batch that was not `delivered` it sends it and every later one again.
  virtual std::size_t max_in_flight() const { return 1; }
  // Hands a batch over; its records stay valid until its result has been taken.
  virtual void submit(const Batch& batch) { results_.push_back(deliver(batch)); }
  // The result of the oldest batch handed over and not answered yet, waiting up to
  // `timeout_ms` for it; nullopt if it is not known by then.
  virtual std::optional<DeliveryResult> take_result(std::int64_t timeout_ms) {
    (void)timeout_ms;
    if (results_.empty()) return std::nullopt;
    DeliveryResult r = std::move(results_.front());
    results_.erase(results_.begin());
    return r;
  }
  // Shutdown timeout reached: stop waiting for the batches handed over; their results (not
  // `delivered`) should come at once. Their records stay in the buffer.
  virtual void cancel() {}
  virtual SinkHealth health() const = 0;
  // Whether the sink can reach its destination's servers (e.g. Kafka brokers), where it knows.
  // Thread-safe: read by the HTTP thread.
  virtual std::optional<bool> connected() const { return std::nullopt; }
  // Sink-specific samples for /metrics, e.g. Druid tasks by outcome. Thread-safe: read by the
  // HTTP thread.
  virtual std::vector<SinkMetric> metrics() const { return {}; }

 private:
  std::vector<DeliveryResult> results_;  // of deliver(), for the default submit()
};

}  // namespace gw
