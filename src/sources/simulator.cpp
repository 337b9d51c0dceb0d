#include "sources/simulator.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <utility>

#include "core/geo.h"
#include "core/json.h"
#include "core/text.h"
#include "sources/registry_builder.h"

namespace gw {
namespace {

constexpr int kSnapshotVersion = 2;

using json::member;
using json::text;

}  // namespace

bool Simulator::GenLater::operator()(std::uint32_t a, std::uint32_t b) const {
  const Entity& x = (*entities)[a];
  const Entity& y = (*entities)[b];
  if (x.next_time != y.next_time) return x.next_time > y.next_time;
  return a > b;
}

bool Simulator::ArrivalLater::operator()(const Pending& a, const Pending& b) const {
  if (a.arrival != b.arrival) return a.arrival > b.arrival;
  if (a.entity != b.entity) return a.entity > b.entity;
  return a.seq > b.seq;
}

Simulator::Simulator(const SimulatorOptions& options, const DeviceRegistry& registry, TimeMs start)
    : options_(options),
      registry_(registry),
      start_(start),
      end_(options.duration ? start + *options.duration : kTimeMax),
      to_generate_(GenLater{&entities_}) {
  const DrawKey seed(options.seed);
  // Sales entities first (one per store), then access entities (one per device). The entity
  // index is part of the arrival order's tie-break, so this order is part of the contract.
  entities_.reserve(options_.stores.size() + registry.size());
  for (const auto& s : options_.stores)
    entities_.push_back({seed.combine("sales").combine(s.id), 0, 0, 0, 0, Kind::sale});
  for (const auto& d : registry.all())
    entities_.push_back({seed.combine("access").combine(d.id), 0, 0, 0, 0, Kind::access});
  assign_disruptions(registry);
  for (auto& e : entities_) schedule_next(e, start_);
  rebuild_to_generate();
  DrawKey ids(0);
  for (std::uint32_t i = 0; i < entities_.size(); ++i)
    ids = ids.combine(entities_[i].kind == Kind::sale ? "s" : "a").combine(entity_id(i));
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(ids.bits()));
  entities_hash_ = hex;
}

void Simulator::assign_disruptions(const DeviceRegistry& registry) {
  disruptions_.clear();
  for (const auto& d : options_.disruptions)
    disruptions_.push_back({d.from.resolve(start_), d.until.resolve(start_), d.rejected_ratio});
  // Device entities follow the sales entities, in the registry's order.
  // Each device's list is a run in disruption_lists_ (most devices have none).
  disruption_lists_.clear();
  std::size_t index = options_.stores.size();
  for (const auto& d : registry.all()) {
    Entity& e = entities_[index++];
    e.disruptions_at = static_cast<std::uint32_t>(disruption_lists_.size());
    for (std::size_t i = 0; i < options_.disruptions.size(); ++i) {
      const auto& dis = options_.disruptions[i];
      double lat = dis.lat, lon = dis.lon;
      if (dis.store) {
        for (const auto& s : options_.stores)
          if (s.id == *dis.store) lat = s.lat, lon = s.lon;
      }
      if (haversine_m(lat, lon, d.lat, d.lon) <= dis.radius_m)
        disruption_lists_.push_back(static_cast<std::uint16_t>(i));
    }
    e.disruptions_count = static_cast<std::uint16_t>(disruption_lists_.size() - e.disruptions_at);
  }
  disruption_lists_.shrink_to_fit();
}

std::string_view Simulator::entity_id(std::uint32_t index) const {
  const std::size_t stores = options_.stores.size();
  return index < stores ? std::string_view(options_.stores[index].id)
                        : registry_.at(static_cast<std::uint32_t>(index - stores)).id;
}

void Simulator::update_behaviour(const SimulatorOptions& options, const DeviceRegistry& registry) {
  options_.amount_min = options.amount_min;
  options_.amount_max = options.amount_max;
  options_.rejected_ratio = options.rejected_ratio;
  options_.disruptions = options.disruptions;
  assign_disruptions(registry);
}

void Simulator::rebuild_to_generate() {
  to_generate_ = decltype(to_generate_)(GenLater{&entities_});
  for (std::uint32_t i = 0; i < entities_.size(); ++i) {
    if (entities_[i].next_time < end_) to_generate_.push(i);
  }
}

void Simulator::schedule_next(Entity& e, TimeMs previous) {
  const double mean_gap = static_cast<double>(e.kind == Kind::sale ? options_.sales_interval
                                                                   : options_.access_interval);
  const double gap = e.key.combine(e.seq).combine("gap").exponential(mean_gap);
  e.next_time = previous + static_cast<TimeMs>(std::llround(gap));
}

Event Simulator::make_event(std::uint32_t index, std::uint64_t seq, TimeMs t) const {
  const Entity& e = entities_[index];
  const DrawKey k = e.key.combine(seq);
  std::string id = uuid_from_bits(k.combine("id-hi").bits(), k.combine("id-lo").bits());
  if (e.kind == Kind::sale) {
    return SaleEvent{std::string(entity_id(index)),
                     k.combine("amount").uniform(options_.amount_min, options_.amount_max), t,
                     std::move(id)};
  }
  double ratio = options_.rejected_ratio;
  for (std::uint32_t j = e.disruptions_at; j < e.disruptions_at + e.disruptions_count; ++j) {
    const Disruption& d = disruptions_[disruption_lists_[j]];
    if (t >= d.from && t < d.until) ratio = d.rejected_ratio;
  }
  const auto device = static_cast<std::uint32_t>(index - options_.stores.size());
  return AccessEvent{std::string(entity_id(index)), k.combine("rejected").unit() < ratio, t,
                     std::move(id), device};
}

DurationMs Simulator::arrival_delay(const Entity& e, std::uint64_t seq) const {
  if (options_.max_delay <= 0) return 0;
  return e.key.combine(seq).combine("delay").uniform(0, options_.max_delay);
}

Simulator::Pending Simulator::make_pending(std::uint32_t index, std::uint64_t seq, TimeMs t) const {
  const Entity& e = entities_[index];
  return Pending{t + arrival_delay(e, seq), index, seq, t, make_event(index, seq, t)};
}

Simulator::Pending Simulator::generate(std::uint32_t index) {
  Entity& e = entities_[index];
  const TimeMs t = e.next_time;
  Pending p = make_pending(index, e.seq, t);
  ++e.seq;
  schedule_next(e, t);
  return p;
}

void Simulator::poll(TimeMs now, std::vector<Event>& out) {
  // Generate every event whose event time has come: nothing generated later can arrive
  // before `now`, since arrival >= event time.
  while (!to_generate_.empty() && entities_[to_generate_.top()].next_time <= now) {
    const std::uint32_t index = to_generate_.top();
    to_generate_.pop();
    in_flight_.push_back(generate(index));
    std::push_heap(in_flight_.begin(), in_flight_.end(), ArrivalLater{});
    if (entities_[index].next_time < end_) to_generate_.push(index);
  }
  while (!in_flight_.empty() && in_flight_.front().arrival <= now) {
    std::pop_heap(in_flight_.begin(), in_flight_.end(), ArrivalLater{});
    out.push_back(std::move(in_flight_.back().event));
    in_flight_.pop_back();
  }
}

TimeMs Simulator::next_arrival() const {
  TimeMs t = kTimeMax;
  if (!in_flight_.empty()) t = in_flight_.front().arrival;
  if (!to_generate_.empty()) t = std::min(t, entities_[to_generate_.top()].next_time);
  return t;
}

bool Simulator::finished() const {
  return in_flight_.empty() && to_generate_.empty();
}

std::string Simulator::snapshot() const {
  // Per entity only its seq and next event time (as an offset from the smallest one), in
  // entity order; the entities themselves are checked by a hash of their kinds and ids. It is
  // written with every commit, so it is kept small: ~10 bytes per entity.
  TimeMs base = kTimeMax;
  for (const auto& e : entities_) base = std::min(base, e.next_time);
  if (entities_.empty()) base = start_;
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("version");
  w.Int(kSnapshotVersion);
  w.Key("kind");
  w.String("simulator");
  w.Key("seed");
  w.Uint64(options_.seed);
  w.Key("start");
  w.Int64(start_);
  w.Key("end");
  w.Int64(end_);
  w.Key("entities");
  w.Uint64(entities_.size());
  w.Key("ids");
  w.String(entities_hash_);
  w.Key("base");
  w.Int64(base);
  w.Key("seq");
  w.StartArray();
  for (const auto& e : entities_) w.Uint64(e.seq);
  w.EndArray();
  w.Key("next");  // next event time - base
  w.StartArray();
  for (const auto& e : entities_) w.Int64(e.next_time - base);
  w.EndArray();
  // In arrival order, so that equal states give equal text whatever the heap's layout.
  std::vector<const Pending*> pending;
  for (const auto& p : in_flight_) pending.push_back(&p);
  std::sort(pending.begin(), pending.end(),
            [](const Pending* a, const Pending* b) { return ArrivalLater{}(*b, *a); });
  w.Key("in_flight");  // [entity index, seq, event time]
  w.StartArray();
  for (const Pending* p : pending) {
    w.StartArray();
    w.Uint(p->entity);
    w.Uint64(p->seq);
    w.Int64(p->time);
    w.EndArray();
  }
  w.EndArray();
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

bool Simulator::restore(std::string_view data, std::string& error) {
  const auto fail = [&](std::string message) {
    error = cat({"simulator snapshot: ", message});
    return false;
  };
  rapidjson::Document doc;
  doc.Parse(data.data(), data.size());
  if (doc.HasParseError())
    return fail(cat({"invalid JSON: ", GetParseError_En(doc.GetParseError())}));
  const auto* version = member(doc, "version");
  if (!version || !version->IsInt()) return fail("no \"version\"");
  if (version->GetInt() != kSnapshotVersion)
    return fail(cat({"unsupported version ", std::to_string(version->GetInt())}));
  const auto* kind = member(doc, "kind");
  if (!kind || !kind->IsString() || text(*kind) != "simulator") return fail("not a simulator's");
  const auto* seed = member(doc, "seed");
  const auto* start = member(doc, "start");
  const auto* end = member(doc, "end");
  if (!seed || !seed->IsUint64() || !start || !start->IsInt64() || !end || !end->IsInt64())
    return fail("\"seed\", \"start\" or \"end\" missing or not an integer");
  if (seed->GetUint64() != options_.seed || start->GetInt64() != start_ || end->GetInt64() != end_)
    return fail("taken with another seed, start or duration");

  const auto* count = member(doc, "entities");
  const auto* ids = member(doc, "ids");
  const auto* base = member(doc, "base");
  const auto* seqs = member(doc, "seq");
  const auto* nexts = member(doc, "next");
  if (!count || !count->IsUint64() || !ids || !ids->IsString() || !base || !base->IsInt64() ||
      !seqs || !seqs->IsArray() || !nexts || !nexts->IsArray())
    return fail("\"entities\", \"ids\", \"base\", \"seq\" or \"next\" missing or malformed");
  if (count->GetUint64() != entities_.size()) {
    return fail(cat({"has ", std::to_string(count->GetUint64()), " entities, this simulator ",
                     std::to_string(entities_.size())}));
  }
  if (text(*ids) != entities_hash_) return fail("taken with other stores or devices");
  if (seqs->Size() != entities_.size() || nexts->Size() != entities_.size())
    return fail("\"seq\" or \"next\" does not have one value per entity");
  std::vector<std::pair<std::uint64_t, TimeMs>> state;  // (seq, next_time) per entity
  state.reserve(entities_.size());
  for (rapidjson::SizeType i = 0; i < seqs->Size(); ++i) {
    const auto& seq = (*seqs)[i];
    const auto& next = (*nexts)[i];
    if (!seq.IsUint64() || !next.IsInt64() || next.GetInt64() < 0)
      return fail(cat({"entity ", std::to_string(i), " is malformed"}));
    const TimeMs t = base->GetInt64() + next.GetInt64();
    if (t < start_)
      return fail(cat({"entity ", entity_id(i), " has its next event before the start"}));
    state.emplace_back(seq.GetUint64(), t);
  }

  const auto* in_flight = member(doc, "in_flight");
  if (!in_flight || !in_flight->IsArray()) return fail("\"in_flight\" missing or not an array");
  std::vector<Pending> pending;
  std::vector<std::pair<std::uint32_t, std::uint64_t>> in_flight_ids;
  for (const auto& v : in_flight->GetArray()) {
    if (!v.IsArray() || v.Size() != 3 || !v[0].IsUint() || !v[1].IsUint64() || !v[2].IsInt64())
      return fail("an in-flight event is not [entity, seq, time]");
    const std::uint32_t index = v[0].GetUint();
    const std::uint64_t seq = v[1].GetUint64();
    const TimeMs t = v[2].GetInt64();
    if (index >= state.size() || seq >= state[index].first || t < start_ || t >= end_)
      return fail("an in-flight event is out of range");
    in_flight_ids.emplace_back(index, seq);
    pending.push_back(make_pending(index, seq, t));
  }
  std::sort(in_flight_ids.begin(), in_flight_ids.end());
  if (std::adjacent_find(in_flight_ids.begin(), in_flight_ids.end()) != in_flight_ids.end())
    return fail("an in-flight event is listed twice");

  for (std::size_t i = 0; i < entities_.size(); ++i) {
    entities_[i].seq = state[i].first;
    entities_[i].next_time = state[i].second;
  }
  in_flight_ = std::move(pending);
  std::make_heap(in_flight_.begin(), in_flight_.end(), ArrivalLater{});
  rebuild_to_generate();
  return true;
}

std::optional<TimeMs> Simulator::snapshot_start(std::string_view data) {
  rapidjson::Document doc;
  doc.Parse(data.data(), data.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("start") || !doc["start"].IsInt64())
    return std::nullopt;
  return doc["start"].GetInt64();
}

void Simulator::resume_at(TimeMs now) {
  for (auto& e : entities_) e.next_time = std::max(e.next_time, now);
  rebuild_to_generate();
}

}  // namespace gw
