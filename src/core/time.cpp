#include "core/time.h"

#include <charconv>
#include <cstdio>

namespace gw {
namespace {

// Howard Hinnant's days_from_civil / civil_from_days.
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
  std::int64_t y;
  unsigned m, d;
};

constexpr Civil civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

void put_digits(char* p, unsigned value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

bool read_uint(std::string_view s, std::size_t pos, std::size_t len, unsigned& out) {
  if (pos + len > s.size()) return false;
  unsigned v = 0;
  for (std::size_t i = 0; i < len; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  out = v;
  return true;
}

}  // namespace

void append_iso8601(std::string& out, TimeMs t) {
  char buf[kIso8601Size];
  write_iso8601(buf, t);
  out.append(buf, sizeof buf);
}

void write_iso8601(char* buf, TimeMs t) {
  const TimeMs day_ms = 86'400'000;
  const TimeMs days = floor_to(t, day_ms) / day_ms;
  const auto in_day = static_cast<unsigned>(t - days * day_ms);
  const Civil c = civil_from_days(days);
  put_digits(buf, static_cast<unsigned>(c.y), 4);
  buf[4] = '-';
  put_digits(buf + 5, c.m, 2);
  buf[7] = '-';
  put_digits(buf + 8, c.d, 2);
  buf[10] = 'T';
  put_digits(buf + 11, in_day / 3'600'000, 2);
  buf[13] = ':';
  put_digits(buf + 14, in_day / 60'000 % 60, 2);
  buf[16] = ':';
  put_digits(buf + 17, in_day / 1000 % 60, 2);
  buf[19] = '.';
  put_digits(buf + 20, in_day % 1000, 3);
  buf[23] = 'Z';
}

std::string format_iso8601(TimeMs t) {
  std::string s;
  append_iso8601(s, t);
  return s;
}

std::string format_time_or_ms(TimeMs t) {
  return t >= 0 && t <= kLatestEventTime ? format_iso8601(t) : std::to_string(t) + " ms";
}

std::optional<TimeMs> parse_rfc3339(std::string_view s) {
  unsigned y, mo, d, h, mi, sec;
  if (!read_uint(s, 0, 4, y) || s.size() < 20 || s[4] != '-' || !read_uint(s, 5, 2, mo) ||
      s[7] != '-' || !read_uint(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      !read_uint(s, 11, 2, h) || s[13] != ':' || !read_uint(s, 14, 2, mi) || s[16] != ':' ||
      !read_uint(s, 17, 2, sec))
    return std::nullopt;
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
  if (mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1] + (mo == 2 && leap ? 1 : 0) || h > 23 ||
      mi > 59 || sec > 60)
    return std::nullopt;
  std::size_t pos = 19;
  TimeMs millis = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 3) millis = millis * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (; digits < 3; ++digits) millis *= 10;
  }
  if (pos >= s.size()) return std::nullopt;
  TimeMs offset_min = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    unsigned oh, om;
    if (!read_uint(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !read_uint(s, pos + 4, 2, om) || oh > 23 || om > 59)
      return std::nullopt;
    offset_min = (s[pos] == '-' ? -1 : 1) * static_cast<TimeMs>(oh * 60 + om);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  const TimeMs days = days_from_civil(y, mo, d);
  const TimeMs secs = days * 86400 + h * 3600 + mi * 60 + (sec == 60 ? 59 : sec);
  return (secs - offset_min * 60) * 1000 + millis;
}

std::optional<DurationMs> parse_duration(std::string_view s) {
  bool negative = false;
  if (!s.empty() && s.front() == '-') {
    negative = true;
    s.remove_prefix(1);
  }
  std::int64_t value = 0;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, value);
  if (ec != std::errc() || ptr == s.data()) return std::nullopt;
  const std::string_view unit(ptr, static_cast<std::size_t>(end - ptr));
  std::int64_t scale;
  if (unit == "ms")
    scale = 1;
  else if (unit == "s")
    scale = 1000;
  else if (unit == "m")
    scale = 60'000;
  else if (unit == "h")
    scale = 3'600'000;
  else if (unit == "d")
    scale = 86'400'000;
  else
    return std::nullopt;
  if (value > std::numeric_limits<std::int64_t>::max() / scale) return std::nullopt;
  return (negative ? -1 : 1) * value * scale;
}

std::string format_duration(DurationMs d) {
  const char* sign = d < 0 ? "-" : "";
  const std::int64_t a = d < 0 ? -d : d;
  char buf[32];
  if (a != 0 && a % 86'400'000 == 0)
    std::snprintf(buf, sizeof buf, "%s%lldd", sign, static_cast<long long>(a / 86'400'000));
  else if (a != 0 && a % 3'600'000 == 0)
    std::snprintf(buf, sizeof buf, "%s%lldh", sign, static_cast<long long>(a / 3'600'000));
  else if (a != 0 && a % 60'000 == 0)
    std::snprintf(buf, sizeof buf, "%s%lldm", sign, static_cast<long long>(a / 60'000));
  else if (a % 1000 == 0)
    std::snprintf(buf, sizeof buf, "%s%llds", sign, static_cast<long long>(a / 1000));
  else
    std::snprintf(buf, sizeof buf, "%s%lldms", sign, static_cast<long long>(a));
  return buf;
}

std::optional<std::int64_t> parse_size(std::string_view s) {
  std::int64_t value = 0;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, value);
  if (ec != std::errc() || ptr == s.data() || value < 0) return std::nullopt;
  const std::string_view unit(ptr, static_cast<std::size_t>(end - ptr));
  std::int64_t scale;
  if (unit == "B" || unit.empty())
    scale = 1;
  else if (unit == "KiB")
    scale = 1LL << 10;
  else if (unit == "MiB")
    scale = 1LL << 20;
  else if (unit == "GiB")
    scale = 1LL << 30;
  else if (unit == "TiB")
    scale = 1LL << 40;
  else if (unit == "KB" || unit == "kB")
    scale = 1000;
  else if (unit == "MB")
    scale = 1'000'000;
  else if (unit == "GB")
    scale = 1'000'000'000;
  else
    return std::nullopt;
  if (value > std::numeric_limits<std::int64_t>::max() / scale) return std::nullopt;
  return value * scale;
}

}  // namespace gw
