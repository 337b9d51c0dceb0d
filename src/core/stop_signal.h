// A stop request shared between the signal thread and the workers.
// Thread-safe. Waiting with a timeout lives in system_clock.cpp (it reads the clock).
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>

namespace gw {

class StopSignal {
 public:
  void request_stop() {
    {
      std::lock_guard lock(mutex_);
      stopped_.store(true);
    }
    cv_.notify_all();
  }
  bool stop_requested() const { return stopped_.load(std::memory_order_relaxed); }
  // New work arrived: the sleep on this signal that is under way, or else the next one, returns
  // early (once) without stopping. Meant for the one thread that sleeps on it (the run loop).
  void notify() {
    {
      std::lock_guard lock(mutex_);
      woken_ = true;
    }
    cv_.notify_all();
  }

 private:
  friend class SystemClock;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::atomic<bool> stopped_{false};
  bool woken_ = false;  // under mutex_
};

}  // namespace gw
