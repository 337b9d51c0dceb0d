#include "sinks/kafka/kafka_sink.h"

#include <cstring>

#include "core/log.h"

namespace gw {
namespace {

// The outcome of one batch, filled in by the delivery reports.
struct BatchState {
  std::size_t outstanding = 0;
  std::size_t failed = 0;
  std::string first_error;
};

// The value of "event_id" in a record we encoded ourselves, or "".
std::string_view event_id_of(const std::string& json) {
  static constexpr std::string_view kField = "\"event_id\":\"";
  const auto at = json.find(kField);
  if (at == std::string::npos) return {};
  const auto start = at + kField.size();
  const auto end = json.find('"', start);
  return end == std::string::npos ? std::string_view()
                                  : std::string_view(json).substr(start, end - start);
}

}  // namespace

std::map<std::string, std::string> KafkaSink::default_properties() {
  return {{"enable.idempotence", "true"},
          {"acks", "all"},
          {"compression.type", "lz4"},
          {"linger.ms", "5"},
          {"message.timeout.ms", "30000"},
          {"queue.buffering.max.messages", "100000"},
          {"socket.connection.setup.timeout.ms", "10000"},
          {"reconnect.backoff.ms", "100"},
          {"reconnect.backoff.max.ms", "10000"}};
}

std::unique_ptr<KafkaSink> KafkaSink::create(const Options& options, std::string& error) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  auto set = [&](const std::string& key, const std::string& value) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      error = "sinks.kafka: " + key + "=" + value + ": " + err;
      return false;
    }
    return true;
  };
  bool ok = set("bootstrap.servers", options.sinks.kafka.brokers);
  for (const auto& [k, v] : default_properties()) ok = ok && set(k, v);
  for (const auto& [k, v] : options.sinks.kafka.properties) ok = ok && set(k, v);
  if (!ok) {
    rd_kafka_conf_destroy(conf);
    return nullptr;
  }
  auto connection = std::make_unique<ConnectionState>();
  rd_kafka_conf_set_opaque(conf, connection.get());
  rd_kafka_conf_set_dr_msg_cb(conf, &KafkaSink::on_delivery);
  rd_kafka_conf_set_error_cb(conf, &KafkaSink::on_error);
  rd_kafka_conf_set_log_cb(conf, &KafkaSink::on_log);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) {
    error = std::string("sinks.kafka: ") + err;
    rd_kafka_conf_destroy(conf);  // not taken over on failure
    return nullptr;
  }
  return std::unique_ptr<KafkaSink>(new KafkaSink(options, rk, std::move(connection)));
}

KafkaSink::KafkaSink(const Options& options, rd_kafka_t* rk,
                     std::unique_ptr<ConnectionState> connection)
    : rk_(rk),
      connection_(std::move(connection)),
      gateway_id_(options.gateway.id),
      encoder_(options) {
  for (std::size_t i = 0; i < kStreamCount; ++i)
    topics_[i] = rd_kafka_topic_new(rk_, options.sinks.topics[i].c_str(), nullptr);
}

KafkaSink::~KafkaSink() {
  rd_kafka_flush(rk_, 2000);
  for (auto* t : topics_)
    if (t) rd_kafka_topic_destroy(t);
  rd_kafka_destroy(rk_);
}

void KafkaSink::on_delivery(rd_kafka_t*, const rd_kafka_message_t* msg, void*) {
  auto* state = static_cast<BatchState*>(msg->_private);
  if (!state) return;
  --state->outstanding;
  if (msg->err) {
    if (state->failed++ == 0) state->first_error = rd_kafka_err2str(msg->err);
  }
}

// librdkafka reports every failed connection attempt; the operator hears once per change
// ("all brokers down" here, "cannot deliver" / "delivering again" from the sink runner).
void KafkaSink::on_error(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
  auto* c = static_cast<ConnectionState*>(opaque);
  if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
    if (c && !c->all_down.exchange(true))
      log::warn(std::string("kafka: all brokers are down (") + reason +
                "); records wait in the buffer");
    return;
  }
  char fatal[256];
  if (rd_kafka_fatal_error(rk, fatal, sizeof fatal) != RD_KAFKA_RESP_ERR_NO_ERROR)
    log::error(std::string("kafka: fatal error: ") + fatal);
  else
    log::debug(std::string("kafka: ") + reason);
}

void KafkaSink::on_log(const rd_kafka_t*, int level, const char* facility, const char* message) {
  if (level <= 2)
    log::error(std::string("kafka: ") + facility + ": " + message);
  else
    log::debug(std::string("kafka: ") + facility + ": " + message);
}

DeliveryResult KafkaSink::deliver(const Batch& b) {
  const std::span<const Record> batch = b.records;
  if (batch.empty()) return {};
  std::string error;
  std::array<bool, kStreamCount> present{};
  for (const Record& r : batch) present[stream_index(r.stream)] = true;
  for (std::size_t i = 0; i < kStreamCount; ++i) {
    if (present[i] && !encoder_.prepare(kAllStreams[i], error)) {
      health_ = {false, error};
      return {DeliveryStatus::retry, error};
    }
  }
  BatchState state;
  std::string encoded;
  for (const Record& r : batch) {
    // JSON values are handed over without a copy: `batch` outlives every delivery report,
    // since this function waits for all of them. Avro values are built here, so copied.
    const bool avro = encoder_.is_avro(r.stream);
    if (avro && !encoder_.encode(r.stream, r.value, encoded, error)) {
      // This record can never be encoded: the batch cannot be delivered as is.
      health_ = {false, error};
      return {DeliveryStatus::rejected, std::string(stream_name(r.stream)) + ": " + error};
    }
    const std::string& value = avro ? encoded : r.value;
    const std::string_view event_id = event_id_of(r.value);
    while (true) {
      rd_kafka_headers_t* headers = rd_kafka_headers_new(2);
      rd_kafka_header_add(headers, "gateway_id", -1, gateway_id_.data(),
                          static_cast<ssize_t>(gateway_id_.size()));
      if (!event_id.empty())
        rd_kafka_header_add(headers, "event_id", -1, event_id.data(),
                            static_cast<ssize_t>(event_id.size()));
      const rd_kafka_resp_err_t err =
          rd_kafka_producev(rk_, RD_KAFKA_V_RKT(topics_[stream_index(r.stream)]),
                            RD_KAFKA_V_KEY(r.key.data(), r.key.size()),
                            RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                            RD_KAFKA_V_MSGFLAGS(avro ? RD_KAFKA_MSG_F_COPY : 0),
                            RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_OPAQUE(&state), RD_KAFKA_V_END);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) rd_kafka_headers_destroy(headers);  // not taken
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        ++state.outstanding;
        break;
      }
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(rk_, 50);  // wait for reports to make room
        continue;
      }
      // Not accepted at all: wait for what was queued, then retry the whole batch.
      state.first_error = rd_kafka_err2str(err);
      ++state.failed;
      break;
    }
    if (state.failed) break;
  }
  while (state.outstanding > 0) rd_kafka_poll(rk_, 100);
  if (state.failed) {
    const std::string msg = std::to_string(state.failed) + " of " + std::to_string(batch.size()) +
                            " records not acknowledged: " + state.first_error;
    health_ = {false, msg};
    return {DeliveryStatus::retry, msg};
  }
  if (connection_->all_down.exchange(false)) log::info("kafka: brokers are reachable again");
  health_ = {};
  return {};
}

}  // namespace gw
