#include <doctest/doctest.h>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/records.h"
#include "pipeline/pipeline.h"
#include "simulation_fixture.h"
#include "sources/registry_builder.h"
#include "sources/simulator.h"

using namespace gw;

namespace {

using fixture::encode;
using fixture::kT0;
using fixture::options;
using fixture::registry;
constexpr TimeMs kStep = 1000;

// A sensitive alert rule, so that the disruption raises alerts.
PipelineOptions pipeline_options() {
  PipelineOptions o;
  o.alerts.k_sigma = 1;
  o.alerts.min_excess = 1;
  return o;
}

std::string id_of(const Event& e) {
  return std::visit([](const auto& v) { return v.event_id; }, e);
}

std::string text(const Record& r) {
  std::string s(stream_name(r.stream));
  s += '|';
  s += r.key;
  s += '|';
  s += r.value;
  return s;
}

// Every event of a run, polled kStep ms at a time. Before the polls numbered in `cuts` the
// simulator is snapshotted and replaced by a fresh one restored from the snapshot.
std::vector<Event> run(const SimulatorOptions& o, const DeviceRegistry& reg,
                       const std::set<int>& cuts = {}) {
  auto sim = std::make_unique<Simulator>(o, reg, kT0);
  std::vector<Event> out;
  for (int polls = 0; !sim->finished(); ++polls) {
    if (cuts.count(polls)) {
      const std::string snap = sim->snapshot();
      auto next = std::make_unique<Simulator>(o, reg, kT0);
      std::string error;
      REQUIRE_MESSAGE(next->restore(snap, error), error);
      CHECK(next->snapshot() == snap);
      sim = std::move(next);
    }
    sim->poll(kT0 + polls * kStep, out);
  }
  return out;
}

std::vector<std::string> encode_all(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(encode(e));
  return out;
}

struct PipelineRun {
  std::vector<std::string> records;
  PipelineCounters counters;
};

// Feeds `events` to a Pipeline, then finishes it. Before the events numbered in `cuts` the
// pipeline is snapshotted and replaced by a fresh one restored from the snapshot.
PipelineRun feed(const std::vector<Event>& events, const DeviceRegistry& reg,
                 const std::set<std::size_t>& cuts = {}) {
  const PipelineOptions po = pipeline_options();
  auto p = std::make_unique<Pipeline>(po, reg, RecordEncoder("gw"));
  RecordBatch out;
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (cuts.count(i)) {
      const std::string snap = p->snapshot();
      auto next = std::make_unique<Pipeline>(po, reg, RecordEncoder("gw"));
      std::string error;
      REQUIRE_MESSAGE(next->restore(snap, error), error);
      CHECK(next->snapshot() == snap);
      p = std::move(next);
    }
    p->process(events[i], out);
  }
  p->finish(out);
  PipelineRun r{{}, p->counters()};
  for (const auto& rec : out) r.records.push_back(text(rec));
  return r;
}

// `snap` re-serialised after `edit` has changed its document.
std::string edited(const std::string& snap, const std::function<void(rapidjson::Document&)>& edit) {
  rapidjson::Document doc;
  doc.Parse(snap.c_str());
  REQUIRE_FALSE(doc.HasParseError());
  edit(doc);
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  doc.Accept(w);
  return buf.GetString();
}

}  // namespace

TEST_CASE("simulator: restoring a snapshot continues the exact same event sequence") {
  const auto o = options();
  const auto reg = registry(o);
  const auto whole = encode_all(run(o, reg));
  REQUIRE(whole.size() > 9000);
  CHECK(encode_all(run(o, reg, {1})) == whole);
  CHECK(encode_all(run(o, reg, {137})) == whole);
  CHECK(encode_all(run(o, reg, {1, 137, 400, 590})) == whole);
  CHECK(encode_all(run(o, reg, {0, 601})) == whole);  // at the start; only in-flight left
}

TEST_CASE("simulator: a snapshot records in-flight events, and restores them byte-identical") {
  const auto o = options();
  const auto reg = registry(o);
  Simulator sim(o, reg, kT0);
  std::vector<Event> events;
  sim.poll(kT0 + 137'000, events);
  const std::string snap = sim.snapshot();
  rapidjson::Document doc;
  doc.Parse(snap.c_str());
  REQUIRE(doc["version"].GetInt() == 2);
  CHECK(doc["entities"].GetUint() == 33);  // 3 stores + 30 devices
  CHECK(doc["seq"].Size() == 33);
  CHECK(doc["next"].Size() == 33);
  // Small: no ids, times relative to the earliest next event.
  CHECK(snap.size() < 33 * 16 + doc["in_flight"].Size() * 40 + 200);
  CHECK(doc["in_flight"].Size() > 10);

  Simulator copy(o, reg, kT0);
  std::string error;
  REQUIRE(copy.restore(snap, error));
  CHECK(copy.next_arrival() == sim.next_arrival());
  std::vector<Event> a, b;
  sim.poll(kT0 + 140'000, a);  // the in-flight events and those of the next 3 s
  copy.poll(kT0 + 140'000, b);
  CHECK(encode_all(a) == encode_all(b));
  CHECK(copy.snapshot() == sim.snapshot());
}

TEST_CASE("pipeline: restoring a snapshot anywhere gives the same records and counters") {
  const auto o = options();
  const auto reg = registry(o);
  const auto events = run(o, reg);
  const auto whole = feed(events, reg);
  std::size_t aggregates = 0, alerts = 0;
  for (const auto& r : whole.records) {
    aggregates += r.rfind("sales_aggregate|", 0) == 0;
    alerts += r.rfind("alerts|", 0) == 0;
  }
  REQUIRE(aggregates > 20);
  REQUIRE(alerts > 0);
  for (const std::set<std::size_t>& cuts :
       {std::set<std::size_t>{1}, {2500}, {1, 3001, 7777, events.size() - 1}}) {
    const auto cut = feed(events, reg, cuts);
    CHECK(cut.records == whole.records);
    CHECK(cut.counters == whole.counters);
  }
}

TEST_CASE("crash and resume of simulator and pipeline together reproduces the run") {
  const auto o = options();
  const auto reg = registry(o);
  const PipelineOptions po = pipeline_options();
  auto run_gateway = [&](const std::set<int>& cuts) {
    auto sim = std::make_unique<Simulator>(o, reg, kT0);
    auto p = std::make_unique<Pipeline>(po, reg, RecordEncoder("gw"));
    RecordBatch out;
    std::vector<Event> events;
    for (int polls = 0; !sim->finished(); ++polls) {
      if (cuts.count(polls)) {  // the last commit: both snapshots, then a crash
        const std::string s = sim->snapshot(), q = p->snapshot();
        sim = std::make_unique<Simulator>(o, reg, kT0);
        p = std::make_unique<Pipeline>(po, reg, RecordEncoder("gw"));
        std::string error;
        REQUIRE_MESSAGE(sim->restore(s, error), error);
        REQUIRE_MESSAGE(p->restore(q, error), error);
      }
      events.clear();
      sim->poll(kT0 + polls * kStep, events);
      for (const auto& e : events) p->process(e, out);
    }
    p->finish(out);
    std::vector<std::string> records;
    for (const auto& r : out) records.push_back(text(r));
    return std::make_pair(records, p->counters());
  };
  const auto whole = run_gateway({});
  const auto cut = run_gateway({1, 137, 400});
  CHECK(cut.first == whole.first);
  CHECK(cut.second == whole.second);
}

TEST_CASE("simulator: restore rejects garbage, other versions and other setups, unchanged") {
  const auto o = options();
  const auto reg = registry(o);
  Simulator sim(o, reg, kT0);
  std::vector<Event> events;
  sim.poll(kT0 + 50'000, events);
  const std::string snap = sim.snapshot();
  const PipelineOptions po = pipeline_options();
  const Pipeline pipeline(po, reg, RecordEncoder("gw"));

  Simulator target(o, reg, kT0);
  const std::string before = target.snapshot();
  const std::vector<std::string> bad = {
      "",
      "garbage{",
      "[]",
      "{}",
      R"({"version":"1"})",
      edited(snap, [](auto& d) { d["version"].SetInt(3); }),
      edited(snap, [](auto& d) { d["seed"].SetUint64(43); }),
      edited(snap, [](auto& d) { d["ids"].SetString("nope"); }),
      edited(snap, [](auto& d) { d["entities"].SetUint(32); }),
      edited(snap, [](auto& d) { d["seq"].PopBack(); }),
      edited(snap, [](auto& d) { d["next"].PopBack(); }),
      edited(snap, [](auto& d) { d["seq"][4].SetString("x"); }),
      edited(snap, [](auto& d) { d["next"][4].SetInt64(-1); }),
      edited(snap, [](auto& d) { d["base"].SetInt64(0); }),
      edited(snap, [](auto& d) { d["in_flight"][0][1].SetUint64(1'000'000); }),
      edited(snap, [](auto& d) { d["in_flight"][0][0].SetUint(99); }),
      edited(snap, [](auto& d) { d["in_flight"].PushBack(rapidjson::Value(7), d.GetAllocator()); }),
      pipeline.snapshot(),
      snap.substr(0, snap.size() / 2),
  };
  for (const auto& data : bad) {
    std::string error;
    CHECK_FALSE(target.restore(data, error));
    CHECK_MESSAGE(error.rfind("simulator snapshot: ", 0) == 0, error);
    CHECK(target.snapshot() == before);
  }
  std::string error;
  CHECK_FALSE(target.restore(edited(snap, [](auto& d) { d["version"].SetInt(1); }), error));
  CHECK(error == "simulator snapshot: unsupported version 1");
  Simulator later_start(o, reg, kT0 + 1);
  CHECK_FALSE(later_start.restore(snap, error));
  const auto other = options(7);
  Simulator other_registry(o, registry(other), kT0);
  CHECK_FALSE(other_registry.restore(snap, error));
  CHECK(target.restore(snap, error));
}

TEST_CASE("pipeline: restore rejects garbage, unknown devices and other window sizes, unchanged") {
  const auto o = options();
  const auto reg = registry(o);
  const auto events = run(o, reg);
  const PipelineOptions po = pipeline_options();
  Pipeline source(po, reg, RecordEncoder("gw"));
  RecordBatch out;
  for (std::size_t i = 0; i < 3000; ++i) source.process(events[i], out);
  const std::string snap = source.snapshot();
  REQUIRE(snap.find("\"rejections\":[[") != std::string::npos);

  Pipeline target(po, reg, RecordEncoder("gw"));
  for (std::size_t i = 0; i < 100; ++i) target.process(events[i], out);
  const std::string before = target.snapshot();
  const std::vector<std::string> bad = {
      "",
      "nope",
      "{}",
      R"({"version":1})",
      edited(snap, [](auto& d) { d["version"].SetInt(0); }),
      edited(snap, [](auto& d) { d["sales_window"].SetInt64(30'000); }),
      edited(snap, [](auto& d) { d["counters"].RemoveMember("late_sales"); }),
      edited(snap, [](auto& d) { d["watermark"]["value"].SetString("soon"); }),
      edited(snap, [](auto& d) { d["stores"].PushBack("ABC", d.GetAllocator()); }),
      edited(snap, [](auto& d) { d["sales_windows"][0]["start"].SetInt64(kT0 + 1); }),
      edited(snap, [](auto& d) { d["sales_windows"][0]["sales"][0][0].SetUint(9); }),
      edited(snap, [](auto& d) { d["alert_windows"][0]["rejections"][0][1].SetInt64(0); }),
      edited(snap, [](auto& d) { d["alert_windows"][0]["rejections"][0][0].SetString("x"); }),
      edited(snap, [](auto& d) { d["alert_windows"][0]["rejections"][0][0].SetUint(99'999); }),
      edited(snap, [](auto& d) { d["devices"].SetString("0000000000000000"); }),
      Simulator(o, reg, kT0).snapshot(),
  };
  for (const auto& data : bad) {
    std::string error;
    CHECK_FALSE(target.restore(data, error));
    CHECK_MESSAGE(error.rfind("pipeline snapshot: ", 0) == 0, error);
    CHECK(target.snapshot() == before);
  }
  std::string error;
  CHECK_FALSE(target.restore(
      edited(snap, [](auto& d) { d["alert_windows"][0]["rejections"][0][0].SetUint(99'999); }),
      error));
  CHECK(error == "pipeline snapshot: unknown device index 99999");
  const DeviceRegistry other = registry(options(7));
  Pipeline elsewhere(po, other, RecordEncoder("gw"));
  CHECK_FALSE(elsewhere.restore(snap, error));
  CHECK(error == "pipeline snapshot: taken with another device registry");
  CHECK(target.restore(snap, error));
  CHECK(target.snapshot() == snap);
}

TEST_CASE("resume_at skips the outage, keeps in-flight events and event ids unique") {
  const auto o = options();
  const auto reg = registry(o);
  const auto whole = run(o, reg);
  Simulator sim(o, reg, kT0);
  std::vector<Event> before;
  const TimeMs crash = kT0 + 136 * kStep;
  for (TimeMs now = kT0; now <= crash; now += kStep) sim.poll(now, before);
  const std::string snap = sim.snapshot();

  Simulator resumed(o, reg, kT0);
  std::string error;
  REQUIRE(resumed.restore(snap, error));
  resumed.resume_at(kT0);  // nobody is behind: no change
  CHECK(resumed.snapshot() == snap);
  const TimeMs restart = crash + 60'000;
  resumed.resume_at(restart);

  // The in-flight events arrive (overdue) and nothing else until the restart...
  std::vector<Event> overdue;
  resumed.poll(restart - 1, overdue);
  CHECK_FALSE(overdue.empty());
  CHECK(resumed.next_arrival() >= restart);
  std::multiset<std::string> delivered, generated;
  for (const auto& e : before) delivered.insert(encode(e));
  for (const auto& e : overdue) delivered.insert(encode(e));
  for (const auto& e : whole)
    if (event_time(e) <= crash) generated.insert(encode(e));
  CHECK(delivered == generated);  // nothing generated before the crash is lost or doubled

  // ...then events from the restart on, with ids distinct from all delivered before.
  std::set<std::string> ids;
  for (const auto& e : before) ids.insert(id_of(e));
  for (const auto& e : overdue) ids.insert(id_of(e));
  const std::size_t old_ids = ids.size();
  CHECK(old_ids == before.size() + overdue.size());
  std::vector<Event> after;
  for (TimeMs now = restart; !resumed.finished(); now += kStep) resumed.poll(now, after);
  REQUIRE(after.size() > 1000);
  bool all_after_restart = true;
  for (const auto& e : after) {
    all_after_restart = all_after_restart && event_time(e) >= restart;
    ids.insert(id_of(e));
  }
  CHECK(all_after_restart);
  CHECK(ids.size() == old_ids + after.size());
}
