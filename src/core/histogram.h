// Prometheus-style histograms with fixed buckets (seconds). Thread-safe, lock-free.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace gw {

template <std::size_t N, const std::array<double, N>& Bounds>
class BucketHistogram {
 public:
  static constexpr const std::array<double, N>& kBuckets = Bounds;
  void observe(double seconds) {
    std::size_t i = 0;
    while (i < N && seconds > Bounds[i]) ++i;
    if (i < N) counts_[i].fetch_add(1, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
    sum_micros_.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), std::memory_order_relaxed);
  }
  // Cumulative count of observations <= kBuckets[i].
  std::uint64_t bucket(std::size_t i) const {
    std::uint64_t n = 0;
    for (std::size_t j = 0; j <= i && j < N; ++j) n += counts_[j].load(std::memory_order_relaxed);
    return n;
  }
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const {
    return static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) / 1e6;
  }

 private:
  std::array<std::atomic<std::uint64_t>, N> counts_{};  // per bucket, not cumulative
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_micros_{0};
};

inline constexpr std::array<double, 11> kRequestBuckets = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                           0.25,  0.5,   1,    2.5,   10};
// Fine enough around tens of milliseconds for p50/p99 of delivery latencies.
inline constexpr std::array<double, 27> kLatencyBuckets = {
    0.001, 0.002,  0.003, 0.004,  0.005, 0.006, 0.007, 0.008, 0.009,
    0.01,  0.0125, 0.015, 0.0175, 0.02,  0.025, 0.03,  0.04,  0.05,
    0.075, 0.1,    0.15,  0.2,    0.3,   0.5,   1,     2.5,   10};

using Histogram = BucketHistogram<kRequestBuckets.size(), kRequestBuckets>;
using LatencyHistogram = BucketHistogram<kLatencyBuckets.size(), kLatencyBuckets>;

}  // namespace gw
