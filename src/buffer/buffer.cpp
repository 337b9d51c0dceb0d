#include "buffer/buffer.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <random>

#include "buffer/chunk_codec.h"
#include "core/log.h"

namespace gw {
namespace {

namespace fs = std::filesystem;

// Dropped first to last when the buffer is full: raw events first, alerts last.
constexpr std::array<Stream, kStreamCount> kDropOrder = {
    Stream::events,  Stream::events_geo,      Stream::sales,
    Stream::devices, Stream::sales_aggregate, Stream::alerts};

constexpr std::size_t kMaxChunkRaw = 1u << 30;

std::string drop_counter(Stream s, DropReason r) {
  return "drops." + std::string(stream_name(s)) + "." + std::string(drop_reason_name(r));
}

// "2026-11-27T22:30:05.123Z" -> "20261127T223005Z" for file names.
std::string compact_time(TimeMs t) {
  std::string iso = format_iso8601(t), out;
  for (char c : iso.substr(0, 19))
    if (c != '-' && c != ':') out += c;
  return out + "Z";
}

}  // namespace

Buffer::~Buffer() {
  count_unsettled_drops();
  db_.reset();
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

std::string_view drop_reason_name(DropReason r) {
  switch (r) {
    case DropReason::full:
      return "full";
    case DropReason::expired:
      return "expired";
    case DropReason::rejected:
      return "rejected";
    case DropReason::discarded:
      return "discarded";
  }
  return "unknown";
}

namespace {
std::vector<BufferSink> every_stream(const std::vector<std::string>& names) {
  std::vector<BufferSink> sinks;
  for (const auto& n : names) sinks.push_back({n, kEveryStream});
  return sinks;
}
}  // namespace

Buffer::Buffer(const GatewayOptions& gateway, const BufferOptions& options,
               const std::vector<std::string>& sink_names, Clock& wall_clock)
    : Buffer(gateway, options, std::span<const BufferSink>(every_stream(sink_names)), wall_clock) {}

Buffer::Buffer(const GatewayOptions& gateway, const BufferOptions& options,
               std::span<const BufferSink> sinks, Clock& wall_clock)
    : path_((fs::path(gateway.data_dir) / "gateway.db").string()),
      options_(options),
      clock_(wall_clock) {
  open(gateway);
  setup_sinks(sinks);
  auto s = db_->prepare("SELECT COALESCE(SUM(bytes), 0) FROM chunks");
  if (s.step()) bytes_ = s.int64(0);
}

Buffer::Buffer(const GatewayOptions& gateway, const BufferOptions& options, Clock& wall_clock)
    : path_((fs::path(gateway.data_dir) / "gateway.db").string()),
      options_(options),
      clock_(wall_clock) {
  open(gateway);
  auto s = db_->prepare("SELECT COALESCE(SUM(bytes), 0) FROM chunks");
  if (s.step()) bytes_ = s.int64(0);
}

void Buffer::open(const GatewayOptions& gateway) {
  std::error_code ec;
  fs::create_directories(gateway.data_dir, ec);
  if (ec)
    throw sql::SqliteError(SQLITE_CANTOPEN,
                           "cannot create " + gateway.data_dir + ": " + ec.message());
  // One gateway per data_dir: a second one would fight over the buffer.
  const std::string lock_path = (fs::path(gateway.data_dir) / "gateway.lock").string();
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd_ < 0 || ::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    if (lock_fd_ >= 0) ::close(lock_fd_);
    throw sql::SqliteError(SQLITE_BUSY, "another iot-gateway is using " + gateway.data_dir + " (" +
                                            lock_path + " is locked)");
  }
  open_or_recover();
  load_id();
}

void Buffer::open_or_recover() {
  // Create the file 0600 before SQLite does; its -wal and -shm files inherit the mode.
  const int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::fchmod(fd, 0600);
    ::close(fd);
  }
  try {
    db_ = std::make_unique<sql::Connection>(path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    std::string verdict;
    {
      auto check = db_->prepare("PRAGMA quick_check");
      verdict = check.step() ? check.text(0) : "no answer";
    }
    if (verdict != "ok") throw sql::SqliteError(SQLITE_CORRUPT, "integrity check: " + verdict);
    create_schema();
    return;
  } catch (const sql::SqliteError& e) {
    if (!e.is_corrupt()) throw;  // busy, permissions, full disk: not the file's fault
    db_.reset();
    const std::string aside = path_ + ".corrupt-" + compact_time(clock_.now());
    log::error("buffer " + path_ + " is unusable (" + e.what() + "); moved aside to " + aside +
               " and starting a fresh buffer");
    std::error_code ec;
    fs::rename(path_, aside, ec);
    for (const char* suffix : {"-wal", "-shm"}) {
      fs::rename(path_ + suffix, aside + suffix, ec);
    }
    ++corruptions_this_start_;
  }
  const int fd2 = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd2 >= 0) ::close(fd2);
  db_ = std::make_unique<sql::Connection>(path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  create_schema();
  add_counter("buffer_corruptions", corruptions_this_start_);
}

void Buffer::create_schema() {
  db_->exec("PRAGMA journal_mode=WAL");
  db_->exec(options_.sync == SyncMode::full ? "PRAGMA synchronous=FULL"
                                            : "PRAGMA synchronous=NORMAL");
  db_->exec(
      "CREATE TABLE IF NOT EXISTS chunks(id INTEGER PRIMARY KEY AUTOINCREMENT, stream INTEGER NOT "
      "NULL, records INTEGER NOT NULL, bytes INTEGER NOT NULL, raw_bytes INTEGER NOT NULL, "
      "created_ms INTEGER NOT NULL, pending INTEGER NOT NULL, data BLOB NOT NULL);"
      "CREATE INDEX IF NOT EXISTS chunks_by_stream ON chunks(stream, id);"
      "CREATE TABLE IF NOT EXISTS sinks(name TEXT PRIMARY KEY, bit INTEGER NOT NULL UNIQUE);"
      "CREATE TABLE IF NOT EXISTS state(key TEXT PRIMARY KEY, value BLOB NOT NULL);"
      "CREATE TABLE IF NOT EXISTS counters(name TEXT PRIMARY KEY, value INTEGER NOT NULL);"
      "CREATE TABLE IF NOT EXISTS dead_letters(id INTEGER PRIMARY KEY AUTOINCREMENT, sink TEXT "
      "NOT NULL, batch INTEGER NOT NULL, stream INTEGER NOT NULL, records INTEGER NOT NULL, "
      "bytes INTEGER NOT NULL, created_ms INTEGER NOT NULL, reason TEXT NOT NULL, data BLOB NOT "
      "NULL);"
      "CREATE TABLE IF NOT EXISTS held_batches(sink TEXT PRIMARY KEY, stream INTEGER NOT NULL, "
      "first_id INTEGER NOT NULL, last_id INTEGER NOT NULL);");
}

void Buffer::load_id() {
  auto q = db_->prepare("SELECT value FROM state WHERE key = 'buffer_id'");
  if (q.step()) {
    id_ = q.blob(0);
    return;
  }
  q.reset();
  std::random_device rd;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%08x%08x", rd(), rd());
  id_ = hex;
  db_->prepare("INSERT INTO state(key, value) VALUES('buffer_id', ?)").bind_blob(1, id_).run();
}

// Records left for a sink not enabled now, or of a stream it no longer takes, keep its pending
// bit: next_for() and backlog() look only at the streams a sink takes, and a sink enabled again
// gets its old bit back.
void Buffer::setup_sinks(std::span<const BufferSink> sinks) {
  db_->exec("BEGIN IMMEDIATE");
  try {
    SinkSetup setup;
    std::map<std::string, std::int64_t> known;
    {
      auto s = db_->prepare("SELECT name, bit FROM sinks");
      while (s.step()) known[s.text(0)] = s.int64(1);
    }
    for (const auto& [name, streams] : sinks) {
      if (!known.count(name)) {
        std::int64_t bit = 0;
        while (std::any_of(known.begin(), known.end(),
                           [&](const auto& kv) { return kv.second == bit; }))
          ++bit;
        if (bit >= 62) throw sql::SqliteError(SQLITE_ERROR, "too many sinks");
        db_->prepare("INSERT INTO sinks(name, bit) VALUES(?, ?)").bind(1, name).bind(2, bit).run();
        known[name] = bit;
      }
      const std::int64_t bit = std::int64_t{1} << known[name];
      sink_bits_.push_back(bit);
      sink_names_.push_back(name);
      for (std::size_t i = 0; i < kStreamCount; ++i)
        if (streams[i]) stream_masks_[i] |= bit;
      setup.emplace_back(name, streams);
    }
    save_sink_setup(*db_, setup);
    db_->exec("COMMIT");
  } catch (...) {
    db_->exec("ROLLBACK");
    throw;
  }
}

void Buffer::add_counter(const std::string& name, std::int64_t delta) {
  if (delta == 0) return;
  db_->prepare(
         "INSERT INTO counters(name, value) VALUES(?1, ?2) ON CONFLICT(name) DO UPDATE SET value = "
         "value + ?2")
      .bind(1, name)
      .bind(2, delta)
      .run();
}

// Drops still waiting for a sink that had the chunk in flight count at close.
void Buffer::count_unsettled_drops() {
  std::lock_guard lock(mutex_);
  const std::vector<SettledDrop> left = in_flight_drops_.take_all();
  if (left.empty() || !db_) return;
  try {
    db_->exec("BEGIN IMMEDIATE");
    for (const SettledDrop& d : left) add_counter(drop_counter(d.stream, d.reason), d.records);
    db_->exec("COMMIT");
  } catch (const std::exception& e) {
    try {
      db_->exec("ROLLBACK");
    } catch (...) {  // in a destructor: nothing more to do
    }
    log::error(std::string("buffer: cannot count the last drops: ") + e.what());
  }
}

void Buffer::drop_chunk(std::int64_t id, Stream stream, std::int64_t records, std::int64_t bytes,
                        DropReason reason, std::int64_t pending) {
  db_->prepare("DELETE FROM chunks WHERE id = ?").bind(1, id).run();
  bytes_ -= bytes;
  if (in_flight_drops_.counts_now(id, stream, records, reason, pending, sink_bits_))
    add_counter(drop_counter(stream, reason), records);
}

// Frees space in drop order (raw events first, alerts last). For each stream, its buffered
// chunks go first, then its chunk in the incoming batch (`incoming[i]` emptied = not stored).
bool Buffer::make_room(std::array<std::string, kStreamCount>& incoming,
                       const std::array<std::int64_t, kStreamCount>& records) {
  bool dropped_own = false;
  std::int64_t in = 0;
  for (const auto& blob : incoming) in += static_cast<std::int64_t>(blob.size());
  for (const Stream s : kDropOrder) {
    while (bytes_ + in > options_.max_bytes) {
      auto q = db_->prepare(
          "SELECT id, records, bytes, pending FROM chunks WHERE stream = ? ORDER BY id LIMIT 1");
      q.bind(1, static_cast<std::int64_t>(stream_index(s)));
      if (!q.step()) break;
      const std::int64_t id = q.int64(0), n = q.int64(1), bytes = q.int64(2), pending = q.int64(3);
      q.reset();
      drop_chunk(id, s, n, bytes, DropReason::full, pending);
    }
    std::string& blob = incoming[stream_index(s)];
    if (bytes_ + in > options_.max_bytes && !blob.empty()) {
      in -= static_cast<std::int64_t>(blob.size());
      add_counter(drop_counter(s, DropReason::full), records[stream_index(s)]);
      blob.clear();
      dropped_own = true;
    }
  }
  return dropped_own;
}

CommitResult Buffer::commit(std::span<const Record> records, const std::string* state) {
  std::array<std::vector<const Record*>, kStreamCount> by_stream;
  for (const Record& r : records) by_stream[stream_index(r.stream)].push_back(&r);
  std::array<std::string, kStreamCount> blobs;
  std::array<std::int64_t, kStreamCount> counts{};
  std::int64_t incoming = 0;
  for (std::size_t i = 0; i < kStreamCount; ++i) {
    if (by_stream[i].empty()) continue;
    blobs[i] = encode_chunk(by_stream[i]);
    counts[i] = static_cast<std::int64_t>(by_stream[i].size());
    incoming += static_cast<std::int64_t>(blobs[i].size());
  }
  std::lock_guard lock(mutex_);
  if (options_.when_full == WhenFull::block && bytes_ > 0 && bytes_ + incoming > options_.max_bytes)
    return CommitResult::no_room;
  const std::int64_t bytes_before = bytes_;
  CommitResult result;
  try {
    db_->reuse("BEGIN IMMEDIATE").run();
    try {
      if (options_.when_full == WhenFull::drop_oldest && bytes_ + incoming > options_.max_bytes)
        result.dropped_own = make_room(blobs, counts);
      const TimeMs now = clock_.now();
      auto insert = db_->reuse(
          "INSERT INTO chunks(stream, records, bytes, raw_bytes, created_ms, pending, data) "
          "VALUES(?, ?, ?, ?, ?, ?, ?)");
      for (std::size_t i = 0; i < kStreamCount; ++i) {
        if (blobs[i].empty()) continue;
        if (stream_masks_[i] == 0) continue;  // no sink takes this stream: nothing to keep
        insert.bind(1, static_cast<std::int64_t>(i))
            .bind(2, static_cast<std::int64_t>(by_stream[i].size()))
            .bind(3, static_cast<std::int64_t>(blobs[i].size()))
            .bind(4, static_cast<std::int64_t>(raw_chunk_size(by_stream[i])))
            .bind(5, now)
            .bind(6, stream_masks_[i])
            .bind_blob(7, blobs[i]);
        insert.run();
        bytes_ += static_cast<std::int64_t>(blobs[i].size());
      }
      if (state) {
        db_->reuse("INSERT OR REPLACE INTO state(key, value) VALUES('pipeline', ?)")
            .bind_blob(1, *state)
            .run();
      }
      db_->reuse("COMMIT").run();
    } catch (...) {
      db_->exec("ROLLBACK");
      throw;
    }
  } catch (const sql::SqliteError& e) {
    bytes_ = bytes_before;
    ++commit_failures_;
    if (commit_failures_ == 1 || commit_failures_ % 100 == 0)
      log::error(std::string("buffer commit failed (will retry): ") + e.what());
    return CommitResult::failed;
  }
  changed_.notify();
  return result;
}

std::int64_t Buffer::commit_failures() const {
  std::lock_guard lock(mutex_);
  return commit_failures_;
}

std::optional<std::string> Buffer::load_state() {
  std::lock_guard lock(mutex_);
  auto s = db_->prepare("SELECT value FROM state WHERE key = 'pipeline'");
  if (!s.step()) return std::nullopt;
  return s.blob(0);
}

bool Buffer::has_room() const {
  std::lock_guard lock(mutex_);
  return options_.when_full == WhenFull::drop_oldest || bytes_ < options_.max_bytes;
}

void Buffer::set_limits(const BufferOptions& options) {
  {
    std::lock_guard lock(mutex_);
    options_.max_bytes = options.max_bytes;
    options_.max_age = options.max_age;
    options_.when_full = options.when_full;
  }
  changed_.notify();
}

std::int64_t Buffer::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

std::optional<BufferChunk> Buffer::next_for(std::size_t sink, const SinkCursor& cursor,
                                            const ChunkLimit& limit) {
  SinkCursor from = cursor;
  while (true) {
    BufferChunk c;
    std::string blob;
    std::size_t max_raw = 0;
    {
      std::lock_guard lock(mutex_);
      auto q = db_->reuse(
          "SELECT id, raw_bytes, data FROM chunks WHERE stream = ? AND id > ? AND pending & ? "
          "ORDER BY id LIMIT 1");
      bool found = false;
      for (auto it = kDropOrder.rbegin(); it != kDropOrder.rend() && !found; ++it) {
        if (!(stream_masks_[stream_index(*it)] & sink_bits_[sink])) continue;  // not taken now
        q.bind(1, static_cast<std::int64_t>(stream_index(*it)))
            .bind(2, from.after[stream_index(*it)])
            .bind(3, sink_bits_[sink]);
        if (q.step()) {
          if ((limit.stream && *limit.stream != *it) || q.int64(1) > limit.max_raw_bytes) {
            q.reset();
            return std::nullopt;
          }
          found = true;
          c.id = q.int64(0);
          c.stream = *it;
          in_flight_drops_.handed(sink, c.stream, c.id);
          c.raw_bytes = q.int64(1);
          max_raw = std::min<std::size_t>(kMaxChunkRaw, static_cast<std::size_t>(q.int64(1)) + 64);
          blob = q.blob(2);
        }
        q.reset();
      }
      if (!found) return std::nullopt;
    }
    // Decoded outside the lock, so the run loop's commits do not wait for it.
    auto records = decode_chunk(c.stream, blob, max_raw, c.data);
    if (records) {
      c.records = std::move(*records);
      return c;
    }
    log::error("buffer chunk " + std::to_string(c.id) + " is corrupt; dropped");
    {
      std::lock_guard lock(mutex_);
      auto q = db_->prepare("SELECT bytes FROM chunks WHERE id = ?");
      q.bind(1, c.id);
      if (q.step()) bytes_ -= q.int64(0);
      q.reset();
      db_->prepare("DELETE FROM chunks WHERE id = ?").bind(1, c.id).run();
      add_counter("corrupt_chunks", 1);
    }
    from.advance(c);
  }
}

void Buffer::confirm(std::size_t sink, std::int64_t chunk_id) {
  BufferChunk c;
  c.id = chunk_id;
  confirm(sink, std::span<const BufferChunk>(&c, 1));
}

void Buffer::confirm(std::size_t sink, std::span<const BufferChunk> chunks,
                     std::span<const RejectedView> rejected) {
  finish_chunks(sink, chunks, nullptr, rejected);
}

void Buffer::dead_letter(std::size_t sink, std::span<const BufferChunk> chunks,
                         const std::string& reason) {
  finish_chunks(sink, chunks, &reason);
}

void Buffer::release_batch(std::size_t sink) {
  db_->reuse("DELETE FROM held_batches WHERE sink = ?").bind(1, sink_names_[sink]).run();
}

// Each record as a one-record chunk in the dead letters, counted as rejected. In the caller's
// transaction.
void Buffer::dead_letter_records(std::size_t sink, std::int64_t batch,
                                 std::span<const RejectedView> rejected, TimeMs now) {
  auto insert = db_->reuse(
      "INSERT INTO dead_letters(sink, batch, stream, records, bytes, created_ms, reason, data) "
      "VALUES(?, ?, ?, 1, ?, ?, ?, ?)");
  for (const RejectedView& r : rejected) {
    const Record record{r.record.stream, std::string(r.record.key), std::string(r.record.value)};
    const Record* one = &record;
    const std::string blob = encode_chunk(std::span<const Record* const>(&one, 1));
    insert.bind(1, sink_names_[sink])
        .bind(2, batch)
        .bind(3, static_cast<std::int64_t>(stream_index(record.stream)))
        .bind(4, static_cast<std::int64_t>(blob.size()))
        .bind(5, now)
        .bind(6, r.reason)
        .bind_blob(7, blob);
    insert.run();
    add_counter(drop_counter(record.stream, DropReason::rejected), 1);
  }
}

// Clears the sink's pending bit of each chunk (deleting those no sink needs any more) and its
// held batch, in one transaction; with a `dead_letter_reason`, copies the chunks to the dead
// letters first and counts them as rejected; the `rejected` records go to the dead letters
// alone.
void Buffer::finish_chunks(std::size_t sink, std::span<const BufferChunk> chunks,
                           const std::string* dead_letter_reason,
                           std::span<const RejectedView> rejected) {
  {
    std::lock_guard lock(mutex_);
    const std::int64_t bit = sink_bits_[sink];
    const TimeMs now = clock_.now();
    db_->reuse("BEGIN IMMEDIATE").run();
    try {
      if (!rejected.empty() && !chunks.empty())
        dead_letter_records(sink, chunks.front().id, rejected, now);
      auto copy = db_->reuse(
          "INSERT INTO dead_letters(sink, batch, stream, records, bytes, created_ms, reason, data) "
          "SELECT ?, ?, stream, records, bytes, ?, ?, data FROM chunks WHERE id = ?");
      auto count = db_->reuse("SELECT records FROM chunks WHERE id = ?");
      // A chunk that no other sink needs is deleted right away: clearing its last bit first
      // would rewrite the whole row, blob included (the integer's size changes).
      auto state = db_->reuse("SELECT pending, bytes FROM chunks WHERE id = ?");
      auto update = db_->reuse("UPDATE chunks SET pending = ? WHERE id = ?");
      auto remove = db_->reuse("DELETE FROM chunks WHERE id = ?");
      for (const auto& c : chunks) {
        if (dead_letter_reason) {
          count.bind(1, c.id);
          const std::int64_t records = count.step() ? count.int64(0) : 0;
          count.reset();
          // A batch is known by its first chunk.
          copy.bind(1, sink_names_[sink])
              .bind(2, chunks.front().id)
              .bind(3, now)
              .bind(4, *dead_letter_reason)
              .bind(5, c.id);
          copy.run();
          add_counter(drop_counter(c.stream, DropReason::rejected), records);
        }
        state.bind(1, c.id);
        if (!state.step()) {  // gone already (dropped, expired)
          state.reset();
          continue;
        }
        const std::int64_t left = state.int64(0) & ~bit, bytes = state.int64(1);
        state.reset();
        if (left != 0) {
          update.bind(1, left).bind(2, c.id);
          update.run();
        } else {
          bytes_ -= bytes;
          remove.bind(1, c.id);
          remove.run();
        }
      }
      if (!dead_letter_reason)
        for (const SettledDrop& d : in_flight_drops_.confirmed(bit, chunks))
          add_counter(drop_counter(d.stream, d.reason), d.records);
      release_batch(sink);
      db_->reuse("COMMIT").run();
    } catch (...) {
      db_->exec("ROLLBACK");
      throw;
    }
  }
  changed_.notify();
}

void Buffer::hold_batch(std::size_t sink, const HeldBatch& batch) {
  std::lock_guard lock(mutex_);
  db_->prepare(
         "INSERT OR REPLACE INTO held_batches(sink, stream, first_id, last_id) VALUES(?, ?, ?, ?)")
      .bind(1, sink_names_[sink])
      .bind(2, static_cast<std::int64_t>(stream_index(batch.stream)))
      .bind(3, batch.first)
      .bind(4, batch.last)
      .run();
}

std::optional<HeldBatch> Buffer::held_batch(std::size_t sink) {
  std::lock_guard lock(mutex_);
  auto q = db_->prepare("SELECT stream, first_id, last_id FROM held_batches WHERE sink = ?");
  q.bind(1, sink_names_[sink]);
  if (!q.step()) return std::nullopt;
  const auto stream = static_cast<std::size_t>(q.int64(0));
  if (stream >= kStreamCount || !(stream_masks_[stream] & sink_bits_[sink])) return std::nullopt;
  return HeldBatch{kAllStreams[stream], q.int64(1), q.int64(2)};
}

std::vector<BufferChunk> Buffer::chunks_of(std::size_t sink, const HeldBatch& batch) {
  std::vector<std::pair<BufferChunk, std::string>> raw;
  {
    std::lock_guard lock(mutex_);
    auto q = db_->prepare(
        "SELECT id, raw_bytes, data FROM chunks WHERE stream = ? AND id >= ? AND id <= ? AND "
        "pending & ? ORDER BY id");
    q.bind(1, static_cast<std::int64_t>(stream_index(batch.stream)))
        .bind(2, batch.first)
        .bind(3, batch.last)
        .bind(4, sink_bits_[sink]);
    while (q.step()) {
      BufferChunk c;
      c.id = q.int64(0);
      c.stream = batch.stream;
      c.raw_bytes = q.int64(1);
      in_flight_drops_.handed(sink, c.stream, c.id);
      raw.emplace_back(std::move(c), q.blob(2));
    }
  }
  std::vector<BufferChunk> out;
  for (auto& [c, blob] : raw) {
    const auto max_raw =
        std::min<std::size_t>(kMaxChunkRaw, static_cast<std::size_t>(c.raw_bytes) + 64);
    auto records = decode_chunk(c.stream, blob, max_raw, c.data);
    if (!records) {
      log::error("buffer chunk " + std::to_string(c.id) + " is corrupt; skipped");
      continue;
    }
    c.records = std::move(*records);
    out.push_back(std::move(c));
  }
  return out;
}

std::int64_t Buffer::backlog_bytes(std::size_t sink) {
  std::lock_guard lock(mutex_);
  auto q = db_->prepare(
      "SELECT COALESCE(SUM(raw_bytes), 0) FROM chunks WHERE pending & ? AND (? >> stream) & 1");
  q.bind(1, sink_bits_[sink]).bind(2, streams_of(sink));
  return q.step() ? q.int64(0) : 0;
}

std::int64_t Buffer::backlog(std::size_t sink) {
  std::lock_guard lock(mutex_);
  auto q = db_->prepare(
      "SELECT COALESCE(SUM(records), 0) FROM chunks WHERE pending & ? AND (? >> stream) & 1");
  q.bind(1, sink_bits_[sink]).bind(2, streams_of(sink));
  return q.step() ? q.int64(0) : 0;
}

std::int64_t Buffer::streams_of(std::size_t sink) const {
  std::int64_t mask = 0;
  for (std::size_t i = 0; i < kStreamCount; ++i)
    if (stream_masks_[i] & sink_bits_[sink]) mask |= std::int64_t{1} << i;
  return mask;
}

void Buffer::wait_for_change(DurationMs timeout) {
  changed_.wait_for(timeout);
}
void Buffer::notify_all() {
  changed_.notify();
}

void Buffer::follow_clock_jump(DurationMs jump) {
  std::lock_guard lock(mutex_);
  db_->exec("BEGIN IMMEDIATE");
  try {
    db_->prepare("UPDATE chunks SET created_ms = created_ms + ?").bind(1, jump).run();
    db_->prepare("UPDATE dead_letters SET created_ms = created_ms + ?").bind(1, jump).run();
    db_->exec("COMMIT");
  } catch (...) {
    db_->exec("ROLLBACK");
    throw;
  }
}

std::int64_t Buffer::expire() {
  std::int64_t dropped = 0;
  {
    std::lock_guard lock(mutex_);
    const TimeMs cutoff = clock_.now() - options_.max_age;
    db_->exec("BEGIN IMMEDIATE");
    try {
      auto q = db_->prepare(
          "SELECT id, stream, records, bytes, pending FROM chunks WHERE created_ms < ? ORDER BY "
          "id");
      q.bind(1, cutoff);
      std::vector<std::array<std::int64_t, 5>> old;
      while (q.step()) old.push_back({q.int64(0), q.int64(1), q.int64(2), q.int64(3), q.int64(4)});
      q.reset();
      for (const auto& [id, stream, records, bytes, pending] : old) {
        drop_chunk(id, kAllStreams[static_cast<std::size_t>(stream)], records, bytes,
                   DropReason::expired, pending);
        dropped += records;
      }
      // Dead letters are kept for inspection as long as records are.
      db_->prepare("DELETE FROM dead_letters WHERE created_ms < ?").bind(1, cutoff).run();
      db_->exec("COMMIT");
    } catch (...) {
      db_->exec("ROLLBACK");
      throw;
    }
  }
  if (dropped > 0) {
    log::warn("buffer: " + std::to_string(dropped) + " records older than buffer.max_age (" +
              format_duration(options_.max_age) + ") were deleted unsent");
    changed_.notify();
  }
  return dropped;
}

BufferStats Buffer::read_stats(const std::string& db_path) {
  BufferStats st;
  sql::Connection db(db_path, SQLITE_OPEN_READONLY);
  {
    auto q = db.prepare(
        "SELECT stream, SUM(records), SUM(bytes), MIN(created_ms) FROM chunks GROUP BY stream");
    while (q.step()) {
      const auto i = static_cast<std::size_t>(q.int64(0));
      if (i >= kStreamCount) continue;
      st.streams[i].records = q.int64(1);
      st.streams[i].bytes = q.int64(2);
      st.streams[i].oldest_created = q.int64(3);
      st.bytes += q.int64(2);
    }
  }
  {
    auto q = db.prepare(
        "SELECT s.name, COALESCE((SELECT SUM(records) FROM chunks WHERE pending & (1 << s.bit)), "
        "0) "
        "FROM sinks s ORDER BY s.name");
    while (q.step()) st.unconfirmed[q.text(0)] = q.int64(1);
  }
  st.waiting = read_waiting(db);
  for (const auto& w : st.waiting) st.unconfirmed[w.sink] -= w.records;
  bool has_dead_letters = false;
  {
    auto q =
        db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'dead_letters'");
    has_dead_letters = q.step();
  }
  if (has_dead_letters) {
    auto q = db.prepare(
        "SELECT sink, COUNT(DISTINCT batch), SUM(records), MAX(created_ms), (SELECT reason FROM "
        "dead_letters "
        "d2 WHERE d2.sink = d.sink ORDER BY id DESC LIMIT 1) FROM dead_letters d GROUP BY sink");
    while (q.step()) st.dead_letters[q.text(0)] = {q.int64(1), q.int64(2), q.text(4), q.int64(3)};
  }
  {
    auto q = db.prepare("SELECT name, value FROM counters ORDER BY name");
    while (q.step()) {
      const std::string name = q.text(0);
      st.counters[name] = q.int64(1);
      if (name.rfind("drops.", 0) != 0) continue;
      const auto dot = name.find('.', 6);
      if (auto s = stream_from_name(name.substr(6, dot - 6)); s && dot != std::string::npos)
        st.streams[stream_index(*s)].drops[name.substr(dot + 1)] = q.int64(1);
    }
  }
  return st;
}

}  // namespace gw
