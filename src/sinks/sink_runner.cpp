#include "sinks/sink_runner.h"

#include <algorithm>
#include <iterator>

#include "core/log.h"
#include "core/random.h"

namespace gw {

SinkRunner::SinkRunner(std::unique_ptr<Sink> sink, std::size_t index, Buffer& buffer,
                       Clock& wall_clock)
    : sink_(std::move(sink)),
      name_(sink_->name()),
      index_(index),
      buffer_(buffer),
      clock_(wall_clock) {}

SinkRunner::~SinkRunner() {
  finish(clock_.now());
  join();
}

std::string SinkRunner::last_error() const {
  std::lock_guard lock(error_mutex_);
  return last_error_;
}

void SinkRunner::start() {
  thread_ = std::thread([this] { run(); });
}

void SinkRunner::finish(TimeMs deadline) {
  deadline_.store(std::min(deadline_.load(), deadline));
  finishing_.store(true);
  wake_.notify();
  buffer_.notify_all();
}

void SinkRunner::join() {
  if (thread_.joinable()) thread_.join();
}

void SinkRunner::run() {
  SinkCursor cursor;
  DurationMs backoff = 100;
  std::uint64_t attempt = 0;
  std::size_t max_chunks = kMaxBatchChunks;  // 1 while isolating a rejected chunk
  std::vector<BufferChunk> chunks;
  std::vector<Record> batch;
  while (clock_.now() < deadline_.load()) {
    // Several chunks per delivery, so a sink's round trip is paid per batch, not per chunk.
    chunks.clear();
    batch.clear();
    try {
      SinkCursor ahead = cursor;
      while (chunks.size() < max_chunks && batch.size() < kMaxBatchRecords) {
        auto chunk = buffer_.next_for(index_, ahead);
        if (!chunk) break;
        ahead.advance(*chunk);
        std::move(chunk->records.begin(), chunk->records.end(), std::back_inserter(batch));
        chunk->records.clear();
        chunk->records.shrink_to_fit();
        chunks.push_back(std::move(*chunk));
      }
    } catch (const std::exception& e) {
      log::error("sink " + name_ + ": cannot read the buffer: " + e.what());
      wake_.wait_for(1000);
      continue;
    }
    if (chunks.empty()) {
      if (finishing_.load()) break;
      buffer_.wait_for_change(200);
      continue;
    }
    const TimeMs t0 = clock_.now();
    const DeliveryResult r = sink_->deliver(batch);
    latency_.observe(static_cast<double>(clock_.now() - t0) / 1000.0);
    auto count = [&](std::atomic<std::uint64_t> StreamCounts::*field) {
      for (const Record& rec : batch) (by_stream_[stream_index(rec.stream)].*field)++;
    };
    if (r.status == DeliveryStatus::delivered)
      count(&StreamCounts::delivered);
    else if (r.status == DeliveryStatus::retry)
      count(&StreamCounts::retried);
    else if (chunks.size() == 1)
      count(&StreamCounts::failed);
    if (r.status != DeliveryStatus::delivered) {
      std::lock_guard lock(error_mutex_);
      last_error_ = r.message;
    }
    if (r.status == DeliveryStatus::rejected && chunks.size() > 1) {
      max_chunks = 1;  // find the chunk that cannot be delivered; deliver the others
      continue;
    }
    try {
      if (r.status == DeliveryStatus::delivered) {
        buffer_.confirm(index_, chunks);
        delivered_ += batch.size();
      } else if (r.status == DeliveryStatus::rejected) {
        log::error("sink " + name_ + " rejected " + std::to_string(batch.size()) + " " +
                   std::string(stream_name(chunks[0].stream)) + " records: " + r.message);
        buffer_.reject(index_, chunks[0], batch.size());
      }
    } catch (const std::exception& e) {
      log::error("sink " + name_ + ": cannot confirm in the buffer: " + e.what());
      continue;  // the chunks stay pending and are sent again: at least once
    }
    if (r.status != DeliveryStatus::retry) {
      for (const auto& c : chunks) cursor.advance(c);
      if (!healthy_.exchange(true)) log::info("sink " + name_ + " is delivering again");
      backoff = 100;
      max_chunks = kMaxBatchChunks;
      continue;
    }
    if (healthy_.exchange(false))
      log::warn("sink " + name_ + " cannot deliver, will retry: " + r.message);
    const DurationMs sleep = DrawKey(++attempt).uniform(backoff / 2, backoff);
    wake_.wait_for(std::max<DurationMs>(1, std::min(sleep, deadline_.load() - clock_.now())));
    backoff = std::min<DurationMs>(backoff * 2, 5000);
  }
  if (clock_.now() >= deadline_.load())
    log::warn("sink " + name_ + ": shutdown timeout reached; what is unsent stays in the buffer");
  done_.store(true);
}

}  // namespace gw
