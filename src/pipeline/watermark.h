// Watermark = max event time seen - delay. Never goes back.
#pragma once

#include "core/time.h"

namespace gw {

class Watermark {
 public:
  explicit Watermark(DurationMs delay) : delay_(delay) {}
  // Returns the (possibly advanced) watermark.
  TimeMs observe(TimeMs event_time) {
    if (event_time > max_seen_) {
      max_seen_ = event_time;
      advance_to(sub_saturated(event_time, delay_));
    }
    return value_;
  }
  // Explicit advance (idle input, end of a bounded run).
  void advance_to(TimeMs t) {
    if (t > value_) value_ = t;
  }
  TimeMs value() const { return value_; }
  TimeMs max_seen() const { return max_seen_; }
  // Sets both values as a snapshot recorded them (the one way back, for restores).
  void restore(TimeMs max_seen, TimeMs value) {
    max_seen_ = max_seen;
    value_ = value;
  }

 private:
  DurationMs delay_;
  TimeMs max_seen_ = kTimeMin;
  TimeMs value_ = kTimeMin;
};

}  // namespace gw
