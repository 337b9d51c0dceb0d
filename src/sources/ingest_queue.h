// The hand-over of events pushed over HTTP (POST /api/v1/events) from the server thread to the
// run loop. Nothing waits on it: submit() returns at once and the batch's `done` is called once
// with what became of it, by the run loop after the commit that holds it (every batch taken for
// one turn shares that commit), or by close(). Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "core/event.h"

namespace gw {

class IngestQueue {
 public:
  enum class Outcome {
    committed,      // durable: the sender may be told 202
    dropped_full,   // the commit that held them dropped records of its own (buffer full)
    not_committed,  // the gateway is stopping, or the buffer could not take them
  };
  using Done = std::function<void(Outcome)>;
  struct Batch {
    std::vector<Event> events;
    Done done;
  };

  // Any thread: queues the events and calls the wake function. After close(): `done` is called
  // at once with not_committed.
  void submit(std::vector<Event> events, Done done);
  // Called after each submit (outside the queue's lock), e.g. to wake the run loop.
  void set_wake(std::function<void()> wake);
  // Run loop: takes every waiting batch.
  std::vector<Batch> take();
  // Run loop: what became of the batches it took (calls each `done`; counts refusals).
  void complete(std::vector<Batch>& batches, Outcome outcome);
  // No more batches are taken: the waiting ones and later submits get not_committed.
  void close();

  // Batches refused so far, by outcome (for /metrics).
  std::uint64_t refused(Outcome outcome) const;

  // Requests refused at the door, before anything was queued (4xx), by reason.
  enum class Rejection { invalid, too_large, content_type };
  void count_rejected(Rejection r) { rejected_[static_cast<int>(r)].fetch_add(1); }
  std::uint64_t rejected(Rejection r) const { return rejected_[static_cast<int>(r)].load(); }
  // Batches submitted and not answered yet.
  std::int64_t pending() const { return pending_.load(); }

 private:
  mutable std::mutex mutex_;
  std::vector<Batch> waiting_;
  std::function<void()> wake_;
  bool closed_ = false;
  std::atomic<std::uint64_t> dropped_full_{0}, not_committed_{0};
  std::atomic<std::int64_t> pending_{0};
  std::array<std::atomic<std::uint64_t>, 3> rejected_{};
};

}  // namespace gw
