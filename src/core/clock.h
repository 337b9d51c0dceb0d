// The one injected clock. Only system_clock.cpp reads the operating system's clocks;
// everything else asks a Clock, so tests and the virtual-clock mode drive time explicitly.
#pragma once

#include "core/time.h"

namespace gw {

class StopSignal;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimeMs now() const = 0;
  // A clock that never jumps (ms from an arbitrary origin): how much time really passed,
  // whatever happens to now() (NTP corrections, an RTC-less boot setting the date).
  virtual TimeMs monotonic() const { return now(); }
  // Blocks until now() >= deadline or stop is requested. Returns false if stopped.
  virtual bool sleep_until(TimeMs deadline, StopSignal& stop) = 0;
  // Blocks for `duration` of monotonic time or until stop is requested (false then).
  virtual bool sleep_for(DurationMs duration, StopSignal& stop) {
    return sleep_until(now() + duration, stop);
  }
};

// When the machine booted, as wall-clock ms (CLOCK_REALTIME - CLOCK_BOOTTIME).
TimeMs boot_time_ms();

// Wall clock (system_clock.cpp).
class SystemClock final : public Clock {
 public:
  TimeMs now() const override;
  TimeMs monotonic() const override;
  bool sleep_until(TimeMs deadline, StopSignal& stop) override;
  bool sleep_for(DurationMs duration, StopSignal& stop) override;
};

// Time that moves only when told to; sleep_until jumps forward instantly.
class VirtualClock final : public Clock {
 public:
  explicit VirtualClock(TimeMs start) : now_(start) {}
  TimeMs now() const override { return now_; }
  bool sleep_until(TimeMs deadline, StopSignal& stop) override;
  void advance_to(TimeMs t) {
    if (t > now_) now_ = t;
  }

 private:
  TimeMs now_;
};

}  // namespace gw
