// The Kafka sink in process, against the mock cluster: a record Kafka refuses for good (over
// message.max.bytes) is set aside as a dead letter while the rest of its batch is delivered
// once; the event_id header is the record's real (unescaped) event id; with the schema
// registry down, only the Avro stream waits.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>

#include "buffer/buffer.h"
#include "core/records.h"
#include "kafka_mock.h"
#include "process.h"
#include "schema_registry_mock.h"
#include "sinks/kafka/kafka_sink.h"
#include "sinks/sink_runner.h"

namespace fs = std::filesystem;
using namespace gw;

namespace {

Options kafka_options(const std::string& bootstrap) {
  Options o;
  o.gateway.id = "rejects-gw";
  o.sinks.kafka.brokers = bootstrap;
  o.sinks.kafka.properties = {{"message.timeout.ms", "5000"}};
  for (std::size_t i = 0; i < kStreamCount; ++i) o.sinks.topics[i] = std::string(kDefaultTopics[i]);
  return o;
}

// Runs a KafkaSink on `buffer` (sink index 0) until `done` holds or 30 s passed.
template <class Done>
void run_kafka_sink(const Options& o, Buffer& buffer, Clock& clock, Done done) {
  std::string error;
  auto sink = KafkaSink::create(o, error);
  REQUIRE_MESSAGE(sink, error);
  SinkRunner runner(std::move(sink), 0, buffer, clock);
  runner.start();
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!done(runner) && std::chrono::steady_clock::now() < until) buffer.wait_for_change(100);
  runner.finish(clock.now() + 5000);
  runner.join();
  CHECK(runner.healthy());
}

// A buffer in a fresh folder with one sink, "kafka"; the folder is removed at the end.
struct KafkaBuffer {
  explicit KafkaBuffer(const std::string& name)
      : dir(test::fresh_dir(name)),
        buffer(options(dir), BufferOptions{}, std::vector<std::string>{"kafka"}, clock) {}
  ~KafkaBuffer() { fs::remove_all(dir); }
  static GatewayOptions options(const fs::path& d) {
    GatewayOptions g;
    g.data_dir = d.string();
    return g;
  }
  fs::path dir;
  SystemClock clock;
  Buffer buffer;
};

}  // namespace

TEST_CASE("kafka: a record over message.max.bytes is a dead letter, its batch delivered once") {
  test::KafkaMock kafka("EVENTS", 1, 1);
  KafkaBuffer kb("kafka-rejects");
  auto& [dir, clock, buffer] = kb;
  std::vector<Record> records;
  for (int i = 0; i < 20; ++i) {
    records.push_back(
        {Stream::events, "d" + std::to_string(i % 3), "{\"n\":" + std::to_string(i) + "}"});
    if (i == 7)  // one poison record among them, in the same chunk
      records.push_back(
          {Stream::events, "d1", "{\"pad\":\"" + std::string(1'000'084 - 10, 'x') + "\"}"});
  }
  REQUIRE(records[8].value.size() == 1'000'084);
  REQUIRE(buffer.commit(records, nullptr) == CommitResult::ok);

  run_kafka_sink(kafka_options(kafka.bootstrap()), buffer, clock,
                 [&](const SinkRunner&) { return buffer.backlog(0) == 0; });

  CHECK(buffer.backlog(0) == 0);
  const auto got = test::consume_with_kcat(kafka.bootstrap(), "EVENTS", "%s\n");
  std::vector<std::string> want;
  for (const Record& r : records)
    if (r.value.size() < 1000) want.push_back(r.value);
  std::vector<std::string> sorted_got = got;
  std::sort(sorted_got.begin(), sorted_got.end());
  std::sort(want.begin(), want.end());
  CHECK(sorted_got == want);  // each good record exactly once, the poison one not at all
  const BufferStats st = Buffer::read_stats(buffer.path());
  REQUIRE(st.dead_letters.count("kafka") == 1);
  CHECK(st.dead_letters.at("kafka").records == 1);
  CHECK(st.dead_letters.at("kafka").last_reason.find("too large") != std::string::npos);
  CHECK(st.streams[stream_index(Stream::events)].drops.at("rejected") == 1);
}

TEST_CASE("kafka: the event_id header is the real event id, quotes and backslashes unescaped") {
  test::KafkaMock kafka("EVENTS", 1, 1);
  KafkaBuffer kb("kafka-event-id");
  auto& [dir, clock, buffer] = kb;
  const Options o = kafka_options(kafka.bootstrap());
  const std::string closing = RecordEncoder(o.gateway.id).closing();
  // The id a"b\c, JSON-escaped as our encoder writes it: before the closing gateway_id.
  const std::vector<Record> records{
      {Stream::events, "d1", "{\"deviceId\":\"d1\",\"event_id\":\"a\\\"b\\\\c\"" + closing},
      {Stream::events, "d2", "{\"deviceId\":\"d2\",\"event_id\":\"plain-1\"" + closing}};
  REQUIRE(buffer.commit(records, nullptr) == CommitResult::ok);

  run_kafka_sink(o, buffer, clock, [&](const SinkRunner&) { return buffer.backlog(0) == 0; });

  auto got = test::consume_with_kcat(kafka.bootstrap(), "EVENTS", "%k %h\n");
  std::sort(got.begin(), got.end());
  CHECK(got == std::vector<std::string>{"d1 gateway_id=rejects-gw,event_id=a\"b\\c",
                                        "d2 gateway_id=rejects-gw,event_id=plain-1"});
}

TEST_CASE("kafka: with the schema registry down, the JSON streams keep being delivered") {
  test::KafkaMock kafka("SALES,EVENTS", 1, 1);
  const std::string registry_at = "127.0.0.1:" + std::to_string(test::free_port());
  KafkaBuffer kb("kafka-registry-down");
  auto& [dir, clock, buffer] = kb;
  Options o = kafka_options(kafka.bootstrap());
  o.sinks.kafka.formats[stream_index(Stream::sales)] = ValueFormat::avro;
  o.sinks.kafka.schema_registry.url = "http://" + registry_at;
  std::vector<std::string> sale_keys, event_keys;
  for (int c = 0; c < 5; ++c) {  // 5 commits: sales and events, in several batches
    std::vector<Record> records;
    for (int i = 0; i < 20; ++i) {
      const std::string n = std::to_string(c * 20 + i);
      records.push_back(
          {Stream::sales, "s" + n,
           "{\"store_id\":\"s" + n + "\",\"sale_amount\":" + n + ",\"sale_ts\":1700000000000}"});
      records.push_back({Stream::events, "e" + n, "{\"n\":" + n + "}"});
      sale_keys.push_back("s" + n);
      event_keys.push_back("e" + n);
    }
    REQUIRE(buffer.commit(records, nullptr) == CommitResult::ok);
  }
  std::unique_ptr<MockRegistry> registry;
  std::uint64_t sales_before = 1;
  run_kafka_sink(o, buffer, clock, [&](const SinkRunner& runner) {
    // Every event delivered, the sink reported down: the registry comes up.
    if (!registry && runner.delivered(Stream::events) == event_keys.size() && !runner.healthy()) {
      sales_before = runner.delivered(Stream::sales);
      registry = std::make_unique<MockRegistry>(std::vector<std::string>{}, registry_at);
    }
    return registry && buffer.backlog(0) == 0;
  });
  REQUIRE(registry);
  CHECK(sales_before == 0);  // every event went while no sale could
  CHECK(buffer.backlog(0) == 0);
  CHECK(test::consume_with_kcat(kafka.bootstrap(), "EVENTS", "%k\n") == event_keys);
  CHECK(test::consume_with_kcat(kafka.bootstrap(), "SALES", "%k\n") == sale_keys);  // in order
}

TEST_CASE("kafka: a record invalid for its Avro schema is a dead letter, the others delivered") {
  test::KafkaMock kafka("SALES", 1, 1);
  MockRegistry registry;
  KafkaBuffer kb("kafka-avro-invalid");
  auto& [dir, clock, buffer] = kb;
  Options o = kafka_options(kafka.bootstrap());
  o.sinks.kafka.formats[stream_index(Stream::sales)] = ValueFormat::avro;
  o.sinks.kafka.schema_registry.url = registry.url();
  std::vector<Record> records;
  std::vector<std::string> good_keys;
  for (int i = 0; i < 10; ++i) {
    const std::string n = std::to_string(i);
    const bool bad = i == 4;  // sale_amount is an int in the schema
    records.push_back({Stream::sales, "s" + n,
                       "{\"store_id\":\"s" + n + "\",\"sale_amount\":" + (bad ? "\"many\"" : n) +
                           ",\"sale_ts\":1700000000000}"});
    if (!bad) good_keys.push_back("s" + n);
  }
  REQUIRE(buffer.commit(records, nullptr) == CommitResult::ok);

  run_kafka_sink(o, buffer, clock, [&](const SinkRunner&) { return buffer.backlog(0) == 0; });

  CHECK(test::consume_with_kcat(kafka.bootstrap(), "SALES", "%k\n") == good_keys);
  const BufferStats st = Buffer::read_stats(buffer.path());
  REQUIRE(st.dead_letters.count("kafka") == 1);
  CHECK(st.dead_letters.at("kafka").records == 1);
  CHECK(st.dead_letters.at("kafka").last_reason.find("avro") != std::string::npos);
  CHECK(st.streams[stream_index(Stream::sales)].drops.at("rejected") == 1);
}
