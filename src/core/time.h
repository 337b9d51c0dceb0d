// Event time: milliseconds since the Unix epoch, UTC. Pure functions, no clock reads.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace gw {

using TimeMs = std::int64_t;  // epoch milliseconds (UTC)
using DurationMs = std::int64_t;

inline constexpr TimeMs kTimeMin = std::numeric_limits<TimeMs>::min();
inline constexpr TimeMs kTimeMax = std::numeric_limits<TimeMs>::max();
// The latest time the ISO 8601 form can write (9999-12-31T23:59:59.999Z): the end of the range
// of event times the gateway takes from outside.
inline constexpr TimeMs kLatestEventTime = 253'402'300'799'999;

// Writes "YYYY-MM-DDTHH:MM:SS.mmmZ" (kIso8601Size chars, no terminator) to out.
inline constexpr std::size_t kIso8601Size = 24;
void write_iso8601(char* out, TimeMs t);
// Appends "YYYY-MM-DDTHH:MM:SS.mmmZ" to out.
void append_iso8601(std::string& out, TimeMs t);
std::string format_iso8601(TimeMs t);
// ISO 8601 for times in [0, kLatestEventTime], else "<t> ms" (for messages about odd times).
std::string format_time_or_ms(TimeMs t);

// RFC 3339 date-time: "2026-01-01T00:00:00Z", optional fraction, "Z" or "+hh:mm". The date must
// exist (2026-02-29 is refused, 2028-02-29 taken).
std::optional<TimeMs> parse_rfc3339(std::string_view text);

// "500ms", "5s", "1m", "2h", "7d"; a leading '-' gives a negative value.
std::optional<DurationMs> parse_duration(std::string_view text);
std::string format_duration(DurationMs d);

// "64MiB", "1GiB", "512KiB", "100B", also KB/MB/GB (powers of 1000).
std::optional<std::int64_t> parse_size(std::string_view text);

// t + d, saturated at kTimeMin / kTimeMax instead of overflowing.
constexpr TimeMs add_saturated(TimeMs t, DurationMs d) {
  TimeMs r = 0;
  if (__builtin_add_overflow(t, d, &r)) return d > 0 ? kTimeMax : kTimeMin;
  return r;
}
constexpr TimeMs sub_saturated(TimeMs t, DurationMs d) {
  TimeMs r = 0;
  if (__builtin_sub_overflow(t, d, &r)) return d > 0 ? kTimeMin : kTimeMax;
  return r;
}

// Floor division that is correct for negative times (epoch-aligned windows), step > 0. Below
// the lowest multiple of step that int64 holds, that multiple (no overflow).
constexpr TimeMs floor_to(TimeMs t, DurationMs step) {
  TimeMs q = t / step;
  if ((t % step != 0) && ((t < 0) != (step < 0))) --q;
  TimeMs r = 0;
  if (__builtin_mul_overflow(q, step, &r)) return (q + 1) * step;
  return r;
}

}  // namespace gw
