// A wake-up call between threads: notify() wakes every waiter. Thread-safe.
// The timed wait lives in system_clock.cpp (it reads the clock).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "core/time.h"

namespace gw {

class Wakeup {
 public:
  void notify() {
    {
      std::lock_guard lock(mutex_);
      ++generation_;
    }
    cv_.notify_all();
  }
  // Returns after a notify() that happened after the call began, or after `timeout` ms.
  void wait_for(DurationMs timeout);

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::uint64_t generation_ = 0;
};

}  // namespace gw
