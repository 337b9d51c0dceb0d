#include "sources/simulator.h"

#include <cmath>

#include "core/geo.h"
#include "sources/registry_builder.h"

namespace gw {

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
      start_(start),
      end_(options.duration ? start + *options.duration : kTimeMax),
      to_generate_(GenLater{&entities_}),
      in_flight_(ArrivalLater{&entities_}) {
  for (const auto& d : options.disruptions) {
    disruptions_.push_back({d.from.resolve(start), d.until.resolve(start), d.rejected_ratio});
  }
  const DrawKey seed(options.seed);
  // Sales entities first (one per store), then access entities (one per device). The entity
  // index is part of the arrival order's tie-break, so this order is part of the contract.
  for (const auto& s : options.stores) {
    entities_.push_back({Kind::sale,
                         s.id,
                         seed.combine("sales").combine(s.id),
                         static_cast<double>(options.sales_interval),
                         0,
                         0,
                         {}});
  }
  for (const auto& d : registry.all()) {
    Entity e{Kind::access,
             d.id,
             seed.combine("access").combine(d.id),
             static_cast<double>(options.access_interval),
             0,
             0,
             {}};
    for (std::size_t i = 0; i < options.disruptions.size(); ++i) {
      const auto& dis = options.disruptions[i];
      double lat = dis.lat, lon = dis.lon;
      if (dis.store) {
        for (const auto& s : options.stores)
          if (s.id == *dis.store) lat = s.lat, lon = s.lon;
      }
      if (haversine_m(lat, lon, d.lat, d.lon) <= dis.radius_m) e.disruptions.push_back(i);
    }
    entities_.push_back(std::move(e));
  }
  for (std::uint32_t i = 0; i < entities_.size(); ++i) {
    schedule_next(entities_[i], start_);
    if (entities_[i].next_time < end_) to_generate_.push(i);
  }
}

void Simulator::schedule_next(Entity& e, TimeMs previous) {
  const double gap = e.key.combine(e.seq).combine("gap").exponential(e.mean_gap_ms);
  e.next_time = previous + static_cast<TimeMs>(std::llround(gap));
}

Simulator::Pending Simulator::generate(std::uint32_t index) {
  Entity& e = entities_[index];
  const DrawKey k = e.key.combine(e.seq);
  const TimeMs t = e.next_time;
  const TimeMs delay =
      options_.max_delay > 0 ? k.combine("delay").uniform(0, options_.max_delay) : 0;
  std::string id = uuid_from_bits(k.combine("id-hi").bits(), k.combine("id-lo").bits());
  Pending p{t + delay, index, e.seq, {}};
  if (e.kind == Kind::sale) {
    p.event = SaleEvent{e.id, k.combine("amount").uniform(options_.amount_min, options_.amount_max),
                        t, std::move(id)};
  } else {
    double ratio = options_.rejected_ratio;
    for (const std::size_t i : e.disruptions) {
      if (t >= disruptions_[i].from && t < disruptions_[i].until)
        ratio = disruptions_[i].rejected_ratio;
    }
    p.event = AccessEvent{e.id, k.combine("rejected").unit() < ratio, t, std::move(id)};
  }
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
    in_flight_.push(generate(index));
    if (entities_[index].next_time < end_) to_generate_.push(index);
  }
  while (!in_flight_.empty() && in_flight_.top().arrival <= now) {
    // priority_queue::top is const; the event is moved out just before pop.
    out.push_back(std::move(const_cast<Pending&>(in_flight_.top()).event));
    in_flight_.pop();
  }
}

TimeMs Simulator::next_arrival() const {
  TimeMs t = kTimeMax;
  if (!in_flight_.empty()) t = in_flight_.top().arrival;
  if (!to_generate_.empty()) t = std::min(t, entities_[to_generate_.top()].next_time);
  return t;
}

bool Simulator::finished() const {
  return in_flight_.empty() && to_generate_.empty();
}

}  // namespace gw
