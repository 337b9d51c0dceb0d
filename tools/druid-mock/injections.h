// Failures that tests ask for with POST /mock/inject, each good for a number of requests.
#pragma once

#include <rapidjson/document.h>

#include <deque>
#include <optional>
#include <string>

namespace druid_mock {

template <typename T>
struct Countdown {
  T value;
  long remaining;
};

// The value of the oldest injection of a kind, used up once; nullopt when there is none.
template <typename T>
std::optional<T> take(std::deque<Countdown<T>>& queue) {
  if (queue.empty()) return std::nullopt;
  T value = queue.front().value;
  if (--queue.front().remaining <= 0) queue.pop_front();
  return value;
}

struct Injections {
  std::deque<Countdown<int>> submit_status;        // answer task submissions, create nothing
  std::deque<Countdown<int>> accept_then_status;   // create the task, answer this status
  std::deque<Countdown<std::string>> task_result;  // the created task ends so ("FAILED")
  std::deque<Countdown<int>> status_status;        // answer task status requests
  std::deque<Countdown<int>> delay_ms;             // answer /druid/* requests this late
  std::deque<Countdown<int>> thrown_away;          // the created task drops its last N rows

  // Adds the injections of a POST /mock/inject body: any of submit_status (400..599),
  // accept_then_status (200..599), task_result ("FAILED"), status_status (400..599),
  // delay_ms (0..600000) and thrown_away (1..1000000), each for the next `count` (default 1)
  // requests of its kind. False and `error` (nothing added) for anything else.
  bool add(const rapidjson::Value& body, std::string& error);
};

}  // namespace druid_mock
