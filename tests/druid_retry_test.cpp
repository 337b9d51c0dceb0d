// The Druid sink in process against tools/druid-mock: FAILED tasks are retried for as long as
// they fail (never dead-lettered), and rows a succeeded task threw away are counted from its
// report.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "druid_mock.h"
#include "sinks/druid/druid_sink.h"

using namespace gw;

namespace {

Options druid_options(const std::string& url) {
  Options o;
  o.gateway.id = "retry-gw";
  o.sinks.druid.enabled = true;
  o.sinks.druid.url = url;
  for (std::size_t i = 0; i < kStreamCount; ++i)
    o.sinks.druid.datasources[i] = std::string(kDefaultTopics[i]);
  return o;
}

std::vector<std::string> aggregate_rows(int n) {
  std::vector<std::string> rows;
  for (int i = 0; i < n; ++i)
    rows.push_back(R"({"store_id":"s)" + std::to_string(i) +
                   R"(","window_end":"2026-12-04T10:00:00Z","total":1})");
  return rows;
}

Batch batch_of(const std::vector<std::string>& values, std::vector<RecordView>& views) {
  views.clear();
  for (const auto& v : values) views.push_back({Stream::sales_aggregate, "k", v});
  return Batch{views, Stream::sales_aggregate, "buf-sales_aggregate-1-1"};
}

double metric(const DruidSink& sink, const std::string& name, const std::string& outcome) {
  for (const SinkMetric& m : sink.metrics())
    if (m.name == name && !m.labels.empty() && m.labels[0].second == outcome) return m.value;
  return -1;
}

}  // namespace

TEST_CASE("druid: a batch whose tasks keep ending FAILED is retried, never dead-lettered") {
  MockDruid druid;
  druid.inject(R"({"task_result":"FAILED","count":12})");
  DruidSink sink(druid_options(druid.url()));
  const auto values = aggregate_rows(3);
  std::vector<RecordView> views;
  const Batch batch = batch_of(values, views);
  int retries = 0;
  DeliveryResult r;
  for (int i = 0; i < 20; ++i) {
    r = sink.deliver(batch);
    if (r.status != DeliveryStatus::retry) break;
    ++retries;
  }
  CHECK(r.status == DeliveryStatus::delivered);
  CHECK(retries == 12);
  CHECK(druid.rows("SALES_AGGREGATE").size() == 3);
  CHECK(metric(sink, "druid_tasks_total", "failed") == 12);
  CHECK(metric(sink, "druid_tasks_total", "rejected") == 0);
}

TEST_CASE("druid: rows a succeeded task threw away are counted from its report") {
  MockDruid druid;
  druid.inject(R"({"thrown_away":2})");
  DruidSink sink(druid_options(druid.url()));
  const auto values = aggregate_rows(5);
  std::vector<RecordView> views;
  CHECK(sink.deliver(batch_of(values, views)).status == DeliveryStatus::delivered);
  CHECK(druid.rows("SALES_AGGREGATE").size() == 3);
  CHECK(metric(sink, "druid_rows_total", "processed") == 3);
  CHECK(metric(sink, "druid_rows_total", "thrown_away") == 2);
  CHECK(metric(sink, "druid_rows_total", "unparseable") == 0);
}

TEST_CASE("druid: a task report's row counts are read from rowStats.buildSegments") {
  const auto st = parse_task_row_stats(
      R"({"ingestionStatsAndErrors":{"taskId":"t","payload":{"ingestionState":"COMPLETED",)"
      R"("rowStats":{"determinePartitions":{"processed":0,"thrownAway":0},"buildSegments":)"
      R"({"processed":7,"processedWithError":1,"thrownAway":2,"unparseable":3}},)"
      R"("errorMsg":null},"type":"ingestionStatsAndErrors"}})");
  REQUIRE(st);
  CHECK(st->processed == 7);
  CHECK(st->processed_with_error == 1);
  CHECK(st->thrown_away == 2);
  CHECK(st->unparseable == 3);
  CHECK_FALSE(parse_task_row_stats("{}"));
  CHECK_FALSE(parse_task_row_stats("not json"));
}

TEST_CASE("druid: a batch refused with 400 is split until the rows refused alone are found") {
  MockDruid druid({"--max-payload", "6000"});  // druid.indexer.queue.maxTaskPayloadSize
  DruidSink sink(druid_options(druid.url()));
  auto values = aggregate_rows(8);
  values[5] = R"({"store_id":"big","window_end":"2026-12-04T10:00:00Z","pad":")" +
              std::string(6000, 'x') + "\"}";
  std::vector<RecordView> views;
  const DeliveryResult r = sink.deliver(batch_of(values, views));
  CHECK(r.status == DeliveryStatus::delivered);
  REQUIRE(r.rejected_records.size() == 1);
  CHECK(r.rejected_records[0].index == 5);
  CHECK(r.rejected_records[0].reason.find("400") != std::string::npos);
  CHECK(druid.rows("SALES_AGGREGATE").size() == 7);  // every other row, once
}

TEST_CASE("druid: a refusal of every task is not split further than its two halves") {
  MockDruid druid;
  druid.inject(R"({"submit_status":400,"count":100})");
  DruidSink sink(druid_options(druid.url()));
  const auto values = aggregate_rows(64);
  std::vector<RecordView> views;
  CHECK(sink.deliver(batch_of(values, views)).status == DeliveryStatus::rejected);
  CHECK(druid.stats()["submissions"].GetInt64() == 3);
}
