// Data: the labels CSV, image decoding of every supported kind, the image folder with its
// cache and its errors, and the loader.
#include <gan/data/csv.hpp>
#include <gan/data/image_folder.hpp>
#include <gan/data/loader.hpp>
#include <gan/data/oversample.hpp>
#include <gan/data/split_file.hpp>
#include <gan/data/synth.hpp>
#include <gan/data/toy.hpp>
#include <gan/experiment/oversampling.hpp>
#include <gan/io/features_file.hpp>
#include <gan/train/classifier.hpp>
#include <gan/image/grid.hpp>
#include <gan/metrics/fid.hpp>
#include <gan/nn/vgg.hpp>
#include <gan/image/read.hpp>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include "common/errors.hpp"

#include <filesystem>
#include <fstream>
#include <map>

namespace {

namespace fs = std::filesystem;
using gan::data::DataError;
using gan::test::contains;
using gan::test::error_of;

fs::path fresh_dir(const std::string& name) {
  auto d = fs::temp_directory_path() / ("gan_data_test_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

void write_text(const fs::path& p, const std::string& s) { std::ofstream(p) << s; }

// --- CSV -------------------------------------------------------------------------------

TEST(LabelsCsv, HeaderIsOptionalAndColumnsCanBeChosen) {
  auto d = fresh_dir("csv");
  write_text(d / "a.csv", "filename,label\n1.png,0\n\n\"b,2.png\",1\r\n");
  auto rows = gan::data::read_labels_csv(d / "a.csv");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].filename, "b,2.png");
  EXPECT_EQ(rows[1].label, 1);
  EXPECT_EQ(rows[1].line, 4);
  write_text(d / "b.csv", "x.png,3\ny.png,2\n");
  rows = gan::data::read_labels_csv(d / "b.csv");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].label, 3);
  write_text(d / "c.csv", "id,cluster,file\n7,2,p.png\n");
  rows = gan::data::read_labels_csv(d / "c.csv", {"file", "cluster"});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].filename, "p.png");
  EXPECT_EQ(rows[0].label, 2);
  rows = gan::data::read_labels_csv(d / "c.csv", {"2", "0"});
  EXPECT_EQ(rows[0].label, 7);
}

TEST(LabelsCsv, BadRowsNameTheFileAndLine) {
  auto d = fresh_dir("csvbad");
  write_text(d / "few.csv", "filename,label\na.png,0\nb.png\n");
  EXPECT_TRUE(contains(error_of<DataError>([&] { gan::data::read_labels_csv(d / "few.csv"); }),
                       "few.csv:3: expected at least 2 columns, got 1"));
  write_text(d / "nan.csv", "a.png,0\nb.png,one\n");
  EXPECT_TRUE(contains(error_of<DataError>([&] { gan::data::read_labels_csv(d / "nan.csv"); }),
                       "nan.csv:2: label 'one' is not an integer"));
  write_text(d / "float.csv", "a.png,0\nb.png,1.5\n");
  EXPECT_TRUE(contains(error_of<DataError>([&] { gan::data::read_labels_csv(d / "float.csv"); }), "float.csv:2"));
  write_text(d / "empty.csv", "filename,label\n");
  EXPECT_TRUE(contains(error_of<DataError>([&] { gan::data::read_labels_csv(d / "empty.csv"); }), "no usable rows"));
  EXPECT_TRUE(contains(error_of<DataError>([&] { gan::data::read_labels_csv(d / "missing.csv"); }), "missing.csv"));
  write_text(d / "named.csv", "a,b\nx.png,1\n");
  EXPECT_TRUE(contains(error_of<DataError>([&] { gan::data::read_labels_csv(d / "named.csv", {"file", "b"}); }),
                       "no column named 'file'"));
  std::vector<DataError> bad;
  auto rows = gan::data::read_labels_csv(d / "few.csv", {}, &bad);
  EXPECT_EQ(rows.size(), 1u);
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(bad[0].line(), 3);
}

// --- images ------------------------------------------------------------------------------

TEST(ImageReader, EveryKindBecomesRgbAtTheRequestedSize) {
  auto d = fresh_dir("img");
  cv::Mat bgr(20, 30, CV_8UC3, cv::Scalar(10, 20, 200));  // B, G, R
  cv::imwrite((d / "a.png").string(), bgr);
  cv::imwrite((d / "a.jpg").string(), bgr);
  cv::imwrite((d / "a.tif").string(), bgr);
  cv::Mat grey16(20, 30, CV_16UC1, cv::Scalar(257 * 100));
  cv::imwrite((d / "g16.png").string(), grey16);
  cv::imwrite((d / "g16.tif").string(), grey16);
  cv::Mat rgba(20, 30, CV_8UC4, cv::Scalar(10, 20, 200, 128));
  cv::imwrite((d / "rgba.png").string(), rgba);
  for (const auto* f : {"a.png", "a.jpg", "a.tif", "rgba.png"}) {
    auto m = gan::image::read_image_rgb(d / f, 8);
    ASSERT_EQ(m.type(), CV_8UC3) << f;
    ASSERT_EQ(m.rows, 8);
    const auto px = m.at<cv::Vec3b>(4, 4);
    EXPECT_NEAR(px[0], 200, 3) << f;  // R first
    EXPECT_NEAR(px[2], 10, 3) << f;
  }
  for (const auto* f : {"g16.png", "g16.tif"}) {
    auto m = gan::image::read_image_rgb(d / f, 40);
    EXPECT_EQ(m.cols, 40);
    EXPECT_EQ(m.at<cv::Vec3b>(5, 5), cv::Vec3b(100, 100, 100)) << f;
  }
  // Area interpolation when shrinking: a 2×2 checker of 0/200 averages to 100.
  cv::Mat checker(4, 4, CV_8UC3);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 4; ++x) checker.at<cv::Vec3b>(y, x) = cv::Vec3b::all((x + y) % 2 ? 200 : 0);
  cv::imwrite((d / "checker.png").string(), checker);
  EXPECT_EQ(gan::image::read_image_rgb(d / "checker.png", 2).at<cv::Vec3b>(0, 0), cv::Vec3b(100, 100, 100));
  write_text(d / "corrupt.png", "this is not a png");
  EXPECT_TRUE(contains(error_of<DataError>([&] { gan::image::read_image_rgb(d / "corrupt.png", 8); }), "corrupt.png: cannot decode"));
  EXPECT_TRUE(contains(error_of<DataError>([&] { gan::image::read_image_rgb(d / "none.png", 8); }), "none.png: image file not found"));
}

// --- image folder and cache ------------------------------------------------------------

fs::path make_folder(const std::string& name, int n) {
  auto d = fresh_dir(name);
  fs::create_directories(d / "images");
  std::string csv = "filename,label\n";
  for (int i = 0; i < n; ++i) {
    cv::Mat m(12, 12, CV_8UC3, cv::Scalar(i * 10, 50, 255 - i * 10));
    cv::imwrite((d / "images" / (std::to_string(i) + ".png")).string(), m);
    csv += "images/" + std::to_string(i) + ".png," + std::to_string(i % 3) + "\n";
  }
  write_text(d / "labels.csv", csv);
  return d;
}

gan::data::ImageFolderOptions folder_options(const fs::path& d) {
  gan::data::ImageFolderOptions o;
  o.data_dir = d;
  o.labels = d / "labels.csv";
  o.image_size = 8;
  o.cache_dir = d / "cache";
  return o;
}

TEST(ImageFolder, DecodesScalesAndCaches) {
  auto d = make_folder("folder", 7);
  auto first = gan::data::load_image_folder(folder_options(d));
  EXPECT_EQ(first.images.sizes(), (std::vector<int64_t>{7, 3, 8, 8}));
  EXPECT_EQ(first.images.scalar_type(), at::kByte);
  EXPECT_EQ(first.num_classes, 3);
  EXPECT_EQ(first.decoded, 7);
  EXPECT_EQ(first.labels[4].item<int64_t>(), 1);
  EXPECT_EQ(first.images[2][0][0][0].item<uint8_t>(), 255 - 20);  // R of image 2
  EXPECT_EQ(first.images[2][2][0][0].item<uint8_t>(), 20);        // B
  auto f = first.images_float();
  EXPECT_NEAR(f[2][0][0][0].item<float>(), (235 / 127.5) - 1, 1e-6);
  EXPECT_TRUE(fs::exists(first.cache_file));
  // A second run decodes nothing and gives the same set.
  auto second = gan::data::load_image_folder(folder_options(d));
  EXPECT_EQ(second.decoded, 0);
  EXPECT_TRUE(at::equal(first.images, second.images));
  EXPECT_TRUE(at::equal(first.labels, second.labels));
  EXPECT_EQ(first.filenames, second.filenames);
  // A changed image file invalidates the cache.
  cv::imwrite((d / "images" / "3.png").string(), cv::Mat(12, 12, CV_8UC3, cv::Scalar(0, 0, 0)));
  fs::last_write_time(d / "images" / "3.png", fs::last_write_time(d / "images" / "3.png") + std::chrono::seconds(5));
  auto third = gan::data::load_image_folder(folder_options(d));
  EXPECT_EQ(third.decoded, 7);
  EXPECT_EQ(third.images[3].max().item<uint8_t>(), 0);
}

TEST(ImageFolder, BadInputNamesTheFileAndLine) {
  auto d = make_folder("folderbad", 4);
  auto o = folder_options(d);
  o.cache_dir.clear();
  fs::remove(d / "images" / "2.png");
  EXPECT_TRUE(contains(error_of<DataError>([&] { gan::data::load_image_folder(o); }), "labels.csv:4: "));
  EXPECT_TRUE(contains(error_of<DataError>([&] { gan::data::load_image_folder(o); }), "2.png: image file not found"));
  write_text(d / "images" / "2.png", "garbage");
  EXPECT_TRUE(contains(error_of<DataError>([&] { gan::data::load_image_folder(o); }), "cannot decode"));
  o.num_classes = 2;  // label 2 on line 4 is out of range
  EXPECT_TRUE(contains(error_of<DataError>([&] { gan::data::load_image_folder(o); }), "labels.csv:4: label 2 is out of range [0, 2)"));
  write_text(d / "neg.csv", "images/0.png,-1\n");
  o.labels = d / "neg.csv";
  o.num_classes = 0;
  EXPECT_TRUE(contains(error_of<DataError>([&] { gan::data::load_image_folder(o); }), "neg.csv:1: label -1 is out of range"));
  write_text(d / "gap.csv", "images/0.png,0\nimages/1.png,2\n");  // 2 distinct labels: 2 is out
  o.labels = d / "gap.csv";
  EXPECT_TRUE(contains(error_of<DataError>([&] { gan::data::load_image_folder(o); }), "number of distinct labels"));
}

TEST(ImageFolder, SkipModeCountsAndReportsBadRows) {
  auto d = make_folder("folderskip", 6);
  write_text(d / "images" / "1.png", "garbage");
  fs::remove(d / "images" / "4.png");
  std::ofstream(d / "labels.csv", std::ios::app) << "images/5.png\nimages/5.png,x\n";
  auto o = folder_options(d);
  o.on_bad = gan::data::OnBad::skip;
  auto data = gan::data::load_image_folder(o);
  EXPECT_EQ(data.images.size(0), 4);
  ASSERT_EQ(data.skipped.size(), 4u);
  EXPECT_TRUE(contains(data.skipped[0], "labels.csv:8"));
  EXPECT_EQ(data.filenames, (std::vector<std::string>{"images/0.png", "images/2.png", "images/3.png", "images/5.png"}));
  // Nothing usable is an error even in skip mode.
  write_text(d / "none.csv", "images/404.png,0\n");
  o.labels = d / "none.csv";
  EXPECT_TRUE(contains(error_of<DataError>([&] { gan::data::load_image_folder(o); }), "the dataset is empty"));
}

TEST(ImageFolder, AllDukeSolarTilesLoad) {
  const fs::path duke = fs::path(GAN_TEST_SHARED_DATA) / "duke-solar";
  if (!fs::exists(duke / "labels.csv")) GTEST_SKIP() << duke.string() << " is absent";
  gan::data::ImageFolderOptions o;
  o.data_dir = duke / "images";
  o.labels = duke / "labels.csv";
  o.image_size = 32;
  auto data = gan::data::load_image_folder(o);
  EXPECT_EQ(data.images.size(0), 1500);
  EXPECT_EQ(data.labels.sum().item<int64_t>(), 505);
  EXPECT_EQ(data.num_classes, 2);
  EXPECT_TRUE(data.skipped.empty());
  // Real imagery: not constant, and not saturated.
  const double mean = data.images.to(at::kDouble).mean().item<double>();
  EXPECT_GT(mean, 40);
  EXPECT_LT(mean, 215);
}

// --- loader ------------------------------------------------------------------------------

TEST(Loader, ShufflesDeterministicallyAndDropsTheLast) {
  auto images = at::arange(10, at::kByte).view({10, 1, 1, 1}).expand({10, 3, 2, 2}).contiguous();
  auto labels = at::arange(10, at::kLong);
  gan::data::Loader a(images, labels, {.batch_size = 3, .seed = 5});
  EXPECT_EQ(a.batches_per_epoch(), 3);
  std::vector<int64_t> seen;
  a.for_each(0, [&](int64_t, gan::data::Batch& b) {
    EXPECT_EQ(b.images.size(0), 3);
    // Images still belong to their labels, scaled to [-1, 1].
    EXPECT_TRUE(at::allclose(b.images.select(1, 0).select(1, 0).select(1, 0),
                             b.labels.to(at::kFloat) / 127.5 - 1));
    for (int64_t i = 0; i < 3; ++i) seen.push_back(b.labels[i].item<int64_t>());
  });
  std::set<int64_t> distinct(seen.begin(), seen.end());
  EXPECT_EQ(distinct.size(), 9u);
  gan::data::Loader b(images, labels, {.batch_size = 3, .prefetch = false, .seed = 5});
  EXPECT_TRUE(at::equal(a.batch(1, 2).labels, b.batch(1, 2).labels));
  EXPECT_FALSE(at::equal(a.batch(0, 0).labels, a.batch(1, 0).labels) &&
               at::equal(a.batch(0, 1).labels, a.batch(1, 1).labels));
  gan::data::Loader keep(images, labels, {.batch_size = 3, .drop_last = false});
  EXPECT_EQ(keep.batches_per_epoch(), 4);
  EXPECT_EQ(keep.batch(0, 3).images.size(0), 1);
  EXPECT_THROW(gan::data::Loader(images, labels, {.batch_size = 11}), c10::ValueError);
  EXPECT_THROW(gan::data::Loader(images, labels.slice(0, 0, 9), {.batch_size = 2}), c10::ValueError);
}

TEST(Loader, AugmentationsAreFlipsAndRightAngleRotations) {
  auto img = at::arange(16, at::kByte).view({1, 1, 4, 4}).expand({64, 3, 4, 4}).contiguous();
  gan::data::Loader l(img, at::zeros({64}, at::kLong), {.batch_size = 64, .augment = true, .seed = 1});
  auto x = l.batch(0, 0).images;
  auto base = img[0].to(at::kFloat) / 127.5 - 1;
  std::vector<at::Tensor> d4;
  for (int k = 0; k < 4; ++k) {
    d4.push_back(at::rot90(base, k, {1, 2}));
    d4.push_back(at::flip(at::rot90(base, k, {1, 2}), {2}));
  }
  std::set<int> used;
  for (int64_t i = 0; i < 64; ++i) {
    int match = -1;
    for (int k = 0; k < 8; ++k)
      if (at::allclose(x[i], d4[k])) match = k;
    ASSERT_GE(match, 0) << "sample " << i << " is not a flip/rotation of the image";
    used.insert(match);
  }
  EXPECT_EQ(used.size(), 8u);  // all eight appear among 64 draws
}

TEST(Classifier, LearnsTheToyClassesAndReportsThem) {
  torch::manual_seed(0);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
  auto [x, y] = gan::data::quadrant_batch(256, 16, gen, 0.3);
  auto u8 = ((x + 1) * 127.5).round().clamp(0, 255).to(at::kByte);
  torch::nn::Sequential net(torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 8, 3).padding(1)),
                            torch::nn::ReLU(), torch::nn::AdaptiveAvgPool2d(2), torch::nn::Flatten(),
                            torch::nn::Linear(32, 4));
  auto o = gan::ClassifierOptions().epochs(15).batch_size(32).lr(1e-2).augment(false);
  std::vector<double> losses;
  gan::train_classifier(net, u8, y, o, [&](int64_t, double l) { losses.push_back(l); });
  ASSERT_EQ(losses.size(), 15u);
  EXPECT_LT(losses.back(), losses.front());
  auto [tx, ty] = gan::data::quadrant_batch(200, 16, gen, 0.3);
  auto m = gan::evaluate_classifier(net, ((tx + 1) * 127.5).round().clamp(0, 255).to(at::kByte), ty, 4, o);
  EXPECT_EQ(m.total(), 200);
  EXPECT_GE(gan::metrics::report(m).accuracy, 0.9);
}

TEST(Classifier, KeepsTheEpochWithTheBestValidationScore) {
  torch::manual_seed(1);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
  auto to_u8 = [](const at::Tensor& x) { return ((x + 1) * 127.5).round().clamp(0, 255).to(at::kByte); };
  auto [x, y] = gan::data::quadrant_batch(128, 16, gen, 0.6);
  auto [vx, vy] = gan::data::quadrant_batch(64, 16, gen, 0.6);
  torch::nn::Sequential net(torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 4, 3).padding(1)),
                            torch::nn::ReLU(), torch::nn::AdaptiveAvgPool2d(2), torch::nn::Flatten(),
                            torch::nn::Linear(16, 4));
  // A large learning rate makes the validation score jump from epoch to epoch.
  auto o = gan::ClassifierOptions().epochs(8).batch_size(16).lr(5e-2).augment(false);
  std::vector<double> scores;
  const auto best = gan::train_classifier_best(net, to_u8(x), y, to_u8(vx), vy, 4, o,
                                               [&](int64_t, double, double s) { scores.push_back(s); });
  ASSERT_EQ(scores.size(), 8u);
  const auto top = std::max_element(scores.begin(), scores.end());
  EXPECT_EQ(best, top - scores.begin());  // the first best epoch
  const double now = gan::metrics::report(gan::evaluate_classifier(net, to_u8(vx), vy, 4, o)).balanced_accuracy;
  EXPECT_DOUBLE_EQ(now, *top);  // the net holds that epoch's weights
  EXPECT_THROW(gan::train_classifier_best(net, to_u8(x), y, to_u8(vx).slice(0, 0, 0), vy.slice(0, 0, 0), 4, o),
               c10::ValueError);
}

// --- the classifier's feature space for Fréchet distances -----------------------------------

// Synthetic rooftop tiles [N, 3, 32, 32] uint8 RGB, indices from `first`, all of `label`.
at::Tensor rooftops(int64_t first, int64_t n, int label) {
  gan::data::SynthOptions o;
  o.size = 32;
  std::vector<at::Tensor> out;
  for (int64_t i = first; i < first + n; ++i) {
    cv::Mat rgb;
    cv::cvtColor(gan::data::synth_tile(o, i, label).image, rgb, cv::COLOR_BGR2RGB);
    out.push_back(at::from_blob(rgb.data, {32, 32, 3}, at::kByte).permute({2, 0, 1}).clone());
  }
  return at::stack(out);
}

// Smooth colour blobs around `tint` (a young GAN's look): images the classifier never saw.
at::Tensor blobs(int64_t n, const std::vector<float>& tint, uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  auto low = at::randn({n, 3, 4, 4}, gen, at::TensorOptions(at::kFloat)) * 0.35f;
  auto x = at::upsample_bilinear2d(low, {32, 32}, false) + at::tensor(tint).view({1, 3, 1, 1});
  return ((x.clamp(-1, 1) + 1) * 127.5).round().to(at::kByte);
}

TEST(Classifier, FidLayerKeepsOffDistributionSetsApartAndRanksRealSets) {
  // The demo's small VGG, trained from scratch on rooftops with and without panels.
  torch::manual_seed(2);
  auto x = at::cat({rooftops(0, 160, 0), rooftops(160, 160, 1)});
  auto y = at::cat({at::zeros({160}, at::kLong), at::ones({160}, at::kLong)});
  gan::nn::Vgg net(gan::nn::VggOptions(11).batch_norm(true).num_classes(2).width(0.25).hidden(32).pool(1));
  const auto o = gan::ClassifierOptions().epochs(4).batch_size(32).lr(1e-3).seed(1);
  gan::train_classifier(net, x, y, o);
  auto fd = [&](const at::Tensor& a, const at::Tensor& b, const std::string& layer) {
    auto features = [&](const at::Tensor& images) {
      std::vector<at::Tensor> rows;
      gan::for_each_eval_batch(net, images, o, [&](int64_t, const at::Tensor& in) {
        rows.push_back(net->layer_output(in, layer));
      });
      auto f = at::cat(rows).to(at::kDouble).contiguous();
      return Eigen::MatrixXd(Eigen::Map<const Eigen::Matrix<double, -1, -1, Eigen::RowMajor>>(
          f.data_ptr<double>(), f.size(0), f.size(1)));
    };
    return gan::metrics::frechet_distance(gan::metrics::gaussian_stats(features(a)),
                                          gan::metrics::gaussian_stats(features(b)));
  };
  const std::string layer = net->fid_layer();
  EXPECT_EQ(layer, "features.26:mean");  // VGG11 with batch norm: the last BN, before its ReLU
  const auto pos_a = rooftops(1000, 100, 1), pos_b = rooftops(1100, 100, 1), neg = rooftops(1200, 100, 0);
  const auto shifted = (pos_a.to(at::kInt) + 60).clamp(0, 255).to(at::kByte);
  const double same = fd(pos_a, pos_b, layer);
  EXPECT_LT(same, fd(pos_a, shifted, layer)) << "a brightness shift must be further than another draw";
  EXPECT_LT(same, fd(pos_a, neg, layer)) << "the other class must be further than another draw";
  // Two kinds of off-distribution images (green and red blobs) stay apart: their distance is
  // well above the distance between two draws of one kind.
  const auto green_a = blobs(100, {-0.3f, 0.1f, -0.4f}, 1), green_b = blobs(100, {-0.3f, 0.1f, -0.4f}, 2);
  const auto red = blobs(100, {0.2f, -0.4f, -0.4f}, 3);
  const double within = fd(green_a, green_b, layer), between = fd(green_a, red, layer);
  EXPECT_GT(between, 4 * within) << "within " << within << ", between " << between;
  EXPECT_GT(between, 1e-3 * fd(pos_a, neg, layer)) << "off-distribution features collapsed";
}

TEST(SplitFile, StratifiedOnceRoundTripsAndNamesBadRows) {
  const auto dir = fs::temp_directory_path() / "gan_split_file_test";
  fs::remove_all(dir);
  std::vector<gan::data::LabelRow> rows;
  for (int i = 0; i < 50; ++i) rows.push_back({"t" + std::to_string(i) + ".png", i % 5 == 0 ? 1 : 0, i + 1});
  const auto split = gan::data::make_split(rows, {0.7, 0.2, 0.1}, 3);
  std::map<std::string, std::pair<int, int>> count;  // part -> (rows, positives)
  for (size_t i = 0; i < split.size(); ++i) {
    EXPECT_EQ(split[i].filename, rows[i].filename);
    count[split[i].part].first++;
    count[split[i].part].second += split[i].label;
  }
  // 10 positives and 40 negatives: 7/2/1 and 28/8/4.
  EXPECT_EQ(count["train"], std::make_pair(35, 7));
  EXPECT_EQ(count["val"], std::make_pair(10, 2));
  EXPECT_EQ(count["test"], std::make_pair(5, 1));
  gan::data::write_split_csv(dir / "split.csv", split);
  const auto back = gan::data::read_split_csv(dir / "split.csv");
  ASSERT_EQ(back.size(), split.size());
  for (size_t i = 0; i < back.size(); ++i)
    EXPECT_TRUE(back[i].filename == split[i].filename && back[i].label == split[i].label && back[i].part == split[i].part);
  gan::data::write_part_csv(dir / "train.csv", split, "train");
  EXPECT_EQ(gan::data::read_labels_csv(dir / "train.csv").size(), 35u);
  auto error = [&](const std::string& text) {
    std::ofstream(dir / "bad.csv") << text;
    return error_of<DataError>([&] { gan::data::read_split_csv(dir / "bad.csv"); });
  };
  EXPECT_NE(error("filename,label,part\na.png,0,train\nb.png,1,holdout\n").find("bad.csv:3: part 'holdout' is not train, val or test"), std::string::npos);
  EXPECT_NE(error("filename,label,part\na.png,0,train\na.png,0,test\n").find("bad.csv:3: 'a.png' is listed twice"), std::string::npos);
  EXPECT_NE(error("filename,label\na.png,0\n").find("no 'part' column"), std::string::npos);
  fs::remove_all(dir);
}

TEST(Experiment, ArmsShareTheSplitAndSeedsAndTheTablesRoundTrip) {
  namespace ex = gan::experiment;
  const ex::LabelledSet source{at::cat({rooftops(0, 48, 0), rooftops(48, 12, 1)}),
                               at::cat({at::zeros({48}, at::kLong), at::ones({12}, at::kLong)})};
  ex::ExperimentOptions o;
  o.seeds = 2;
  o.first_seed = 4;
  o.classifier = gan::ClassifierOptions().epochs(1).batch_size(16).lr(1e-3);
  o.make_classifier = [] { return gan::nn::Vgg(gan::nn::VggOptions(11).num_classes(2).width(0.125).hidden(8).pool(1)); };
  // A user's arm: the training part as it is, under another name. It must see what the
  // baseline sees and, on the same seed, train the same classifier.
  std::vector<int64_t> needed, train_sizes;
  ex::Arm mine{"mine", [&](const ex::ArmInput& in) {
                 needed.push_back(in.needed);
                 train_sizes.push_back(in.train.size());
                 EXPECT_EQ(in.positives.size(0), in.train.labels.eq(1).sum().item<int64_t>());
                 return ex::ArmOutput{in.train, 0, {}};
               }};
  const auto runs = ex::run_oversampling(source, {ex::baseline_arm(), mine, ex::duplicate_arm()}, {}, o);
  ASSERT_EQ(runs.size(), 2u * 3u * 2u);  // seeds x arms x (val, source-test)
  // The one split (stratified 70/20/10, split seed 0, as gan::data::stratified_split makes
  // it) for both seeds, and the positives that bring its training part to a share of 0.35.
  std::vector<int64_t> labels(48, 0);
  labels.resize(60, 1);
  const auto parts = gan::data::stratified_split(labels, {0.7, 0.2, 0.1}, 0);
  int64_t train_pos = 0;
  for (auto i : parts[0]) train_pos += labels[size_t(i)];
  const int64_t n_train = int64_t(parts[0].size()), k = gan::data::extra_needed(n_train, train_pos, 0.35);
  EXPECT_EQ(needed, (std::vector<int64_t>{k, k}));
  EXPECT_EQ(train_sizes, (std::vector<int64_t>{n_train, n_train}));
  EXPECT_GT(k, 0);
  for (size_t i = 0; i < runs.size(); ++i) {
    const auto& r = runs[i];
    if (r.arm != "mine") continue;
    const auto& b = runs[i - 2];  // the baseline's run of the same seed and set
    ASSERT_TRUE(b.arm == "baseline" && b.set == r.set && b.seed == r.seed);
    EXPECT_EQ(b.m.counts, r.m.counts) << "seed " << r.seed << " " << r.set;
  }
  for (const auto& r : runs)
    if (r.arm == "duplicate") EXPECT_TRUE(r.n_added == k && r.n_train == n_train + k && r.train_share >= 0.35);
  // The tables: one struct each, written and read back.
  const auto dir = fs::temp_directory_path() / "gan_experiment_test";
  fs::remove_all(dir);
  const auto summary = ex::summarise(runs);
  ASSERT_EQ(summary.rows.size(), 3u * 2u);
  EXPECT_TRUE(summary.rows[0].arm == "baseline" && summary.rows[0].set == "val" && summary.rows[0].seeds == 2);
  summary.write(dir / "summary.csv");
  const auto back = ex::Summary::read(dir / "summary.csv");
  ASSERT_EQ(back.rows.size(), summary.rows.size());
  for (size_t i = 0; i < back.rows.size(); ++i)
    for (const auto& m : ex::metric_names())
      EXPECT_NEAR(back.rows[i].metrics.at(m).mean, summary.rows[i].metrics.at(m).mean, 1e-5);
  ex::confusion(runs).write(dir / "confusion.csv");
  int64_t total = 0;
  for (const auto& row : ex::ConfusionTable::read(dir / "confusion.csv").rows)
    if (row.arm == "baseline" && row.set == "source-test") total = row.tn + row.fp + row.fn + row.tp;
  EXPECT_EQ(total, 2 * int64_t(parts[2].size()));  // two seeds of the test part
  std::ofstream(dir / "bad.csv") << "arm,set\nbaseline,val\n";
  EXPECT_THROW(ex::Summary::read(dir / "bad.csv"), gan::data::DataError);
  fs::remove_all(dir);
}

TEST(FeaturesFile, RoundTripAndErrors) {
  auto d = fresh_dir("features");
  gan::io::Features f{torch::randn({3, 5}), torch::tensor({0, 1, 1}), {"a.png", "b c.png", "d.tif"}, "features"};
  gan::io::save_features(d / "f.pt", f);
  auto g = gan::io::load_features(d / "f.pt");
  EXPECT_TRUE(at::equal(f.values, g.values));
  EXPECT_TRUE(at::equal(f.labels, g.labels));
  EXPECT_EQ(f.filenames, g.filenames);
  EXPECT_EQ(g.layer, "features");
  f.filenames.pop_back();
  EXPECT_THROW(gan::io::save_features(d / "bad.pt", f), std::invalid_argument);
  write_text(d / "junk.pt", "junk");
  EXPECT_THROW(gan::io::load_features(d / "junk.pt"), std::invalid_argument);
  EXPECT_THROW(gan::io::load_features(d / "none.pt"), std::invalid_argument);
}

TEST(Grid, TilesRowMajorWithPadding) {
  auto images = at::stack({at::zeros({1, 2, 2}), at::ones({1, 2, 2}) * 0.5, at::ones({1, 2, 2}) * -0.5});
  auto g = gan::image::make_grid(images, 2, 1, 1.0);
  EXPECT_EQ(g.sizes(), (std::vector<int64_t>{1, 7, 7}));
  EXPECT_EQ(g[0][1][4].item<float>(), 0.5f);   // second image, first row
  EXPECT_EQ(g[0][4][1].item<float>(), -0.5f);  // third image, second row
  EXPECT_EQ(g[0][4][4].item<float>(), 1.0f);   // the empty cell is padding
  EXPECT_EQ(g[0][0][0].item<float>(), 1.0f);
}

}  // namespace
