#pragma once
/// @file
/// Classification metrics from a confusion matrix: accuracy, precision, recall, F1 and
/// balanced accuracy (the positive class of a binary task is 1, the rare class).

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace gan::metrics {

/// counts[t][p]: samples of true class t predicted as p.
struct ConfusionMatrix {
  explicit ConfusionMatrix(int64_t num_classes)
      : counts(size_t(num_classes), std::vector<int64_t>(size_t(num_classes), 0)) {
    if (num_classes < 2)
      throw std::invalid_argument("ConfusionMatrix: needs >= 2 classes, got " + std::to_string(num_classes));
  }
  void add(int64_t truth, int64_t predicted) {
    const int64_t n = int64_t(counts.size());
    if (truth < 0 || truth >= n || predicted < 0 || predicted >= n)
      throw std::invalid_argument("ConfusionMatrix: label " + std::to_string(truth < 0 || truth >= n ? truth : predicted) +
                                  " is out of range [0, " + std::to_string(n) + ")");
    ++counts[size_t(truth)][size_t(predicted)];
  }
  int64_t total() const {
    int64_t s = 0;
    for (const auto& r : counts)
      for (auto c : r) s += c;
    return s;
  }
  std::vector<std::vector<int64_t>> counts;
};

/// The metrics of one evaluation. Precision, recall and F1 are those of class `positive`; a
/// ratio whose denominator is 0 is 0 (as sklearn's zero_division=0).
struct ClassificationReport {
  double accuracy = 0, precision = 0, recall = 0, f1 = 0, balanced_accuracy = 0;
  int64_t support = 0;
};

inline ClassificationReport report(const ConfusionMatrix& m, int64_t positive = 1) {
  const auto& c = m.counts;
  const int64_t n = int64_t(c.size());
  if (positive < 0 || positive >= n)
    throw std::invalid_argument("report: positive class " + std::to_string(positive) + " is out of range");
  auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
  ClassificationReport r;
  r.support = m.total();
  int64_t correct = 0, pred_pos = 0, true_pos_row = 0;
  double recall_sum = 0;
  int64_t classes_present = 0;
  for (int64_t t = 0; t < n; ++t) {
    int64_t row = 0;
    for (int64_t p = 0; p < n; ++p) row += c[size_t(t)][size_t(p)];
    correct += c[size_t(t)][size_t(t)];
    if (row > 0) {
      recall_sum += double(c[size_t(t)][size_t(t)]) / double(row);
      ++classes_present;
    }
    pred_pos += c[size_t(t)][size_t(positive)];
    if (t == positive) true_pos_row = row;
  }
  const double tp = double(c[size_t(positive)][size_t(positive)]);
  r.accuracy = ratio(double(correct), double(r.support));
  r.precision = ratio(tp, double(pred_pos));
  r.recall = ratio(tp, double(true_pos_row));
  r.f1 = ratio(2 * r.precision * r.recall, r.precision + r.recall);
  r.balanced_accuracy = ratio(recall_sum, double(classes_present));
  return r;
}

/// The mean of repeated measurements (seeds) and their sample standard deviation (divided by
/// n - 1; 0 for a single value).
struct MeanStd {
  double mean = 0, std = 0;
  int64_t n = 0;
};

inline MeanStd mean_std(const std::vector<double>& values) {
  MeanStd r;
  r.n = int64_t(values.size());
  if (values.empty()) return r;
  for (double v : values) r.mean += v;
  r.mean /= double(values.size());
  if (values.size() < 2) return r;
  double ss = 0;
  for (double v : values) ss += (v - r.mean) * (v - r.mean);
  r.std = std::sqrt(ss / double(values.size() - 1));
  return r;
}

}  // namespace gan::metrics
