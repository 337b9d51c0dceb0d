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

namespace {

std::string batch_id(const std::string& buffer_id, Stream stream, std::int64_t first,
                     std::int64_t last) {
  return buffer_id + "-" + std::string(stream_name(stream)) + "-" + std::to_string(first) + "-" +
         std::to_string(last);
}

}  // namespace

// Reads the next batch past `cursor` as the policy allows. Empty: nothing is waiting.
std::vector<BufferChunk> SinkRunner::collect(const SinkCursor& cursor, const BatchPolicy& policy,
                                             std::size_t max_chunks) {
  std::vector<BufferChunk> chunks;
  SinkCursor ahead = cursor;
  std::size_t records = 0;
  std::int64_t bytes = 0;
  while (chunks.size() < max_chunks && records < policy.max_records &&
         (policy.max_bytes == 0 || bytes < static_cast<std::int64_t>(policy.max_bytes))) {
    auto chunk = buffer_.next_for(index_, ahead);
    if (!chunk) break;
    if (!chunks.empty() && policy.one_stream && chunk->stream != chunks.front().stream) break;
    if (!chunks.empty() && policy.max_bytes != 0 &&
        bytes + chunk->raw_bytes > static_cast<std::int64_t>(policy.max_bytes))
      break;
    ahead.advance(*chunk);
    records += chunk->records.size();
    bytes += chunk->raw_bytes;
    chunks.push_back(std::move(*chunk));
  }
  return chunks;
}

void SinkRunner::run() {
  const BatchPolicy policy = sink_->batch_policy();
  SinkCursor cursor;
  DurationMs backoff = 100;
  std::uint64_t attempt = 0;
  bool isolating = false;  // sending chunk by chunk to find the one that is rejected
  bool flushing = policy.flush_interval == 0;
  TimeMs last_flush = clock_.now();
  std::vector<BufferChunk> chunks;
  std::vector<Record> batch;
  while (clock_.now() < deadline_.load()) {
    chunks.clear();
    batch.clear();
    try {
      if (policy.stable_batches) {
        // A batch handed over before (this run or an earlier one) goes again, unchanged.
        if (auto held = buffer_.held_batch(index_)) {
          chunks = buffer_.chunks_of(index_, *held);
          if (chunks.empty()) buffer_.confirm(index_, std::span<const BufferChunk>());
        }
      }
      if (chunks.empty()) {
        if (!flushing) {
          const TimeMs now = clock_.now();
          flushing = finishing_.load() || now - last_flush >= policy.flush_interval ||
                     (policy.max_bytes != 0 &&
                      buffer_.backlog_bytes(index_) >= static_cast<std::int64_t>(policy.max_bytes));
          if (!flushing) {
            buffer_.wait_for_change(
                std::clamp<DurationMs>(last_flush + policy.flush_interval - now, 1, 200));
            continue;
          }
        }
        chunks = collect(cursor, policy, isolating ? 1 : policy.max_chunks);
        if (!chunks.empty() && policy.stable_batches)
          buffer_.hold_batch(index_, {chunks.front().stream, chunks.front().id, chunks.back().id});
      }
    } catch (const std::exception& e) {
      log::error("sink " + name_ + ": cannot read the buffer: " + e.what());
      wake_.wait_for(1000);
      continue;
    }
    if (chunks.empty()) {
      if (policy.flush_interval > 0) {
        flushing = false;  // everything that was waiting went: wait for the next interval
        last_flush = clock_.now();
      }
      if (finishing_.load()) break;
      buffer_.wait_for_change(200);
      continue;
    }
    for (auto& c : chunks) {
      std::move(c.records.begin(), c.records.end(), std::back_inserter(batch));
      c.records.clear();
      c.records.shrink_to_fit();
    }
    const Batch b{
        batch, chunks.front().stream,
        batch_id(buffer_.id(), chunks.front().stream, chunks.front().id, chunks.back().id)};
    const TimeMs t0 = clock_.now();
    const DeliveryResult r = sink_->deliver(b);
    latency_.observe(static_cast<double>(clock_.now() - t0) / 1000.0);
    const bool find_bad_chunk = r.status == DeliveryStatus::rejected && policy.isolate_rejects &&
                                !policy.stable_batches && chunks.size() > 1;
    auto count = [&](std::atomic<std::uint64_t> StreamCounts::*field) {
      for (const Record& rec : batch) (by_stream_[stream_index(rec.stream)].*field)++;
    };
    if (r.status == DeliveryStatus::delivered)
      count(&StreamCounts::delivered);
    else if (r.status == DeliveryStatus::retry)
      count(&StreamCounts::retried);
    else if (!find_bad_chunk)
      count(&StreamCounts::failed);
    if (r.status != DeliveryStatus::delivered) {
      std::lock_guard lock(error_mutex_);
      last_error_ = r.message;
    }
    if (find_bad_chunk) {
      isolating = true;  // find the chunk that cannot be delivered; deliver the others
      continue;
    }
    try {
      if (r.status == DeliveryStatus::delivered) {
        buffer_.confirm(index_, chunks);
        delivered_ += batch.size();
      } else if (r.status == DeliveryStatus::rejected) {
        log::error("sink " + name_ + " rejected " + std::to_string(batch.size()) + " " +
                   std::string(stream_name(chunks[0].stream)) +
                   " records; they are kept as dead letters (see `iot-gateway buffer stats`): " +
                   r.message);
        buffer_.dead_letter(index_, chunks, r.message);
      }
    } catch (const std::exception& e) {
      log::error("sink " + name_ + ": cannot confirm in the buffer: " + e.what());
      continue;  // the chunks stay pending and are sent again: at least once
    }
    if (r.status != DeliveryStatus::retry) {
      for (const auto& c : chunks) cursor.advance(c);
      if (!healthy_.exchange(true)) log::info("sink " + name_ + " is delivering again");
      backoff = 100;
      isolating = false;
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
