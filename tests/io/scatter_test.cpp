// Tests for gan/io/scatter.hpp: image size, cluster colours, legend, PNG output, and the
// example grid. Needs OpenCV only (no libtorch).

#include <gtest/gtest.h>

#include "common/pixels.hpp"

#include <gan/viz/example_grid.hpp>
#include <gan/viz/scatter.hpp>

#include <unistd.h>

#include <array>
#include <cmath>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using gan::viz::ScatterOptions;

/// Three clusters of 40 points on a circle each, and two classes alternating.
void make_points(std::vector<std::array<double, 2>>& points, std::vector<int>& cluster,
                 std::vector<int>& cls) {
  for (int c = 0; c < 3; ++c)
    for (int i = 0; i < 40; ++i) {
      const double a = i * 0.157;
      points.push_back({10.0 * c + 2 * std::cos(a), 5.0 * (c % 2) + 2 * std::sin(a)});
      cluster.push_back(c);
      cls.push_back(i % 2);
    }
}

/// Pixels of `region` within 10 levels (each channel) of `colour`.
int count_colour(const cv::Mat& image, cv::Scalar colour, cv::Rect region) {
  return gan::test::count_colour(image(region), colour);
}

/// The colour `colour` blended over white with `opacity`, as scatter_plot draws markers.
cv::Scalar over_white(cv::Scalar colour, double opacity) {
  cv::Scalar out;
  for (int c = 0; c < 3; ++c) out[c] = std::round(opacity * colour[c] + (1 - opacity) * 255);
  return out;
}

TEST(ScatterPlot, HasTheAskedSize) {
  std::vector<std::array<double, 2>> points;
  std::vector<int> cluster, cls;
  make_points(points, cluster, cls);
  ScatterOptions options;
  options.width = 640;
  options.height = 480;
  const cv::Mat image = gan::viz::scatter_plot(points, cluster, cls, options);
  EXPECT_EQ(image.cols, 640);
  EXPECT_EQ(image.rows, 480);
  EXPECT_EQ(image.type(), CV_8UC3);
}

TEST(ScatterPlot, EachClusterColourAppearsInTheAxesAndTheLegend) {
  std::vector<std::array<double, 2>> points;
  std::vector<int> cluster, cls;
  make_points(points, cluster, cls);
  ScatterOptions options;
  options.title = "three clusters";
  const cv::Mat image = gan::viz::scatter_plot(points, cluster, cls, options);
  // The legend lies in the right quarter, right of all data.
  const cv::Rect axes(0, 0, image.cols * 3 / 4, image.rows), legend(image.cols * 3 / 4, 0, image.cols / 4, image.rows);
  for (int c = 0; c < 3; ++c) {
    const cv::Scalar colour = gan::viz::detail::series_colour(std::size_t(c));
    EXPECT_GT(count_colour(image, over_white(colour, options.opacity), axes), 200) << "cluster " << c;
    EXPECT_GT(count_colour(image, colour, legend), 20) << "cluster " << c << " in the legend";
  }
  // No fourth colour: there are three clusters.
  EXPECT_EQ(count_colour(image, gan::viz::detail::series_colour(3), cv::Rect(0, 0, image.cols, image.rows)), 0);
  EXPECT_EQ(count_colour(image, over_white(gan::viz::detail::series_colour(3), options.opacity), axes), 0);
}

TEST(ScatterPlot, LegendListsClustersAndClasses) {
  std::vector<std::array<double, 2>> points;
  std::vector<int> cluster, cls;
  make_points(points, cluster, cls);
  const cv::Mat image = gan::viz::scatter_plot(points, cluster, cls, {});
  const cv::Rect legend(image.cols * 3 / 4, 0, image.cols / 4, image.rows);
  cv::Mat grey;
  cv::cvtColor(image(legend), grey, cv::COLOR_BGR2GRAY);
  // Text and the dark grey class markers; a legend with one class has fewer dark pixels.
  const int dark_two_classes = cv::countNonZero(grey < 100);
  EXPECT_GT(dark_two_classes, 300);
  const cv::Mat one_class = gan::viz::scatter_plot(points, cluster, {}, {});
  cv::cvtColor(one_class(legend), grey, cv::COLOR_BGR2GRAY);
  EXPECT_LT(cv::countNonZero(grey < 100), dark_two_classes);
  EXPECT_GT(cv::countNonZero(grey < 100), 100);
}

TEST(ScatterPlot, WritesAPngThatReadsBack) {
  std::vector<std::array<double, 2>> points;
  std::vector<int> cluster, cls;
  make_points(points, cluster, cls);
  const fs::path dir = fs::temp_directory_path() / ("gan_scatter_test_" + std::to_string(::getpid()));
  const fs::path path = dir / "sub" / "scatter.png";
  gan::viz::write_scatter(path, points, cluster, cls, {});
  const cv::Mat read = cv::imread(path.string(), cv::IMREAD_COLOR);
  const cv::Mat drawn = gan::viz::scatter_plot(points, cluster, cls, {});
  ASSERT_FALSE(read.empty());
  ASSERT_EQ(read.size(), drawn.size());
  EXPECT_EQ(cv::norm(read, drawn, cv::NORM_INF), 0.0);
  fs::remove_all(dir);
}

TEST(ScatterPlot, RefusesBadInput) {
  std::vector<std::array<double, 2>> points(5, {0.0, 0.0});
  EXPECT_THROW(gan::viz::scatter_plot(points, {0, 1}, {}, {}), std::invalid_argument);
  EXPECT_THROW(gan::viz::scatter_plot(points, {}, {0, 1, 2}, {}), std::invalid_argument);
  ScatterOptions small;
  small.width = 100;
  EXPECT_THROW(gan::viz::scatter_plot(points, {}, {}, small), std::invalid_argument);
  // Degenerate data still draws: one point repeated, and no points at all.
  EXPECT_FALSE(gan::viz::scatter_plot(points, {}, {}, {}).empty());
  EXPECT_FALSE(gan::viz::scatter_plot({}, {}, {}, {}).empty());
}

TEST(ExampleGrid, OneRowPerClusterOfTiles) {
  std::vector<std::vector<cv::Mat>> rows(3);
  for (int r = 0; r < 3; ++r)
    for (int i = 0; i < 5 + r; ++i)  // rows of 5, 6, 7: capped at per_row = 6
      rows[std::size_t(r)].push_back(cv::Mat(28, 28, CV_32FC1, cv::Scalar(0.1 * i)));
  gan::viz::ExampleGridOptions options;
  options.tile = 32;
  options.per_row = 6;
  options.padding = 2;
  options.label_width = 100;
  const cv::Mat grid = gan::viz::example_grid(rows, {"a", "b", "c"}, options);
  EXPECT_EQ(grid.rows, 3 * (32 + 2) + 2);
  EXPECT_EQ(grid.cols, 100 + 6 * (32 + 2) + 2);
  EXPECT_EQ(grid.type(), CV_8UC3);
  // Tile 0 of row 1 is black (value 0), and the swatch of row 1 has cluster 1's colour.
  EXPECT_EQ(grid.at<cv::Vec3b>(2 + 34 + 16, 100 + 16), cv::Vec3b(0, 0, 0));
  EXPECT_GT(count_colour(grid, gan::viz::detail::series_colour(1), cv::Rect(0, 36, 30, 32)), 10);
  EXPECT_THROW(gan::viz::example_grid({}, {}, options), std::invalid_argument);
}

}  // namespace
