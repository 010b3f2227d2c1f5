#pragma once
/// @file
/// What the oversampling experiment measures and the tables it writes: a `Run` is one
/// classifier (arm, seed) tested on one set, with its scores per tile; `run_metrics` gives its
/// metrics (at the paper's 0.5, threshold-free, and at the threshold chosen on the source's
/// validation split), optionally on a resample of the tiles; results.csv, summary.csv (mean ±
/// std over seeds) and confusion.csv are one struct or function each. No libtorch: a report or
/// a notebook tool reads them with OpenCV-free, torch-free code.
///
/// A metric that a set cannot define is NaN (written "nan"), not 0 or 1: precision, F1, ROC AUC
/// and average precision on a set without negatives (a target region of positives only), recall
/// and the threshold-free ones on a set without positives.

#include <gan/io/atomic_file.hpp>
#include <gan/io/table.hpp>
#include <gan/metrics/classification.hpp>
#include <gan/metrics/ranking.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <iomanip>
#include <limits>
#include <map>
#include <stdexcept>
#include <sstream>
#include <string>
#include <vector>

namespace gan::experiment {

/// One classifier (an arm's, for one seed) tested on one set.
struct Run {
  std::string arm, set;
  uint64_t seed = 0;
  int64_t n_train = 0, n_added = 0;
  double train_share = 0;        ///< positive share of the set it trained on
  metrics::ConfusionMatrix m{2};  ///< at the paper's threshold: the larger softmax output (0.5)
  /// Per tile of the set, in its order: the true class, the predicted one (as `m` counts them)
  /// and the softmax probability of the positive class. Empty: only `m` is known.
  std::vector<int64_t> truth, predicted;
  std::vector<double> score;
  /// The score threshold chosen on the source's validation split (largest TPR − FPR there);
  /// 0.5 without one. Never chosen on the set itself.
  double threshold = 0.5;
};

/// The metric columns of the tables, in order: at 0.5 (accuracy ... balanced accuracy),
/// threshold-free (ROC AUC, average precision), at the validation threshold.
inline const std::array<std::string, 9>& metric_names() {
  static const std::array<std::string, 9> names{"accuracy",         "precision",
                                                "recall",           "f1",
                                                "balanced_accuracy", "roc_auc",
                                                "average_precision", "precision_at_val_threshold",
                                                "recall_at_val_threshold"};
  return names;
}

/// The position of `metric` in metric_names(). Throws std::invalid_argument for another name.
inline std::size_t metric_index(const std::string& metric) {
  const auto& names = metric_names();
  const auto it = std::find(names.begin(), names.end(), metric);
  if (it == names.end()) throw std::invalid_argument("no metric '" + metric + "'");
  return std::size_t(it - names.begin());
}

/// The metrics of `r` by metric_names(), with `positive` as the positive class, on its tiles
/// taken `weights[i]` times each (a bootstrap resample; empty: each once). `ranking`, when
/// given, is `r`'s scores already sorted (ScoreRanking(r.score, truth == positive)). A run
/// without per-tile data has only the 0.5 metrics, the others NaN, and takes no weights.
inline std::array<double, 9> run_metrics(const Run& r, int64_t positive, const std::vector<int64_t>& weights = {},
                                         const metrics::ScoreRanking* ranking = nullptr) {
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  const std::size_t n = r.truth.size();
  metrics::ConfusionMatrix at_half(2), at_val(2);
  if (n == 0) {
    if (!weights.empty()) throw std::invalid_argument("run_metrics: weights for a run without per-tile data");
    at_half = r.m;
  } else {
    if (r.predicted.size() != n || r.score.size() != n)
      throw std::invalid_argument("run_metrics: " + r.arm + " on " + r.set + ": " + std::to_string(n) + " labels, " +
                                  std::to_string(r.predicted.size()) + " predictions, " + std::to_string(r.score.size()) +
                                  " scores");
    if (!weights.empty() && weights.size() != n)
      throw std::invalid_argument("run_metrics: " + std::to_string(weights.size()) + " weights for " + std::to_string(n) +
                                  " tiles");
    const int64_t other = 1 - positive;
    for (std::size_t i = 0; i < n; ++i) {
      const int64_t w = weights.empty() ? 1 : weights[i];
      if (w == 0) continue;
      at_half.counts[std::size_t(r.truth[i])][std::size_t(r.predicted[i])] += w;
      at_val.counts[std::size_t(r.truth[i])][std::size_t(r.score[i] >= r.threshold ? positive : other)] += w;
    }
  }
  const auto& c = at_half.counts;
  const size_t p = size_t(positive), q = size_t(1 - positive);
  const bool has_pos = c[p][0] + c[p][1] > 0, has_neg = c[q][0] + c[q][1] > 0;
  const auto half = metrics::report(at_half, positive), val = metrics::report(at_val, positive);
  const auto pos_only = [&](double v) { return has_pos ? v : nan; };
  const auto neg_too = [&](double v) { return has_neg ? v : nan; };
  double auc = nan, ap = nan;
  if (n > 0 && has_pos && has_neg) {
    if (ranking) {
      auc = ranking->roc_auc(weights), ap = ranking->average_precision(weights);
    } else {
      std::vector<bool> is_pos(n);
      for (std::size_t i = 0; i < n; ++i) is_pos[i] = r.truth[i] == positive;
      const metrics::ScoreRanking own(r.score, is_pos);
      auc = own.roc_auc(weights), ap = own.average_precision(weights);
    }
  }
  return {half.accuracy,
          neg_too(half.precision),
          pos_only(half.recall),
          neg_too(pos_only(half.f1)),
          half.balanced_accuracy,
          auc,
          ap,
          n == 0 ? nan : neg_too(val.precision),
          n == 0 ? nan : pos_only(val.recall)};
}

/// A number as the tables write it: 6 significant digits, "nan" for an undefined metric.
inline std::string table_number(double v) {
  if (std::isnan(v)) return "nan";
  std::ostringstream o;
  o << std::setprecision(6) << v;
  return o.str();
}

/// A number read back from a table: "nan" is an undefined metric.
inline double table_number(const io::CsvRow& row, const std::string& column) {
  return row[column] == "nan" ? std::numeric_limits<double>::quiet_NaN() : row.number(column);
}

namespace detail {
/// tn, fp, fn, tp with `positive` as the positive class.
inline std::array<int64_t, 4> cells(const metrics::ConfusionMatrix& m, int64_t positive) {
  const size_t p = size_t(positive), q = size_t(1 - positive);
  return {m.counts[q][q], m.counts[q][p], m.counts[p][q], m.counts[p][p]};
}
}  // namespace detail

/// results.csv: every run (arm, seed, set), its metrics, its validation threshold and its
/// confusion matrix at 0.5.
inline void write_results(const std::filesystem::path& file, const std::vector<Run>& runs, int64_t positive = 1) {
  std::ostringstream o;
  o << "arm,seed,set,n_train,n_added,train_positive_share";
  for (const auto& m : metric_names()) o << ',' << m;
  o << ",val_threshold,tn,fp,fn,tp\n";
  for (const auto& r : runs) {
    o << r.arm << ',' << r.seed << ',' << r.set << ',' << r.n_train << ',' << r.n_added << ','
      << table_number(r.train_share);
    for (double v : run_metrics(r, positive)) o << ',' << table_number(v);
    o << ',' << table_number(r.threshold);
    for (auto c : detail::cells(r.m, positive)) o << ',' << c;
    o << '\n';
  }
  io::write_file_atomically(file, o.str());
}

/// One row of summary.csv: an arm on a set, its metrics' mean ± std over the seeds.
struct SummaryRow {
  std::string arm, set;
  int64_t seeds = 0, n_train = 0, n_added = 0;
  std::map<std::string, metrics::MeanStd> metrics;  ///< by metric_names()
};

/// summary.csv.
struct Summary {
  std::vector<SummaryRow> rows;

  void write(const std::filesystem::path& file) const {
    std::ostringstream o;
    o << "arm,set,seeds,n_train,n_added";
    for (const auto& m : metric_names()) o << ',' << m << "_mean," << m << "_std";
    o << '\n';
    for (const auto& r : rows) {
      o << r.arm << ',' << r.set << ',' << r.seeds << ',' << r.n_train << ',' << r.n_added;
      for (const auto& m : metric_names())
        o << ',' << table_number(r.metrics.at(m).mean) << ',' << table_number(r.metrics.at(m).std);
      o << '\n';
    }
    io::write_file_atomically(file, o.str());
  }
  static Summary read(const std::filesystem::path& file) {
    std::vector<std::string> needed{"arm", "set", "seeds", "n_train", "n_added"};
    for (const auto& m : metric_names()) needed.push_back(m + "_mean"), needed.push_back(m + "_std");
    Summary s;
    for (const auto& row : io::read_table(file, needed).rows) {
      SummaryRow r{row["arm"], row["set"], row.integer("seeds"), row.integer("n_train"), row.integer("n_added"), {}};
      for (const auto& m : metric_names())
        r.metrics[m] = {table_number(row, m + "_mean"), table_number(row, m + "_std"), r.seeds};
      s.rows.push_back(std::move(r));
    }
    return s;
  }
};

/// One row of confusion.csv: an arm on a set, the confusion matrix summed over the seeds.
struct ConfusionRow {
  std::string arm, set;
  int64_t tn = 0, fp = 0, fn = 0, tp = 0;
};

/// confusion.csv.
struct ConfusionTable {
  std::vector<ConfusionRow> rows;

  void write(const std::filesystem::path& file) const {
    std::ostringstream o;
    o << "arm,set,tn,fp,fn,tp\n";
    for (const auto& r : rows) o << r.arm << ',' << r.set << ',' << r.tn << ',' << r.fp << ',' << r.fn << ',' << r.tp << '\n';
    io::write_file_atomically(file, o.str());
  }
  static ConfusionTable read(const std::filesystem::path& file) {
    ConfusionTable t;
    for (const auto& row : io::read_table(file, {"arm", "set", "tn", "fp", "fn", "tp"}).rows)
      t.rows.push_back({row["arm"], row["set"], row.integer("tn"), row.integer("fp"), row.integer("fn"), row.integer("tp")});
    return t;
  }
};

/// The sets a summary lists, in order.
inline const std::array<std::string, 3>& summary_sets() {
  static const std::array<std::string, 3> sets{"val", "source-test", "target"};
  return sets;
}

/// The arms (in the order of the runs) and the sets (the usual ones first, in their order; others,
/// such as a second target, after) that `runs` hold.
inline std::pair<std::vector<std::string>, std::vector<std::string>> arms_and_sets(const std::vector<Run>& runs) {
  std::vector<std::string> arms, sets;
  for (const auto& r : runs) {
    if (std::find(arms.begin(), arms.end(), r.arm) == arms.end()) arms.push_back(r.arm);
    if (std::find(sets.begin(), sets.end(), r.set) == sets.end()) sets.push_back(r.set);
  }
  std::vector<std::string> ordered;
  for (const auto& s : summary_sets())
    if (std::find(sets.begin(), sets.end(), s) != sets.end()) ordered.push_back(s);
  for (const auto& s : sets)
    if (std::find(ordered.begin(), ordered.end(), s) == ordered.end()) ordered.push_back(s);
  return {arms, ordered};
}

/// Mean ± std over the seeds of every arm on every set.
inline Summary summarise(const std::vector<Run>& runs, int64_t positive = 1) {
  const auto [arms, sets] = arms_and_sets(runs);
  Summary out;
  for (const auto& arm : arms)
    for (const auto& set : sets) {
      std::array<std::vector<double>, 9> values;
      SummaryRow row{arm, set, 0, 0, 0, {}};
      for (const auto& r : runs) {
        if (r.arm != arm || r.set != set) continue;
        const auto v = run_metrics(r, positive);
        for (std::size_t k = 0; k < v.size(); ++k) values[k].push_back(v[k]);
        ++row.seeds;
        row.n_train = r.n_train, row.n_added = r.n_added;
      }
      if (row.seeds == 0) continue;
      for (std::size_t k = 0; k < values.size(); ++k) row.metrics[metric_names()[k]] = metrics::mean_std(values[k]);
      out.rows.push_back(std::move(row));
    }
  return out;
}

/// The confusion matrices summed over the seeds, in the order of `summarise`.
inline ConfusionTable confusion(const std::vector<Run>& runs, int64_t positive = 1) {
  const auto [arms, sets] = arms_and_sets(runs);
  ConfusionTable t;
  for (const auto& arm : arms)
    for (const auto& set : sets) {
      ConfusionRow row{arm, set};
      bool any = false;
      for (const auto& r : runs)
        if (r.arm == arm && r.set == set) {
          const auto c = detail::cells(r.m, positive);
          row.tn += c[0], row.fp += c[1], row.fn += c[2], row.tp += c[3];
          any = true;
        }
      if (any) t.rows.push_back(row);
    }
  return t;
}

}  // namespace gan::experiment
