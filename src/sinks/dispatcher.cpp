#include "sinks/dispatcher.h"

#include <algorithm>

#include "core/log.h"
#include "core/random.h"

namespace gw {

Dispatcher::Dispatcher(std::vector<std::unique_ptr<Sink>> sinks, Clock& wall_clock,
                       StopSignal& stop, DurationMs shutdown_timeout)
    : sinks_(std::move(sinks)),
      clock_(wall_clock),
      stop_(stop),
      shutdown_timeout_(shutdown_timeout) {
  for (const auto& s : sinks_) counters_.push_back({std::string(s->name())});
}

bool Dispatcher::deliver(std::span<const Record> batch) {
  if (batch.empty()) return true;
  bool all = true;
  for (std::size_t i = 0; i < sinks_.size(); ++i) all = deliver_to(i, batch) && all;
  return all;
}

bool Dispatcher::deliver_to(std::size_t i, std::span<const Record> batch) {
  SinkCounters& c = counters_[i];
  DurationMs backoff = 100;
  bool reported = false;
  while (true) {
    const DeliveryResult r = sinks_[i]->deliver(batch);
    if (r.status == DeliveryStatus::delivered) {
      if (reported) log::info("sink " + c.name + " is delivering again");
      c.delivered += batch.size();
      return true;
    }
    if (r.status == DeliveryStatus::rejected) {
      log::error("sink " + c.name + " rejected " + std::to_string(batch.size()) +
                 " records: " + r.message);
      c.rejected += batch.size();
      return true;
    }
    ++c.retries;
    if (!reported) {
      log::warn("sink " + c.name + " cannot deliver, will retry: " + r.message);
      reported = true;
    }
    const TimeMs now = clock_.now();
    if (stop_.stop_requested() && stop_seen_ == kTimeMax) stop_seen_ = now;
    const TimeMs deadline = stop_seen_ == kTimeMax ? kTimeMax : stop_seen_ + shutdown_timeout_;
    if (now >= deadline) {
      log::error("sink " + c.name + ": shutdown timeout reached; " + std::to_string(batch.size()) +
                 " records were not delivered");
      c.given_up += batch.size();
      return false;
    }
    // Full jitter: sleep a uniform time in [backoff/2, backoff].
    const DurationMs sleep = DrawKey(++attempts_).uniform(backoff / 2, backoff);
    clock_.sleep_until(std::min(deadline, now + sleep), backoff_);
    backoff = std::min<DurationMs>(backoff * 2, 5000);
  }
}

}  // namespace gw
