// The experiment's metrics per run and its paired comparisons (gan/experiment/results.hpp,
// comparison.hpp), against hand computations and closed forms: no torch.
#include <gan/experiment/comparison.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

namespace {

namespace ex = gan::experiment;

/// A run whose predictions at 0.5 follow the scores.
ex::Run run_of(const std::string& arm, const std::string& set, uint64_t seed, std::vector<int64_t> truth,
               std::vector<double> score, double threshold = 0.5) {
  ex::Run r;
  r.arm = arm, r.set = set, r.seed = seed;
  r.truth = std::move(truth);
  r.score = std::move(score);
  r.threshold = threshold;
  for (std::size_t i = 0; i < r.truth.size(); ++i) {
    r.predicted.push_back(r.score[i] > 0.5 ? 1 : 0);
    r.m.add(r.truth[i], r.predicted[i]);
  }
  return r;
}

std::size_t index_of(const std::string& metric) { return ex::metric_index(metric); }

TEST(RunMetrics, ByHandWithTheValidationThresholdAndWeights) {
  // 3 positives, 3 negatives. At 0.5: tp 2 (0.9, 0.6), fn 1 (0.3), fp 1 (0.7), tn 2.
  const auto r = run_of("a", "target", 0, {1, 1, 1, 0, 0, 0}, {0.9, 0.6, 0.3, 0.7, 0.2, 0.1}, 0.25);
  const auto v = ex::run_metrics(r, 1);
  EXPECT_DOUBLE_EQ(v[index_of("accuracy")], 4.0 / 6);
  EXPECT_DOUBLE_EQ(v[index_of("precision")], 2.0 / 3);
  EXPECT_DOUBLE_EQ(v[index_of("recall")], 2.0 / 3);
  // AUC: pairs (pos > neg) of 9: 0.9 beats 3, 0.6 beats 2, 0.3 beats 2 -> 7/9.
  EXPECT_DOUBLE_EQ(v[index_of("roc_auc")], 7.0 / 9);
  // AP: ranks 0.9 (P 1, R 1/3), 0.7 (neg), 0.6 (P 2/3, R 2/3), 0.3 (P 3/4, R 1).
  EXPECT_DOUBLE_EQ(v[index_of("average_precision")], (1.0 + 2.0 / 3 + 3.0 / 4) / 3);
  // At 0.25: every positive found, 0.7 the one false positive.
  EXPECT_DOUBLE_EQ(v[index_of("recall_at_val_threshold")], 1.0);
  EXPECT_DOUBLE_EQ(v[index_of("precision_at_val_threshold")], 3.0 / 4);
  // Weights are multiplicities: tile 2 twice, tile 3 never is the run on those tiles.
  const auto w = ex::run_metrics(r, 1, {1, 1, 2, 0, 1, 1});
  const auto d = ex::run_metrics(run_of("a", "target", 0, {1, 1, 1, 1, 0, 0}, {0.9, 0.6, 0.3, 0.3, 0.2, 0.1}, 0.25), 1);
  for (std::size_t k = 0; k < w.size(); ++k) EXPECT_DOUBLE_EQ(w[k], d[k]) << ex::metric_names()[k];
}

TEST(RunMetrics, AOneClassSetLeavesPrecisionAndAucUndefined) {
  const auto v = ex::run_metrics(run_of("a", "target", 0, {1, 1, 1, 1}, {0.9, 0.6, 0.3, 0.7}), 1);
  EXPECT_DOUBLE_EQ(v[index_of("recall")], 0.75);
  for (auto m : {"precision", "f1", "roc_auc", "average_precision", "precision_at_val_threshold"})
    EXPECT_TRUE(std::isnan(v[index_of(m)])) << m << " = " << v[index_of(m)];
  const auto n = ex::run_metrics(run_of("a", "target", 0, {0, 0}, {0.9, 0.1}), 1);
  EXPECT_TRUE(std::isnan(n[index_of("recall")]));
  EXPECT_DOUBLE_EQ(n[index_of("accuracy")], 0.5);
}

TEST(Comparison, AnArmEqualToTheBaselineDiffersByExactlyNothing) {
  std::mt19937_64 rng(3);
  std::vector<ex::Run> runs;
  for (uint64_t seed = 0; seed < 3; ++seed) {
    std::vector<int64_t> y;
    std::vector<double> s;
    for (int i = 0; i < 80; ++i) y.push_back(i % 4 == 0), s.push_back(double(rng() % 1000) / 1000);
    runs.push_back(run_of("baseline", "target", seed, y, s));
    runs.push_back(run_of("same", "target", seed, y, s));
  }
  const auto t = ex::compare(runs, {.resamples = 200});
  ASSERT_EQ(t.rows.size(), ex::metric_names().size());  // one reference, one other arm, one set
  for (const auto& r : t.rows) {
    EXPECT_EQ(r.arm, "same");
    EXPECT_EQ(r.difference, 0) << r.metric;
    EXPECT_EQ(r.low, 0) << r.metric;
    EXPECT_EQ(r.high, 0) << r.metric;
    EXPECT_FALSE(r.significant());
  }
}

TEST(Comparison, OneSeedIsThePairedBootstrapOverTiles) {
  // Accuracy: the arm is right with probability 0.8, the baseline with 0.7, independently, on
  // 400 tiles. The bootstrap's interval of the mean difference is about ±1.96 sd(d)/sqrt(n).
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<int64_t> y;
  std::vector<double> base, arm;
  double sum = 0, sum2 = 0;
  const int n = 400;
  for (int i = 0; i < n; ++i) {
    const int64_t t = u(rng) < 0.5;
    const bool ok_b = u(rng) < 0.7, ok_a = u(rng) < 0.8;
    y.push_back(t);
    base.push_back(ok_b == bool(t) ? 0.9 : 0.1);
    arm.push_back(ok_a == bool(t) ? 0.9 : 0.1);
    const double d = double(ok_a) - double(ok_b);
    sum += d, sum2 += d * d;
  }
  const double mean = sum / n, sd = std::sqrt(sum2 / n - mean * mean), half = 1.959964 * sd / std::sqrt(double(n));
  const auto t = ex::compare({run_of("baseline", "target", 0, y, base), run_of("gan", "target", 0, y, arm)},
                             {.resamples = 4000, .seed = 5});
  const auto* r = t.find("gan", "baseline", "target", "accuracy");
  ASSERT_NE(r, nullptr);
  EXPECT_NEAR(r->difference, mean, 1e-12);
  EXPECT_NEAR((r->high - r->low) / 2, half, 0.1 * half);
  EXPECT_NEAR((r->high + r->low) / 2, mean, 0.1 * half);
}

TEST(Comparison, SeedsAreResampledToo) {
  // No tile noise: the arm is right on every tile; the baseline on every tile of seed 0 and on
  // none of seeds 1-4. The per-seed differences are 0, 1, 1, 1, 1: their bootstrap mean is
  // 1 - K/5 with K ~ Binomial(5, 1/5), whose 2.5% and 97.5% quantiles are 0.4 and 1.
  std::vector<ex::Run> runs;
  std::vector<int64_t> y{1, 0, 1, 0, 0, 1, 0, 0};
  std::vector<double> right, wrong;
  for (auto t : y) right.push_back(t ? 0.9 : 0.1), wrong.push_back(t ? 0.1 : 0.9);
  for (uint64_t seed = 0; seed < 5; ++seed) {
    runs.push_back(run_of("baseline", "target", seed, y, seed == 0 ? right : wrong));
    runs.push_back(run_of("gan", "target", seed, y, right));
  }
  const auto t = ex::compare(runs, {.resamples = 4000});
  const auto* r = t.find("gan", "baseline", "target", "accuracy");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->seeds, 5);
  EXPECT_DOUBLE_EQ(r->difference, 0.8);
  EXPECT_DOUBLE_EQ(r->low, 0.4);
  EXPECT_DOUBLE_EQ(r->high, 1.0);
  EXPECT_TRUE(r->significant());
}

TEST(Comparison, UndefinedStaysUndefinedAndTheTableRoundTrips) {
  // A target of positives only: precision is undefined, recall is compared.
  std::vector<ex::Run> runs;
  for (uint64_t seed = 0; seed < 2; ++seed) {
    runs.push_back(run_of("baseline", "target", seed, {1, 1, 1, 1, 1}, {0.9, 0.2, 0.3, 0.1, 0.6}));
    runs.push_back(run_of("duplicate", "target", seed, {1, 1, 1, 1, 1}, {0.9, 0.7, 0.3, 0.8, 0.6}));
  }
  const auto t = ex::compare(runs, {.resamples = 500});
  // duplicate against baseline (baseline against duplicate too: both are references).
  ASSERT_EQ(t.rows.size(), 2 * ex::metric_names().size());
  const auto* p = t.find("duplicate", "baseline", "target", "precision");
  const auto* r = t.find("duplicate", "baseline", "target", "recall");
  ASSERT_TRUE(p && r);
  EXPECT_TRUE(std::isnan(p->difference) && std::isnan(p->low));
  EXPECT_FALSE(p->significant());
  EXPECT_DOUBLE_EQ(r->difference, 0.4);  // 4/5 - 2/5
  EXPECT_DOUBLE_EQ(t.find("baseline", "duplicate", "target", "recall")->difference, -0.4);
  const auto file = std::filesystem::temp_directory_path() / "gan_comparison_test.csv";
  t.write(file);
  const auto back = ex::ComparisonTable::read(file);
  std::filesystem::remove(file);
  ASSERT_EQ(back.rows.size(), t.rows.size());
  EXPECT_TRUE(std::isnan(back.find("duplicate", "baseline", "target", "precision")->difference));
  EXPECT_NEAR(back.find("duplicate", "baseline", "target", "recall")->low, r->low, 1e-6);
  EXPECT_EQ(back.level, 0.95);
  // Runs on different tiles cannot be paired.
  runs.push_back(run_of("baseline", "source-test", 0, {1, 0}, {0.9, 0.1}));
  runs.push_back(run_of("duplicate", "source-test", 0, {0, 1}, {0.9, 0.1}));
  EXPECT_THROW(ex::compare(runs, {.resamples = 100}), std::invalid_argument);
}

}  // namespace
