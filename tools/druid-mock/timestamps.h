// Time for druid-mock: ISO-8601 text as Druid reads it, Druid's timestampSpec formats and segment
// granularities (formatting and the clock are core/time.h's and core/clock.h's).
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace druid_mock {

// ISO-8601 as Druid (Joda) reads it: yyyy[-MM[-dd]][('T'|' ')HH[:mm[:ss[.fff…]]]][Z|±HH[:mm]];
// ' ' is accepted as the separator only when `allow_space` ("auto"). No zone: UTC.
std::optional<std::int64_t> parse_iso(std::string_view text, bool allow_space);

// timestampSpec.format values the mock understands (case-insensitive, as Druid reads them).
// Joda patterns ("yyyy-MM-dd HH:mm") are not supported by the mock.
enum class TimestampFormat { iso, millis, posix, micro, nano, automatic };
std::optional<TimestampFormat> parse_timestamp_format(std::string_view name);

// A row's timestamp value in milliseconds, or nullopt when it cannot be parsed in `format`.
std::optional<std::int64_t> parse_timestamp(const rapidjson::Value& value, TimestampFormat format);

// A segmentGranularity: the start of the time chunk holding a timestamp.
class Granularity {
 public:
  // "second", "minute", "five_minute", "ten_minute", "fifteen_minute", "thirty_minute", "hour",
  // "six_hour", "eight_hour", "day", "week", "month", "quarter", "year", "all"
  // (case-insensitive); nullopt for anything else.
  static std::optional<Granularity> parse(std::string_view name);
  static Granularity day() { return Granularity(Kind::fixed, 86'400'000); }

  std::int64_t chunk_start(std::int64_t millis) const;

 private:
  enum class Kind { fixed, week, months, all };
  Granularity(Kind kind, std::int64_t amount) : kind_(kind), amount_(amount) {}
  Kind kind_;
  std::int64_t amount_;  // fixed: milliseconds; months: months
};

}  // namespace druid_mock
