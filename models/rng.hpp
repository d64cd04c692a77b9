// Seeded random streams. One stream per model component (crew, sensor, network,
// failures, ...), derived from the run seed and the component's name, so that
// changing one component never reshuffles another's draws. Distributions are
// written out here (not <random>'s) so that a seed means the same numbers with
// any standard library.
#pragma once
#include <cmath>
#include <cstdint>
#include <string_view>

namespace peebot {

inline std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

inline std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) { h ^= c; h *= 0x100000001b3ULL; }
  return h;
}

// a % d for a fixed divisor d, exactly (the same number as a % d for every
// 64-bit a), without a division: Lemire, Kaser & Kurz, "Faster remainder by
// direct computation" (2019), with a 128-bit multiplier. A hot loop that
// draws below(n) for one n keeps one of these (models/world.cpp).
class FixedModulo {
 public:
  explicit FixedModulo(std::uint64_t d) : d_(d), m_(d > 1 ? ~U128{0} / d + 1 : 0) {}
  std::uint64_t of(std::uint64_t a) const {
    if (d_ <= 1) return 0;  // a % 1 == 0; d == 0 answers 0 like Rng::below
    const U128 low = m_ * a;  // the fraction a / d, to 128 bits
    const U128 lo = (low & ~std::uint64_t{0}) * d_;
    const U128 hi = (low >> 64) * d_;
    return static_cast<std::uint64_t>((hi + (lo >> 64)) >> 64);
  }

 private:
  __extension__ typedef unsigned __int128 U128;
  std::uint64_t d_;
  U128 m_;
};

// xoshiro256** (Blackman & Vigna), seeded through splitmix64.
class Rng {
 public:
  Rng(std::uint64_t seed, std::string_view stream) {
    std::uint64_t x = seed ^ fnv1a(stream);
    for (auto& w : s_) w = splitmix64(x);
  }

  std::uint64_t next_u64() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0]; s_[3] ^= s_[1]; s_[1] ^= s_[2]; s_[0] ^= s_[3];
    s_[2] ^= t; s_[3] = rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, 1).
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [0, n).
  std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : next_u64() % n; }
  bool bernoulli(double p) { return uniform() < p; }
  double exponential(double mean) { return -mean * std::log1p(-uniform()); }
  double normal() {
    if (has_spare_) { has_spare_ = false; return spare_; }
    double u, v, s;
    do { u = uniform(-1.0, 1.0); v = uniform(-1.0, 1.0); s = u * u + v * v; } while (s >= 1.0 || s == 0.0);
    const double m = std::sqrt(-2.0 * std::log(s) / s);
    spare_ = v * m; has_spare_ = true;
    return u * m;
  }
  double normal(double mean, double sd) { return mean + sd * normal(); }
  // Log-normal with the given mean and standard deviation of the variable itself.
  double lognormal_mean_sd(double mean, double sd) {
    if (sd <= 0.0) return mean;
    const double s2 = std::log1p((sd * sd) / (mean * mean));
    return std::exp(std::log(mean) - 0.5 * s2 + std::sqrt(s2) * normal());
  }
  // Poisson count (Knuth for small means, normal approximation above 60).
  std::uint64_t poisson(double mean) {
    if (mean <= 0.0) return 0;
    if (mean > 60.0) {
      const double x = std::floor(normal(mean, std::sqrt(mean)) + 0.5);
      return x < 0.0 ? 0 : static_cast<std::uint64_t>(x);
    }
    const double l = std::exp(-mean);
    std::uint64_t k = 0;
    double p = uniform();
    while (p > l) { ++k; p *= uniform(); }
    return k;
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4]{};
  double spare_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace peebot
