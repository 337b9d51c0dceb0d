// Counters of the local HTTP server, written by its thread and read by /metrics. No Boost here:
// the app reads them without including the server's implementation.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace gw {

struct HttpServerStats {
  std::atomic<std::uint64_t> accepted{0};   // connections taken on
  std::atomic<std::uint64_t> refused{0};    // answered 503 and closed: over max_connections
  std::atomic<std::uint64_t> evicted{0};    // closed while waiting for a request, to make room
  std::atomic<std::uint64_t> timed_out{0};  // dropped: a request or an answer took too long
  std::atomic<std::uint64_t> deferred_timeouts{0};  // a deferred reply missed its deadline: 503
  std::atomic<std::int64_t> open{0};                // connections being served now
  // Answers by status class: [1] 1xx ... [5] 5xx; [0] anything else.
  std::array<std::atomic<std::uint64_t>, 6> answers{};

  void answered(int status) {
    const int c = status / 100;
    answers[c >= 1 && c <= 5 ? static_cast<std::size_t>(c) : 0].fetch_add(
        1, std::memory_order_relaxed);
  }
};

}  // namespace gw
