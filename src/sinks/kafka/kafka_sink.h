// Produces records to Kafka with librdkafka. A batch is `delivered` only when every one of its
// records has a successful delivery report -- never when merely queued in librdkafka. A record
// refused for good (larger than message.max.bytes, invalid for the broker or for its Avro
// schema) is set aside as a rejected record of the batch; any other failed report makes the
// whole batch `retry`: it stays in the buffer and is sent again (at least once; duplicates are
// byte-identical). A stream whose Avro schema cannot be registered (registry down) is answered
// not_ready: the other streams of the batch go on. Keys per contract section 3; headers gateway_id
// and, where the record has one, event_id. Called from one thread (its SinkRunner), which keeps
// up to max_in_flight() batches in librdkafka so that the next batch is produced while the
// previous one's reports are on their way.
//
// With the realtime clock it measures, per record, the time from the event to its delivery
// report (events, events_geo, sales: from the event's timestamp; alerts: from the moment the
// watermark passed the window's end, i.e. window_end + pipeline.watermark_delay in event time)
// into the histogram iot_gateway_kafka_delivery_latency_seconds{kind="event"|"alert"}.
#pragma once

#include <librdkafka/rdkafka.h>

#include <array>
#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <string>

#include "config/options.h"
#include "core/clock.h"
#include "core/histogram.h"
#include "core/records.h"
#include "sinks/kafka/broker_states.h"
#include "sinks/kafka/value_encoder.h"
#include "sinks/sink.h"

namespace gw {

class KafkaSink final : public Sink {
 public:
  // Returns nullptr with `error` set if librdkafka refuses the configuration.
  static std::unique_ptr<KafkaSink> create(const Options& options, std::string& error);
  ~KafkaSink() override;
  KafkaSink(const KafkaSink&) = delete;
  KafkaSink& operator=(const KafkaSink&) = delete;

  std::string_view name() const override { return "kafka"; }
  // One batch on its own: only while no other batch is in flight.
  DeliveryResult deliver(const Batch& batch) override;
  std::size_t max_in_flight() const override { return kMaxInFlight; }
  // Smaller batches than the default, more of them in flight: all of them fit in librdkafka's
  // queue (queue.buffering.max.messages), so producing never waits for room.
  BatchPolicy batch_policy() const override {
    BatchPolicy p;
    p.max_records = 10'000;
    p.max_bytes = 4 << 20;  // and what is in flight stays a few MiB (memory, S5)
    return p;
  }
  void submit(const Batch& batch) override;
  void cancel() override;
  std::optional<DeliveryResult> take_result(std::int64_t timeout_ms) override;
  std::vector<SinkMetric> metrics() const override;
  SinkHealth health() const override { return health_; }
  std::optional<bool> connected() const override { return !connection_->all_down.load(); }
  // Brokers of the cluster and how many are connected, from librdkafka's statistics
  // (statistics.interval.ms, 1 s by default); nullopt before the first statistics.
  std::optional<BrokerCounts> brokers() const;

  // librdkafka's defaults as the gateway sets them, before sinks.kafka.properties.
  static std::map<std::string, std::string> default_properties();

 private:
  static constexpr std::size_t kMaxInFlight = 6;
  enum LatencyKind : std::uint8_t { kEvent, kAlert, kNoLatency };
  // Shared with librdkafka's callbacks (its opaque).
  struct ConnectionState {
    std::atomic<bool> all_down{false};
    std::atomic<int> brokers_up{-1}, brokers_known{-1};  // -1: no statistics yet
    bool per_record = false;                             // latencies are measured
    SystemClock clock;
    std::array<LatencyHistogram, 2> latency;  // by LatencyKind
  };
  struct BatchState;
  struct RecordSlot {
    BatchState* batch = nullptr;
    TimeMs since = 0;  // the event's time (see above)
    LatencyKind kind = kNoLatency;
  };

  KafkaSink(const Options& options, rd_kafka_t* rk, std::unique_ptr<ConnectionState> connection);
  void prepare_streams(const Batch& b, BatchState& state);
  static void on_delivery(rd_kafka_t* rk, const rd_kafka_message_t* msg, void* opaque);
  static void on_error(rd_kafka_t* rk, int err, const char* reason, void* opaque);
  static void on_log(const rd_kafka_t* rk, int level, const char* facility, const char* message);
  static int on_stats(rd_kafka_t* rk, char* json, size_t json_len, void* opaque);

  rd_kafka_t* rk_;
  std::unique_ptr<ConnectionState> connection_;
  std::array<rd_kafka_topic_t*, kStreamCount> topics_{};
  std::string gateway_id_;
  DurationMs watermark_delay_;
  ValueEncoder encoder_;
  std::string closing_;  // how every record's value ends (RecordEncoder::closing)
  SinkHealth health_;
  std::deque<std::unique_ptr<BatchState>> in_flight_;  // oldest first
  StreamSet unready_{};                                // answered not_ready, not resumed yet
};

}  // namespace gw
