// Events pushed over HTTP (POST /api/v1/events): validated by sources/event_validator.h, handed
// to the run loop, acknowledged only once the records they produced are committed to the buffer.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "sources/event_validator.h"

namespace gw {

// Hand-over between the HTTP thread and the run loop. Thread-safe.
class IngestQueue {
 public:
  struct Batch {
    std::vector<Event> events;
    bool done = false, committed = false;
  };
  // HTTP thread: queues the events and waits (up to timeout ms) until the run loop committed
  // them. True once durable; false on timeout or when the gateway is stopping.
  bool submit(std::vector<Event> events, std::int64_t timeout_ms);
  // Run loop: takes every waiting batch.
  std::vector<std::shared_ptr<Batch>> take();
  // Run loop: the batches' records are committed (or could not be).
  void complete(const std::vector<std::shared_ptr<Batch>>& batches, bool committed);
  // No more batches are taken; waiting and later submits fail.
  void close();

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Batch>> waiting_;
  bool closed_ = false;
};

}  // namespace gw
