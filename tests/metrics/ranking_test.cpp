// ROC AUC, average precision and the Youden threshold against scikit-learn
// (fixtures/make_ranking_fixtures.py: ties and integer weights included) and closed forms.
#include <gan/metrics/ranking.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

namespace {

struct Case {
  std::string name;
  std::vector<double> score;
  std::vector<bool> positive;
  std::vector<int64_t> weight;
  double auc = 0, ap = 0, threshold = 0;
};

std::vector<Case> read_cases() {
  const std::string file = std::string(GAN_TEST_FIXTURES) + "/ranking/cases.txt";
  std::ifstream in(file);
  EXPECT_TRUE(in) << "cannot read " << file;
  std::vector<Case> cases;
  std::string word;
  while (in >> word) {
    EXPECT_EQ(word, "case");
    Case c;
    std::size_t n = 0;
    in >> c.name >> n;
    for (std::size_t i = 0; i < n; ++i) {
      double s;
      int y;
      int64_t w;
      in >> s >> y >> w;
      c.score.push_back(s), c.positive.push_back(y == 1), c.weight.push_back(w);
    }
    in >> word >> c.auc >> c.ap >> c.threshold;
    EXPECT_EQ(word, "expect");
    cases.push_back(std::move(c));
  }
  return cases;
}

TEST(Ranking, MatchesScikitLearnWithTiesAndWeights) {
  const auto cases = read_cases();
  ASSERT_EQ(cases.size(), 4u);
  for (const auto& c : cases) {
    const bool weighted = c.name.rfind("weighted", 0) == 0;
    const gan::metrics::ScoreRanking r(c.score, c.positive);
    const std::vector<int64_t> w = weighted ? c.weight : std::vector<int64_t>{};
    EXPECT_NEAR(r.roc_auc(w), c.auc, 1e-12) << c.name;
    EXPECT_NEAR(r.average_precision(w), c.ap, 1e-12) << c.name;
    EXPECT_DOUBLE_EQ(r.youden_threshold(), c.threshold) << c.name;
    EXPECT_NEAR(gan::metrics::roc_auc(c.score, c.positive, w), c.auc, 1e-12) << c.name;
  }
}

TEST(Ranking, WeightsAreMultiplicities) {
  // Weight 2 on a sample is the sample given twice.
  const std::vector<double> s{0.9, 0.7, 0.7, 0.4, 0.2};
  const std::vector<bool> y{true, false, true, false, true};
  const std::vector<int64_t> w{2, 1, 0, 3, 1};
  std::vector<double> s2;
  std::vector<bool> y2;
  for (std::size_t i = 0; i < s.size(); ++i)
    for (int64_t k = 0; k < w[i]; ++k) s2.push_back(s[i]), y2.push_back(y[i]);
  EXPECT_DOUBLE_EQ(gan::metrics::roc_auc(s, y, w), gan::metrics::roc_auc(s2, y2));
  EXPECT_DOUBLE_EQ(gan::metrics::average_precision(s, y, w), gan::metrics::average_precision(s2, y2));
  // By hand: positives 0.9 (x2), 0.2; negatives 0.7, 0.4 (x3). Pairs won: 0.9 beats all 4
  // negatives twice (8), 0.2 beats none: 8 / (3 * 4).
  EXPECT_DOUBLE_EQ(gan::metrics::roc_auc(s, y, w), 8.0 / 12.0);
}

TEST(Ranking, ClosedForms) {
  using gan::metrics::average_precision;
  using gan::metrics::roc_auc;
  const std::vector<bool> y{false, true, false, true, false};
  EXPECT_DOUBLE_EQ(roc_auc({0.1, 0.8, 0.2, 0.9, 0.3}, y), 1.0);  // separated
  EXPECT_DOUBLE_EQ(average_precision({0.1, 0.8, 0.2, 0.9, 0.3}, y), 1.0);
  EXPECT_DOUBLE_EQ(roc_auc({0.9, 0.1, 0.8, 0.2, 0.7}, y), 0.0);  // reversed
  EXPECT_DOUBLE_EQ(roc_auc({0.5, 0.5, 0.5, 0.5, 0.5}, y), 0.5);  // one tie: a coin
  EXPECT_DOUBLE_EQ(average_precision({0.5, 0.5, 0.5, 0.5, 0.5}, y), 0.4);  // the prevalence
  EXPECT_DOUBLE_EQ(gan::metrics::youden_threshold({0.1, 0.8, 0.2, 0.9, 0.3}, y), 0.8);
  // One class only: undefined, not 1 or 0.
  EXPECT_TRUE(std::isnan(roc_auc({0.2, 0.9}, {true, true})));
  EXPECT_TRUE(std::isnan(average_precision({0.2, 0.9}, {false, false})));
  EXPECT_DOUBLE_EQ(gan::metrics::youden_threshold({0.2, 0.9}, {true, true}), 0.5);
  EXPECT_THROW(roc_auc({0.1}, {true, false}), std::invalid_argument);
  EXPECT_THROW(roc_auc({0.1, 0.2}, {true, false}, {1}), std::invalid_argument);
  EXPECT_THROW(roc_auc({NAN, 0.2}, {true, false}), std::invalid_argument);
}

}  // namespace
