// Issue 18, limits on every outside event value (sources/event_validator.h): nesting, sizes,
// UTF-8, amounts, real dates, the time window around the clock, the record size the sinks
// carry. Each case names the finding it guards.
#include <doctest/doctest.h>

#include <string>

#include "config/load_config.h"
#include "config/options.h"
#include "sources/event_validator.h"
#include "sources/text_checks.h"

using namespace gw;
using namespace std::string_literals;

namespace {

constexpr TimeMs kNow = 1'780'000'000'000;  // 2026-05-28T20:26:40Z

std::string sale(std::string_view store, std::string_view amount, TimeMs ts) {
  return R"({"store_id":")" + std::string(store) + R"(","sale_amount":)" + std::string(amount) +
         R"(,"sale_ts":)" + std::to_string(ts) + "}";
}

std::string access(std::string_view device, std::string_view when) {
  return R"({"deviceId":")" + std::string(device) +
         R"(","payload":{"notificationName":"accessRejected","eventTimestamp":")" +
         std::string(when) + "\"}}";
}

// The single error of a one-line body ("" if it was accepted).
std::string error_of(const std::string& line, const InputLimits& limits = {}) {
  const ParsedEvents p = parse_ndjson_events(line, limits);
  if (p.errors.empty()) return "";
  REQUIRE(p.errors.size() == 1);
  return p.errors[0];
}

}  // namespace

TEST_CASE("finding 1: 300 KB of nested brackets is refused with its line, not a stack overflow") {
  InputLimits wide;
  wide.max_line_bytes = 1 << 20;  // so that the nesting itself is what is judged
  const std::string deep(300'000, '[');
  CHECK(error_of(deep, wide) == "line 1: JSON nested deeper than 16 levels");
  const std::string in_object =
      R"({"store_id":)" + std::string(150'000, '[') + "1" + std::string(150'000, ']') + "}";
  CHECK(error_of(in_object, wide) == "line 1: JSON nested deeper than 16 levels");
  // Within the default line size, too.
  CHECK(error_of(std::string(60'000, '{'), {}) == "line 1: JSON nested deeper than 16 levels");
  // 16 levels are taken (unknown members are ignored), 17 are not; brackets in strings don't count.
  const auto nest = [](int levels) {
    std::string v = "1";
    for (int i = 1; i < levels; ++i) v = "[" + v + "]";
    return R"({"x":)" + v + R"(,"y":"[[[[[[[[[[[[[[[[[[[[","store_id":"A","sale_amount":1,)" +
           R"("sale_ts":1})";
  };
  CHECK(error_of(nest(16)) == "");
  CHECK(error_of(nest(17)) == "line 1: JSON nested deeper than 16 levels");
}

TEST_CASE("finding 8: ids have a length limit, a 1 MB store_id is refused") {
  const std::string mb(1'000'000, 'S');
  CHECK(error_of(sale(mb, "1", 1)) ==
        "line 1: the line has 1000043 bytes, more than the 65536 allowed");
  InputLimits wide;
  wide.max_line_bytes = 2 << 20;
  CHECK(error_of(sale(mb, "1", 1), wide) ==
        "line 1: store_id must be a non-empty string of at most 64 bytes (it has 1000000)");
  CHECK(error_of(sale(std::string(64, 'S'), "1", 1)) == "");
  CHECK(error_of(sale(std::string(65, 'S'), "1", 1)) ==
        "line 1: store_id must be a non-empty string of at most 64 bytes (it has 65)");
  CHECK(error_of(access(std::string(64, 'd'), "2026-01-01T00:00:00Z")) == "");
  CHECK(error_of(access(std::string(65, 'd'), "2026-01-01T00:00:00Z")) ==
        "line 1: deviceId must be a non-empty string of at most 64 bytes (it has 65)");
  const auto with_id = [](std::size_t n) {
    return R"({"event_id":")" + std::string(n, 'e') + R"(","store_id":"A","sale_amount":1,)" +
           R"("sale_ts":1})";
  };
  CHECK(error_of(with_id(128)) == "");
  CHECK(error_of(with_id(129)) ==
        "line 1: event_id must be a non-empty string of at most 128 bytes (it has 129)");
  CHECK(error_of(sale("A\\tB", "1", 1)) == "line 1: store_id must not contain control characters");
}

TEST_CASE("finding 7: sale_amount is a non-negative 32-bit integer") {
  CHECK(error_of(sale("A", "0", 1)) == "");
  const ParsedEvents max = parse_ndjson_events(sale("A", "2147483647", 1));
  REQUIRE(max.events.size() == 1);
  CHECK(std::get<SaleEvent>(max.events[0]).amount == 2147483647);
  const std::string rule = "line 1: a sale needs sale_amount, an integer from 0 to 2147483647";
  for (const char* bad : {"-1", "2147483648", "9223372036854775807", "1.5", "\"7\""})
    CHECK(error_of(sale("A", bad, 1)) == rule);
}

TEST_CASE("smaller finding: invalid UTF-8 is refused, not copied into records") {
  CHECK(error_of(sale("caf\xc3\xa9", "1", 1)) == "");  // é
  CHECK(error_of(sale("\xff", "1", 1)).find("line 1: not JSON: Invalid encoding in string") == 0);
  CHECK(error_of(sale("\xc0\xaf", "1", 1)).find("line 1: not JSON") == 0);      // overlong '/'
  CHECK(error_of(sale("\xed\xa0\x80", "1", 1)).find("line 1: not JSON") == 0);  // a surrogate
  // An unpaired low surrogate escape decodes to a surrogate: not UTF-8.
  CHECK(error_of(sale("\\udc00", "1", 1)) == "line 1: store_id is not valid UTF-8");
  CHECK(error_of(access("\\udc00x", "2026-01-01T00:00:00Z")) ==
        "line 1: deviceId is not valid UTF-8");
  CHECK(error_of(sale("\\ud83d\\ude00", "1", 1)) == "");  // a pair: U+1F600
}

TEST_CASE("text checks: strict UTF-8, control characters") {
  CHECK(is_valid_utf8(""));
  CHECK(is_valid_utf8("abc\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
  CHECK_FALSE(is_valid_utf8("\x80"));
  CHECK_FALSE(is_valid_utf8("\xc3"));              // truncated
  CHECK_FALSE(is_valid_utf8("\xe0\x80\xaf"));      // overlong
  CHECK_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  CHECK_FALSE(is_valid_utf8("\xed\xb0\x80"));      // U+DC00
  CHECK(has_control_character("a\x7f"));
  CHECK(has_control_character("a\0b"s));
  CHECK_FALSE(has_control_character("a b\xc3\xa9"));
}

TEST_CASE("smaller finding: 2026-02-29 is refused, not turned into 03-01") {
  CHECK_FALSE(parse_rfc3339("2026-02-29T00:00:00Z"));
  CHECK_FALSE(parse_rfc3339("2100-02-29T00:00:00Z"));  // divisible by 100: no leap day
  CHECK(parse_rfc3339("2028-02-29T00:00:00Z") == 1'835'395'200'000);
  CHECK(parse_rfc3339("2000-02-29T00:00:00Z") == 951'782'400'000);  // divisible by 400
  CHECK_FALSE(parse_rfc3339("2026-04-31T00:00:00Z"));
  CHECK(parse_rfc3339("2026-02-28T23:59:59.999Z") == 1'772'323'199'999);
  CHECK(error_of(access("d", "2026-02-29T12:00:00Z")) ==
        "line 1: payload.eventTimestamp (or timestamp) must be an existing RFC 3339 time such "
        "as 2026-01-01T00:00:00.000Z");
}

TEST_CASE("finding 4 at the door: event times within max_future / max_past of the clock") {
  InputLimits l;
  l.now = kNow;
  const TimeMs ahead = kNow + 5 * 60'000, behind = kNow - 7 * 86'400'000LL;
  CHECK(error_of(sale("A", "1", ahead), l) == "");
  CHECK(error_of(sale("A", "1", behind), l) == "");
  CHECK(error_of(sale("A", "1", ahead + 1), l) ==
        "line 1: sale_ts 2026-05-28T20:31:40.001Z is more than 5m ahead of the gateway's clock "
        "(pipeline.max_future)");
  CHECK(error_of(sale("A", "1", behind - 1), l) ==
        "line 1: sale_ts 2026-05-21T20:26:39.999Z is more than 7d behind the gateway's clock "
        "(pipeline.max_past)");
  CHECK(error_of(access("d", "2026-05-28T20:31:41Z"), l) ==
        "line 1: the event's timestamp 2026-05-28T20:31:41.000Z is more than 5m ahead of the "
        "gateway's clock (pipeline.max_future)");
  const std::string range = "line 1: sale_ts must lie between 1970-01-01 and 9999-12-31";
  CHECK(error_of(sale("A", "1", kTimeMax), l) == range);
  // Without a clock (virtual time) only the representable range applies.
  CHECK(error_of(sale("A", "1", kTimeMax)) == range);
  CHECK(error_of(sale("A", "1", -1)) == range);
  CHECK(error_of(sale("A", "1", kLatestEventTime)) == "");
  CHECK(error_of(access("d", "1969-12-31T23:59:59Z")) ==
        "line 1: the event's timestamp must lie between 1970-01-01 and 9999-12-31");
}

TEST_CASE("a record larger than the sinks carry refuses the body, naming the limit (413)") {
  InputLimits l;
  l.max_record_bytes = 200;
  l.record_limit_source = "test limit";
  const std::string small = sale("A", "1", 1);
  const std::string big = R"({"event_id":")" + std::string(128, 'e') + R"(","store_id":")" +
                          std::string(64, 'S') + R"(","sale_amount":1,"sale_ts":1})";
  const ParsedEvents ok = parse_ndjson_events(small + "\n" + small, l);
  CHECK(ok.events.size() == 2);
  CHECK_FALSE(ok.too_large);
  const ParsedEvents refused = parse_ndjson_events(small + "\n" + big, l);
  REQUIRE(refused.too_large);
  CHECK(refused.too_large->find("line 2: its record would have ") == 0);
  CHECK(refused.too_large->find("more than the 200 the sinks can carry (test limit)") !=
        std::string::npos);
}

TEST_CASE("input limits of a configuration: clock window realtime only, Kafka's message size") {
  Options o;
  o.gateway.id = "gw-1";
  o.simulator.clock = ClockKind::realtime;
  o.pipeline.max_future = 60'000;
  o.sinks.kafka.enabled = true;
  InputLimits l = input_limits(o, kNow);
  CHECK(l.now == kNow);
  CHECK(l.max_future == 60'000);
  CHECK(l.max_record_bytes == 1'000'000 - 2048 - 4);  // librdkafka's default message.max.bytes
  o.sinks.kafka.properties["message.max.bytes"] = "5000";
  CHECK(input_limits(o, kNow).max_record_bytes == 5000 - 2048 - 4);
  o.sinks.kafka.enabled = false;
  o.simulator.clock = ClockKind::virtual_time;
  l = input_limits(o, kNow);
  CHECK_FALSE(l.now);
  CHECK_FALSE(l.max_record_bytes);
}

TEST_CASE("bad lines: each named with its number, at most max_errors listed, none taken") {
  InputLimits l;
  l.max_errors = 3;
  std::string body = sale("A", "1", 1) + "\n\n";
  for (int i = 0; i < 5; ++i) body += sale("A", "-1", 1) + "\r\n";
  const ParsedEvents p = parse_ndjson_events(body, l);
  REQUIRE(p.errors.size() == 3);
  CHECK(p.errors[0].find("line 3: ") == 0);
  CHECK(p.errors[2].find("line 5: ") == 0);
}

TEST_CASE("config: pipeline.max_future, max_past, max_open_windows with defaults and checks") {
  const auto parse = [](const std::string& yaml) {
    return parse_config({"/etc/gw/test.yaml",
                         yaml,
                         {},
                         [](const std::string&) { return std::optional<std::string>(); },
                         "host-1"});
  };
  const ConfigResult defaults = parse("");
  REQUIRE(defaults.ok());
  CHECK(defaults.options.pipeline.max_future == 5 * 60'000);
  CHECK(defaults.options.pipeline.max_past == 7 * 86'400'000LL);
  CHECK(defaults.options.pipeline.max_open_windows == 1'000'000);
  const ConfigResult set =
      parse("pipeline:\n  max_future: 30s\n  max_past: 2d\n  max_open_windows: 5000\n");
  REQUIRE(set.ok());
  CHECK(set.options.pipeline.max_future == 30'000);
  CHECK(set.options.pipeline.max_past == 2 * 86'400'000LL);
  CHECK(set.options.pipeline.max_open_windows == 5000);
  const ConfigResult bad = parse("pipeline:\n  max_future: soon\n  max_open_windows: 0\n");
  REQUIRE(bad.errors.size() == 2);
  CHECK(bad.errors[0].format().find("/etc/gw/test.yaml:2:") == 0);
  CHECK(bad.errors[0].format().find("pipeline.max_future") != std::string::npos);
  CHECK(bad.errors[1].format().find("/etc/gw/test.yaml:3:") == 0);
  CHECK(bad.errors[1].format().find("pipeline.max_open_windows") != std::string::npos);
}
