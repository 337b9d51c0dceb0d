#include "app/status_board.h"

namespace gw {

void StatusBoard::publish(const PipelineStatus& status, std::span<const Record> records) {
  std::lock_guard lock(mutex_);
  const auto produced = status_.produced;
  status_ = status;
  status_.produced = produced;
  status_.running = true;
  for (const Record& r : records) {
    ++status_.produced[stream_index(r.stream)];
    if (r.stream == Stream::sales_aggregate) {
      aggregates_.push_back(r.value);
      if (aggregates_.size() > kRecentAggregates) aggregates_.pop_front();
    } else if (r.stream == Stream::alerts) {
      alerts_.push_back(r.value);
      if (alerts_.size() > kRecentAlerts) alerts_.pop_front();
    }
  }
}

void StatusBoard::set_running(bool running, TimeMs wall_now) {
  std::lock_guard lock(mutex_);
  status_.running = running;
  status_.last_progress = wall_now;
}

void StatusBoard::count_reload(bool applied) {
  std::lock_guard lock(mutex_);
  ++(applied ? reloads_applied_ : reloads_refused_);
}

std::uint64_t StatusBoard::reloads_applied() const {
  std::lock_guard lock(mutex_);
  return reloads_applied_;
}

std::uint64_t StatusBoard::reloads_refused() const {
  std::lock_guard lock(mutex_);
  return reloads_refused_;
}

PipelineStatus StatusBoard::status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

std::vector<std::string> StatusBoard::recent(Stream stream) const {
  std::lock_guard lock(mutex_);
  const auto& q = stream == Stream::alerts ? alerts_ : aggregates_;
  return {q.begin(), q.end()};
}

}  // namespace gw
