// The only file that reads the operating system's clocks.
#include <time.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <utility>

#include "core/clock.h"
#include "core/stop_signal.h"
#include "core/wakeup.h"

namespace gw {

namespace {

TimeMs steady_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

// For tests only (the fault matrix's wall-clock jumps): IOT_GATEWAY_TEST_CLOCK_OFFSET_FILE
// names a file holding a signed number of milliseconds that is added to the wall clock; it is
// read again at most once a second. The gateway then sees its wall clock step while the
// monotonic clock does not -- as after an NTP step -- without faking the clock of the whole
// process (libfaketime also shifts librdkafka's timed waits, which hang a forward jump long).
class TestClockOffset {
 public:
  TestClockOffset() {
    if (const char* p = std::getenv("IOT_GATEWAY_TEST_CLOCK_OFFSET_FILE")) path_ = p;
  }
  TimeMs get() {
    if (path_.empty()) return 0;
    const TimeMs mono = steady_ms();
    TimeMs due = next_read_.load();
    if (mono >= due && next_read_.compare_exchange_strong(due, mono + 1000)) {
      long long ms = 0;
      if (std::ifstream(path_) >> ms) offset_.store(ms);
    }
    return offset_.load();
  }

 private:
  std::string path_;
  std::atomic<TimeMs> next_read_{0};
  std::atomic<TimeMs> offset_{0};
};

TestClockOffset& test_clock_offset() {
  static TestClockOffset offset;
  return offset;
}

}  // namespace

TimeMs SystemClock::now() const {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count() +
         test_clock_offset().get();
}

TimeMs boot_time_ms() {
  timespec real{}, boot{};
  clock_gettime(CLOCK_REALTIME, &real);
  clock_gettime(CLOCK_BOOTTIME, &boot);
  return (real.tv_sec - boot.tv_sec) * 1000 + (real.tv_nsec - boot.tv_nsec) / 1'000'000;
}

TimeMs SystemClock::monotonic() const {
  return steady_ms();
}

bool SystemClock::sleep_for(DurationMs duration, StopSignal& stop) {
  const TimeMs deadline = monotonic() + duration;
  std::unique_lock lock(stop.mutex_);
  while (!stop.stopped_.load()) {
    const TimeMs left = deadline - monotonic();
    if (left <= 0 || std::exchange(stop.woken_, false)) return true;
    stop.cv_.wait_for(lock, std::chrono::milliseconds(left));
  }
  return false;
}

bool SystemClock::sleep_until(TimeMs deadline, StopSignal& stop) {
  std::unique_lock lock(stop.mutex_);
  while (!stop.stopped_.load()) {
    const TimeMs left = deadline - now();
    if (left <= 0 || std::exchange(stop.woken_, false)) return true;
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
