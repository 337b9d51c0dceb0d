#include "sources/ingest_queue.h"

#include <utility>

namespace gw {

void IngestQueue::submit(std::vector<Event> events, Done done) {
  std::function<void()> wake;
  {
    std::lock_guard lock(mutex_);
    if (!closed_) {
      waiting_.push_back({std::move(events), std::move(done)});
      ++pending_;
      wake = wake_;
      done = nullptr;
    }
  }
  if (wake) wake();
  if (done) {
    ++not_committed_;
    done(Outcome::not_committed);
  }
}

void IngestQueue::set_wake(std::function<void()> wake) {
  std::lock_guard lock(mutex_);
  wake_ = std::move(wake);
}

std::vector<IngestQueue::Batch> IngestQueue::take() {
  std::lock_guard lock(mutex_);
  std::vector<Batch> out;
  out.swap(waiting_);
  return out;
}

void IngestQueue::complete(std::vector<Batch>& batches, Outcome outcome) {
  pending_ -= static_cast<std::int64_t>(batches.size());
  if (outcome == Outcome::dropped_full) dropped_full_ += batches.size();
  if (outcome == Outcome::not_committed) not_committed_ += batches.size();
  for (auto& b : batches)
    if (b.done) std::exchange(b.done, nullptr)(outcome);
}

void IngestQueue::close() {
  std::vector<Batch> left;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    left.swap(waiting_);
  }
  complete(left, Outcome::not_committed);
}

std::uint64_t IngestQueue::refused(Outcome outcome) const {
  switch (outcome) {
    case Outcome::dropped_full:
      return dropped_full_.load();
    case Outcome::not_committed:
      return not_committed_.load();
    case Outcome::committed:
      break;
  }
  return 0;
}

}  // namespace gw
