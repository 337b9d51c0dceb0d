// The simulated store sensors: Poisson sales per store and Poisson access events per device,
// with disruptions and out-of-order delivery up to max_delay.
//
// Deterministic: every value (gap to the next event, amount, rejection, delay, event id) is a
// pure function of the seed and the event's identity (stream, entity, sequence number). Events
// are released in (arrival time, stream, entity, sequence) order, so the sequence of events is
// the same however the work is batched, i.e. whatever times poll() is called with.
#pragma once

#include <cstdint>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <vector>

#include "config/options.h"
#include "core/device.h"
#include "core/random.h"
#include "sources/source.h"

namespace gw {

class Simulator final : public Source {
 public:
  // `start`: event time of the beginning (start_time, or the wall clock in realtime mode).
  // Generates events with event time in [start, start + duration).
  // `registry` must outlive the Simulator (its entities point to the devices' ids).
  Simulator(const SimulatorOptions& options, const DeviceRegistry& registry, TimeMs start);
  Simulator(const Simulator&) = delete;  // its entities point into its own options_
  Simulator& operator=(const Simulator&) = delete;

  void poll(TimeMs now, std::vector<Event>& out) override;
  TimeMs next_arrival() const override;
  bool finished() const override;

  TimeMs start() const { return start_; }
  TimeMs end() const { return end_; }

  // Complete state as JSON ("version": 2): per entity, in entity order, its seq and next event
  // time (the entities checked by a hash of their kinds and ids), plus every in-flight event as
  // (entity, seq, event time); in-flight events are regenerated on restore, byte-identical.
  // Canonical: equal states give equal snapshots.
  std::string snapshot() const;
  // On a freshly constructed Simulator with the same options, registry and start: adopts the
  // snapshot's state. Returns false with `error` set, and changes nothing, if the snapshot is
  // malformed, of another version, or does not match (seed, start, end, entity ids).
  bool restore(std::string_view data, std::string& error);
  // Realtime restarts, after restore(): every entity whose next event time is before `now`
  // jumps to `now` (the outage is skipped, not replayed as a burst); sequence numbers are
  // kept, so event ids stay unique. In-flight events are kept (overdue ones arrive at the next
  // poll); entities that reach end() stay finished. Not for virtual-clock replays.
  void resume_at(TimeMs now);
  // The start a snapshot was taken with (realtime restarts construct the Simulator with it).
  static std::optional<TimeMs> snapshot_start(std::string_view data);
  // A reload: takes the sale amounts, the rejected ratio and the disruptions of `options` for
  // the events generated from now on (those already generated keep theirs). `registry` is the
  // one the Simulator was built with.
  void update_behaviour(const SimulatorOptions& options, const DeviceRegistry& registry);

 private:
  enum class Kind : std::uint8_t { sale = 0, access = 1 };
  // Small (one per device): its id is the store's or the registry's, its mean gap its kind's.
  struct Entity {
    DrawKey key;
    std::uint64_t seq = 0;  // sequence number of the next event
    TimeMs next_time = 0;   // event time of the next event
    // The disruptions that cover this device: disruption_lists_[at, at + count).
    std::uint32_t disruptions_at = 0;
    std::uint16_t disruptions_count = 0;
    Kind kind;
  };
  struct Pending {  // an event generated but not yet arrived
    TimeMs arrival;
    std::uint32_t entity;
    std::uint64_t seq;
    TimeMs time;  // event time
    Event event;
  };
  struct Disruption {
    TimeMs from, until;
    double rejected_ratio;
  };
  struct GenLater {
    bool operator()(std::uint32_t a, std::uint32_t b) const;
    const std::vector<Entity>* entities;
  };
  struct ArrivalLater {  // heap order of in_flight_: earliest (arrival, entity, seq) on top
    bool operator()(const Pending& a, const Pending& b) const;
  };

  void schedule_next(Entity& e, TimeMs previous);
  // Event `seq` of an entity at event time t, and its arrival delay: pure functions of
  // (entity key, seq, t), so restore() regenerates in-flight events byte-identical.
  Event make_event(std::uint32_t index, std::uint64_t seq, TimeMs t) const;
  std::string_view entity_id(std::uint32_t index) const;
  DurationMs arrival_delay(const Entity& e, std::uint64_t seq) const;
  Pending make_pending(std::uint32_t index, std::uint64_t seq, TimeMs t) const;
  Pending generate(std::uint32_t index);  // the entity's next event; advances the entity
  void rebuild_to_generate();
  // disruptions_ and each device entity's list of the disruptions that cover it.
  void assign_disruptions(const DeviceRegistry& registry);

  SimulatorOptions options_;
  const DeviceRegistry& registry_;
  TimeMs start_, end_;
  std::vector<Entity> entities_;
  std::string entities_hash_;  // of every entity's kind and id, in order (hex)
  std::vector<Disruption> disruptions_;
  std::vector<std::uint16_t> disruption_lists_;  // indices into disruptions_, see Entity
  std::priority_queue<std::uint32_t, std::vector<std::uint32_t>, GenLater> to_generate_;
  std::vector<Pending> in_flight_;  // a heap under ArrivalLater
};

}  // namespace gw
