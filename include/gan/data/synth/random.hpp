#pragma once
/// @file
/// The synthetic tiles' random numbers: SplitMix64's mix and xoshiro256** with our own uniform and
/// normal variates, so that a tile is the same with every compiler and standard library. Also the
/// two value types every drawing part uses (a point, a BGR float colour).

#include <gan/data/random.hpp>

#include <opencv2/core.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace gan::data::detail {

using P = cv::Point2f;
using Vec3f = cv::Vec3f;

/// SplitMix64's finaliser: a bijective 64-bit mix.
inline uint64_t mix64(uint64_t z) { return splitmix64_finalize(z + 0x9E3779B97F4A7C15ull); }

/// xoshiro256** with our own uniform and normal variates: the same numbers with every compiler
/// and standard library (std:: distributions are implementation-defined).
class SynthRng {
 public:
  explicit SynthRng(uint64_t seed) {
    for (auto& s : s_) s = seed = mix64(seed);
  }
  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9, t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  /// Uniform in [0, 1), 53 bits.
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }
  float uniform(double lo, double hi) { return float(lo + (hi - lo) * uniform()); }
  /// Uniform integer in [lo, hi].
  int integer(int lo, int hi) {
    if (hi <= lo) return lo;
    return std::min(hi, lo + int(uniform() * double(hi - lo + 1)));
  }
  bool chance(double p) { return uniform() < p; }
  /// Standard normal (Box-Muller, both values used).
  float normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = 1.0 - uniform(), u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1)), t = 6.283185307179586 * u2;
    spare_ = float(r * std::sin(t));
    has_spare_ = true;
    return float(r * std::cos(t));
  }
  /// An index drawn with probability proportional to `w`.
  template <std::size_t N>
  int pick(const std::array<double, N>& w) {
    double total = 0;
    for (double x : w) total += x;
    double r = uniform() * total;
    for (std::size_t i = 0; i < N; ++i) {
      if (r < w[i]) return int(i);
      r -= w[i];
    }
    return int(N - 1);
  }
  /// A unit vector of uniform direction.
  P direction() {
    const float t = uniform(0, 6.283185307179586);
    return {std::cos(t), std::sin(t)};
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::array<uint64_t, 4> s_{};
  float spare_ = 0;
  bool has_spare_ = false;
};

}  // namespace gan::data::detail
