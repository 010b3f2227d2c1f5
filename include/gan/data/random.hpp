#pragma once
/// @file
/// The few random-number helpers the data code shares, each written once: SplitMix64's
/// finaliser (seeds derived from seeds) and a draw without replacement that gives the same
/// picks with every standard library.

#include <cstdint>
#include <random>
#include <utility>
#include <algorithm>
#include <vector>

namespace gan::data {

/// SplitMix64's finaliser (Steele, Lea, Flood 2014): a bijective 64-bit mix.
inline uint64_t splitmix64_finalize(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// The first `n` steps of a Fisher-Yates shuffle of `pool` (its first n elements then hold a
/// uniform draw without replacement), `pick(bound)` giving each step's number in [0, bound);
/// `pool` is cut to them. The one shuffle of the library: `draw_without_replacement` picks by
/// modulo, KID's subsets (metrics/fid.hpp) by rejection.
template <class T, class Pick>
void partial_shuffle(std::vector<T>& pool, size_t n, Pick&& pick) {
  for (size_t i = 0; i < n && i < pool.size(); ++i) std::swap(pool[i], pool[i + size_t(pick(uint64_t(pool.size() - i)))]);
  pool.resize(std::min(n, pool.size()));
}

/// `n` of `pool` without replacement, in the order drawn, by a partial Fisher-Yates shuffle
/// with std::mt19937_64(seed), whose numbers the standard fixes (n = its size: all of it,
/// shuffled). n <= 0 or larger than the pool: the pool as it is.
template <class T>
std::vector<T> draw_without_replacement(std::vector<T> pool, int64_t n, uint64_t seed) {
  if (n <= 0 || n > int64_t(pool.size())) return pool;
  std::mt19937_64 rng(seed);
  partial_shuffle(pool, size_t(n), [&](uint64_t bound) { return rng() % bound; });
  return pool;
}

}  // namespace gan::data
