// Detects steps of the wall clock (NTP corrections, a device without RTC getting its date):
// between two checks the wall clock should move as much as the monotonic clock does; a
// difference beyond the tolerance is a jump, forward or backward.
#pragma once

#include <cstdint>
#include <optional>

#include "core/time.h"

namespace gw {

class ClockJumpDetector {
 public:
  explicit ClockJumpDetector(DurationMs tolerance = 2000) : tolerance_(tolerance) {}

  // How far the wall clock jumped since the last call (> 0 forward, < 0 backward), if it did.
  std::optional<DurationMs> check(TimeMs wall, TimeMs monotonic) {
    std::optional<DurationMs> jump;
    if (seen_) {
      const DurationMs drift = (wall - last_wall_) - (monotonic - last_monotonic_);
      if (drift > tolerance_ || drift < -tolerance_) jump = drift;
    }
    seen_ = true;
    last_wall_ = wall;
    last_monotonic_ = monotonic;
    return jump;
  }

 private:
  DurationMs tolerance_;
  bool seen_ = false;
  TimeMs last_wall_ = 0, last_monotonic_ = 0;
};

}  // namespace gw
