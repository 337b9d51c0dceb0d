#include "pipeline/alert_rule.h"

#include <cmath>

namespace gw {

std::optional<WindowStats> window_stats(std::span<const std::int64_t> counts) {
  if (counts.size() < 2) return std::nullopt;
  double sum = 0;
  for (const auto c : counts) sum += static_cast<double>(c);
  const double n = static_cast<double>(counts.size());
  const double avg = sum / n;
  double sq = 0;
  for (const auto c : counts) {
    const double d = static_cast<double>(c) - avg;
    sq += d * d;
  }
  return WindowStats{avg, std::sqrt(sq / (n - 1))};
}

}  // namespace gw
