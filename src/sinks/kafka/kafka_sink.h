// Produces records to Kafka with librdkafka. A batch is `delivered` only when every one of its
// records has a successful delivery report -- never when merely queued in librdkafka. Any
// failed report makes the whole batch `retry`: it stays in the buffer and is sent again (at
// least once; duplicates are byte-identical). Keys per contract section 3; headers gateway_id
// and, where the record has one, event_id. Called from one thread (its SinkRunner).
#pragma once

#include <librdkafka/rdkafka.h>

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <string>

#include "config/options.h"
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
  DeliveryResult deliver(const Batch& batch) override;
  SinkHealth health() const override { return health_; }
  std::optional<bool> connected() const override { return !connection_->all_down.load(); }

  // librdkafka's defaults as the gateway sets them, before sinks.kafka.properties.
  static std::map<std::string, std::string> default_properties();

 private:
  // Shared with librdkafka's callbacks (its opaque).
  struct ConnectionState {
    std::atomic<bool> all_down{false};
  };

  KafkaSink(const Options& options, rd_kafka_t* rk, std::unique_ptr<ConnectionState> connection);
  static void on_delivery(rd_kafka_t* rk, const rd_kafka_message_t* msg, void* opaque);
  static void on_error(rd_kafka_t* rk, int err, const char* reason, void* opaque);
  static void on_log(const rd_kafka_t* rk, int level, const char* facility, const char* message);

  rd_kafka_t* rk_;
  std::unique_ptr<ConnectionState> connection_;
  std::array<rd_kafka_topic_t*, kStreamCount> topics_{};
  std::string gateway_id_;
  ValueEncoder encoder_;
  SinkHealth health_;
};

}  // namespace gw
