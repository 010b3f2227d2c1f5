// Tests of the synthetic rooftop dataset (gan/data/synth.hpp): OpenCV only, no torch.

#include <gtest/gtest.h>

#include <gan/data/synth.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

namespace {

using gan::data::Region;
using gan::data::SynthOptions;

SynthOptions options(int64_t size = 64, Region region = Region::source, uint64_t seed = 1) {
  SynthOptions o;
  o.size = size;
  o.region = region;
  o.seed = seed;
  return o;
}

bool same(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}

/// Share of pixels that differ between two images of one size.
double changed_share(const cv::Mat& a, const cv::Mat& b) {
  cv::Mat diff, grey;
  cv::absdiff(a, b, diff);
  cv::cvtColor(diff, grey, cv::COLOR_BGR2GRAY);
  return double(cv::countNonZero(grey)) / double(grey.total());
}

/// Share of very dark, clearly bluish pixels (what solar panels are made of). Written here
/// independently of the generator's colours.
double dark_blue_share(const cv::Mat& bgr) {
  int64_t n = 0;
  for (int y = 0; y < bgr.rows; ++y)
    for (int x = 0; x < bgr.cols; ++x) {
      const auto p = bgr.at<cv::Vec3b>(y, x);
      const int b = p[0], g = p[1], r = p[2];
      if (b < 110 && r < 70 && b >= r + 15 && b >= g + 5) ++n;
    }
  return double(n) / double(bgr.total());
}

/// A fresh, empty folder under the system's temporary folder.
std::filesystem::path fresh_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("gan_synth_test_" + name);
  std::filesystem::remove_all(dir);
  return dir;
}

}  // namespace

TEST(Synth, TileHasTheRequestedSizeAndType) {
  for (int64_t size : {32, 64, 96, 150}) {
    for (int label : {0, 1}) {
      const auto t = gan::data::synth_tile(options(size), 3, label);
      EXPECT_EQ(t.image.rows, size);
      EXPECT_EQ(t.image.cols, size);
      EXPECT_EQ(t.image.type(), CV_8UC3);
      EXPECT_EQ(t.label, label);
    }
  }
}

TEST(Synth, TileIsDeterministicAndIndependentOfOrder) {
  const auto o = options();
  const auto first = gan::data::synth_tile(o, 5, 1).image;
  for (int64_t i = 0; i < 5; ++i) (void)gan::data::synth_tile(o, i, int(i % 2));
  const auto again = gan::data::synth_tile(o, 5, 1).image;
  EXPECT_TRUE(same(first, again));
  // count and positive_ratio play no part in a tile.
  auto other = o;
  other.count = 7;
  other.positive_ratio = 0.9;
  EXPECT_TRUE(same(first, gan::data::synth_tile(other, 5, 1).image));
}

TEST(Synth, SeedIndexAndRegionChangeTheTile) {
  const auto o = options();
  const auto base = gan::data::synth_tile(o, 5, 0).image;
  EXPECT_GT(changed_share(base, gan::data::synth_tile(options(64, Region::source, 2), 5, 0).image),
            0.5);
  EXPECT_GT(changed_share(base, gan::data::synth_tile(o, 6, 0).image), 0.5);
  EXPECT_GT(changed_share(base, gan::data::synth_tile(options(64, Region::target), 5, 0).image),
            0.5);
}

TEST(Synth, PositiveAndNegativeOfOneIndexShowTheSameScene) {
  // The panels are drawn from their own stream: only the roof changes.
  const auto o = options(96);
  double total = 0;
  for (int64_t i = 0; i < 20; ++i) {
    const auto neg = gan::data::synth_tile(o, i, 0).image,
               pos = gan::data::synth_tile(o, i, 1).image;
    const double share = changed_share(neg, pos);
    EXPECT_GT(share, 0.002) << "tile " << i;
    EXPECT_LT(share, 0.3) << "tile " << i;
    total += share;
  }
  EXPECT_LT(total / 20, 0.15);
}

TEST(Synth, PositivesHaveMoreDarkBluePixels) {
  // Different indices for the two classes, so that no scene is shared.
  for (Region region : {Region::source, Region::target}) {
    const auto o = options(96, region, 11);
    double pos = 0, neg = 0;
    int neg_without = 0;
    for (int64_t i = 0; i < 100; ++i) {
      pos += dark_blue_share(gan::data::synth_tile(o, i, 1).image) / 100;
      const double n = dark_blue_share(gan::data::synth_tile(o, 100 + i, 0).image);
      neg += n / 100;
      neg_without += n < 0.002;
    }
    SCOPED_TRACE(region == Region::source ? "source" : "target");
    EXPECT_GT(pos, 0.004);
    EXPECT_GT(pos, 3 * neg);
    EXPECT_GT(neg_without, 50);  // most negatives have (almost) no such pixels
  }
}

TEST(Synth, RegionsDifferInPalette) {
  // The source's ground is greener: mean of G - R over the tile is clearly larger.
  auto green = [](Region region) {
    double sum = 0;
    for (int64_t i = 0; i < 40; ++i) {
      const auto m = cv::mean(gan::data::synth_tile(options(64, region, 4), i, 0).image);
      sum += (m[1] - m[2]) / 40;
    }
    return sum;
  };
  EXPECT_GT(green(Region::source), green(Region::target) + 8);
}

TEST(Synth, LabelsHaveTheExactNumberOfPositives) {
  for (auto [count, ratio] : std::vector<std::pair<int64_t, double>>{
           {1000, 0.2}, {7, 0.5}, {10, 0.0}, {10, 1.0}, {0, 0.3}, {333, 0.1}}) {
    auto o = options();
    o.count = count;
    o.positive_ratio = ratio;
    const auto labels = gan::data::synth_labels(o);
    ASSERT_EQ(int64_t(labels.size()), count);
    const auto expected = std::llround(double(count) * ratio);
    EXPECT_EQ(std::accumulate(labels.begin(), labels.end(), int64_t(0)), expected)
        << count << " x " << ratio;
    for (int l : labels) EXPECT_TRUE(l == 0 || l == 1);
  }
}

TEST(Synth, LabelsAreShuffledDeterministicallyBySeed) {
  auto o = options();
  o.count = 200;
  o.positive_ratio = 0.25;
  const auto a = gan::data::synth_labels(o);
  EXPECT_EQ(a, gan::data::synth_labels(o));
  // Shuffled: not all positives at the front.
  EXPECT_NE(std::accumulate(a.begin(), a.begin() + 50, 0), 50);
  o.seed = 2;
  EXPECT_NE(a, gan::data::synth_labels(o));
}

TEST(Synth, BadOptionsThrowNamingTheValue) {
  auto expect_throw = [](const SynthOptions& o, const std::string& value) {
    try {
      (void)gan::data::synth_labels(o);
      ADD_FAILURE() << "no exception for " << value;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(value), std::string::npos) << e.what();
    }
    EXPECT_THROW((void)gan::data::synth_tile(o, 0, 0), std::invalid_argument);
    EXPECT_THROW((void)gan::data::write_synth_dataset(fresh_dir("never"), o),
                 std::invalid_argument);
  };
  auto o = options();
  o.size = 31;
  expect_throw(o, "31");
  o = options();
  o.positive_ratio = 1.5;
  expect_throw(o, "1.5");
  o.positive_ratio = -0.25;
  expect_throw(o, "-0.25");
  o.positive_ratio = std::nan("");
  expect_throw(o, "nan");
  o = options();
  o.count = -3;
  expect_throw(o, "-3");
  EXPECT_FALSE(std::filesystem::exists(fresh_dir("never")));

  try {
    (void)gan::data::synth_tile(options(), 0, 2);
    ADD_FAILURE() << "no exception for label 2";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("2"), std::string::npos);
  }
  EXPECT_THROW((void)gan::data::synth_tile(options(), -1, 0), std::invalid_argument);
}

TEST(Synth, WritesTheDatasetAndItReadsBack) {
  const auto dir = fresh_dir("write");
  auto o = options(32, Region::target, 9);
  o.count = 15;
  o.positive_ratio = 0.4;
  const int64_t positives = gan::data::write_synth_dataset(dir, o);
  EXPECT_EQ(positives, 6);

  int64_t pngs = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir / "images"))
    pngs += e.path().extension() == ".png";
  EXPECT_EQ(pngs, o.count);

  std::ifstream csv(dir / "labels.csv");
  ASSERT_TRUE(csv.good());
  std::vector<std::string> lines;
  for (std::string line; std::getline(csv, line);) lines.push_back(line);
  ASSERT_EQ(int64_t(lines.size()), o.count + 1);
  EXPECT_EQ(lines[0], "filename,label");

  const auto labels = gan::data::synth_labels(o);
  int64_t sum = 0;
  for (int64_t i = 0; i < o.count; ++i) {
    const auto& line = lines[std::size_t(i + 1)];
    const auto comma = line.find(',');
    ASSERT_NE(comma, std::string::npos) << line;
    const std::string name = line.substr(0, comma);
    const int label = std::stoi(line.substr(comma + 1));
    char expected[32];
    std::snprintf(expected, sizeof expected, "images/%06d.png", int(i));
    EXPECT_EQ(name, expected);
    EXPECT_EQ(label, labels[std::size_t(i)]);
    sum += label;
    // PNG is lossless: the file holds exactly the tile.
    const cv::Mat read = cv::imread((dir / name).string(), cv::IMREAD_COLOR);
    ASSERT_FALSE(read.empty()) << name;
    EXPECT_TRUE(same(read, gan::data::synth_tile(o, i, label).image)) << name;
  }
  EXPECT_EQ(sum, positives);
  std::filesystem::remove_all(dir);
}

TEST(Synth, WriteFailureNamesThePath) {
  const auto dir = fresh_dir("blocked");
  std::filesystem::create_directories(dir);
  const auto file = dir / "a_file";
  std::ofstream(file) << "not a folder";
  auto o = options(32);
  o.count = 2;
  try {
    (void)gan::data::write_synth_dataset(file / "set", o);
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find((file / "set").string()), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}
