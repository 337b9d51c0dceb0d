// The durable store-and-forward buffer: <data_dir>/gateway.db, SQLite in WAL mode, mode 0600.
//
// The run loop commits each batch of output records together with the pipeline's state in
// one transaction (commit()); records are grouped per stream into LZ4-compressed chunks. Each
// sink reads chunks from its own position (next_for()) and confirms what it delivered
// (confirm()); a chunk is deleted once every sink it was stored for has confirmed it. Limits:
// max_bytes (drop_oldest: raw events first, alerts last; or block: has_room() turns false) and
// max_age.
// Every drop is counted per stream and reason, in the database itself; a chunk dropped while
// sinks had it in flight counts only if one of them does not deliver it (InFlightDrops).
// Records left for a sink that is now disabled, or of a stream its sink no longer takes, stay
// (waiting(); they count toward max_bytes and expire as any) until that sink takes them again
// or they are discarded (discard(), counted as "discarded").
//
// Thread-safe: one connection behind a mutex; commit() from the run loop, next_for() and
// confirm() from the sink threads, wait_for_change() wakes them on commits.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "buffer/chunk_codec.h"
#include "buffer/in_flight_drops.h"
#include "buffer/sqlite.h"
#include "buffer/waiting_records.h"
#include "config/options.h"
#include "core/clock.h"
#include "core/stream.h"
#include "core/wakeup.h"

namespace gw {

enum class DropReason { full, expired, rejected, discarded };
std::string_view drop_reason_name(DropReason r);

struct BufferChunk {
  std::int64_t id = 0;
  Stream stream = Stream::sales;
  std::int64_t raw_bytes = 0;       // the records' keys and values, uncompressed
  std::vector<RecordView> records;  // views into `data`: valid while the chunk lives
  ChunkBytes data;                  // the decoded frames
};

// One record a sink's destination refused for good, with why.
struct RejectedView {
  RecordView record;
  std::string_view reason;
};

// A sink as the buffer knows it: its name (stable across restarts) and the streams it takes.
struct BufferSink {
  std::string name;
  StreamSet streams = kEveryStream;
};

// A batch a sink was handed and has not confirmed yet (persisted for stable batches): the
// chunks of `stream` with ids in [first, last].
struct HeldBatch {
  Stream stream = Stream::sales;
  std::int64_t first = 0, last = 0;
};

struct DeadLetterStats {
  std::int64_t batches = 0, records = 0;
  std::string last_reason;
  TimeMs last_at = 0;
};

// Where a sink is: per stream, the last chunk it has been handed.
struct SinkCursor {
  std::array<std::int64_t, kStreamCount> after{};
  void advance(const BufferChunk& c) { after[stream_index(c.stream)] = c.id; }
};

struct StreamStats {
  std::int64_t records = 0, bytes = 0;
  std::optional<TimeMs> oldest_created;
  std::map<std::string, std::int64_t> drops;  // reason -> records
};

struct BufferStats {
  std::array<StreamStats, kStreamCount> streams;
  std::map<std::string, std::int64_t> unconfirmed;      // sink -> records it is to deliver
  std::vector<WaitingRecords> waiting;                  // for disabled sinks / streams
  std::map<std::string, std::int64_t> counters;         // every persisted counter
  std::map<std::string, DeadLetterStats> dead_letters;  // sink -> what it rejected
  std::int64_t bytes = 0;
};

// What commit() did: ok, no_room or failed (compared like an enum: r == CommitResult::ok).
// `dropped_own`: to stay under max_bytes, drop_oldest dropped records of this very commit (not
// only older chunks); they are counted as dropped "full" and are not kept.
struct CommitResult {
  enum Status { ok, no_room, failed };
  Status status = ok;
  bool dropped_own = false;
  CommitResult(Status s = ok) : status(s) {}  // NOLINT: implicit, like the enum it was
  bool operator==(Status s) const { return status == s; }
};

// What the next chunk handed to a sink may be (Buffer::next_for).
struct ChunkLimit {
  std::optional<Stream> stream;
  std::int64_t max_raw_bytes = INT64_MAX;
};

class Buffer {
 public:
  // Opens (or creates) <data_dir>/gateway.db. A database that fails its integrity check is
  // moved aside as gateway.db.corrupt-<UTC time> and a fresh one is started (counted as
  // buffer_corruptions). Throws only when even a fresh database cannot be created.
  Buffer(const GatewayOptions& gateway, const BufferOptions& options,
         std::span<const BufferSink> sinks, Clock& wall_clock);
  // Sinks that take every stream.
  Buffer(const GatewayOptions& gateway, const BufferOptions& options,
         const std::vector<std::string>& sink_names, Clock& wall_clock);
  // For maintenance (discard()): takes the data_dir's lock like a gateway, so it fails (throws)
  // while one runs there; keeps the sinks as the last gateway set them up.
  Buffer(const GatewayOptions& gateway, const BufferOptions& options, Clock& wall_clock);
  ~Buffer();
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  // Records and state in one transaction. no_room: policy `block` and the buffer is full
  // (nothing written); failed: e.g. disk full (nothing written, counted; retry later).
  CommitResult commit(std::span<const Record> records, const std::string* state);
  std::optional<std::string> load_state();
  bool has_room() const;
  // A reload: max_bytes, max_age and when_full apply from now on (sync needs a restart).
  void set_limits(const BufferOptions& options);

  // The next chunk past `cursor` that `sink` has not confirmed: alerts first, then sales
  // aggregates, devices, sales, events_geo, events; oldest first within a stream (so the order
  // per key is kept).
  // With a `limit`, nullopt (and nothing read or decoded) if that next chunk is not of
  // `limit.stream` or holds more than `limit.max_raw_bytes`: the end of the caller's batch.
  std::optional<BufferChunk> next_for(std::size_t sink, const SinkCursor& cursor,
                                      const ChunkLimit& limit = {});
  void confirm(std::size_t sink, std::int64_t chunk_id);
  // Confirms several chunks in one transaction; the `rejected` records among them are kept
  // as dead letters, each alone (a one-record chunk), and counted as dropped "rejected".
  void confirm(std::size_t sink, std::span<const BufferChunk> chunks,
               std::span<const RejectedView> rejected = {});
  // A sink rejected these chunks for good: in one transaction, copy them into the dead-letter
  // table (with `reason`), confirm them for the sink and count their records as dropped
  // (reason "rejected").
  void dead_letter(std::size_t sink, std::span<const BufferChunk> chunks,
                   const std::string& reason);
  // Stable batches: remember the batch handed to `sink` until it is confirmed or dead-lettered.
  void hold_batch(std::size_t sink, const HeldBatch& batch);
  std::optional<HeldBatch> held_batch(std::size_t sink);
  // The chunks of a held batch that `sink` has not confirmed, decoded, oldest first.
  std::vector<BufferChunk> chunks_of(std::size_t sink, const HeldBatch& batch);
  // Uncompressed bytes of the records waiting for `sink`.
  std::int64_t backlog_bytes(std::size_t sink);
  // Random, made when the database is created: tells this buffer's chunk ids from those of a
  // buffer that replaced it.
  const std::string& id() const { return id_; }
  // Records not yet confirmed by `sink`.
  std::int64_t backlog(std::size_t sink);
  // Blocks until a commit or confirm happened or the timeout (wall ms) passed.
  void wait_for_change(DurationMs timeout);
  void notify_all();

  // Records kept for a sink disabled at this start, or of a stream it no longer takes.
  std::vector<WaitingRecords> waiting();
  // Gives up `sink`'s records of `streams` (clears its pending bit; a chunk no sink needs any
  // more is deleted) and counts them as dropped, reason "discarded". Returns records per
  // stream. Throws std::invalid_argument for a sink this buffer has never known.
  std::array<std::int64_t, kStreamCount> discard(const std::string& sink, const StreamSet& streams);

  // Deletes chunks older than max_age (counted as expired). Returns records deleted.
  std::int64_t expire();
  // The wall clock stepped by `jump` (> 0 forward): moves every stored creation time along, so
  // that ages (max_age, oldest age) stay true. Without it, a gateway whose clock is set forward
  // (an RTC-less boot getting its date from NTP) would expire what it has not sent yet.
  void follow_clock_jump(DurationMs jump);
  std::int64_t bytes() const;
  std::string path() const { return path_; }
  std::int64_t corruptions_set_aside() const { return corruptions_this_start_; }
  std::int64_t commit_failures() const;

  // Reads statistics through a separate read-only connection; safe while a gateway runs.
  static BufferStats read_stats(const std::string& db_path);

 private:
  void open(const GatewayOptions& gateway);
  void open_or_recover();
  void create_schema();
  void setup_sinks(std::span<const BufferSink> sinks);
  void load_id();
  void release_batch(std::size_t sink);
  std::int64_t streams_of(std::size_t sink) const;  // bit i: takes stream i
  void finish_chunks(std::size_t sink, std::span<const BufferChunk> chunks,
                     const std::string* dead_letter_reason,
                     std::span<const RejectedView> rejected = {});
  void dead_letter_records(std::size_t sink, std::int64_t batch,
                           std::span<const RejectedView> rejected, TimeMs now);
  // True if records of `incoming` had to be dropped too.
  bool make_room(std::array<std::string, kStreamCount>& incoming,
                 const std::array<std::int64_t, kStreamCount>& records);
  void drop_chunk(std::int64_t id, Stream stream, std::int64_t records, std::int64_t bytes,
                  DropReason reason, std::int64_t pending);
  void count_unsettled_drops();
  void add_counter(const std::string& name, std::int64_t delta);

  std::string path_;
  int lock_fd_ = -1;  // flock on <data_dir>/gateway.lock while this Buffer lives
  BufferOptions options_;
  Clock& clock_;
  std::unique_ptr<sql::Connection> db_;
  std::vector<std::int64_t> sink_bits_;  // bit mask per sink index
  std::vector<std::string> sink_names_;
  std::array<std::int64_t, kStreamCount> stream_masks_{};  // the sinks that take each stream
  std::string id_;
  std::int64_t bytes_ = 0;
  std::int64_t corruptions_this_start_ = 0;
  std::int64_t commit_failures_ = 0;
  InFlightDrops in_flight_drops_;
  mutable std::mutex mutex_;
  Wakeup changed_;
};

}  // namespace gw
