// The only file that reads the operating system's clocks.
#include <time.h>

#include <chrono>

#include "core/clock.h"
#include "core/stop_signal.h"
#include "core/wakeup.h"

namespace gw {

TimeMs SystemClock::now() const {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

TimeMs boot_time_ms() {
  timespec real{}, boot{};
  clock_gettime(CLOCK_REALTIME, &real);
  clock_gettime(CLOCK_BOOTTIME, &boot);
  return (real.tv_sec - boot.tv_sec) * 1000 + (real.tv_nsec - boot.tv_nsec) / 1'000'000;
}

TimeMs SystemClock::monotonic() const {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

bool SystemClock::sleep_for(DurationMs duration, StopSignal& stop) {
  const TimeMs deadline = monotonic() + duration;
  std::unique_lock lock(stop.mutex_);
  while (!stop.stopped_.load()) {
    const TimeMs left = deadline - monotonic();
    if (left <= 0) return true;
    stop.cv_.wait_for(lock, std::chrono::milliseconds(left));
  }
  return false;
}

bool SystemClock::sleep_until(TimeMs deadline, StopSignal& stop) {
  std::unique_lock lock(stop.mutex_);
  while (!stop.stopped_.load()) {
    const TimeMs left = deadline - now();
    if (left <= 0) return true;
    stop.cv_.wait_for(lock, std::chrono::milliseconds(left));
  }
  return false;
}

void Wakeup::wait_for(DurationMs timeout) {
  std::unique_lock lock(mutex_);
  const std::uint64_t seen = generation_;
  cv_.wait_for(lock, std::chrono::milliseconds(timeout), [&] { return generation_ != seen; });
}

bool VirtualClock::sleep_until(TimeMs deadline, StopSignal& stop) {
  advance_to(deadline);
  return !stop.stop_requested();
}

}  // namespace gw
