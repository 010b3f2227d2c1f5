#pragma once
/// @file
/// Whether an arm's gain over a reference arm (the baseline, duplication) is real: paired
/// differences with bootstrap intervals. Every arm runs with the baseline's seeds (same split,
/// same initial weights), and every classifier of a set is tested on the same tiles, so the
/// difference arm − reference is paired twice: by seed and by tile.
///
/// For each (arm, reference, set, metric): the mean over the seeds of metric(arm, seed) −
/// metric(reference, seed), and a percentile interval from a two-level bootstrap that takes
/// both kinds of noise into account: each resample draws the seeds with replacement (the
/// training's randomness) and, for each drawn seed, the set's tiles with replacement (the test
/// set's), the same tiles for both arms. With one seed it is the plain paired bootstrap over
/// tiles. The interval excludes 0: the difference is significant at that level.
///
/// ```cpp
/// auto table = gan::experiment::compare(runs);       // 2000 resamples, 95%
/// table.write("comparison.csv");
/// for (const auto& row : table.rows)
///   if (row.significant()) std::cout << row.arm << " beats " << row.reference << " on " << row.metric;
/// ```

#include <gan/data/random.hpp>
#include <gan/experiment/results.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace gan::experiment {

/// How `compare` resamples.
struct ComparisonOptions {
  int64_t resamples = 2000;  ///< bootstrap resamples (>= 100)
  double level = 0.95;       ///< of the interval, in (0, 1)
  uint64_t seed = 0;         ///< of the resampling
  /// The arms every other arm is compared with, those of them that ran.
  std::vector<std::string> references{"baseline", "duplicate"};
  int64_t positive_class = 1;
};

/// One row of comparison.csv.
struct ComparisonRow {
  std::string arm, reference, set, metric;
  int64_t seeds = 0;
  /// Mean over seeds of arm − reference, and the interval; NaN where the metric is undefined.
  double difference = 0, low = 0, high = 0;
  /// The interval lies above or below 0.
  bool significant() const { return low > 0 || high < 0; }
};

/// comparison.csv.
struct ComparisonTable {
  std::vector<ComparisonRow> rows;
  double level = 0.95;

  const ComparisonRow* find(const std::string& arm, const std::string& reference, const std::string& set,
                            const std::string& metric) const {
    for (const auto& r : rows)
      if (r.arm == arm && r.reference == reference && r.set == set && r.metric == metric) return &r;
    return nullptr;
  }

  void write(const std::filesystem::path& file) const {
    std::ostringstream o;
    o << "arm,reference,set,metric,seeds,difference,low,high,level,significant\n";
    for (const auto& r : rows)
      o << r.arm << ',' << r.reference << ',' << r.set << ',' << r.metric << ',' << r.seeds << ','
        << table_number(r.difference) << ',' << table_number(r.low) << ',' << table_number(r.high) << ','
        << table_number(level) << ',' << (r.significant() ? 1 : 0) << '\n';
    io::write_file_atomically(file, o.str());
  }
  static ComparisonTable read(const std::filesystem::path& file) {
    ComparisonTable t;
    for (const auto& row : io::read_table(file, {"arm", "reference", "set", "metric", "seeds", "difference", "low", "high",
                                                 "level", "significant"})
                               .rows) {
      t.rows.push_back({row["arm"], row["reference"], row["set"], row["metric"], row.integer("seeds"),
                        table_number(row, "difference"), table_number(row, "low"), table_number(row, "high")});
      t.level = row.number("level");
    }
    return t;
  }
};

namespace detail {
/// The q-quantile of sorted finite `v` (linear between order statistics, as numpy's default).
inline double quantile(const std::vector<double>& v, double q) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  const double pos = q * double(v.size() - 1);
  const auto i = std::size_t(pos);
  if (i + 1 >= v.size()) return v.back();
  return v[i] + (pos - double(i)) * (v[i + 1] - v[i]);
}
/// A uniform integer in [0, n) from a 64-bit draw (53 bits, the same with every library).
inline std::size_t below(std::mt19937_64& rng, std::size_t n) {
  return std::min(n - 1, std::size_t(double(rng() >> 11) * 0x1.0p-53 * double(n)));
}
}  // namespace detail

/// The paired differences of every arm against each reference, on every set and metric, in
/// the order: set, reference, arm, metric. Throws std::invalid_argument when two runs of one set
/// and seed were tested on different tiles (they cannot be paired) or a run lacks its per-tile
/// data.
inline ComparisonTable compare(const std::vector<Run>& runs, const ComparisonOptions& o = {}) {
  if (o.resamples < 100) throw std::invalid_argument("compare: resamples must be >= 100, got " + std::to_string(o.resamples));
  if (!(o.level > 0 && o.level < 1)) throw std::invalid_argument("compare: level must be in (0, 1)");
  const auto [arms, sets] = arms_and_sets(runs);
  ComparisonTable table;
  table.level = o.level;
  const std::size_t n_metrics = metric_names().size();
  for (std::size_t set_index = 0; set_index < sets.size(); ++set_index) {
    const auto& set = sets[set_index];
    // by[arm][seed]: the run; the seeds that every arm has on this set.
    std::map<std::string, std::map<uint64_t, const Run*>> by;
    for (const auto& r : runs)
      if (r.set == set) by[r.arm][r.seed] = &r;
    std::vector<uint64_t> seeds;
    for (const auto& [seed, run] : by[arms.front()]) {
      bool everywhere = true;
      for (const auto& a : arms) everywhere = everywhere && by[a].count(seed);
      if (everywhere) seeds.push_back(seed);
    }
    std::vector<std::string> refs;
    for (const auto& r : o.references)
      if (by.count(r) && std::find(arms.begin(), arms.end(), r) != arms.end()) refs.push_back(r);
    if (seeds.empty() || refs.empty() || arms.size() < 2) continue;
    // Per seed: the tiles (the same for every arm), and each arm's sorted scores.
    std::vector<std::vector<metrics::ScoreRanking>> ranking(seeds.size());
    std::vector<std::size_t> tiles(seeds.size());
    for (std::size_t s = 0; s < seeds.size(); ++s) {
      const Run& first = *by[arms.front()][seeds[s]];
      tiles[s] = first.truth.size();
      for (const auto& a : arms) {
        const Run& r = *by[a][seeds[s]];
        if (r.truth.empty())
          throw std::invalid_argument("compare: " + a + " on " + set + " (seed " + std::to_string(seeds[s]) +
                                      ") has no per-tile scores");
        if (r.truth != first.truth)
          throw std::invalid_argument("compare: " + a + " and " + arms.front() + " were tested on different tiles of " + set +
                                      " (seed " + std::to_string(seeds[s]) + "): they cannot be paired");
        std::vector<bool> is_pos(r.truth.size());
        for (std::size_t i = 0; i < is_pos.size(); ++i) is_pos[i] = r.truth[i] == o.positive_class;
        ranking[s].emplace_back(r.score, is_pos);
      }
    }
    const auto arm_index = [&](const std::string& a) { return std::size_t(std::find(arms.begin(), arms.end(), a) - arms.begin()); };
    // values[s][arm][metric] on the whole set.
    std::vector<std::vector<std::array<double, 9>>> full(seeds.size());
    for (std::size_t s = 0; s < seeds.size(); ++s)
      for (std::size_t a = 0; a < arms.size(); ++a)
        full[s].push_back(run_metrics(*by[arms[a]][seeds[s]], o.positive_class, {}, &ranking[s][a]));
    // boot[ref][arm][metric]: the resampled mean differences.
    std::vector<std::vector<std::vector<std::vector<double>>>> boot(
        refs.size(), std::vector<std::vector<std::vector<double>>>(arms.size(), std::vector<std::vector<double>>(n_metrics)));
    std::mt19937_64 rng(data::splitmix64_finalize(o.seed ^ (0xB007ull + set_index)));
    std::vector<int64_t> counts;
    std::vector<std::array<double, 9>> at(arms.size());
    std::vector<std::vector<std::array<double, 2>>> sums(refs.size(), std::vector<std::array<double, 2>>(arms.size() * n_metrics));
    for (int64_t b = 0; b < o.resamples; ++b) {
      for (auto& per_ref : sums) std::fill(per_ref.begin(), per_ref.end(), std::array<double, 2>{0, 0});
      for (std::size_t draw = 0; draw < seeds.size(); ++draw) {
        const std::size_t s = detail::below(rng, seeds.size());
        counts.assign(tiles[s], 0);
        for (std::size_t k = 0; k < tiles[s]; ++k) ++counts[detail::below(rng, tiles[s])];
        for (std::size_t a = 0; a < arms.size(); ++a)
          at[a] = run_metrics(*by[arms[a]][seeds[s]], o.positive_class, counts, &ranking[s][a]);
        for (std::size_t r = 0; r < refs.size(); ++r) {
          const auto& ref = at[arm_index(refs[r])];
          for (std::size_t a = 0; a < arms.size(); ++a)
            for (std::size_t m = 0; m < n_metrics; ++m) {
              const double d = at[a][m] - ref[m];
              if (std::isnan(d)) continue;
              auto& acc = sums[r][a * n_metrics + m];
              acc[0] += d, acc[1] += 1;
            }
        }
      }
      for (std::size_t r = 0; r < refs.size(); ++r)
        for (std::size_t a = 0; a < arms.size(); ++a)
          for (std::size_t m = 0; m < n_metrics; ++m) {
            const auto& acc = sums[r][a * n_metrics + m];
            if (acc[1] > 0) boot[r][a][m].push_back(acc[0] / acc[1]);
          }
    }
    for (std::size_t r = 0; r < refs.size(); ++r) {
      const std::size_t ri = arm_index(refs[r]);
      for (std::size_t a = 0; a < arms.size(); ++a) {
        if (a == ri) continue;
        for (std::size_t m = 0; m < n_metrics; ++m) {
          double sum = 0;
          int64_t n = 0;
          for (std::size_t s = 0; s < seeds.size(); ++s) {
            const double d = full[s][a][m] - full[s][ri][m];
            if (!std::isnan(d)) sum += d, ++n;
          }
          ComparisonRow row{arms[a], refs[r], set, metric_names()[m], int64_t(seeds.size())};
          constexpr double nan = std::numeric_limits<double>::quiet_NaN();
          auto& v = boot[r][a][m];
          // An undefined metric (NaN on the whole set) stays undefined.
          if (n < int64_t(seeds.size()) || v.size() < std::size_t(o.resamples) / 2) {
            row.difference = row.low = row.high = nan;
          } else {
            std::sort(v.begin(), v.end());
            row.difference = sum / double(n);
            row.low = detail::quantile(v, (1 - o.level) / 2);
            row.high = detail::quantile(v, 1 - (1 - o.level) / 2);
          }
          table.rows.push_back(row);
        }
      }
    }
  }
  return table;
}

}  // namespace gan::experiment
