#include "timestamps.h"

#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <limits>

#include "core/time.h"

namespace druid_mock {
namespace {

constexpr std::int64_t kDayMillis = 86'400'000;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// 400 Gregorian years are exactly this many days. <chrono>'s calendar (years -32767..32767) does
// the dates of one such era; whole eras are added around it, so any year works.
constexpr std::int64_t kEraDays = 146'097;

std::chrono::year_month_day ymd(std::int64_t year, unsigned month, unsigned day) {
  return {std::chrono::year(static_cast<int>(year)), std::chrono::month(month),
          std::chrono::day(day)};
}

// Days since 1970-01-01 of a proleptic Gregorian date (month 1..12, day 1..31).
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) {
  const std::int64_t eras = floor_div(year, 400);
  return eras * kEraDays +
         std::chrono::sys_days(ymd(year - eras * 400, month, day)).time_since_epoch().count();
}

struct YearMonth {
  std::int64_t year;
  unsigned month;
};

// The year and month of a day since 1970-01-01.
YearMonth year_month(std::int64_t days) {
  const std::int64_t eras = floor_div(days, kEraDays);
  const std::chrono::year_month_day date{
      std::chrono::sys_days(std::chrono::days(days - eras * kEraDays))};
  return {eras * 400 + static_cast<int>(date.year()), static_cast<unsigned>(date.month())};
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Reads ISO-8601 text left to right.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}
  bool done() const { return pos_ == text_.size(); }
  bool accept(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  // Exactly `n` decimal digits.
  bool digits(int n, unsigned& out) {
    out = 0;
    for (int i = 0; i < n; ++i, ++pos_) {
      if (pos_ >= text_.size() || !std::isdigit(static_cast<unsigned char>(text_[pos_])))
        return false;
      out = out * 10 + static_cast<unsigned>(text_[pos_] - '0');
    }
    return true;
  }
  // One or more digits of a fraction of a second, as milliseconds (truncated).
  bool fraction_millis(unsigned& out) {
    out = 0;
    int count = 0;
    while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
      if (count < 3) out = out * 10 + static_cast<unsigned>(text_[pos_] - '0');
      ++count;
      ++pos_;
    }
    for (int i = count; i < 3; ++i) out *= 10;
    return count > 0;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

// Offset in minutes after a time: Z, ±HH, ±HH:mm, ±HHmm; 0 when there is none.
bool parse_offset(Cursor& c, std::int64_t& minutes) {
  minutes = 0;
  if (c.accept('Z')) return true;
  int sign = 0;
  if (c.accept('+'))
    sign = 1;
  else if (c.accept('-'))
    sign = -1;
  if (sign == 0) return true;
  unsigned hh = 0, mm = 0;
  if (!c.digits(2, hh) || hh > 23) return false;
  if (c.accept(':')) {
    if (!c.digits(2, mm)) return false;
  } else if (!c.done() && !c.digits(2, mm)) {
    return false;
  }
  if (mm > 59) return false;
  minutes = sign * static_cast<std::int64_t>(hh * 60 + mm);
  return true;
}

std::optional<std::int64_t> parse_integer(std::string_view text) {
  std::int64_t v = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || ptr != end || text.empty()) return std::nullopt;
  return v;
}

// v × millis_per_unit, or v ÷ units_per_milli (floored) when that is > 1; nullopt on overflow.
std::optional<std::int64_t> scale(std::int64_t v, std::int64_t millis_per_unit,
                                  std::int64_t units_per_milli) {
  if (units_per_milli > 1) return floor_div(v, units_per_milli);
  if (v > std::numeric_limits<std::int64_t>::max() / millis_per_unit ||
      v < std::numeric_limits<std::int64_t>::min() / millis_per_unit)
    return std::nullopt;
  return v * millis_per_unit;
}

std::optional<std::int64_t> numeric_timestamp(std::int64_t v, TimestampFormat format) {
  switch (format) {
    case TimestampFormat::posix:
      return scale(v, 1000, 1);
    case TimestampFormat::micro:
      return scale(v, 1, 1000);
    case TimestampFormat::nano:
      return scale(v, 1, 1'000'000);
    default:
      return v;
  }
}

}  // namespace

std::optional<std::int64_t> parse_iso(std::string_view text, bool allow_space) {
  Cursor c(text);
  unsigned year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0, millis = 0;
  if (!c.digits(4, year)) return std::nullopt;
  if (c.accept('-')) {
    if (!c.digits(2, month)) return std::nullopt;
    if (c.accept('-') && !c.digits(2, day)) return std::nullopt;
  }
  std::int64_t offset_minutes = 0;
  if (c.accept('T') || (allow_space && c.accept(' '))) {
    if (!c.digits(2, hour)) return std::nullopt;
    if (c.accept(':')) {
      if (!c.digits(2, minute)) return std::nullopt;
      if (c.accept(':')) {
        if (!c.digits(2, second)) return std::nullopt;
        if ((c.accept('.') || c.accept(',')) && !c.fraction_millis(millis)) return std::nullopt;
      }
    }
    if (!parse_offset(c, offset_minutes)) return std::nullopt;
  }
  if (!c.done() || !ymd(year, month, day).ok() || hour > 23 || minute > 59 || second > 59)
    return std::nullopt;
  const std::int64_t days = days_from_civil(year, month, day);
  return days * kDayMillis + static_cast<std::int64_t>(hour) * 3'600'000 +
         static_cast<std::int64_t>(minute) * 60'000 + static_cast<std::int64_t>(second) * 1000 +
         millis - offset_minutes * 60'000;
}

std::optional<TimestampFormat> parse_timestamp_format(std::string_view name) {
  const std::string n = lower(name);
  if (n == "iso") return TimestampFormat::iso;
  if (n == "millis") return TimestampFormat::millis;
  if (n == "posix") return TimestampFormat::posix;
  if (n == "micro") return TimestampFormat::micro;
  if (n == "nano") return TimestampFormat::nano;
  if (n == "auto") return TimestampFormat::automatic;
  return std::nullopt;
}

std::optional<std::int64_t> parse_timestamp(const rapidjson::Value& value, TimestampFormat format) {
  if (value.IsNumber()) {
    if (format == TimestampFormat::iso) return std::nullopt;
    if (value.IsInt64()) return numeric_timestamp(value.GetInt64(), format);
    const double d = value.GetDouble();
    if (!std::isfinite(d) || std::fabs(d) >= 9.2e18) return std::nullopt;
    return numeric_timestamp(static_cast<std::int64_t>(d), format);
  }
  if (!value.IsString()) return std::nullopt;
  const std::string_view text(value.GetString(), value.GetStringLength());
  switch (format) {
    case TimestampFormat::iso:
      return parse_iso(text, false);
    case TimestampFormat::automatic:
      if (auto v = parse_integer(text)) return v;
      return parse_iso(text, true);
    default:
      if (auto v = parse_integer(text)) return numeric_timestamp(*v, format);
      return std::nullopt;
  }
}

std::optional<Granularity> Granularity::parse(std::string_view name) {
  const std::string n = lower(name);
  constexpr std::int64_t kMinute = 60'000, kHour = 3'600'000;
  if (n == "second") return Granularity(Kind::fixed, 1000);
  if (n == "minute") return Granularity(Kind::fixed, kMinute);
  if (n == "five_minute") return Granularity(Kind::fixed, 5 * kMinute);
  if (n == "ten_minute") return Granularity(Kind::fixed, 10 * kMinute);
  if (n == "fifteen_minute") return Granularity(Kind::fixed, 15 * kMinute);
  if (n == "thirty_minute") return Granularity(Kind::fixed, 30 * kMinute);
  if (n == "hour") return Granularity(Kind::fixed, kHour);
  if (n == "six_hour") return Granularity(Kind::fixed, 6 * kHour);
  if (n == "eight_hour") return Granularity(Kind::fixed, 8 * kHour);
  if (n == "day") return day();
  if (n == "week") return Granularity(Kind::week, 7);
  if (n == "month") return Granularity(Kind::months, 1);
  if (n == "quarter") return Granularity(Kind::months, 3);
  if (n == "year") return Granularity(Kind::months, 12);
  if (n == "all") return Granularity(Kind::all, 0);
  return std::nullopt;
}

std::int64_t Granularity::chunk_start(std::int64_t millis) const {
  switch (kind_) {
    case Kind::fixed:
      return gw::floor_to(millis, amount_);
    case Kind::week: {
      // ISO weeks start on Monday; 1970-01-05 (day 4) was one.
      const std::int64_t days = floor_div(millis, kDayMillis);
      return (days - ((days - 4) % 7 + 7) % 7) * kDayMillis;
    }
    case Kind::months: {
      const YearMonth c = year_month(floor_div(millis, kDayMillis));
      const std::int64_t index = floor_div(c.year * 12 + c.month - 1, amount_) * amount_;
      const std::int64_t year = floor_div(index, 12);
      const auto month = static_cast<unsigned>(index - year * 12 + 1);
      return days_from_civil(year, month, 1) * kDayMillis;
    }
    case Kind::all:
      break;
  }
  return std::numeric_limits<std::int64_t>::min();
}

}  // namespace druid_mock
