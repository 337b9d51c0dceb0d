#include "sinks/sink_runner.h"

#include <algorithm>
#include <deque>

#include "core/log.h"
#include "core/random.h"
#include "sinks/stream_holds.h"

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

void SinkRunner::log_rejected(std::span<const RejectedView> rejected) {
  std::string what = std::to_string(rejected.size()) + " record" +
                     (rejected.size() == 1 ? "" : "s") +
                     " (first: " + std::string(stream_name(rejected[0].record.stream)) + " key \"" +
                     std::string(rejected[0].record.key.substr(0, 64)) +
                     "\": " + std::string(rejected[0].reason) + ")";
  log::error("sink " + name_ + " refuses " + what +
             " for good; set aside as dead letters (see `iot-gateway buffer stats`), the rest of "
             "the batch is delivered");
  std::lock_guard lock(error_mutex_);
  last_error_ = what;
}

// Reads the next batch past `cursor` as the policy allows. Empty: nothing is waiting.
std::vector<BufferChunk> SinkRunner::collect(const SinkCursor& cursor, const BatchPolicy& policy,
                                             std::size_t max_chunks) {
  std::vector<BufferChunk> chunks;
  SinkCursor ahead = cursor;
  std::size_t records = 0;
  std::int64_t bytes = 0;
  while (chunks.size() < max_chunks && records < policy.max_records &&
         (policy.max_bytes == 0 || bytes < static_cast<std::int64_t>(policy.max_bytes))) {
    // The first chunk goes whatever its size; a later one only if it fits (not read if not).
    ChunkLimit limit;
    if (!chunks.empty()) {
      if (policy.one_stream) limit.stream = chunks.front().stream;
      if (policy.max_bytes != 0)
        limit.max_raw_bytes = static_cast<std::int64_t>(policy.max_bytes) - bytes;
    }
    auto chunk = buffer_.next_for(index_, ahead, limit);
    if (!chunk) break;
    ahead.advance(*chunk);
    records += chunk->records.size();
    bytes += chunk->raw_bytes;
    chunks.push_back(std::move(*chunk));
  }
  return chunks;
}

namespace {

// A batch handed to the sink whose result is not in yet. Its records stay here, unmoved, until
// then: the sink may point into them.
struct InFlight {
  std::vector<BufferChunk> chunks;  // own the bytes the records point to
  std::vector<RecordView> records;
  std::string id;
  TimeMs sent = 0;
  StreamHolds::Generations holds{};  // of the streams when it was handed over
};

enum class Read { submitted, nothing, not_yet, failed };

}  // namespace

void SinkRunner::run() {
  const BatchPolicy policy = sink_->batch_policy();
  // Stable batches are persisted one at a time.
  const std::size_t depth =
      policy.stable_batches ? 1 : std::max<std::size_t>(1, sink_->max_in_flight());
  SinkCursor confirmed;  // past the last batch confirmed (or dead-lettered)
  SinkCursor ahead;      // past the last batch handed over
  DurationMs backoff = 100;
  std::uint64_t attempt = 0;
  bool isolating = false;  // sending chunk by chunk to find the one that is rejected
  bool flushing = policy.flush_interval == 0;
  TimeMs last_flush = clock_.now();
  std::deque<InFlight> flight;  // oldest first
  StreamHolds holds;            // streams the sink answered not_ready for

  // Reads the next batch past `ahead` and hands it to the sink.
  auto read_next = [&]() -> Read {
    std::vector<BufferChunk> chunks;
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
          flushing = finishing_.load() || clock_.now() - last_flush >= policy.flush_interval ||
                     (policy.max_bytes != 0 &&
                      buffer_.backlog_bytes(index_) >= static_cast<std::int64_t>(policy.max_bytes));
          if (!flushing) return Read::not_yet;
        }
        chunks =
            collect(holds.visible(ahead, clock_.now()), policy, isolating ? 1 : policy.max_chunks);
        if (!chunks.empty() && policy.stable_batches)
          buffer_.hold_batch(index_, {chunks.front().stream, chunks.front().id, chunks.back().id});
      }
    } catch (const std::exception& e) {
      log::error("sink " + name_ + ": cannot read the buffer: " + e.what());
      return Read::failed;
    }
    if (chunks.empty()) return Read::nothing;
    InFlight& f = flight.emplace_back();
    for (auto& c : chunks) {
      f.records.insert(f.records.end(), c.records.begin(), c.records.end());
      c.records = {};
      ahead.advance(c);
    }
    f.id = batch_id(buffer_.id(), chunks.front().stream, chunks.front().id, chunks.back().id);
    f.chunks = std::move(chunks);
    f.sent = clock_.now();
    f.holds = holds.generations();
    sink_->submit(Batch{f.records, f.chunks.front().stream, f.id, holds.resume(f.chunks)});
    return Read::submitted;
  };
  // Waits for the result of every batch in flight and forgets them: they go again.
  auto abandon_flight = [&] {
    for (; !flight.empty(); flight.pop_front())
      while (!sink_->take_result(100)) {
      }
    ahead = confirmed;
  };

  while (clock_.now() < deadline_.load()) {
    Read read = Read::submitted;
    while (flight.size() < (isolating ? 1 : depth) && (read = read_next()) == Read::submitted) {
    }
    if (flight.empty()) {
      if (read == Read::failed) {
        wake_.wait_for(1000);
      } else if (read == Read::not_yet) {
        buffer_.wait_for_change(
            std::clamp<DurationMs>(last_flush + policy.flush_interval - clock_.now(), 1, 200));
      } else {
        if (policy.flush_interval > 0) {
          flushing = false;  // everything that was waiting went: wait for the next interval
          last_flush = clock_.now();
        }
        if (finishing_.load() && !holds.any()) break;  // a held stream goes on till the deadline
        buffer_.wait_for_change(200);
      }
      continue;
    }
    // While more could be handed over, look again soon for new records.
    const std::optional<DeliveryResult> result =
        sink_->take_result(read == Read::nothing ? 2 : 100);
    if (!result) continue;
    const DeliveryResult& r = *result;
    InFlight f = std::move(flight.front());
    flight.pop_front();
    latency_.observe(static_cast<double>(clock_.now() - f.sent) / 1000.0);
    // The batches after one that was not delivered go again after it (the order per key).
    if (r.status != DeliveryStatus::delivered) abandon_flight();
    // Delivered but for the streams not ready: those chunks stay, the hold of their stream
    // starts (unless an earlier batch started it) and it is read again from where it stands.
    const StreamSet not_ready = r.status == DeliveryStatus::delivered ? r.not_ready : StreamSet{};
    const StreamSet hold_now = holds.hold(not_ready, f.holds, clock_.now());
    std::vector<BufferChunk> done_chunks;
    StreamSet done_streams{};
    for (const auto& c : f.chunks) {  // ids only: f.chunks keeps the records' bytes
      const std::size_t i = stream_index(c.stream);
      if (not_ready[i]) continue;
      done_streams[i] = true;
      BufferChunk& d = done_chunks.emplace_back();
      d.id = c.id;
      d.stream = c.stream;
      d.raw_bytes = c.raw_bytes;
    }
    for (std::size_t i = 0; i < kStreamCount; ++i)
      if (hold_now[i]) ahead.after[i] = confirmed.after[i];
    const bool find_bad_chunk = r.status == DeliveryStatus::rejected && policy.isolate_rejects &&
                                !policy.stable_batches && f.chunks.size() > 1;
    auto count = [&](std::atomic<std::uint64_t> StreamCounts::*field) {
      for (const RecordView& rec : f.records) {
        const std::size_t i = stream_index(rec.stream);
        (by_stream_[i].*(not_ready[i] ? &StreamCounts::retried : field))++;
      }
    };
    std::vector<RejectedView> rejected;
    for (const RejectedRecord& rr : r.rejected_records)
      if (r.status == DeliveryStatus::delivered && rr.index < f.records.size())
        rejected.push_back({f.records[rr.index], rr.reason});
    if (r.status == DeliveryStatus::delivered) {
      count(&StreamCounts::delivered);
      for (const RejectedView& rv : rejected) {
        --by_stream_[stream_index(rv.record.stream)].delivered;
        ++by_stream_[stream_index(rv.record.stream)].failed;
      }
    } else if (r.status == DeliveryStatus::retry)
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
        buffer_.confirm(index_, done_chunks, rejected);
        std::size_t records = 0;
        for (const auto& rec : f.records) records += done_streams[stream_index(rec.stream)];
        delivered_ += records - rejected.size();
        if (!rejected.empty()) log_rejected(rejected);
      } else if (r.status == DeliveryStatus::rejected) {
        log::error("sink " + name_ + " rejected " + std::to_string(f.records.size()) + " " +
                   std::string(stream_name(f.chunks[0].stream)) +
                   " records; they are kept as dead letters (see `iot-gateway buffer stats`): " +
                   r.message);
        buffer_.dead_letter(index_, f.chunks, r.message);
      }
    } catch (const std::exception& e) {
      log::error("sink " + name_ + ": cannot confirm in the buffer: " + e.what());
      abandon_flight();  // the chunks stay pending and are sent again: at least once
      continue;
    }
    if (r.status == DeliveryStatus::delivered) {
      for (const auto& c : done_chunks) confirmed.advance(c);
      holds.ready(done_streams);
    } else if (r.status == DeliveryStatus::rejected) {
      for (const auto& c : f.chunks) confirmed.advance(c);
      ahead = confirmed;
    }
    if (holds.any()) {
      if (hold_now != StreamSet{}) {
        std::lock_guard lock(error_mutex_);
        last_error_ = r.message;
      }
      if (healthy_.exchange(false))
        log::warn("sink " + name_ + " cannot deliver some streams yet, will retry them; the " +
                  "others go on: " + r.message);
    } else if (r.status != DeliveryStatus::retry && !healthy_.exchange(true)) {
      log::info("sink " + name_ + " is delivering again");
    }
    if (r.status != DeliveryStatus::retry) {
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
  const bool timed_out = clock_.now() >= deadline_.load();
  if (timed_out && !flight.empty()) sink_->cancel();
  // The sink may still point into the records of batches in flight.
  abandon_flight();
  if (timed_out)
    log::warn("sink " + name_ + ": shutdown timeout reached; what is unsent stays in the buffer");
  done_.store(true);
}

}  // namespace gw
