#pragma once
/// @file
/// Stratified splits: each part keeps the class shares of the whole (the paper: 70/20/10 with
/// the same positive share in each part).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace gan::data {

/// Splits the indices 0..n-1 of `labels` into parts of the given `fractions` (summing to 1),
/// class by class, so that every part holds each class in the same share (up to rounding).
/// Deterministic for `seed`; parts are disjoint and cover every index. Within a class the
/// counts are rounded by the largest-remainder rule, so they add up exactly.
inline std::vector<std::vector<int64_t>> stratified_split(const std::vector<int64_t>& labels,
                                                          const std::vector<double>& fractions,
                                                          uint64_t seed) {
  if (fractions.empty()) throw std::invalid_argument("stratified_split: no fractions given");
  double sum = 0;
  for (double f : fractions) {
    if (!(f >= 0)) throw std::invalid_argument("stratified_split: fraction " + std::to_string(f) + " is negative");
    sum += f;
  }
  if (std::abs(sum - 1.0) > 1e-9)
    throw std::invalid_argument("stratified_split: fractions sum to " + std::to_string(sum) + ", not 1");
  std::map<int64_t, std::vector<int64_t>> by_class;
  for (int64_t i = 0; i < int64_t(labels.size()); ++i) by_class[labels[size_t(i)]].push_back(i);
  std::vector<std::vector<int64_t>> parts(fractions.size());
  std::mt19937_64 rng(seed);
  for (auto& [cls, idx] : by_class) {
    // Fisher-Yates with our own draws: the same split on every standard library.
    for (size_t i = idx.size(); i > 1; --i) std::swap(idx[i - 1], idx[rng() % i]);
    const double n = double(idx.size());
    std::vector<int64_t> counts(fractions.size());
    std::vector<std::pair<double, size_t>> remainders;
    int64_t used = 0;
    for (size_t p = 0; p < fractions.size(); ++p) {
      const double exact = n * fractions[p];
      counts[p] = int64_t(std::floor(exact));
      used += counts[p];
      remainders.push_back({exact - double(counts[p]), p});
    }
    std::stable_sort(remainders.begin(), remainders.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    for (size_t r = 0; used < int64_t(idx.size()); ++r, ++used) ++counts[remainders[r].second];
    size_t at = 0;
    for (size_t p = 0; p < fractions.size(); ++p)
      for (int64_t k = 0; k < counts[p]; ++k) parts[p].push_back(idx[at++]);
  }
  for (auto& p : parts) std::sort(p.begin(), p.end());
  return parts;
}

}  // namespace gan::data
