// Tests of tools/druid-mock itself (the Druid stand-in the gateway's Druid tests run against).
#include <doctest/doctest.h>
#include <rapidjson/document.h>
#include <rapidjson/pointer.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "druid_mock.h"
#include "http/http_client.h"

namespace {

constexpr const char* kTaskPath = "/druid/indexer/v1/task";
constexpr const char* kSupervisorPath = "/druid/indexer/v1/supervisor";

// Rows of two UTC days; the last one is 2026-06-02T06:00Z, written with an offset and spaces.
const std::string kDay1a = R"({"ts":"2026-06-01T12:01:00.000Z","store_id":"ABC","sales":9120})";
const std::string kDay1b = R"({"ts":"2026-06-01T23:59:59.999Z","store_id":"XYZ","sales":1})";
const std::string kDay2a = R"({"ts":"2026-06-02T00:00:00.000Z","store_id":"ABC","sales":5})";
const std::string kDay2b = R"({ "ts" : "2026-06-02T08:00:00+02:00",  "store_id":"Zürich" })";

std::string to_text(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

void set(rapidjson::Document& d, const char* pointer, const std::string& value) {
  rapidjson::Pointer(pointer).Set(d, rapidjson::Value(value.c_str(), d.GetAllocator()).Move());
}

void set_json(rapidjson::Document& d, const char* pointer, const std::string& json) {
  rapidjson::Document v(&d.GetAllocator());
  v.Parse(json.c_str());
  REQUIRE_FALSE(v.HasParseError());
  rapidjson::Pointer(pointer).Set(d, v.Move());
}

// A valid index_parallel task of `lines` (ISO timestamps in "ts", day segments).
rapidjson::Document task(const std::string& datasource, const std::vector<std::string>& lines,
                         bool append, const std::string& id = "") {
  rapidjson::Document d;
  d.Parse(R"({"type":"index_parallel","spec":{
    "dataSchema":{"dataSource":"","timestampSpec":{"column":"ts","format":"iso"},
      "dimensionsSpec":{"dimensions":["store_id",{"type":"long","name":"sales"}]},
      "granularitySpec":{"segmentGranularity":"day","queryGranularity":"none","rollup":false}},
    "ioConfig":{"type":"index_parallel","inputSource":{"type":"inline","data":""},
      "inputFormat":{"type":"json"},"appendToExisting":false},
    "tuningConfig":{"type":"index_parallel","partitionsSpec":{"type":"dynamic"}}}})");
  REQUIRE_FALSE(d.HasParseError());
  set(d, "/spec/dataSchema/dataSource", datasource);
  std::string data;
  for (const auto& l : lines) data += l + "\n";
  set(d, "/spec/ioConfig/inputSource/data", data);
  rapidjson::Pointer("/spec/ioConfig/appendToExisting").Set(d, append);
  if (!id.empty()) set(d, "/id", id);
  return d;
}

// The task id of a submission that must succeed.
std::string submit(const MockDruid& druid, const rapidjson::Document& t) {
  const gw::HttpResponse r = druid.post_json(kTaskPath, to_text(t));
  INFO(r.error, r.body);
  REQUIRE(r.status == 200);
  const auto doc = MockDruid::parse(r.body);
  REQUIRE(doc["task"].IsString());
  return doc["task"].GetString();
}

rapidjson::Document status_of(const MockDruid& druid, const std::string& id) {
  const gw::HttpResponse r = druid.request("GET", std::string(kTaskPath) + "/" + id + "/status");
  INFO(r.error, r.body);
  REQUIRE(r.status == 200);
  return MockDruid::parse(r.body);
}

// Polls the task until it is no longer RUNNING; its last status object.
rapidjson::Document final_status(const MockDruid& druid, const std::string& id) {
  for (int i = 0; i < 20; ++i) {
    auto doc = status_of(druid, id);
    if (std::string(doc["status"]["status"].GetString()) != "RUNNING") return doc;
  }
  FAIL("task ", id, " still RUNNING after 20 polls");
  return {};
}

std::string error_message(const gw::HttpResponse& r) {
  const auto doc = MockDruid::parse(r.body);
  return doc.HasMember("errorMessage") && doc["errorMessage"].IsString()
             ? doc["errorMessage"].GetString()
             : "";
}

std::string error_code(const gw::HttpResponse& r) {
  const auto doc = MockDruid::parse(r.body);
  return doc.HasMember("errorCode") ? doc["errorCode"].GetString() : "";
}

// A field of a spec that makes it invalid: set to `json`, or removed when that is nullptr; the
// 400 answer must name `field`.
struct BadField {
  const char* pointer;
  const char* json;  // nullptr: remove the field
  const char* field;
};

// Invalid index_parallel tasks: task() with one field changed.
const BadField kBadTaskFields[] = {
    {"/type", R"("index")", "[type]"},
    {"/type", nullptr, "[type]"},
    {"/spec/dataSchema/dataSource", nullptr, "[spec.dataSchema.dataSource]"},
    {"/spec/dataSchema/dataSource", R"("")", "[spec.dataSchema.dataSource]"},
    {"/spec/dataSchema/dataSource", "42", "[spec.dataSchema.dataSource]"},
    {"/spec/dataSchema/timestampSpec/column", nullptr, "[spec.dataSchema.timestampSpec.column]"},
    {"/spec/dataSchema/timestampSpec/format", R"("dd.MM.yyyy")",
     "[spec.dataSchema.timestampSpec.format]"},
    {"/spec/dataSchema/dimensionsSpec", nullptr, "[spec.dataSchema.dimensionsSpec]"},
    {"/spec/dataSchema/dimensionsSpec", R"([])", "[spec.dataSchema.dimensionsSpec]"},
    {"/spec/ioConfig/type", R"("index")", "[spec.ioConfig.type]"},
    {"/spec/ioConfig/inputSource/type", R"("http")", "[spec.ioConfig.inputSource.type]"},
    {"/spec/ioConfig/inputSource/data", nullptr, "[spec.ioConfig.inputSource.data]"},
    {"/spec/ioConfig/inputSource/data", R"(["x"])", "[spec.ioConfig.inputSource.data]"},
    {"/spec/ioConfig/inputFormat/type", R"("csv")", "[spec.ioConfig.inputFormat.type]"},
    {"/spec/ioConfig/appendToExisting", R"("yes")", "[spec.ioConfig.appendToExisting]"},
    {"/spec/dataSchema/transformSpec", R"({"transforms":[{"type":"javascript","name":"x"}]})",
     "[spec.dataSchema.transformSpec.transforms[].type]"},
    {"/id", R"("a/b")", "[id]"},
};

// Invalid Kafka supervisor specs: supervisor() with one field changed.
const BadField kBadSupervisorFields[] = {
    {"/type", R"("kinesis")", "[type]"},
    {"/spec/dataSchema/dataSource", nullptr, "[spec.dataSchema.dataSource]"},
    {"/spec/dataSchema/timestampSpec/column", nullptr, "[spec.dataSchema.timestampSpec.column]"},
    {"/spec/ioConfig/topic", nullptr, "[spec.ioConfig.topic]"},
    {"/spec/ioConfig/consumerProperties", R"({})",
     "[spec.ioConfig.consumerProperties.bootstrap.servers]"},
    {"/spec/ioConfig/inputFormat/type", R"("csv")", "[spec.ioConfig.inputFormat.type]"},
    {"/spec/ioConfig/inputFormat", R"({"type":"avro_stream"})",
     "[spec.ioConfig.inputFormat.avroBytesDecoder]"},
    {"/spec/ioConfig/inputFormat",
     R"({"type":"avro_stream","avroBytesDecoder":{"type":"schema_registry"}})",
     "[spec.ioConfig.inputFormat.avroBytesDecoder.url]"},
};

// POSTs `spec` with `bad` applied to `path`: it must be answered 400 invalidInput naming the
// field. The answer goes to `more_checks` too.
void check_bad_field(const MockDruid& druid, const char* path, rapidjson::Document spec,
                     const BadField& bad,
                     const std::function<void(const gw::HttpResponse&)>& more_checks = {}) {
  if (bad.json == nullptr)
    rapidjson::Pointer(bad.pointer).Erase(spec);
  else
    set_json(spec, bad.pointer, bad.json);
  const gw::HttpResponse r = druid.post_json(path, to_text(spec));
  INFO(bad.pointer, " = ", (bad.json ? bad.json : "(removed)"), " -> ", r.body);
  CHECK(r.status == 400);
  CHECK(error_code(r) == "invalidInput");
  CHECK(error_message(r).find(bad.field) != std::string::npos);
  if (more_checks) more_checks(r);
}

// A valid Kafka supervisor spec for topic SALES.
rapidjson::Document supervisor(const std::string& datasource) {
  rapidjson::Document d;
  d.Parse(R"({"type":"kafka","spec":{
    "dataSchema":{"dataSource":"","timestampSpec":{"column":"window_end","format":"iso"},
      "dimensionsSpec":{"useSchemaDiscovery":true},
      "granularitySpec":{"segmentGranularity":"day","queryGranularity":"none","rollup":false}},
    "ioConfig":{"type":"kafka","topic":"SALES","consumerProperties":{"bootstrap.servers":"kafka:19092"},
      "inputFormat":{"type":"json"},"useEarliestOffset":true},
    "tuningConfig":{"type":"kafka"}}})");
  REQUIRE_FALSE(d.HasParseError());
  set(d, "/spec/dataSchema/dataSource", datasource);
  return d;
}

}  // namespace

TEST_CASE("druid mock: a valid task runs RUNNING then SUCCESS and only then its rows appear") {
  MockDruid druid;
  CHECK(druid.request("GET", "/status/health").body == "true");
  const std::string id = submit(druid, task("SALES", {kDay1a, kDay2b}, true, "gw01-SALES-000001"));
  CHECK(id == "gw01-SALES-000001");

  auto first = status_of(druid, id);
  const auto& st = first["status"];
  CHECK(std::string(first["task"].GetString()) == id);
  CHECK(std::string(st["id"].GetString()) == id);
  CHECK(std::string(st["type"].GetString()) == "index_parallel");
  CHECK(std::string(st["status"].GetString()) == "RUNNING");
  CHECK(std::string(st["statusCode"].GetString()) == "RUNNING");
  CHECK(std::string(st["runnerStatusCode"].GetString()) == "RUNNING");
  CHECK(st["duration"].GetInt64() == -1);
  CHECK(std::string(st["dataSource"].GetString()) == "SALES");
  CHECK(st["errorMsg"].IsNull());
  CHECK(st["location"]["port"].GetInt() == -1);
  CHECK(std::string(st["createdTime"].GetString()).size() == 24);
  CHECK(druid.rows("SALES").empty());

  auto done = status_of(druid, id);
  CHECK(std::string(done["status"]["status"].GetString()) == "SUCCESS");
  CHECK(std::string(done["status"]["runnerStatusCode"].GetString()) == "NONE");
  CHECK(done["status"]["duration"].GetInt64() >= 0);
  CHECK(druid.rows("SALES") == std::vector<std::string>{kDay1a, kDay2b});

  const gw::HttpResponse reports =
      druid.request("GET", std::string(kTaskPath) + "/" + id + "/reports");
  REQUIRE(reports.status == 200);
  const auto rep = MockDruid::parse(reports.body);
  const auto& payload = rep["ingestionStatsAndErrors"]["payload"];
  CHECK(std::string(payload["ingestionState"].GetString()) == "COMPLETED");
  CHECK(payload["rowStats"]["buildSegments"]["processed"].GetInt() == 2);
  CHECK(payload["rowStats"]["buildSegments"]["unparseable"].GetInt() == 0);

  const auto tasks = druid.tasks();
  REQUIRE(tasks.Size() == 1);
  CHECK(std::string(tasks[0]["id"].GetString()) == id);
  CHECK(std::string(tasks[0]["dataSource"].GetString()) == "SALES");
  CHECK(std::string(tasks[0]["status"].GetString()) == "SUCCESS");
  CHECK(tasks[0]["rows"].GetInt() == 2);
  CHECK(tasks[0]["append_to_existing"].GetBool());
  CHECK(tasks[0]["spec"] == task("SALES", {kDay1a, kDay2b}, true, "gw01-SALES-000001"));

  const gw::HttpResponse payload_reply = druid.request("GET", std::string(kTaskPath) + "/" + id);
  CHECK(payload_reply.status == 200);
  CHECK(MockDruid::parse(payload_reply.body)["payload"].IsObject());
}

TEST_CASE("druid mock: task ids are generated when none is given") {
  MockDruid druid({"--running-polls", "0"});
  CHECK(submit(druid, task("SALES", {kDay1a}, true)) == "index_parallel_SALES_1");
  CHECK(submit(druid, task("SALES", {kDay1b}, true)) == "index_parallel_SALES_2");
}

TEST_CASE("druid mock: appendToExisting appends, otherwise the days a task covers are replaced") {
  MockDruid druid({"--running-polls", "0"});
  const auto run = [&](const rapidjson::Document& t) {
    const std::string id = submit(druid, t);
    CHECK(std::string(final_status(druid, id)["status"]["status"].GetString()) == "SUCCESS");
  };
  run(task("SALES", {kDay1a, kDay2a}, false));
  run(task("SALES", {kDay1b, kDay2b}, true));
  CHECK(druid.rows("SALES") == std::vector<std::string>{kDay1a, kDay2a, kDay1b, kDay2b});

  // A replacing task of one day-1 row drops every other day-1 row; day 2 stays.
  const std::string replacement = R"({"ts":"2026-06-01T00:00:00Z","store_id":"NEW"})";
  run(task("SALES", {replacement}, false));
  CHECK(druid.rows("SALES") == std::vector<std::string>{kDay2a, kDay2b, replacement});
  // Another datasource is untouched.
  run(task("OTHER", {kDay1a}, false));
  CHECK(druid.rows("SALES").size() == 3);
  CHECK(druid.rows("OTHER") == std::vector<std::string>{kDay1a});
  CHECK(druid.rows("NONE").empty());

  // hour segments replace only the hour covered.
  auto hourly = task("SALES", {R"({"ts":"2026-06-02T06:30:00Z"})"}, false);
  set(hourly, "/spec/dataSchema/granularitySpec/segmentGranularity", "hour");
  run(hourly);
  CHECK(druid.rows("SALES") ==
        std::vector<std::string>{kDay2a, replacement, R"({"ts":"2026-06-02T06:30:00Z"})"});
}

TEST_CASE("druid mock: invalid task specs are answered 400 invalidInput naming the field") {
  MockDruid druid;
  for (const BadField& c : kBadTaskFields) {
    check_bad_field(druid, kTaskPath, task("SALES", {kDay1a}, false), c,
                    [](const gw::HttpResponse& r) {
                      const auto doc = MockDruid::parse(r.body);
                      CHECK(std::string(doc["error"].GetString()) == "druidException");
                      CHECK(std::string(doc["persona"].GetString()) == "USER");
                      CHECK(std::string(doc["category"].GetString()) == "INVALID_INPUT");
                      CHECK(doc["context"].IsObject());
                    });
  }

  // Appending needs dynamic partitions; replacing may use others.
  auto hashed = task("SALES", {kDay1a}, true);
  set(hashed, "/spec/tuningConfig/partitionsSpec/type", "hashed");
  const gw::HttpResponse r = druid.post_json(kTaskPath, to_text(hashed));
  CHECK(r.status == 400);
  CHECK(error_message(r).find("[spec.tuningConfig.partitionsSpec.type]") != std::string::npos);
  rapidjson::Pointer("/spec/ioConfig/appendToExisting").Set(hashed, false);
  CHECK(druid.post_json(kTaskPath, to_text(hashed)).status == 200);

  // Expression transforms, a missingValue and other formats are accepted.
  auto extras = task("SALES", {kDay1a}, false);
  set_json(extras, "/spec/dataSchema/transformSpec",
           R"({"transforms":[{"type":"expression","name":"x2","expression":"sales * 2"}]})");
  set_json(extras, "/spec/dataSchema/timestampSpec",
           R"({"column":"ts","format":"auto","missingValue":"2026-01-01T00:00:00Z"})");
  CHECK(druid.post_json(kTaskPath, to_text(extras)).status == 200);
  CHECK(druid.tasks().Size() == 2);
}

TEST_CASE("druid mock: media type, malformed JSON and the payload limit") {
  MockDruid druid({"--max-payload", "2000"});
  const std::string body = to_text(task("SALES", {kDay1a}, true));
  CHECK(druid.request("POST", kTaskPath, body, {{"Content-Type", "text/plain"}}).status == 415);
  CHECK(druid.request("POST", kTaskPath, body).status == 415);
  CHECK(druid.post_json(kTaskPath, body, {{"Content-Type", "application/json; charset=utf-8"}})
            .status == 200);

  const gw::HttpResponse malformed = druid.post_json(kTaskPath, R"({"type":"index_parallel",)");
  CHECK(malformed.status == 500);
  CHECK(MockDruid::parse(malformed.body).HasMember("error"));

  std::vector<std::string> many(40, kDay1a);
  const gw::HttpResponse big = druid.post_json(kTaskPath, to_text(task("SALES", many, true)));
  CHECK(big.status == 400);
  CHECK(error_message(big).find("payload size") != std::string::npos);
  CHECK(druid.tasks().Size() == 1);
  CHECK(druid.stats()["submissions"].GetInt() == 5);
}

TEST_CASE("druid mock: a task id that exists is refused with entryAlreadyExists") {
  MockDruid druid;
  submit(druid, task("SALES", {kDay1a}, true, "dup-1"));
  const gw::HttpResponse again =
      druid.post_json(kTaskPath, to_text(task("SALES", {kDay2a}, true, "dup-1")));
  CHECK(again.status == 400);
  CHECK(error_code(again) == "entryAlreadyExists");
  CHECK(error_message(again) == "Task[dup-1] already exists");
  CHECK(druid.tasks().Size() == 1);
}

TEST_CASE("druid mock: an unparseable row fails the task naming the line and adds no rows") {
  MockDruid druid({"--running-polls", "0"});
  SUBCASE("not a JSON object") {
    const std::string id = submit(druid, task("SALES", {kDay1a, "[1,2]", kDay2a}, true));
    const auto st = final_status(druid, id);
    CHECK(std::string(st["status"]["status"].GetString()) == "FAILED");
    CHECK(std::string(st["status"]["errorMsg"].GetString()).find("line 2") != std::string::npos);
  }
  SUBCASE("no timestamp") {
    const std::string id = submit(druid, task("SALES", {kDay1a, "", R"({"x":1})"}, true));
    const auto st = final_status(druid, id);
    CHECK(std::string(st["status"]["status"].GetString()) == "FAILED");
    CHECK(std::string(st["status"]["errorMsg"].GetString()).find("line 3") != std::string::npos);
  }
  SUBCASE("a timestamp that is not ISO") {
    const std::string id = submit(druid, task("SALES", {R"({"ts":"yesterday"})"}, true));
    CHECK(std::string(final_status(druid, id)["status"]["status"].GetString()) == "FAILED");
  }
  CHECK(druid.rows("SALES").empty());
  const auto tasks = druid.tasks();
  CHECK(std::string(tasks[0]["status"].GetString()) == "FAILED");
}

TEST_CASE("druid mock: missingValue, millis timestamps and maxParseExceptions") {
  MockDruid druid({"--running-polls", "0"});
  auto missing = task("SALES", {R"({"x":1})"}, true);
  set_json(missing, "/spec/dataSchema/timestampSpec/missingValue", R"("2026-06-01T00:00:00Z")");
  CHECK(std::string(final_status(druid, submit(druid, missing))["status"]["status"].GetString()) ==
        "SUCCESS");

  auto millis = task("SALES", {R"({"ts":1780315260000})", R"({"ts":"1780315260000"})"}, true);
  set(millis, "/spec/dataSchema/timestampSpec/format", "millis");
  CHECK(std::string(final_status(druid, submit(druid, millis))["status"]["status"].GetString()) ==
        "SUCCESS");

  auto tolerant = task("SALES", {kDay1a, "not json"}, true);
  set_json(tolerant, "/spec/tuningConfig/maxParseExceptions", "1");
  const std::string id = submit(druid, tolerant);
  CHECK(std::string(final_status(druid, id)["status"]["status"].GetString()) == "SUCCESS");
  const auto rep =
      MockDruid::parse(druid.request("GET", std::string(kTaskPath) + "/" + id + "/reports").body);
  CHECK(rep["ingestionStatsAndErrors"]["payload"]["rowStats"]["buildSegments"]["unparseable"]
            .GetInt() == 1);
  CHECK(druid.rows("SALES").size() == 4);
}

TEST_CASE("druid mock: --running-polls sets how many status requests answer RUNNING") {
  MockDruid druid({"--running-polls", "3"});
  const std::string id = submit(druid, task("SALES", {kDay1a}, true));
  for (int i = 0; i < 3; ++i)
    CHECK(std::string(status_of(druid, id)["status"]["status"].GetString()) == "RUNNING");
  CHECK(std::string(status_of(druid, id)["status"]["status"].GetString()) == "SUCCESS");

  const std::string other = submit(druid, task("SALES", {kDay2a}, true));
  druid.complete_tasks();
  CHECK(std::string(status_of(druid, other)["status"]["status"].GetString()) == "SUCCESS");
  CHECK(druid.rows("SALES").size() == 2);
}

TEST_CASE("druid mock: shutdown ends a running task FAILED") {
  MockDruid druid;
  const std::string id = submit(druid, task("SALES", {kDay1a}, true));
  const gw::HttpResponse r = druid.request("POST", std::string(kTaskPath) + "/" + id + "/shutdown");
  CHECK(r.status == 200);
  CHECK(r.body == "{\"task\":\"" + id + "\"}");
  const auto st = status_of(druid, id);
  CHECK(std::string(st["status"]["status"].GetString()) == "FAILED");
  CHECK(std::string(st["status"]["errorMsg"].GetString()).find("Shutdown") != std::string::npos);
  CHECK(druid.rows("SALES").empty());
}

TEST_CASE("druid mock: injected submission failures are answered and create nothing") {
  MockDruid druid({"--running-polls", "0"});
  druid.inject(R"({"submit_status":503,"count":2})");
  for (int i = 0; i < 2; ++i) {
    const gw::HttpResponse r =
        druid.post_json(kTaskPath, to_text(task("SALES", {kDay1a}, true, "t1")));
    CHECK(r.status == 503);
    CHECK(error_message(r) == "injected");
    CHECK(MockDruid::parse(r.body).HasMember("error"));
  }
  CHECK(druid.tasks().Size() == 0);
  druid.inject(R"({"submit_status":400})");
  const gw::HttpResponse bad =
      druid.post_json(kTaskPath, to_text(task("SALES", {kDay1a}, true, "t1")));
  CHECK(bad.status == 400);
  CHECK(error_code(bad) == "invalidInput");
  CHECK(submit(druid, task("SALES", {kDay1a}, true, "t1")) == "t1");
  CHECK(druid.stats()["submissions"].GetInt() == 4);
}

TEST_CASE("druid mock: accept_then_status creates the task but loses the answer") {
  MockDruid druid({"--running-polls", "0"});
  druid.inject(R"({"accept_then_status":503,"count":1})");
  const auto t = task("SALES", {kDay1a}, true, "lost-1");
  CHECK(druid.post_json(kTaskPath, to_text(t)).status == 503);
  CHECK(druid.tasks().Size() == 1);
  // A resubmission under the same id is recognised; the first one runs normally.
  CHECK(error_code(druid.post_json(kTaskPath, to_text(t))) == "entryAlreadyExists");
  CHECK(std::string(final_status(druid, "lost-1")["status"]["status"].GetString()) == "SUCCESS");
  CHECK(druid.rows("SALES") == std::vector<std::string>{kDay1a});
}

TEST_CASE("druid mock: task_result FAILED fails the next created tasks") {
  MockDruid druid({"--running-polls", "0"});
  druid.inject(R"({"task_result":"FAILED","count":1})");
  const std::string failed = submit(druid, task("SALES", {kDay1a}, true));
  const auto st = final_status(druid, failed);
  CHECK(std::string(st["status"]["status"].GetString()) == "FAILED");
  CHECK(std::string(st["status"]["errorMsg"].GetString()) == "injected failure");
  CHECK(druid.rows("SALES").empty());
  const std::string ok = submit(druid, task("SALES", {kDay2a}, true));
  CHECK(std::string(final_status(druid, ok)["status"]["status"].GetString()) == "SUCCESS");
  CHECK(druid.rows("SALES") == std::vector<std::string>{kDay2a});
}

TEST_CASE("druid mock: status_status answers the next status requests with that status") {
  MockDruid druid({"--running-polls", "1"});
  const std::string id = submit(druid, task("SALES", {kDay1a}, true));
  druid.inject(R"({"status_status":503,"count":2})");
  const std::string path = std::string(kTaskPath) + "/" + id + "/status";
  CHECK(druid.request("GET", path).status == 503);
  CHECK(druid.request("GET", path).status == 503);
  // The injected answers did not count as polls: the task is still RUNNING once.
  CHECK(std::string(status_of(druid, id)["status"]["status"].GetString()) == "RUNNING");
  CHECK(std::string(status_of(druid, id)["status"]["status"].GetString()) == "SUCCESS");
  CHECK(druid.stats()["status_requests"].GetInt() == 4);
}

TEST_CASE("druid mock: delay_ms answers late without holding up other requests") {
  MockDruid druid({"--running-polls", "0"});
  druid.inject(R"({"delay_ms":1500,"count":1})");
  // A client that gives up first sees a timeout, but the task was created (a lost answer).
  const auto start = std::chrono::steady_clock::now();
  const gw::HttpResponse timed_out =
      druid.post_json(kTaskPath, to_text(task("SALES", {kDay1a}, true, "slow-1")), {}, 300);
  CHECK_FALSE(timed_out.error.empty());
  CHECK(druid.tasks().Size() == 1);

  druid.inject(R"({"delay_ms":800,"count":1})");
  gw::HttpResponse slow;
  std::thread waiter(
      [&] { slow = druid.request("GET", std::string(kTaskPath) + "/slow-1/status"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto quick_start = std::chrono::steady_clock::now();
  CHECK(druid.request("GET", "/status/health").status == 200);
  CHECK(druid.request("GET", kSupervisorPath).status == 200);
  CHECK(std::chrono::steady_clock::now() - quick_start < std::chrono::milliseconds(500));
  waiter.join();
  CHECK(slow.status == 200);
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(1000));
  CHECK(std::string(MockDruid::parse(slow.body)["status"]["status"].GetString()) == "SUCCESS");
}

TEST_CASE("druid mock: bad inject bodies are refused") {
  MockDruid druid;
  for (const char* body :
       {"", "[]", "{}", R"({"count":2})", R"({"submit_status":"503"})", R"({"submit_status":200})",
        R"({"task_result":"SUCCESS"})", R"({"delay":5})", R"({"status_status":503,"count":0})"}) {
    INFO(body);
    CHECK(druid.request("POST", "/mock/inject", body).status == 400);
  }
}

TEST_CASE("druid mock: basic auth guards the Druid endpoints but not health or /mock") {
  MockDruid druid({"--user", "druid", "--password", "s3cret"});
  const std::string body = to_text(task("SALES", {kDay1a}, true, "auth-1"));
  const gw::HttpResponse none = druid.post_json(kTaskPath, body);
  CHECK(none.status == 401);
  CHECK(MockDruid::parse(none.body).HasMember("error"));
  CHECK(
      druid.post_json(kTaskPath, body, {{"Authorization", gw::basic_auth_header("druid", "wrong")}})
          .status == 401);
  CHECK(druid.request("GET", kSupervisorPath).status == 401);
  const gw::HttpHeaders auth{{"Authorization", gw::basic_auth_header("druid", "s3cret")}};
  CHECK(druid.post_json(kTaskPath, body, auth).status == 200);
  CHECK(druid.request("GET", std::string(kTaskPath) + "/auth-1/status", "", auth).status == 200);
  // Druid exempts /status/health from authentication.
  CHECK(druid.request("GET", "/status/health").status == 200);
  CHECK(druid.tasks().Size() == 1);
  const auto stats = druid.stats();
  CHECK(stats["unauthorized"].GetInt() == 3);
  CHECK(stats["submissions"].GetInt() == 3);
}

TEST_CASE("druid mock: supervisors are stored, restarted unless unmodified, and terminated") {
  MockDruid druid;
  const std::string spec = to_text(supervisor("SALES"));
  const gw::HttpResponse first = druid.post_json(kSupervisorPath, spec);
  CHECK(first.status == 200);
  CHECK(first.body == R"({"id":"SALES"})");

  // The same spec with its keys in another order is unmodified.
  rapidjson::Document reordered;
  reordered.SetObject();
  auto original = supervisor("SALES");
  reordered.AddMember("spec", rapidjson::Value(original["spec"], reordered.GetAllocator()),
                      reordered.GetAllocator());
  reordered.AddMember("type", "kafka", reordered.GetAllocator());
  const std::string skip = std::string(kSupervisorPath) + "?skipRestartIfUnmodified=true";
  CHECK(druid.post_json(skip, to_text(reordered)).status == 200);
  auto sups = druid.supervisors();
  CHECK(sups["SALES"]["restarts"].GetInt() == 1);
  CHECK(sups["SALES"]["posts"].GetInt() == 2);

  CHECK(druid.post_json(kSupervisorPath, spec).status == 200);  // no flag: restarts
  auto changed = supervisor("SALES");
  set(changed, "/spec/ioConfig/topic", "SALES_V2");
  CHECK(druid.post_json(skip, to_text(changed)).status == 200);  // modified: restarts
  sups = druid.supervisors();
  CHECK(sups["SALES"]["restarts"].GetInt() == 3);
  CHECK(sups["SALES"]["posts"].GetInt() == 4);
  CHECK(sups["SALES"]["spec"] == changed);

  // The flattened form, with an explicit id.
  auto flat = supervisor("ACCESS");
  rapidjson::Document flattened;
  flattened.SetObject();
  auto& a = flattened.GetAllocator();
  flattened.AddMember("type", "kafka", a);
  flattened.AddMember("id", "access-sup", a);
  for (auto& m : flat["spec"].GetObject())
    flattened.AddMember(rapidjson::Value(m.name, a), rapidjson::Value(m.value, a), a);
  CHECK(druid.post_json(kSupervisorPath, to_text(flattened)).body == R"({"id":"access-sup"})");

  CHECK(druid.request("GET", kSupervisorPath).body == R"(["SALES","access-sup"])");
  const gw::HttpResponse stored = druid.request("GET", std::string(kSupervisorPath) + "/SALES");
  CHECK(MockDruid::parse(stored.body) == changed);
  const auto status =
      MockDruid::parse(druid.request("GET", std::string(kSupervisorPath) + "/SALES/status").body);
  CHECK(std::string(status["id"].GetString()) == "SALES");
  CHECK(std::string(status["payload"]["state"].GetString()) == "RUNNING");
  CHECK(std::string(status["payload"]["stream"].GetString()) == "SALES_V2");
  CHECK(std::string(status["payload"]["dataSource"].GetString()) == "SALES");
  CHECK(status["payload"]["healthy"].GetBool());

  const gw::HttpResponse term =
      druid.request("POST", std::string(kSupervisorPath) + "/SALES/terminate");
  CHECK(term.status == 200);
  CHECK(druid.request("GET", std::string(kSupervisorPath) + "/SALES").status == 404);
  CHECK(druid.request("GET", kSupervisorPath).body == R"(["access-sup"])");
  CHECK_FALSE(druid.supervisors().HasMember("SALES"));
}

TEST_CASE("druid mock: invalid supervisor specs are answered 400 naming the field") {
  MockDruid druid;
  for (const BadField& c : kBadSupervisorFields)
    check_bad_field(druid, kSupervisorPath, supervisor("SALES"), c);
  auto avro = supervisor("SALES");
  set_json(avro, "/spec/ioConfig/inputFormat",
           R"({"type":"avro_stream","binaryAsString":false,
               "avroBytesDecoder":{"type":"schema_registry","url":"http://registry:8081"}})");
  CHECK(druid.post_json(kSupervisorPath, to_text(avro)).status == 200);
  CHECK(druid.post_json(kSupervisorPath, "{").status == 500);
  CHECK(druid.request("POST", kSupervisorPath, to_text(avro)).status == 415);
}

TEST_CASE("druid mock: unknown tasks, supervisors and paths are 404") {
  MockDruid druid;
  CHECK(druid.request("GET", std::string(kTaskPath) + "/nope/status").status == 404);
  CHECK(MockDruid::parse(druid.request("GET", std::string(kTaskPath) + "/nope/status").body)
            .HasMember("error"));
  CHECK(druid.request("GET", std::string(kTaskPath) + "/nope/reports").status == 404);
  CHECK(druid.request("POST", std::string(kTaskPath) + "/nope/shutdown").status == 404);
  CHECK(druid.request("GET", std::string(kSupervisorPath) + "/nope").status == 404);
  CHECK(druid.request("GET", std::string(kSupervisorPath) + "/nope/status").status == 404);
  CHECK(druid.request("POST", std::string(kSupervisorPath) + "/nope/terminate").status == 404);
  CHECK(druid.request("GET", "/druid/v2/sql").status == 404);
  CHECK(druid.request("GET", "/").status == 404);
  CHECK(druid.request("GET", "/mock/nothing").status == 404);
}

TEST_CASE("druid mock: reset clears tasks, rows, supervisors, injections and counters") {
  MockDruid druid({"--running-polls", "0"});
  final_status(druid, submit(druid, task("SALES", {kDay1a}, true, "r-1")));
  CHECK(druid.post_json(kSupervisorPath, to_text(supervisor("SALES"))).status == 200);
  druid.inject(R"({"submit_status":503,"count":5})");
  druid.reset();
  CHECK(druid.tasks().Size() == 0);
  CHECK(druid.rows("SALES").empty());
  CHECK(druid.supervisors().ObjectEmpty());
  CHECK(druid.stats()["submissions"].GetInt() == 0);
  CHECK(submit(druid, task("SALES", {kDay1a}, true, "r-1")) == "r-1");
}

TEST_CASE("druid mock: exits 0 on SIGTERM") {
  MockDruid druid;
  druid.terminate();
  druid.check_exits_0(5000);
}

TEST_CASE("druid mock: exits 0 when its stdin ends") {
  MockDruid druid;
  druid.close_stdin();
  druid.check_exits_0(5000);
}
