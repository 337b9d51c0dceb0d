// A source of input events. Sources are polled by the run loop with the current time and
// hand over, in arrival order, every event that has arrived by then.
#pragma once

#include <vector>

#include "core/event.h"
#include "core/time.h"

namespace gw {

class Source {
 public:
  virtual ~Source() = default;
  // Appends every event whose arrival time is <= now, in arrival order.
  virtual void poll(TimeMs now, std::vector<Event>& out) = 0;
  // Arrival time of the next event, kTimeMax if none is scheduled.
  virtual TimeMs next_arrival() const = 0;
  // True once a bounded source has delivered everything it will ever deliver.
  virtual bool finished() const = 0;
};

}  // namespace gw
