// The seed's alert rule, in double precision: over the devices with at least one rejection in
// a window, avg = mean and std = sample standard deviation of their rejection counts; a device
// alerts if count > avg + k_sigma * std + min_excess. Fewer than 2 devices: no statistics, no
// alert.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

namespace gw {

struct WindowStats {
  double avg = 0;
  double std = 0;
};

// nullopt when fewer than 2 counts (the sample standard deviation is undefined).
std::optional<WindowStats> window_stats(std::span<const std::int64_t> counts);

inline bool is_anomalous(std::int64_t count, const WindowStats& s, double k_sigma,
                         double min_excess) {
  return static_cast<double>(count) > s.avg + k_sigma * s.std + min_excess;
}

}  // namespace gw
