// Deterministic, order-independent random draws: every value is a pure function of the seed
// and the identity of what it is drawn for (entity, sequence number, purpose), never of a
// shared stream advanced by the scheduler. Same seed + same identity => same value.
#pragma once

#include <cmath>
#include <cstdint>
#include <string_view>

namespace gw {

constexpr std::uint64_t mix64(std::uint64_t z) {  // splitmix64 finaliser
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

constexpr std::uint64_t hash_string(std::string_view s) {  // FNV-1a, then mixed
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  return mix64(h);
}

// Identity of one draw site; combine() folds more identity in.
class DrawKey {
 public:
  constexpr explicit DrawKey(std::uint64_t seed) : h_(mix64(seed)) {}
  constexpr DrawKey combine(std::uint64_t v) const { return DrawKey(h_, mix64(h_ ^ mix64(v))); }
  constexpr DrawKey combine(std::string_view s) const { return combine(hash_string(s)); }
  constexpr std::uint64_t bits() const { return h_; }
  // Uniform in [0, 1).
  double unit() const { return static_cast<double>(h_ >> 11) * 0x1.0p-53; }
  // Uniform integer in [lo, hi], inclusive.
  std::int64_t uniform(std::int64_t lo, std::int64_t hi) const {
    const auto span = static_cast<std::uint64_t>(hi - lo) + 1;
    return lo + static_cast<std::int64_t>(span == 0 ? h_ : h_ % span);
  }
  // Exponential with the given mean (inter-arrival time of a Poisson process).
  double exponential(double mean) const { return -mean * std::log1p(-unit()); }

 private:
  constexpr DrawKey(std::uint64_t, std::uint64_t h) : h_(h) {}
  std::uint64_t h_;
};

}  // namespace gw
