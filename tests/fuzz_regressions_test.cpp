// What fuzzing (fuzz/, scripts/fuzz.sh) found: each input that crashed a target or broke its
// checks is kept in fuzz/corpus/<target>/ and fed here, as the target reads it, to the same
// functions, next to the smallest input that shows the same problem.
#include <doctest/doctest.h>

#include <variant>

#include "../fuzz/fuzz_input.h"
#include "process.h"  // slurp
#include "sinks/druid/druid_client.h"
#include "sinks/kafka/schema_registry.h"
#include "sources/event_validator.h"

namespace {

using namespace std::string_literals;

std::string corpus_input(const std::string& target, const std::string& name) {
  const std::string text =
      test::slurp(std::string(PROJECT_DIR) + "/fuzz/corpus/" + target + "/" + name);
  REQUIRE_FALSE(text.empty());
  return text;
}

bool has_error(const gw::ConfigResult& r, const std::string& part) {
  for (const auto& d : r.errors)
    if (d.message.find(part) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("fuzz_config: --set into a list item that is not a mapping is an error, not a crash") {
  // Was: YAML::BadSubscript thrown out of parse_config (check-config aborted).
  const auto found = gw::parse_config(
      fuzz::config_input(corpus_input("fuzz_config", "crash-set-into-scalar-list-item.yaml")));
  CHECK(has_error(found, "not a mapping"));

  const std::string small = "simulator:\n  stores: [5]\n\0simulator.stores.0.devices=9"s;
  const auto r = gw::parse_config(fuzz::config_input(small));
  REQUIRE_FALSE(r.ok());
  CHECK(has_error(r,
                  "--set: 'simulator.stores.0.devices': 'simulator.stores.0' is '5', not a "
                  "mapping"));
  const auto deeper = gw::parse_config(
      fuzz::config_input("simulator:\n  stores: [x]\n\0simulator.stores.0.a.b=1"s));
  CHECK(has_error(deeper, "'simulator.stores.0' is 'x', not a mapping"));
}

TEST_CASE("fuzz_ingest: an escaped NUL does not cut strings short") {
  // Was: {"event_id":"\u0000",...} passed the non-empty check (on the JSON length) and became an
  // empty event id (the C string); the same cut store and device ids and let
  // "accessGranted\u0000..." pass as accessGranted. Since issue 18 ids refuse control
  // characters: the NUL is seen, whole, and refused.
  const auto found =
      gw::parse_ndjson_events(corpus_input("fuzz_ingest", "crash-nul-in-event-id.ndjson"));
  CHECK(found.events.empty());
  REQUIRE(found.errors.size() == 1);
  CHECK(found.errors[0] == "line 1: event_id must not contain control characters");

  const auto sale =
      gw::parse_ndjson_events(R"({"store_id":"\u0000AB","sale_amount":1,"sale_ts":1})");
  CHECK(sale.events.empty());
  REQUIRE(sale.errors.size() == 1);
  CHECK(sale.errors[0] == "line 1: store_id must not contain control characters");
  const auto access = gw::parse_ndjson_events(
      R"({"deviceId":"d","payload":{"notificationName":"accessGranted\u0000x",)"
      R"("eventTimestamp":"2026-01-01T00:00:00Z"}})");
  CHECK(access.events.empty());
  CHECK(access.errors.size() == 1);
  const auto late =
      gw::parse_ndjson_events(R"({"deviceId":"d","payload":{"notificationName":"accessGranted",)"
                              R"("eventTimestamp":"2026-01-01T00:00:00Z\u0000junk"}})");
  CHECK(late.events.empty());
}

TEST_CASE("peer answers: 1 MiB of nesting is refused without recursion, counts never negative") {
  // A Druid or schema registry answer is outside input too (up to the HTTP client's 64 MiB).
  const std::string deep(1 << 20, '[');
  CHECK_FALSE(gw::parse_task_row_stats(deep));
  CHECK(gw::parse_task_status("t", 200, deep).state == gw::DruidTaskState::unknown);
  CHECK_FALSE(gw::druid_error_text(deep).empty());
  std::string error;
  CHECK_FALSE(gw::parse_registration_answer(200, deep, "registering", error));
  CHECK_FALSE(gw::parse_registration_answer(500, deep, "registering", error));
  const auto rows = gw::parse_task_row_stats(
      R"({"ingestionStatsAndErrors":{"payload":{"rowStats":{"buildSegments":)"
      R"({"processed":10,"thrownAway":-7,"unparseable":-1}}}}})");
  REQUIRE(rows);
  CHECK(rows->processed == 10);
  CHECK(rows->thrown_away == 0);
  CHECK(rows->unparseable == 0);
}

TEST_CASE("fuzz_config: a recursive alias does not send the duplicate-key check round forever") {
  // Was: a stack overflow in check_duplicate_keys (the seed anchors.yaml).
  const auto found =
      gw::parse_config(fuzz::config_input(corpus_input("fuzz_config", "anchors.yaml")));
  (void)found;
  const auto r = gw::parse_config(fuzz::config_input("gateway: &x {id: g, data_dir: *x}\n"s));
  CHECK_FALSE(r.ok());
  const auto dup = gw::parse_config(fuzz::config_input(
      "simulator: &s {seed: 1}\npipeline: {watermark_delay: 1s, watermark_delay: 2s}\n"s));
  CHECK(has_error(dup, "duplicate key 'watermark_delay'"));
}
