#include <doctest/doctest.h>

#include "core/time.h"

using namespace gw;

TEST_CASE("ISO-8601 timestamps with milliseconds and Z") {
  CHECK(format_iso8601(0) == "1970-01-01T00:00:00.000Z");
  CHECK(format_iso8601(1767225600000) == "2026-01-01T00:00:00.000Z");
  CHECK(format_iso8601(1767225600000 + 86'399'999) == "2026-01-01T23:59:59.999Z");
  CHECK(format_iso8601(951782400123) == "2000-02-29T00:00:00.123Z");
  CHECK(format_iso8601(-1) == "1969-12-31T23:59:59.999Z");
}

TEST_CASE("RFC 3339 parsing round-trips and rejects garbage") {
  CHECK(parse_rfc3339("2026-01-01T00:00:00Z") == 1767225600000);
  CHECK(parse_rfc3339("2026-01-01T00:00:00.5Z") == 1767225600500);
  CHECK(parse_rfc3339("2026-01-01T01:00:00+01:00") == 1767225600000);
  CHECK(parse_rfc3339("2025-12-31T19:00:00-05:00") == 1767225600000);
  for (TimeMs t : {TimeMs{0}, TimeMs{1767225612345}, TimeMs{951782400123}})
    CHECK(parse_rfc3339(format_iso8601(t)) == t);
  CHECK_FALSE(parse_rfc3339("2026-01-01"));
  CHECK_FALSE(parse_rfc3339("2026-13-01T00:00:00Z"));
  CHECK_FALSE(parse_rfc3339("2026-01-01T00:00:00"));
  CHECK_FALSE(parse_rfc3339("2026-01-01T00:00:00Zjunk"));
}

TEST_CASE("durations and sizes") {
  CHECK(parse_duration("500ms") == 500);
  CHECK(parse_duration("5s") == 5000);
  CHECK(parse_duration("1m") == 60'000);
  CHECK(parse_duration("2h") == 7'200'000);
  CHECK(parse_duration("7d") == 604'800'000);
  CHECK(parse_duration("-3s") == -3000);
  CHECK_FALSE(parse_duration("5"));
  CHECK_FALSE(parse_duration("5 s"));
  CHECK_FALSE(parse_duration("s"));
  CHECK(format_duration(30'000) == "30s");
  CHECK(format_duration(90'000) == "90s");
  CHECK(format_duration(120'000) == "2m");
  CHECK(parse_size("64MiB") == 64LL << 20);
  CHECK(parse_size("1GiB") == 1LL << 30);
  CHECK(parse_size("10KB") == 10'000);
  CHECK_FALSE(parse_size("10 parsecs"));
}

TEST_CASE("epoch-aligned flooring, also before 1970") {
  CHECK(floor_to(59'999, 60'000) == 0);
  CHECK(floor_to(60'000, 60'000) == 60'000);
  CHECK(floor_to(-1, 60'000) == -60'000);
  CHECK(floor_to(-60'000, 60'000) == -60'000);
}
