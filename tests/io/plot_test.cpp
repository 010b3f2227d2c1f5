// Tests for gan/io/plot.hpp: tick choice, labels, and what the drawn image contains.
// Needs OpenCV only (no libtorch).

#include <gtest/gtest.h>

#include "common/pixels.hpp"
#include "common/temp_dir.hpp"

#include <gan/viz/plot.hpp>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using gan::viz::PlotOptions;
using gan::viz::Series;

using gan::test::TempDir;

/// The line colours are anti-aliased: 12 levels either side of the colour count as it.
constexpr int kTolerance = 12;

cv::Mat line_pixels(const cv::Mat& image, cv::Scalar colour) { return gan::test::pixels_of(image, colour, kTolerance); }

int count_line(const cv::Mat& image, cv::Scalar colour, cv::Rect region) {
  return gan::test::count_colour(image(region), colour, kTolerance);
}

/// The number of pixels in `region` darker than `level` (grey value), e.g. text.
int count_darker(const cv::Mat& image, cv::Rect region, int level) {
  cv::Mat grey;
  cv::cvtColor(image(region), grey, cv::COLOR_BGR2GRAY);
  return cv::countNonZero(grey < level);
}

/// Checks that `ticks` are `expected` to within a relative 1e-12.
void expect_ticks(const std::vector<double>& ticks, const std::vector<double>& expected) {
  ASSERT_EQ(ticks.size(), expected.size()) << "got " << ::testing::PrintToString(ticks);
  for (std::size_t i = 0; i < ticks.size(); ++i)
    EXPECT_NEAR(ticks[i], expected[i], 1e-12 * std::max(1.0, std::abs(expected[i])))
        << "tick " << i;
}

/// Whether `step` is 1, 2 or 5 times a power of ten.
bool is_nice_step(double step) {
  const double magnitude = std::pow(10.0, std::floor(std::log10(step) + 1e-9));
  const double mantissa = step / magnitude;
  for (double m : {1.0, 2.0, 5.0})
    if (std::abs(mantissa - m) < 1e-9) return true;
  return false;
}

Series ramp(std::string name, double y0, double y1, int n = 100) {
  Series s{std::move(name), {}, {}};
  for (int i = 0; i < n; ++i) {
    s.x.push_back(i);
    s.y.push_back(y0 + (y1 - y0) * i / (n - 1));
  }
  return s;
}

}  // namespace

TEST(Plot, NiceTicksHandComputedRanges) {
  using gan::viz::detail::nice_ticks;
  // (1 - 0) / 5 = 0.2, itself a nice step.
  expect_ticks(nice_ticks(0, 1, 5), {0, 0.2, 0.4, 0.6, 0.8, 1});
  // 100 / 5 = 20 -> 20.
  expect_ticks(nice_ticks(0, 100, 5), {0, 20, 40, 60, 80, 100});
  // 2000 / 5 = 400 -> 500.
  expect_ticks(nice_ticks(0, 2000, 5), {0, 500, 1000, 1500, 2000});
  // 10 / 5 = 2 -> 2; multiples of 2 inside [-3, 7].
  expect_ticks(nice_ticks(-3, 7, 5), {-2, 0, 2, 4, 6});
  // 0.6 / 4 = 0.15 -> 0.2; multiples of 0.2 inside [0.3, 0.9].
  expect_ticks(nice_ticks(0.3, 0.9, 4), {0.4, 0.6, 0.8});
  // 1.1 / 10 = 0.11 -> 0.2.
  expect_ticks(nice_ticks(-0.05, 1.05, 10), {0, 0.2, 0.4, 0.6, 0.8, 1});
  // 3e-4 / 3 = 1e-4 -> 1e-4.
  expect_ticks(nice_ticks(1e-4, 4e-4, 3), {1e-4, 2e-4, 3e-4, 4e-4});
  // 7e6 / 3 = 2.33e6 -> 5e6.
  expect_ticks(nice_ticks(-1e6, 6e6, 3), {0, 5e6});
  // Reversed ends are accepted.
  expect_ticks(nice_ticks(1, 0, 5), {0, 0.2, 0.4, 0.6, 0.8, 1});
}

TEST(Plot, NiceTicksAreEvenOneTwoFiveStepsCoveringTheRange) {
  using gan::viz::detail::nice_ticks;
  const std::vector<std::pair<double, double>> ranges = {
      {0, 1},         {-0.37, 2.91},  {1e-7, 3.3e-7}, {-5e5, 1.2e6},
      {0.999, 1.001}, {-104.5, -3.2}, {13, 8713},     {0.0123, 0.987}};
  for (const auto& [lo, hi] : ranges)
    for (int target : {2, 3, 5, 8, 12}) {
      SCOPED_TRACE("range [" + std::to_string(lo) + ", " + std::to_string(hi) + "], target " +
                   std::to_string(target));
      const auto ticks = nice_ticks(lo, hi, target);
      ASSERT_GE(ticks.size(), 2u);
      const double step = ticks[1] - ticks[0];
      EXPECT_TRUE(is_nice_step(step)) << "step " << step;
      // No more ticks than asked for, unless the step that gives no more has only one tick
      // in the range.
      if (step < (hi - lo) / target * (1 - 1e-9)) {
        const double mantissa = step / std::pow(10.0, std::floor(std::log10(step) + 1e-9));
        const double larger = step * (std::abs(mantissa - 2) < 1e-6 ? 2.5 : 2);  // 1->2->5->10
        EXPECT_LT(std::floor(hi / larger) - std::ceil(lo / larger), 1) << "step " << step;
      }
      for (std::size_t i = 1; i < ticks.size(); ++i)
        EXPECT_NEAR(ticks[i] - ticks[i - 1], step, step * 1e-9);
      const double slack = 1e-9 * (hi - lo);
      EXPECT_GE(ticks.front(), lo - slack);
      EXPECT_LE(ticks.back(), hi + slack);
      EXPECT_LT(ticks.front() - lo, step);  // covers the range: no gap of a step at the ends
      EXPECT_LT(hi - ticks.back(), step);
      for (double t : ticks)  // ticks are multiples of the step
        EXPECT_NEAR(t / step, std::round(t / step), 1e-6);
    }
}

TEST(Plot, NiceTicksOfDegenerateRangesDoNotLoop) {
  using gan::viz::detail::nice_ticks;
  expect_ticks(nice_ticks(2, 2, 5), {2});
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_LE(nice_ticks(0, inf, 5).size(), 2u);
  EXPECT_LE(nice_ticks(std::nan(""), 1, 5).size(), 2u);
}

TEST(Plot, TickLabelsAreCompact) {
  using gan::viz::detail::format_tick;
  EXPECT_EQ(format_tick(0, 0.2), "0");
  EXPECT_EQ(format_tick(0.4, 0.2), "0.4");
  EXPECT_EQ(format_tick(1, 0.2), "1");  // integers without decimals
  EXPECT_EQ(format_tick(0.25, 0.05), "0.25");
  EXPECT_EQ(format_tick(1500, 500), "1500");
  EXPECT_EQ(format_tick(-2, 1), "-2");
  EXPECT_EQ(format_tick(0.001, 0.001), "0.001");
  EXPECT_EQ(format_tick(1e6, 5e5), "1e+06");
  EXPECT_EQ(format_tick(2.5e5, 5e4), "2.5e+05");
  EXPECT_EQ(format_tick(3e-4, 1e-4), "3e-04");
  EXPECT_EQ(format_tick(-1.5e-5, 5e-6), "-1.5e-05");
}

TEST(Plot, ImageHasTheRequestedSize) {
  PlotOptions options;
  options.title = "losses";
  for (auto [w, h] : {std::pair{800, 500}, std::pair{300, 200}, std::pair{1234, 777}}) {
    options.width = w;
    options.height = h;
    const cv::Mat image = gan::viz::plot_lines({ramp("a", 0, 1)}, options);
    EXPECT_EQ(image.cols, w);
    EXPECT_EQ(image.rows, h);
    EXPECT_EQ(image.type(), CV_8UC3);
  }
}

TEST(Plot, BackgroundIsWhiteAndFrameAndTextAreDrawn) {
  PlotOptions options;
  options.title = "losses";
  options.x_label = "iteration";
  options.y_label = "loss";
  const cv::Mat image = gan::viz::plot_lines({ramp("a", 0, 1)}, options);
  EXPECT_EQ(image.at<cv::Vec3b>(1, 1), cv::Vec3b(255, 255, 255));
  // Dark pixels (frame, ticks, text) in the title band, the left margin and the bottom margin.
  const auto dark = [&](cv::Rect r) { return count_darker(image, r, 128); };
  EXPECT_GT(dark({0, 0, image.cols, 30}), 20) << "title";
  EXPECT_GT(dark({0, 0, 60, image.rows}), 50) << "y tick labels and y label";
  EXPECT_GT(dark({0, image.rows - 50, image.cols, 50}), 50) << "x tick labels and x label";
}

TEST(Plot, SeriesColoursAppearAndDiffer) {
  using gan::viz::detail::series_colour;
  ASSERT_NE(series_colour(0), series_colour(1));
  for (std::size_t i = 0; i < 10; ++i)
    for (std::size_t j = i + 1; j < 10; ++j) EXPECT_NE(series_colour(i), series_colour(j));

  // Series a runs in the lower part of the axes, series b in the upper part.
  PlotOptions options;
  const cv::Mat image = gan::viz::plot_lines({ramp("a", 0, 0.35), ramp("b", 0.65, 1)}, options);
  const cv::Rect upper(0, 0, image.cols, image.rows / 2),
      lower(0, image.rows / 2, image.cols, image.rows - image.rows / 2);
  const int a_lower = count_line(image, series_colour(0), lower);
  const int a_upper = count_line(image, series_colour(0), upper);
  const int b_lower = count_line(image, series_colour(1), lower);
  const int b_upper = count_line(image, series_colour(1), upper);
  // A line across most of the axes is several hundred pixels long.
  EXPECT_GT(a_lower, 300);
  EXPECT_GT(b_upper, 300);
  // Each colour is (almost only) where its line is: the other half holds at most a legend
  // swatch.
  EXPECT_LT(a_upper, a_lower / 5);
  EXPECT_LT(b_lower, b_upper / 5);
}

TEST(Plot, LegendShowsNamedSeriesOnly) {
  using gan::viz::detail::series_colour;
  PlotOptions options;
  // One flat line in the middle: the legend goes in the top-right corner.
  Series flat{"flat", {0, 1, 2, 3}, {0, 0, 0, 0}};
  const cv::Mat named = gan::viz::plot_lines({flat}, options);
  flat.name.clear();
  const cv::Mat unnamed = gan::viz::plot_lines({flat}, options);
  const cv::Rect top_right(options.width / 2, 0, options.width / 2, options.height / 4);
  EXPECT_GT(count_line(named, series_colour(0), top_right), 20) << "legend swatch";
  EXPECT_EQ(count_line(unnamed, series_colour(0), top_right), 0);
  EXPECT_GT(count_line(named, cv::Scalar(30, 30, 30), top_right),
            count_line(unnamed, cv::Scalar(30, 30, 30), top_right))
      << "legend text";
}

TEST(Plot, ConstantAndOnePointSeriesDoNotCrash) {
  using gan::viz::detail::series_colour;
  PlotOptions options;
  Series constant{"", {0, 1, 2, 3, 4}, {2.5, 2.5, 2.5, 2.5, 2.5}};
  Series one{"", {7}, {3}};
  Series zero{"", {0, 1}, {0, 0}};
  for (bool log_y : {false, true}) {
    options.log_y = log_y;
    const cv::Mat a = gan::viz::plot_lines({constant}, options);
    EXPECT_GT(cv::countNonZero(line_pixels(a, series_colour(0))), 300) << "the flat line is drawn";
    const cv::Mat b = gan::viz::plot_lines({one}, options);
    EXPECT_GT(cv::countNonZero(line_pixels(b, series_colour(0))), 5) << "the point is drawn";
    EXPECT_EQ(gan::viz::plot_lines({zero}, options).rows, options.height);
  }
}

TEST(Plot, MismatchedSizesThrowNamingTheSeries) {
  PlotOptions options;
  Series good = ramp("good", 0, 1);
  Series bad{"discriminator loss", {0, 1, 2}, {0, 1}};
  try {
    gan::viz::plot_lines({good, bad}, options);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("discriminator loss"), std::string::npos) << e.what();
  }
}

TEST(Plot, BadOptionsThrow) {
  PlotOptions options;
  options.width = 10;
  EXPECT_THROW(gan::viz::plot_lines({}, options), std::invalid_argument);
  options = PlotOptions{};
  options.smooth = -1;
  EXPECT_THROW(gan::viz::plot_lines({}, options), std::invalid_argument);
}

TEST(Plot, NonFiniteValuesAreSkippedAndBreakTheLine) {
  using gan::viz::detail::series_colour;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  // A flat line at y = 1 over x = 0..20 with x = 9, 10, 11 missing (NaN, inf, NaN in y).
  Series s{"", {}, {}};
  for (int i = 0; i <= 20; ++i) {
    s.x.push_back(i);
    s.y.push_back(i == 9 || i == 11 ? nan : i == 10 ? inf : 1.0);
  }
  s.y.push_back(1e300);  // x NaN: the point is skipped, and its y does not stretch the axis
  s.x.push_back(nan);
  PlotOptions options;
  const cv::Mat image = gan::viz::plot_lines({s}, options);
  const cv::Mat mask = line_pixels(image, series_colour(0));
  ASSERT_GT(cv::countNonZero(mask), 300);
  // Columns that hold the line: from x = 0 to x = 20 with a gap from x = 8 to x = 12, i.e.
  // 4/20 of the span, in the middle.
  cv::Mat columns;
  cv::reduce(mask, columns, 0, cv::REDUCE_MAX);
  int first = -1, last = -1;
  for (int c = 0; c < columns.cols; ++c)
    if (columns.at<uchar>(0, c)) {
      if (first < 0) first = c;
      last = c;
    }
  const double span = last - first;
  ASSERT_GT(span, options.width / 2);  // 1e300 did not squash the line: it spans the axes
  int longest_gap = 0, gap_start = 0, run = 0;
  for (int c = first; c <= last; ++c) {
    run = columns.at<uchar>(0, c) ? 0 : run + 1;
    if (run > longest_gap) longest_gap = run, gap_start = c - run + 1;
  }
  EXPECT_GT(longest_gap, 0.15 * span);
  EXPECT_LT(longest_gap, 0.2 * span);
  EXPECT_NEAR(gap_start + longest_gap / 2.0, first + span / 2, 0.03 * span);
  // The line is flat: all its pixels lie in a band a few pixels high.
  cv::Mat rows;
  cv::reduce(mask, rows, 1, cv::REDUCE_MAX);
  EXPECT_LE(cv::countNonZero(rows), 6);
}

TEST(Plot, NoDataGivesAxesAndANote) {
  PlotOptions options;
  const cv::Mat none = gan::viz::plot_lines({}, options);
  const cv::Mat empty = gan::viz::plot_lines({Series{"empty", {}, {}}}, options);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const cv::Mat all_nan = gan::viz::plot_lines({Series{"nan", {0, 1}, {nan, nan}}}, options);
  options.log_y = true;
  const cv::Mat non_positive = gan::viz::plot_lines({Series{"neg", {0, 1}, {0, -1}}}, options);
  for (const cv::Mat* image : {&none, &empty, &all_nan, &non_positive}) {
    EXPECT_EQ(image->size(), cv::Size(options.width, options.height));
    // The "no data" note in the middle of the axes: grid lines there are lighter (225).
    const cv::Rect middle(options.width / 3, options.height / 3, options.width / 3,
                          options.height / 3);
    EXPECT_GT(count_darker(*image, middle, 200), 40);
  }
}

TEST(Plot, LogScaleAndSmoothingDraw) {
  using gan::viz::detail::series_colour;
  Series s{"penalty", {}, {}};
  for (int i = 0; i < 500; ++i) {
    s.x.push_back(i);
    s.y.push_back(std::exp(-i / 50.0) * (1 + 0.3 * std::sin(i)));
  }
  s.y[10] = 0;  // skipped on a log axis
  s.y[11] = -1;
  PlotOptions options;
  options.log_y = true;
  options.smooth = 20;
  const cv::Mat image = gan::viz::plot_lines({s}, options);
  EXPECT_GT(cv::countNonZero(line_pixels(image, series_colour(0))), 300);

  // The moving average is centred and ignores skipped points.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const auto avg = gan::viz::detail::moving_average({1, 2, 3, nan, 5, 6}, 3);
  EXPECT_DOUBLE_EQ(avg[0], 1.5);
  EXPECT_DOUBLE_EQ(avg[1], 2);
  EXPECT_DOUBLE_EQ(avg[2], 2.5);
  EXPECT_TRUE(std::isnan(avg[3]));
  EXPECT_DOUBLE_EQ(avg[4], 5.5);
  EXPECT_DOUBLE_EQ(avg[5], 5.5);
}

TEST(Plot, LogAxisTicksArePowersOfTen) {
  const auto axis = gan::viz::detail::log_axis(-3.2, 1.1, 6);  // 6.3e-4 .. 12.6
  const std::vector<std::string> expected = {"0.001", "0.01", "0.1", "1", "10"};
  EXPECT_EQ(axis.labels, expected);
  expect_ticks(axis.ticks, {-3, -2, -1, 0, 1});
}

TEST(Plot, WritePlotWritesAReadablePng) {
  TempDir dir("gan_plot_test");
  const fs::path path = dir.path() / "nested" / "folder" / "losses.png";
  PlotOptions options;
  options.width = 640;
  options.height = 360;
  options.title = "losses";
  gan::viz::write_plot(path, {ramp("D", 1, 0.3), ramp("G", 0.7, 3)}, options);
  ASSERT_TRUE(fs::exists(path));
  EXPECT_FALSE(fs::exists(path.string() + ".tmp"));
  std::ifstream file(path, std::ios::binary);
  char magic[4] = {};
  file.read(magic, 4);
  EXPECT_EQ(std::string(magic + 1, 3), "PNG");
  const cv::Mat back = cv::imread(path.string(), cv::IMREAD_COLOR);
  ASSERT_FALSE(back.empty());
  EXPECT_EQ(back.cols, 640);
  EXPECT_EQ(back.rows, 360);
  // PNG is lossless: the file holds exactly the plot.
  const cv::Mat drawn = gan::viz::plot_lines({ramp("D", 1, 0.3), ramp("G", 0.7, 3)}, options);
  EXPECT_EQ(cv::norm(back, drawn, cv::NORM_INF), 0);
}

TEST(Plot, UnwritablePathThrowsNamingIt) {
  TempDir dir("gan_plot_test");
  // A regular file where a folder is needed: no user, root included, can write below it.
  const fs::path blocker = dir.path() / "not_a_folder";
  std::ofstream(blocker) << "x";
  const fs::path path = blocker / "losses.png";
  try {
    gan::viz::write_plot(path, {ramp("D", 0, 1)}, PlotOptions{});
    FAIL() << "expected std::runtime_error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
  }
}
