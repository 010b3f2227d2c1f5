// Stratified splits and classification metrics, against hand-computed values.
#include <gan/data/split.hpp>
#include <gan/metrics/classification.hpp>

#include <gtest/gtest.h>

#include <set>

namespace {

TEST(StratifiedSplit, PartsAreDisjointCoverAllAndKeepTheShare) {
  std::vector<int64_t> labels(1000, 0);
  for (int i = 0; i < 200; ++i) labels[size_t(i * 5)] = 1;  // 20% positives
  auto parts = gan::data::stratified_split(labels, {0.7, 0.2, 0.1}, 42);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].size(), 700u);
  EXPECT_EQ(parts[1].size(), 200u);
  EXPECT_EQ(parts[2].size(), 100u);
  std::set<int64_t> all;
  const int64_t expect_pos[3] = {140, 40, 20};
  for (size_t p = 0; p < 3; ++p) {
    int64_t pos = 0;
    for (auto i : parts[p]) {
      EXPECT_TRUE(all.insert(i).second) << "index " << i << " is in two parts";
      pos += labels[size_t(i)];
    }
    EXPECT_EQ(pos, expect_pos[p]) << "part " << p;
  }
  EXPECT_EQ(all.size(), 1000u);
  EXPECT_EQ(parts, gan::data::stratified_split(labels, {0.7, 0.2, 0.1}, 42));
  EXPECT_NE(parts, gan::data::stratified_split(labels, {0.7, 0.2, 0.1}, 43));
}

TEST(StratifiedSplit, RoundingAddsUpAndBadFractionsThrow) {
  std::vector<int64_t> labels{0, 0, 0, 1, 1, 2, 2, 2, 2, 2, 2};
  auto parts = gan::data::stratified_split(labels, {0.5, 0.5}, 1);
  EXPECT_EQ(parts[0].size() + parts[1].size(), labels.size());
  EXPECT_THROW(gan::data::stratified_split(labels, {0.5, 0.6}, 1), std::invalid_argument);
  EXPECT_THROW(gan::data::stratified_split(labels, {1.5, -0.5}, 1), std::invalid_argument);
}

TEST(ClassificationMetrics, EqualHandComputedValues) {
  gan::metrics::ConfusionMatrix m(2);
  for (int i = 0; i < 50; ++i) m.add(0, 0);
  for (int i = 0; i < 10; ++i) m.add(0, 1);
  for (int i = 0; i < 5; ++i) m.add(1, 0);
  for (int i = 0; i < 35; ++i) m.add(1, 1);
  auto r = gan::metrics::report(m);
  EXPECT_EQ(r.support, 100);
  EXPECT_DOUBLE_EQ(r.accuracy, 0.85);
  const double p = 35.0 / 45.0, rec = 35.0 / 40.0;
  EXPECT_DOUBLE_EQ(r.precision, p);
  EXPECT_DOUBLE_EQ(r.recall, rec);
  EXPECT_DOUBLE_EQ(r.f1, 2 * p * rec / (p + rec));
  EXPECT_DOUBLE_EQ(r.balanced_accuracy, (50.0 / 60.0 + 35.0 / 40.0) / 2);
  gan::metrics::ConfusionMatrix none(2);
  none.add(0, 0);
  auto z = gan::metrics::report(none);
  EXPECT_EQ(z.precision, 0.0);  // no positive predicted: zero_division = 0
  EXPECT_EQ(z.recall, 0.0);
  EXPECT_THROW(m.add(2, 0), std::invalid_argument);
  EXPECT_THROW(gan::metrics::ConfusionMatrix(1), std::invalid_argument);
}

TEST(ClassificationMetrics, MeanAndSampleStdOverSeeds) {
  // 0.80, 0.84, 0.86: mean 0.8333..., deviations -0.0333, 0.0067, 0.0267; squares sum 0.0018667.
  const auto r = gan::metrics::mean_std({0.80, 0.84, 0.86});
  EXPECT_NEAR(r.mean, 2.5 / 3, 1e-15);
  EXPECT_NEAR(r.std, std::sqrt((0.0011111111111 + 0.0000444444444 + 0.0007111111111) / 2), 1e-9);
  EXPECT_EQ(r.n, 3);
  EXPECT_EQ(gan::metrics::mean_std({0.5}).std, 0.0);
  EXPECT_EQ(gan::metrics::mean_std({}).n, 0);
}

}  // namespace
