// The interval plot (gan/viz/intervals.hpp) and the comparison figure
// (gan/experiment/comparison_plot.hpp): what the drawn image holds. OpenCV only.
#include <gan/experiment/comparison_plot.hpp>
#include <gan/viz/intervals.hpp>

#include <gtest/gtest.h>

#include "common/pixels.hpp"

namespace {

using gan::test::count_colour;

const cv::Scalar kGain(44, 160, 44), kLoss(40, 39, 214), kGrey(150, 150, 150);

TEST(IntervalPlot, ColoursSayWhichIntervalsExcludeZero) {
  using gan::viz::Interval;
  const auto gain = gan::viz::interval_plot({{"a", 0.1, 0.05, 0.15}});
  const auto loss = gan::viz::interval_plot({{"a", -0.1, -0.15, -0.05}});
  const auto noise = gan::viz::interval_plot({{"a", 0.02, -0.05, 0.09}});
  EXPECT_GT(count_colour(gain, kGain), 100);
  EXPECT_EQ(count_colour(gain, kLoss), 0);
  EXPECT_GT(count_colour(loss, kLoss), 100);
  EXPECT_EQ(count_colour(loss, kGain), 0);
  EXPECT_GT(count_colour(noise, kGrey), 100);
  EXPECT_EQ(count_colour(noise, kGain) + count_colour(noise, kLoss), 0);
  // A row per entry: more rows, a taller image of the asked width.
  std::vector<Interval> many;
  for (int i = 0; i < 12; ++i) many.push_back({"arm " + std::to_string(i), 0, -1, 1});
  const auto tall = gan::viz::interval_plot(many);
  EXPECT_GT(tall.rows, noise.rows);
  EXPECT_EQ(tall.cols, 520);
  EXPECT_THROW(gan::viz::interval_plot({{"bad", 0, 1, -1}}), std::invalid_argument);
  gan::viz::IntervalOptions narrow;
  narrow.width = 100;
  EXPECT_THROW(gan::viz::interval_plot({}, narrow), std::invalid_argument);
  // An undefined entry is written as such (grey text), not drawn as a dot and a bar at 0.
  const auto undefined = gan::viz::interval_plot({{"a", NAN, NAN, NAN}});
  EXPECT_LT(count_colour(undefined, kGrey), count_colour(noise, kGrey) / 4);
  EXPECT_EQ(count_colour(undefined, kGain) + count_colour(undefined, kLoss), 0);
}

TEST(ComparisonPlot, OnePanelPerMetricTwoAbreast) {
  gan::experiment::ComparisonTable t;
  for (const std::string metric : {"recall", "recall_at_val_threshold", "average_precision", "roc_auc", "accuracy"})
    for (const std::string arm : {"duplicate", "gan:vanilla"})
      t.rows.push_back({arm, "baseline", "target", metric, 5, 0.1, 0.02, 0.2});
  const auto image = gan::experiment::plot_comparison(t, "target", "baseline", gan::experiment::plotted_metrics(), 400);
  EXPECT_EQ(image.cols, 800);  // two panels of 400 abreast
  const auto one = gan::experiment::plot_comparison(t, "target", "baseline", {"recall"}, 400);
  EXPECT_EQ(image.rows, 2 * one.rows);  // four panels, two rows
  EXPECT_TRUE(gan::experiment::plot_comparison(t, "source-test", "baseline").empty());
}

}  // namespace
