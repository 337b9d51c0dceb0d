#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "buffer/buffer.h"
#include "buffer/chunk_codec.h"
#include "core/random.h"

using namespace gw;
namespace fs = std::filesystem;

namespace {

GatewayOptions gateway_in(const std::string& name) {
  GatewayOptions g;
  g.data_dir = (fs::temp_directory_path() / ("iot-gateway-buffer-" + name)).string();
  fs::remove_all(g.data_dir);
  return g;
}

std::vector<Record> records(Stream s, int n, int size = 200) {
  std::vector<Record> out;
  for (int i = 0; i < n; ++i) {
    std::string value = "{\"n\":" + std::to_string(i) + ",\"pad\":\"";
    // Incompressible padding, so sizes are predictable after LZ4.
    const DrawKey k =
        DrawKey(static_cast<std::uint64_t>(s) * 1000003 + static_cast<std::uint64_t>(i));
    for (int j = 0; j < size; ++j)
      value += static_cast<char>('a' + k.combine(static_cast<std::uint64_t>(j)).uniform(0, 25));
    out.push_back({s, "k" + std::to_string(i), value + "\"}"});
  }
  return out;
}

std::vector<Record> drain(Buffer& b, std::size_t sink) {
  std::vector<Record> out;
  SinkCursor cursor;
  while (auto c = b.next_for(sink, cursor)) {
    for (const auto& r : c->records)
      out.push_back({r.stream, std::string(r.key), std::string(r.value)});
    b.confirm(sink, c->id);
    cursor.advance(*c);
  }
  return out;
}

}  // namespace

TEST_CASE("chunks round-trip and corrupt blobs are refused") {
  const auto in = records(Stream::events_geo, 50);
  std::vector<const Record*> ptrs;
  for (const auto& r : in) ptrs.push_back(&r);
  const std::string blob = encode_chunk(ptrs);
  ChunkBytes storage;
  const auto out = decode_chunk(Stream::events_geo, blob, 1 << 20, storage);
  REQUIRE(out);
  REQUIRE(out->size() == in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    CHECK((*out)[i].key == in[i].key);
    CHECK((*out)[i].value == in[i].value);
  }
  std::string bad = blob;
  bad[bad.size() / 2] ^= 0x5a;
  bad[bad.size() / 3] ^= 0x33;
  CHECK_FALSE(decode_chunk(Stream::events_geo, bad, 1 << 20, storage));
  CHECK_FALSE(decode_chunk(Stream::events_geo, "xx", 1 << 20, storage));
}

TEST_CASE("chunks written by earlier versions (legacy checksum) are still read") {
  // encode_chunk() of the version before XXH3, for two events records.
  const std::string legacy(
      "\x42\x00\x00\x00\x00\x00\x00\x00\x27\x63\xa9\xd7\x27\x1d\x0e\x3b\xf1\x05\x05\x64"
      "\x65\x76\x2d\x31\x1a\x7b\x22\x64\x65\x76\x69\x63\x65\x49\x64\x22\x3a\x22\x13\x00"
      "\x81\x22\x2c\x22\x6e\x22\x3a\x31\x7d\x21\x00\x1e\x32\x21\x00\x90\x32\x22\x2c\x22"
      "\x6e\x22\x3a\x32\x7d",
      65);
  ChunkBytes storage;
  const auto out = decode_chunk(Stream::events, legacy, 1 << 20, storage);
  REQUIRE(out);
  REQUIRE(out->size() == 2);
  CHECK((*out)[0].key == "dev-1");
  CHECK((*out)[0].value == "{\"deviceId\":\"dev-1\",\"n\":1}");
  CHECK((*out)[1].key == "dev-2");
  CHECK((*out)[1].value == "{\"deviceId\":\"dev-2\",\"n\":2}");
  std::string bad = legacy;
  bad[9] ^= 1;  // its checksum
  CHECK_FALSE(decode_chunk(Stream::events, bad, 1 << 20, storage));
}

TEST_CASE("records and state survive reopening, each sink confirms on its own, file is 0600") {
  const auto g = gateway_in("reopen");
  VirtualClock clock(1'000'000);
  const auto sales = records(Stream::sales, 10), alerts = records(Stream::alerts, 3);
  {
    Buffer b(g, BufferOptions{}, {"file", "kafka"}, clock);
    std::vector<Record> batch = sales;
    batch.insert(batch.end(), alerts.begin(), alerts.end());
    const std::string state = "state-1";
    REQUIRE(b.commit(batch, &state) == CommitResult::ok);
    CHECK(drain(b, 0).size() == 13);  // "file" confirms everything
    CHECK(b.backlog(0) == 0);
    CHECK(b.backlog(1) == 13);
  }
  struct stat st {};
  REQUIRE(::stat((fs::path(g.data_dir) / "gateway.db").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  Buffer b(g, BufferOptions{}, {"file", "kafka"}, clock);
  CHECK(b.load_state() == "state-1");
  CHECK(b.backlog(0) == 0);
  const auto got = drain(b, 1);
  REQUIRE(got.size() == 13);
  CHECK(b.bytes() == 0);  // confirmed by both: deleted
  const auto stats = Buffer::read_stats(b.path());
  CHECK(stats.unconfirmed.at("kafka") == 0);
  CHECK(stats.streams[stream_index(Stream::sales)].records == 0);
}

TEST_CASE("drop_oldest: raw events go first, alerts last, every drop is counted") {
  const auto g = gateway_in("full");
  VirtualClock clock(1'000'000);
  BufferOptions o;
  o.max_bytes = 64 * 1024;
  Buffer b(g, o, {"file"}, clock);
  // Alerts and aggregates first (oldest), then a flood of raw events.
  REQUIRE(b.commit(records(Stream::alerts, 20), nullptr) == CommitResult::ok);
  REQUIRE(b.commit(records(Stream::sales_aggregate, 20), nullptr) == CommitResult::ok);
  for (int i = 0; i < 40; ++i) {
    REQUIRE(b.commit(records(Stream::events, 20), nullptr) == CommitResult::ok);
    REQUIRE(b.commit(records(Stream::events_geo, 20), nullptr) == CommitResult::ok);
    CHECK(b.bytes() <= o.max_bytes);
  }
  const auto st = Buffer::read_stats(b.path());
  CHECK(st.streams[stream_index(Stream::alerts)].records == 20);
  CHECK(st.streams[stream_index(Stream::sales_aggregate)].records == 20);
  const auto& ev = st.streams[stream_index(Stream::events)];
  const auto& geo = st.streams[stream_index(Stream::events_geo)];
  CHECK(ev.drops.at("full") > 0);
  CHECK(ev.records + ev.drops.at("full") == 800);
  CHECK(geo.records + (geo.drops.count("full") ? geo.drops.at("full") : 0) == 800);
  CHECK(st.bytes <= o.max_bytes);
  // What is left drains completely.
  CHECK(static_cast<std::int64_t>(drain(b, 0).size()) == 40 + ev.records + geo.records);
}

TEST_CASE("drop_oldest: a commit says when it had to drop records of its own") {
  const auto g = gateway_in("own");
  VirtualClock clock(1'000'000);
  BufferOptions o;
  o.max_bytes = 64 * 1024;
  Buffer b(g, o, {"file"}, clock);
  // Older chunks make room for a batch that fits: nothing of the batch itself is lost.
  for (int i = 0; i < 20; ++i) {
    const CommitResult r = b.commit(records(Stream::sales, 40), nullptr);
    REQUIRE(r == CommitResult::ok);
    CHECK_FALSE(r.dropped_own);
  }
  CHECK(Buffer::read_stats(b.path()).streams[stream_index(Stream::sales)].drops.at("full") > 0);
  // A batch larger than max_bytes cannot be kept even with everything older gone.
  const CommitResult big = b.commit(records(Stream::sales, 400), nullptr);
  CHECK(big == CommitResult::ok);
  CHECK(big.dropped_own);
  CHECK(b.bytes() <= o.max_bytes);
}

TEST_CASE("block: a full buffer refuses commits until the sinks make room") {
  const auto g = gateway_in("block");
  VirtualClock clock(1'000'000);
  BufferOptions o;
  o.max_bytes = 64 * 1024;
  o.when_full = WhenFull::block;
  Buffer b(g, o, {"file"}, clock);
  int accepted = 0;
  while (b.has_room() && b.commit(records(Stream::events, 20), nullptr) == CommitResult::ok)
    ++accepted;
  CHECK(accepted > 5);
  CHECK(b.commit(records(Stream::events, 20), nullptr) == CommitResult::no_room);
  CHECK(drain(b, 0).size() == static_cast<std::size_t>(accepted) * 20);
  CHECK(b.has_room());
  CHECK(b.commit(records(Stream::events, 20), nullptr) == CommitResult::ok);
  CHECK(Buffer::read_stats(b.path()).streams[stream_index(Stream::events)].drops.empty());
}

TEST_CASE("records older than max_age are deleted and counted") {
  const auto g = gateway_in("age");
  VirtualClock clock(1'000'000);
  BufferOptions o;
  o.max_age = 60'000;
  Buffer b(g, o, {"file"}, clock);
  REQUIRE(b.commit(records(Stream::sales, 5), nullptr) == CommitResult::ok);
  clock.advance_to(1'030'000);
  REQUIRE(b.commit(records(Stream::alerts, 2), nullptr) == CommitResult::ok);
  CHECK(b.expire() == 0);
  clock.advance_to(1'060'001);  // the sales are now older than 60 s, the alerts are not
  CHECK(b.expire() == 5);
  const auto st = Buffer::read_stats(b.path());
  CHECK(st.streams[stream_index(Stream::sales)].drops.at("expired") == 5);
  CHECK(st.streams[stream_index(Stream::sales)].records == 0);
  CHECK(st.streams[stream_index(Stream::alerts)].records == 2);
}

TEST_CASE("a wall-clock jump moves the creation times along: ages stay real") {
  const auto g = gateway_in("age-jump");
  VirtualClock clock(86'400'000);  // an RTC-less boot: the clock starts near 1970
  BufferOptions o;
  o.max_age = 7 * 86'400'000LL;
  Buffer b(g, o, {"file"}, clock);
  REQUIRE(b.commit(records(Stream::sales, 5), nullptr) == CommitResult::ok);
  clock.advance_to(86'400'000 + 1000);
  // NTP sets the date: 56 years forward. The records are one second old, not 56 years.
  const TimeMs jump = 1'767'225'600'000 - clock.now();
  clock.advance_to(clock.now() + jump);
  b.follow_clock_jump(jump);
  CHECK(b.expire() == 0);
  auto st = Buffer::read_stats(b.path());
  CHECK(st.streams[stream_index(Stream::sales)].records == 5);
  CHECK(clock.now() - *st.streams[stream_index(Stream::sales)].oldest_created == 1000);
  // They still expire once they really are older than max_age.
  clock.advance_to(clock.now() + o.max_age);
  CHECK(b.expire() == 5);
  st = Buffer::read_stats(b.path());
  CHECK(st.streams[stream_index(Stream::sales)].drops.at("expired") == 5);
}

TEST_CASE("a corrupt gateway.db is set aside, counted, and a fresh one started") {
  const auto g = gateway_in("corrupt");
  VirtualClock clock(1'767'225'600'000);
  {
    Buffer b(g, BufferOptions{}, {"file"}, clock);
    REQUIRE(b.commit(records(Stream::sales, 100), nullptr) == CommitResult::ok);
  }
  const fs::path db = fs::path(g.data_dir) / "gateway.db";
  {
    std::fstream f(db, std::ios::in | std::ios::out | std::ios::binary);
    const std::string garbage(4096, '\x5a');
    f.seekp(0);
    f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  Buffer b(g, BufferOptions{}, {"file"}, clock);
  CHECK(b.corruptions_set_aside() == 1);
  CHECK(fs::exists(fs::path(g.data_dir) / "gateway.db.corrupt-20260101T000000Z"));
  CHECK(b.commit(records(Stream::sales, 3), nullptr) == CommitResult::ok);
  CHECK(Buffer::read_stats(b.path()).counters.at("buffer_corruptions") == 1);
  CHECK(drain(b, 0).size() == 3);
}

TEST_CASE("a sink is handed alerts and aggregates before raw events, each stream in order") {
  const auto g = gateway_in("priority");
  VirtualClock clock(1'000'000);
  Buffer b(g, BufferOptions{}, {"kafka"}, clock);
  for (int i = 0; i < 3; ++i) {
    std::vector<Record> batch = records(Stream::events, 2);
    for (auto& r : records(Stream::alerts, 1)) batch.push_back(r);
    for (auto& r : records(Stream::sales_aggregate, 1)) batch.push_back(r);
    REQUIRE(b.commit(batch, nullptr) == CommitResult::ok);
  }
  std::vector<std::pair<Stream, std::int64_t>> order;
  SinkCursor cursor;
  while (auto c = b.next_for(0, cursor)) {
    order.emplace_back(c->stream, c->id);
    cursor.advance(*c);  // handed out, not yet confirmed
  }
  REQUIRE(order.size() == 9);
  for (int i = 0; i < 3; ++i) CHECK(order[static_cast<std::size_t>(i)].first == Stream::alerts);
  for (int i = 3; i < 6; ++i)
    CHECK(order[static_cast<std::size_t>(i)].first == Stream::sales_aggregate);
  for (int i = 6; i < 9; ++i) CHECK(order[static_cast<std::size_t>(i)].first == Stream::events);
  for (std::size_t i = 1; i < order.size(); ++i)
    if (order[i].first == order[i - 1].first) CHECK(order[i].second > order[i - 1].second);
  CHECK(b.backlog(0) == 12);  // nothing confirmed yet
}

TEST_CASE("records for a sink disabled between runs stay, counted, until it is enabled again") {
  const auto g = gateway_in("disabled-sink");
  VirtualClock clock(1'000'000);
  const auto sales = records(Stream::sales, 10);
  {
    Buffer b(g, BufferOptions{}, {"file", "kafka"}, clock);
    REQUIRE(b.commit(sales, nullptr) == CommitResult::ok);
    CHECK(drain(b, 0).size() == 10);  // "file" delivered; "kafka" could not
  }
  {
    Buffer b(g, BufferOptions{}, {"file"}, clock);
    CHECK(b.bytes() > 0);  // they still count toward max_bytes
    CHECK(drain(b, 0).empty());
    const auto waiting = b.waiting();
    REQUIRE(waiting.size() == 1);
    CHECK(waiting[0].sink == "kafka");
    CHECK(waiting[0].stream == Stream::sales);
    CHECK(waiting[0].records == 10);
    CHECK(waiting[0].sink_disabled);
  }
  auto st = Buffer::read_stats((fs::path(g.data_dir) / "gateway.db").string());
  CHECK(st.streams[stream_index(Stream::sales)].records == 10);
  CHECK(st.streams[stream_index(Stream::sales)].drops.empty());
  REQUIRE(st.waiting.size() == 1);
  CHECK(st.waiting[0].records == 10);
  CHECK(st.unconfirmed.at("kafka") == 0);  // not to be delivered by this setup
  Buffer b(g, BufferOptions{}, {"file", "kafka"}, clock);
  CHECK(b.waiting().empty());
  CHECK(b.backlog(1) == 10);
  CHECK(drain(b, 1).size() == 10);
  CHECK(b.bytes() == 0);
}

TEST_CASE("a stream a sink no longer takes is kept from it, and delivered when taken again") {
  const auto g = gateway_in("stream-removed");
  VirtualClock clock(1'000'000);
  StreamSet alerts_only{};
  alerts_only[stream_index(Stream::alerts)] = true;
  std::vector<Record> batch = records(Stream::sales, 5);
  const auto alerts = records(Stream::alerts, 2);
  batch.insert(batch.end(), alerts.begin(), alerts.end());
  {
    const BufferSink every{"druid", kEveryStream};
    Buffer b(g, BufferOptions{}, std::span<const BufferSink>(&every, 1), clock);
    REQUIRE(b.commit(batch, nullptr) == CommitResult::ok);
  }
  {
    const BufferSink some{"druid", alerts_only};
    Buffer b(g, BufferOptions{}, std::span<const BufferSink>(&some, 1), clock);
    CHECK(b.backlog(0) == 2);
    const auto got = drain(b, 0);
    REQUIRE(got.size() == 2);
    CHECK(got[0].stream == Stream::alerts);
    const auto waiting = b.waiting();
    REQUIRE(waiting.size() == 1);
    CHECK(waiting[0].stream == Stream::sales);
    CHECK(waiting[0].records == 5);
    CHECK_FALSE(waiting[0].sink_disabled);
    const auto lines = describe_waiting(waiting);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].find("5 records wait for sink druid in streams it no longer takes (sales 5)") !=
          std::string::npos);
    CHECK(lines[0].find("buffer discard --sink druid") != std::string::npos);
  }
  const BufferSink every{"druid", kEveryStream};
  Buffer b(g, BufferOptions{}, std::span<const BufferSink>(&every, 1), clock);
  CHECK(drain(b, 0).size() == 5);
  CHECK(b.bytes() == 0);
}

TEST_CASE("kept records expire by max_age, discard drops them as \"discarded\", never while open") {
  const auto g = gateway_in("discard");
  VirtualClock clock(1'000'000);
  BufferOptions options;
  options.max_age = 60'000;
  {
    Buffer b(g, options, {"file", "kafka"}, clock);
    REQUIRE(b.commit(records(Stream::sales, 10), nullptr) == CommitResult::ok);
    clock.advance_to(1'030'000);
    REQUIRE(b.commit(records(Stream::events, 4), nullptr) == CommitResult::ok);
    drain(b, 0);
  }
  {
    Buffer b(g, options, {"file"}, clock);
    CHECK_THROWS_AS(Buffer(g, options, clock), sql::SqliteError);  // the lock is held
    clock.advance_to(1'060'001);
    CHECK(b.expire() == 10);  // the older ones, counted as expired
  }
  Buffer m(g, options, clock);
  CHECK_THROWS_AS(m.discard("nosuch", kEveryStream), std::invalid_argument);
  const auto dropped = m.discard("kafka", kEveryStream);
  CHECK(dropped[stream_index(Stream::events)] == 4);
  CHECK(m.bytes() == 0);
  const auto st = Buffer::read_stats(m.path());
  CHECK(st.streams[stream_index(Stream::sales)].drops.at("expired") == 10);
  CHECK(st.streams[stream_index(Stream::events)].drops.at("discarded") == 4);
  CHECK(st.waiting.empty());
}

TEST_CASE("a batch held for a stream the sink no longer takes waits until it takes it again") {
  const auto g = gateway_in("held-stream-removed");
  VirtualClock clock(1'000'000);
  StreamSet alerts_only{};
  alerts_only[stream_index(Stream::alerts)] = true;
  std::int64_t first = 0, last = 0;
  {
    const BufferSink every{"druid", kEveryStream};
    Buffer b(g, BufferOptions{}, std::span<const BufferSink>(&every, 1), clock);
    REQUIRE(b.commit(records(Stream::sales, 3), nullptr) == CommitResult::ok);
    REQUIRE(b.commit(records(Stream::sales, 3), nullptr) == CommitResult::ok);
    const auto c1 = b.next_for(0, SinkCursor{});
    REQUIRE(c1);
    SinkCursor after;
    after.advance(*c1);
    const auto c2 = b.next_for(0, after);
    REQUIRE(c2);
    first = c1->id;
    last = c2->id;
    b.hold_batch(0, {Stream::sales, first, last});  // handed to Druid, not answered yet
  }
  {
    const BufferSink some{"druid", alerts_only};
    Buffer b(g, BufferOptions{}, std::span<const BufferSink>(&some, 1), clock);
    CHECK_FALSE(b.held_batch(0));  // not sent again to a sink that no longer takes sales
    CHECK_FALSE(b.next_for(0, SinkCursor{}));
  }
  const BufferSink every{"druid", kEveryStream};
  Buffer b(g, BufferOptions{}, std::span<const BufferSink>(&every, 1), clock);
  const auto held = b.held_batch(0);
  REQUIRE(held);
  CHECK(held->first == first);
  CHECK(held->last == last);
  const auto chunks = b.chunks_of(0, *held);
  CHECK(chunks.size() == 2);
  b.confirm(0, chunks);
  CHECK(b.bytes() == 0);
}

TEST_CASE("drops of chunks a sink had in flight count only if the sink does not deliver them") {
  const auto g = gateway_in("in-flight-drops");
  VirtualClock clock(1'000'000);
  BufferOptions o;
  o.max_bytes = 6 * 1024;  // room for one chunk of 20 records of ~200 bytes, not two
  Buffer b(g, o, {"kafka"}, clock);
  auto full_drops = [&] {
    const auto st = Buffer::read_stats(b.path());
    const auto& drops = st.streams[stream_index(Stream::events)].drops;
    return drops.count("full") ? drops.at("full") : 0;
  };
  REQUIRE(b.commit(records(Stream::events, 20), nullptr) == CommitResult::ok);
  SinkCursor cursor;
  auto a = b.next_for(0, cursor);  // chunk a in flight
  REQUIRE(a);
  REQUIRE(b.commit(records(Stream::events, 20), nullptr) == CommitResult::ok);  // drops a
  CHECK(Buffer::read_stats(b.path()).streams[stream_index(Stream::events)].records == 20);
  b.confirm(0, std::span<const BufferChunk>(&*a, 1));  // ... which the sink delivered
  CHECK(full_drops() == 0);

  cursor.advance(*a);
  auto c2 = b.next_for(0, cursor);  // in flight, then dropped, and the sink fails to send it
  REQUIRE(c2);
  REQUIRE(b.commit(records(Stream::events, 20), nullptr) == CommitResult::ok);
  CHECK(full_drops() == 0);         // not settled yet
  auto c3 = b.next_for(0, cursor);  // the retry reads on: c2 is gone
  REQUIRE(c3);
  CHECK(c3->id > c2->id);
  b.confirm(0, std::span<const BufferChunk>(&*c3, 1));
  CHECK(full_drops() == 20);  // c2 counts now: the sink went on without it

  REQUIRE(b.commit(records(Stream::events, 20), nullptr) == CommitResult::ok);
  REQUIRE(b.commit(records(Stream::events, 20), nullptr) == CommitResult::ok);  // never handed
  CHECK(full_drops() == 40);                                                    // counted at once
}
