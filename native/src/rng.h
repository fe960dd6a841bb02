// Deterministic random numbers for init, shuffling and dropout: xoshiro256** seeded by splitmix64.
#pragma once
#include <cmath>
#include <cstdint>

namespace rnnlab {

struct Rng {
  uint64_t s[4];

  explicit Rng(uint64_t seed = 0) { reseed(seed); }

  void reseed(uint64_t seed) {
    uint64_t z = seed;
    for (auto& v : s) {
      z += 0x9e3779b97f4a7c15ULL;
      uint64_t x = z;
      x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
      x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
      v = x ^ (x >> 31);
    }
  }

  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  uint64_t next() {
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
  }

  // uniform in [0, 1) with 53 random bits
  double uniform() { return (next() >> 11) * (1.0 / 9007199254740992.0); }

  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }

  // standard normal by Box-Muller (one value per call keeps the stream simple to reason about)
  double normal() {
    double u1 = uniform();
    double u2 = uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

  // uniform integer in [0, n), unbiased (Lemire's method would be faster; rejection is clearer)
  uint64_t below(uint64_t n) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do { x = next(); } while (x >= limit);
    return x % n;
  }
};

}  // namespace rnnlab
