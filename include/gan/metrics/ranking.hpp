#pragma once
/// @file
/// Threshold-free metrics of a binary classifier's scores, as scikit-learn computes them:
/// ROC AUC (`roc_auc_score`: ties count one half) and average precision
/// (`average_precision_score`: Σ (R_k − R_{k−1}) P_k over the distinct thresholds, no
/// interpolation), and the threshold that maximises Youden's J (TPR − FPR, i.e. balanced
/// accuracy) on a validation set. Each takes optional integer weights, a multiplicity per
/// sample: that is what a bootstrap resample is, so `ScoreRanking` sorts once and scores every
/// resample in O(n).
///
/// ```cpp
/// gan::metrics::ScoreRanking r(scores, is_positive);       // sorted once
/// double auc = r.roc_auc(), ap = r.average_precision();
/// double auc_b = r.roc_auc(counts);                          // a bootstrap resample
/// double t = gan::metrics::youden_threshold(val_scores, val_positive);
/// ```
/// A metric that needs both classes is NaN when the (weighted) set lacks one.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

namespace gan::metrics {

/// Scores sorted once, highest first, with their tie groups.
class ScoreRanking {
 public:
  /// `positive[i]`: whether sample i is of the positive class. Throws std::invalid_argument when
  /// the sizes differ or a score is NaN.
  ScoreRanking(std::vector<double> scores, std::vector<bool> positive) : score_(std::move(scores)), pos_(std::move(positive)) {
    if (score_.size() != pos_.size())
      throw std::invalid_argument("ScoreRanking: " + std::to_string(score_.size()) + " scores but " +
                                  std::to_string(pos_.size()) + " labels");
    for (std::size_t i = 0; i < score_.size(); ++i)
      if (std::isnan(score_[i])) throw std::invalid_argument("ScoreRanking: score " + std::to_string(i) + " is NaN");
    order_.resize(score_.size());
    std::iota(order_.begin(), order_.end(), std::size_t{0});
    std::stable_sort(order_.begin(), order_.end(), [&](std::size_t a, std::size_t b) { return score_[a] > score_[b]; });
    for (std::size_t k = 0; k < order_.size(); ++k)
      if (k + 1 == order_.size() || score_[order_[k + 1]] != score_[order_[k]]) group_end_.push_back(k + 1);
  }

  std::size_t size() const { return score_.size(); }

  /// The area under the ROC curve: P(score of a positive > score of a negative) + ½ P(tie).
  /// `weights`: a multiplicity per sample (empty: all 1).
  double roc_auc(const std::vector<int64_t>& weights = {}) const {
    check(weights);
    double pos_above = 0, sum = 0, n_pos = 0, n_neg = 0;
    std::size_t k = 0;
    for (std::size_t end : group_end_) {
      double p = 0, n = 0;
      for (; k < end; ++k) (pos_[order_[k]] ? p : n) += weight(weights, order_[k]);
      sum += n * (pos_above + 0.5 * p);
      pos_above += p;
      n_pos += p, n_neg += n;
    }
    if (n_pos == 0 || n_neg == 0) return std::numeric_limits<double>::quiet_NaN();
    return sum / (n_pos * n_neg);
  }

  /// Average precision: Σ_k (R_k − R_{k−1}) P_k, k over the distinct scores from the highest,
  /// predicting positive at score ≥ threshold k. NaN without positives or without negatives.
  double average_precision(const std::vector<int64_t>& weights = {}) const {
    check(weights);
    double n_pos = 0, n_neg = 0;
    for (std::size_t i = 0; i < size(); ++i) (pos_[i] ? n_pos : n_neg) += weight(weights, i);
    if (n_pos == 0 || n_neg == 0) return std::numeric_limits<double>::quiet_NaN();
    double tp = 0, fp = 0, ap = 0;
    std::size_t k = 0;
    for (std::size_t end : group_end_) {
      double dp = 0;
      for (; k < end; ++k) (pos_[order_[k]] ? dp : fp) += weight(weights, order_[k]);
      tp += dp;
      if (dp > 0) ap += (dp / n_pos) * (tp / (tp + fp));
    }
    return ap;
  }

  /// The threshold t (one of the scores) that maximises TPR − FPR when score ≥ t is predicted
  /// positive; of equal maxima the highest t. 0.5 when a class is missing.
  double youden_threshold() const {
    double n_pos = 0, n_neg = 0;
    for (bool p : pos_) (p ? n_pos : n_neg) += 1;
    if (n_pos == 0 || n_neg == 0) return 0.5;
    double tp = 0, fp = 0, best = -std::numeric_limits<double>::infinity(), best_t = 0.5;
    std::size_t k = 0;
    for (std::size_t end : group_end_) {
      for (; k < end; ++k) (pos_[order_[k]] ? tp : fp) += 1;
      const double j = tp / n_pos - fp / n_neg;
      if (j > best) best = j, best_t = score_[order_[end - 1]];
    }
    return best_t;
  }

 private:
  void check(const std::vector<int64_t>& w) const {
    if (!w.empty() && w.size() != size())
      throw std::invalid_argument("ScoreRanking: " + std::to_string(w.size()) + " weights for " + std::to_string(size()) +
                                  " samples");
  }
  static double weight(const std::vector<int64_t>& w, std::size_t i) { return w.empty() ? 1.0 : double(w[i]); }

  std::vector<double> score_;
  std::vector<bool> pos_;
  std::vector<std::size_t> order_, group_end_;  ///< indices by score, highest first; where each tie group ends
};

/// ROC AUC of `scores` for the samples where `positive` is true against the others.
inline double roc_auc(const std::vector<double>& scores, const std::vector<bool>& positive,
                      const std::vector<int64_t>& weights = {}) {
  return ScoreRanking(scores, positive).roc_auc(weights);
}

/// Average precision (scikit-learn's average_precision_score).
inline double average_precision(const std::vector<double>& scores, const std::vector<bool>& positive,
                                const std::vector<int64_t>& weights = {}) {
  return ScoreRanking(scores, positive).average_precision(weights);
}

/// The score threshold with the largest TPR − FPR (ScoreRanking::youden_threshold).
inline double youden_threshold(const std::vector<double>& scores, const std::vector<bool>& positive) {
  return ScoreRanking(scores, positive).youden_threshold();
}

}  // namespace gan::metrics
