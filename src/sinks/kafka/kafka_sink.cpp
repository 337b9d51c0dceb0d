#include "sinks/kafka/kafka_sink.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>

#include <rapidjson/document.h>

#include "core/log.h"
#include "core/secrets.h"

namespace gw {
namespace {

// Where `field` starts in `json`, or npos. memmem: far quicker than std::string::find here.
std::size_t find_field(std::string_view json, std::string_view field) {
  const void* at = ::memmem(json.data(), json.size(), field.data(), field.size());
  return at ? static_cast<std::size_t>(static_cast<const char*>(at) - json.data())
            : std::string_view::npos;
}

// The JSON string starting at `json[start]` (past its opening quote), unescaped: a view into
// `json` when it has no escapes, else decoded into `scratch`. "" if it is not a valid string.
std::string_view json_string_at(std::string_view json, std::size_t start, std::string& scratch) {
  const auto end = json.find('"', start);
  if (end == std::string_view::npos) return {};
  const std::string_view plain = json.substr(start, end - start);
  if (plain.find('\\') == std::string_view::npos) return plain;
  rapidjson::Document d;
  const std::string_view rest = json.substr(start - 1);
  d.Parse<rapidjson::kParseStopWhenDoneFlag>(rest.data(), rest.size());
  if (d.HasParseError() || !d.IsString()) return {};
  scratch.assign(d.GetString(), d.GetStringLength());
  return scratch;
}

// The value of "event_id" in a record we encoded ourselves (unescaped, see json_string_at), or
// "". Where the record has one, it is the field before the closing gateway_id (`closing`):
// looked for there first.
std::string_view event_id_of(std::string_view json, std::string_view closing,
                             std::string& scratch) {
  static constexpr std::string_view kField = "\"event_id\":\"";
  std::size_t at = std::string_view::npos;
  if (json.size() > closing.size() + kField.size() + 1 && json.ends_with(closing)) {
    const std::string_view body = json.substr(0, json.size() - closing.size());
    const std::size_t from = body.size() > 96 ? body.size() - 96 : 0;  // field + a long id
    at = body.substr(from).rfind(kField);
    if (at != std::string_view::npos) at += from;
  }
  if (at == std::string_view::npos) at = find_field(json, kField);
  if (at == std::string_view::npos) return {};
  return json_string_at(json, at + kField.size(), scratch);
}

// The integer at the start of `text`, or 0.
TimeMs leading_int(std::string_view text) {
  TimeMs v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;
}

// The value of the ISO-8601 field `field` ("\"name\":\"") in `json`, or 0.
TimeMs time_field(std::string_view json, std::string_view field) {
  const auto at = find_field(json, field);
  if (at == std::string_view::npos) return 0;
  const auto start = at + field.size();
  const auto end = json.find('"', start);
  if (end == std::string_view::npos) return 0;
  return parse_rfc3339(json.substr(start, end - start)).value_or(0);
}

// Errors for which sending the same message again cannot succeed (the broker's or librdkafka's
// message.max.bytes, a record the broker finds invalid). The others (timeouts, leaders moving,
// brokers down, RECORD_LIST_TOO_LARGE for a whole message set) are retried. A broker refuses a
// whole message set (record batch) at once: in a delivery report, the error is the record's own
// only when it is the one record of its batch that failed so (see take_result).
bool refused_for_good(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_MSG:
    case RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
      return true;
    default:
      return false;
  }
}

}  // namespace

// The outcome of one batch, filled in by the delivery reports.
struct KafkaSink::BatchState {
  std::size_t records = 0;
  std::size_t outstanding = 0;  // produced, not reported yet
  std::size_t failed = 0;
  std::string first_error;
  std::vector<RecordSlot> slots;         // per record: the messages' opaque
  std::vector<RejectedRecord> rejected;  // refused before or while producing
  std::vector<RejectedRecord> refused;   // refused for good in a delivery report
  StreamSet not_ready{};  // streams not sent: their format is not ready (see prepare_streams)
  std::string not_ready_error;
};

std::map<std::string, std::string> KafkaSink::default_properties() {
  return {{"enable.idempotence", "true"},
          {"acks", "all"},
          {"compression.type", "lz4"},
          {"linger.ms", "1"},
          {"message.timeout.ms", "30000"},
          {"queue.buffering.max.messages", "100000"},
          {"socket.connection.setup.timeout.ms", "10000"},
          {"reconnect.backoff.ms", "100"},
          {"reconnect.backoff.max.ms", "10000"},
          {"statistics.interval.ms", "1000"}};
}

std::unique_ptr<KafkaSink> KafkaSink::create(const Options& options, std::string& error) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  auto set = [&](const std::string& key, const std::string& value) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      error = "sinks.kafka: " + key + "=" + shown_kafka_property(key, value) + ": " +
              mask_kafka_value_in(err, key, value);
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
  rd_kafka_conf_set_stats_cb(conf, &KafkaSink::on_stats);
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
      watermark_delay_(options.pipeline.watermark_delay),
      encoder_(options),
      closing_(RecordEncoder(options.gateway.id).closing()) {
  // Event times are wall-clock times only with the realtime clock.
  connection_->per_record = options.simulator.clock == ClockKind::realtime;
  for (std::size_t i = 0; i < kStreamCount; ++i)
    topics_[i] = rd_kafka_topic_new(rk_, options.sinks.topics[i].c_str(), nullptr);
}

KafkaSink::~KafkaSink() {
  // The runner has taken every result before it lets the sink go; what librdkafka still
  // holds (a deliver() cut short) goes now or never.
  rd_kafka_flush(rk_, 2000);
  cancel();
  rd_kafka_poll(rk_, 0);
  for (auto* t : topics_)
    if (t) rd_kafka_topic_destroy(t);
  rd_kafka_destroy(rk_);
}

void KafkaSink::on_delivery(rd_kafka_t*, const rd_kafka_message_t* msg, void* opaque) {
  auto* c = static_cast<ConnectionState*>(opaque);
  const auto* slot = static_cast<const RecordSlot*>(msg->_private);
  if (!msg->err && c->all_down.exchange(false)) log::info("kafka: brokers are reachable again");
  if (!slot || !slot->batch) return;
  BatchState* state = slot->batch;
  if (!msg->err && slot->kind != kNoLatency && slot->since != 0)
    c->latency[slot->kind].observe(static_cast<double>(c->clock.now() - slot->since) / 1000.0);
  --state->outstanding;
  if (msg->err && refused_for_good(msg->err)) {
    state->refused.push_back({static_cast<std::size_t>(slot - state->slots.data()),
                              std::string("kafka: ") + rd_kafka_err2str(msg->err)});
  } else if (msg->err) {
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

// Every statistics.interval.ms (served by rd_kafka_poll): the brokers connected, for /metrics,
// and a sign that brokers are back even before a delivery report says so.
int KafkaSink::on_stats(rd_kafka_t*, char* json, size_t json_len, void* opaque) {
  auto* c = static_cast<ConnectionState*>(opaque);
  if (const auto counts = broker_counts({json, json_len})) {
    c->brokers_known.store(counts->known);
    c->brokers_up.store(counts->up);
    if (counts->up > 0 && c->all_down.exchange(false))
      log::info("kafka: brokers are reachable again");
  }
  return 0;  // librdkafka frees the JSON
}

std::optional<BrokerCounts> KafkaSink::brokers() const {
  const int known = connection_->brokers_known.load();
  if (known < 0) return std::nullopt;
  return BrokerCounts{connection_->brokers_up.load(), known};
}

void KafkaSink::on_log(const rd_kafka_t*, int level, const char* facility, const char* message) {
  if (level <= 2)
    log::error(std::string("kafka: ") + facility + ": " + message);
  else
    log::debug(std::string("kafka: ") + facility + ": " + message);
}

DeliveryResult KafkaSink::deliver(const Batch& b) {
  submit(b);
  while (true)
    if (auto r = take_result(100)) return *r;
}

void KafkaSink::submit(const Batch& b) {
  const std::span<const RecordView> batch = b.records;
  BatchState& state = *in_flight_.emplace_back(std::make_unique<BatchState>());
  state.records = batch.size();
  std::string error;
  prepare_streams(b, state);
  state.slots.resize(batch.size(), RecordSlot{&state});
  std::string encoded, id_scratch;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const RecordView& r = batch[i];
    if (state.not_ready[stream_index(r.stream)]) continue;
    // JSON values are handed over without a copy: the runner keeps `batch` until its result
    // has been taken, i.e. until every delivery report is in. Avro values are built here, so
    // copied.
    const bool avro = encoder_.is_avro(r.stream);
    if (avro && !encoder_.encode(r.stream, r.value, encoded, error)) {
      // This record can never be encoded: set aside, the others go.
      state.rejected.push_back({i, "avro: " + error});
      continue;
    }
    RecordSlot& slot = state.slots[i];
    if (connection_->per_record) {
      if (r.stream == Stream::events || r.stream == Stream::events_geo) {
        slot.kind = kEvent;
        slot.since = time_field(r.value, "\"eventTimestamp\":\"");
      } else if (r.stream == Stream::sales) {
        slot.kind = kEvent;
        const auto at = find_field(r.value, "\"sale_ts\":");
        if (at != std::string_view::npos) slot.since = leading_int(r.value.substr(at + 10));
      } else if (r.stream == Stream::alerts) {
        slot.kind = kAlert;
        const TimeMs end = time_field(r.value, "\"window_end\":\"");
        slot.since = end == 0 ? 0 : end + watermark_delay_;
      }
    }
    const std::string_view value = avro ? std::string_view(encoded) : r.value;
    const std::string_view event_id = event_id_of(r.value, closing_, id_scratch);
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
                            RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_OPAQUE(&slot), RD_KAFKA_V_END);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) rd_kafka_headers_destroy(headers);  // not taken
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        ++state.outstanding;
        break;
      }
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(rk_, 50);  // wait for reports to make room
        continue;
      }
      if (refused_for_good(err)) {  // e.g. larger than message.max.bytes
        state.rejected.push_back({i, std::string("kafka: ") + rd_kafka_err2str(err)});
        break;
      }
      // Not accepted at all: wait for what was queued, then retry the whole batch.
      state.first_error = rd_kafka_err2str(err);
      ++state.failed;
      return;
    }
  }
}

// A stream whose format cannot be prepared (Avro: schema registry down, schema refused) is
// not sent, from this batch and every later one, until the runner hands it over again
// (Batch::resumed): the other streams go on, and no record of it overtakes an unsent one.
void KafkaSink::prepare_streams(const Batch& b, BatchState& state) {
  StreamSet present{};
  for (const RecordView& r : b.records) present[stream_index(r.stream)] = true;
  for (std::size_t i = 0; i < kStreamCount; ++i) {
    if (b.resumed[i]) unready_[i] = false;
    if (!present[i]) continue;
    std::string error;
    if (!unready_[i] && !encoder_.prepare(kAllStreams[i], error)) {
      unready_[i] = true;
      state.not_ready_error = std::string(stream_name(kAllStreams[i])) + ": " + error;
    }
    state.not_ready[i] = unready_[i];
  }
}

void KafkaSink::cancel() {
  // What is still queued or in flight (brokers down) is dropped, not awaited: it is still in
  // the buffer, unconfirmed, and goes again after the restart. Its reports come at once.
  rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
}

std::optional<DeliveryResult> KafkaSink::take_result(std::int64_t timeout_ms) {
  if (in_flight_.empty()) return std::nullopt;
  if (in_flight_.front()->outstanding > 0) rd_kafka_poll(rk_, static_cast<int>(timeout_ms));
  if (in_flight_.front()->outstanding > 0) return std::nullopt;
  const std::unique_ptr<BatchState> state = std::move(in_flight_.front());
  in_flight_.pop_front();
  if (state->refused.size() == 1) {
    state->rejected.push_back(std::move(state->refused.front()));
  } else if (!state->refused.empty()) {  // maybe one message set's fate: not proof for each
    state->failed += state->refused.size();
    state->first_error = state->refused.front().reason +
                         " (for several records at once; check the topic's max.message.bytes "
                         "against the producer's message.max.bytes)";
  }
  if (state->failed) {
    const std::string msg = std::to_string(state->failed) + " of " +
                            std::to_string(state->records) +
                            " records not acknowledged: " + state->first_error;
    health_ = {false, msg};
    return DeliveryResult{DeliveryStatus::retry, msg};
  }
  const bool all_ready =
      std::find(state->not_ready.begin(), state->not_ready.end(), true) == state->not_ready.end();
  health_ = all_ready ? SinkHealth{} : SinkHealth{false, state->not_ready_error};
  std::sort(state->rejected.begin(), state->rejected.end(),
            [](const RejectedRecord& a, const RejectedRecord& b) { return a.index < b.index; });
  return DeliveryResult{DeliveryStatus::delivered, state->not_ready_error,
                        std::move(state->rejected), state->not_ready};
}

std::vector<SinkMetric> KafkaSink::metrics() const {
  std::vector<SinkMetric> m;
  if (const auto b = brokers()) {
    const char* help =
        "Brokers of the Kafka cluster by connection state (up: connected), from librdkafka's "
        "statistics (statistics.interval.ms).";
    m.push_back({"kafka_brokers", "gauge", help, {{"state", "up"}}, double(b->up)});
    m.push_back({"kafka_brokers", "gauge", help, {{"state", "down"}}, double(b->known - b->up)});
  }
  if (!connection_->per_record) return m;
  const char* name = "kafka_delivery_latency_seconds";
  const char* help =
      "Realtime clock: from an event (kind=event: its timestamp; kind=alert: the watermark passing "
      "the window's end) to its record's delivery report.";
  for (const LatencyKind kind : {kEvent, kAlert}) {
    const auto& h = connection_->latency[kind];
    const std::string k = kind == kEvent ? "event" : "alert";
    for (std::size_t i = 0; i < LatencyHistogram::kBuckets.size(); ++i) {
      char le[32];
      std::snprintf(le, sizeof le, "%g", LatencyHistogram::kBuckets[i]);
      m.push_back({name,
                   "histogram",
                   help,
                   {{"kind", k}, {"le", le}},
                   static_cast<double>(h.bucket(i)),
                   "_bucket"});
    }
    m.push_back({name,
                 "histogram",
                 help,
                 {{"kind", k}, {"le", "+Inf"}},
                 static_cast<double>(h.count()),
                 "_bucket"});
    m.push_back({name, "histogram", help, {{"kind", k}}, h.sum(), "_sum"});
    m.push_back({name, "histogram", help, {{"kind", k}}, static_cast<double>(h.count()), "_count"});
  }
  return m;
}

}  // namespace gw
