#include "sources/ingest.h"

#include <chrono>

namespace gw {

bool IngestQueue::submit(std::vector<Event> events, std::int64_t timeout_ms) {
  auto batch = std::make_shared<Batch>();
  batch->events = std::move(events);
  std::unique_lock lock(mutex_);
  if (closed_) return false;
  waiting_.push_back(batch);
  cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return batch->done || closed_; });
  return batch->done && batch->committed;
}

std::vector<std::shared_ptr<IngestQueue::Batch>> IngestQueue::take() {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<Batch>> out(waiting_.begin(), waiting_.end());
  waiting_.clear();
  return out;
}

void IngestQueue::complete(const std::vector<std::shared_ptr<Batch>>& batches, bool committed) {
  {
    std::lock_guard lock(mutex_);
    for (const auto& b : batches) {
      b->done = true;
      b->committed = committed;
    }
  }
  cv_.notify_all();
}

void IngestQueue::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  cv_.notify_all();
}

}  // namespace gw
