// The method as library calls: the INI reader, the CSV tables, a classifier on disk, the sets
// of a distance and their feature cache, the positive clusters, the clustering step. Each is
// checked against a hand computation or a direct call of what it composes.
#include "common/errors.hpp"
#include "common/temp_dir.hpp"

#include <gan/cluster/method.hpp>
#include <gan/data/split_file.hpp>
#include <gan/experiment/positive_clusters.hpp>
#include <gan/io/ini.hpp>
#include <gan/io/table.hpp>
#include <gan/metrics/image_sets.hpp>
#include <gan/train/classifier.hpp>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include <fstream>

namespace fs = std::filesystem;

namespace {
using gan::test::error_of;
void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}
}  // namespace

TEST(Ini, SectionsEntriesAndErrorsWithLines) {
  const auto ini = gan::io::parse_ini("top = 1\n# c\n[a]\nmodel_name = x  # note\n\n[b.c]\nk=v=w\n", "f.ini");
  EXPECT_EQ(ini.get("", "top"), "1");
  EXPECT_EQ(ini.get("a", "model-name"), "x");  // '_' read as '-', the comment cut
  EXPECT_EQ(ini.get("b.c", "k"), "v=w");
  EXPECT_EQ(ini.where("a", "model-name"), "f.ini:4");
  EXPECT_EQ(ini.get("a", "missing", "fallback"), "fallback");
  EXPECT_EQ(error_of([] { gan::io::parse_ini("[a]\nk = 1\nk = 2\n", "f.ini"); }), "f.ini:3: 'k' is already set in [a] at line 2");
  EXPECT_EQ(error_of([] { gan::io::parse_ini("[a\n", "f.ini"); }), "f.ini:1: bad section header '[a'");
  EXPECT_EQ(error_of([] { gan::io::parse_ini("[a]\nnovalue\n", "f.ini"); }), "f.ini:2: expected 'key = value', got 'novalue'");
  EXPECT_EQ(error_of([] { gan::io::read_ini("/nonexistent/x.ini"); }), "/nonexistent/x.ini: does not exist");
  // A byte-order mark is not part of the first key; a folder is not an INI file.
  EXPECT_EQ(gan::io::parse_ini("\xEF\xBB\xBF" "a = 1\n", "f.ini").get("", "a"), "1");
  EXPECT_EQ(error_of([] { gan::io::read_ini("/"); }), "/: is a folder, not an INI file");
}

TEST(Table, RowsByColumnAndErrorsNamingFileAndLine) {
  gan::test::TempDir tmp;
  const auto f = tmp.path() / "t.csv";
  write(f, "a,b,c\n1,x,2.5\n\n3,,nan\n");
  const auto t = gan::io::read_table(f, {"a", "c"});
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0].integer("a"), 1);
  EXPECT_EQ(t.rows[0]["b"], "x");
  EXPECT_DOUBLE_EQ(t.rows[0].number("c"), 2.5);
  EXPECT_TRUE(std::isnan(t.rows[1].number("c")));
  EXPECT_EQ(t.rows[1].number_or("b", -1), -1);
  EXPECT_EQ(t.rows[1].line, 4);
  EXPECT_EQ(error_of([&] { t.rows[0].number("b"); }), f.string() + ":2: column 'b': 'x' is not a number");
  EXPECT_EQ(error_of([&] { gan::io::read_table(f, {"d"}); }), f.string() + ":1: no column 'd'");
  write(f, "a,b\n1\n");
  EXPECT_EQ(error_of([&] { gan::io::read_table(f); }), f.string() + ":2: 1 fields, the header has 2");
}

TEST(ClassifierFile, SavedAndLoadedGivesTheSameOutputsAndBadFilesAreNamed) {
  gan::test::TempDir tmp;
  torch::manual_seed(3);
  const gan::nn::VggOptions shape = gan::nn::VggOptions(11).batch_norm(true).width(0.125).hidden(16).pool(1);
  auto net = gan::make_vgg_classifier(shape, 3);
  EXPECT_EQ(net->options.num_classes(), 3);
  // A few train steps so that the BN running statistics are not their initial values.
  net->train();
  for (int i = 0; i < 2; ++i) net->forward(torch::randn({4, 3, 32, 32}));
  net->eval();
  gan::save_classifier(tmp.path(), net, {shape, 32, true});
  const auto x = torch::randn({5, 3, 32, 32});
  auto loaded = gan::load_classifier(tmp.path());
  EXPECT_EQ(loaded.shape.image_size, 32);
  EXPECT_TRUE(loaded.shape.imagenet_normalize);
  EXPECT_TRUE(loaded.options.imagenet_normalize());
  EXPECT_EQ(loaded.shape.vgg.num_classes(), 3);
  EXPECT_DOUBLE_EQ(loaded.shape.vgg.width(), 0.125);
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(net->forward(x), loaded.net->forward(x)));
  // A corrupt shape file names itself and the line; weights of another shape name the weights.
  write(tmp.path() / "classifier.ini", "img-size = 32\ndepth = eleven\n");
  EXPECT_EQ(error_of([&] { gan::load_classifier(tmp.path()); }),
            (tmp.path() / "classifier.ini").string() + ":2: depth = 'eleven' is not a number");
  write(tmp.path() / "classifier.ini", "img-size = 32\ndepth = 11\nwidth = 0.25\nhidden = 16\npool = 1\nclasses = 3\nbatch-norm = 1\n");
  EXPECT_NE(error_of([&] { gan::load_classifier(tmp.path()); }).find((tmp.path() / "classifier.pt").string() + ": cannot load"), std::string::npos);
  fs::remove(tmp.path() / "classifier.pt");
  EXPECT_NE(error_of([&] { gan::load_classifier(tmp.path()); }).find("classifier.pt: not found"), std::string::npos);
}

TEST(ClassifierFile, MetricsTableRoundTrips) {
  gan::test::TempDir tmp;
  gan::ClassifierMetrics m;
  m.rows.push_back({"val", {0.9, 0.5, 0.25, 1.0 / 3, 0.6, 12}});
  m.write(tmp.path() / "metrics.csv");
  const auto back = gan::ClassifierMetrics::read(tmp.path() / "metrics.csv");
  ASSERT_EQ(back.rows.size(), 1u);
  EXPECT_EQ(back.rows[0].split, "val");
  EXPECT_NEAR(back.rows[0].report.f1, 1.0 / 3, 1e-4);  // written with 4 decimals
  EXPECT_EQ(back.rows[0].report.support, 12);
}

TEST(ImageSets, SidesDrawsPerClusterAndTheCache) {
  gan::test::TempDir tmp;
  const auto d = tmp.path();
  std::string csv = "filename,label\n";
  fs::create_directories(d / "img");
  for (int i = 0; i < 6; ++i) {
    cv::Mat m(8 + (i % 2) * 8, 8 + (i % 2) * 8, CV_8UC3, cv::Scalar(10 * i, 20, 30));
    cv::imwrite((d / "img" / ("t" + std::to_string(i) + ".png")).string(), m);
    csv += "img/t" + std::to_string(i) + ".png," + std::to_string(i % 2) + "\n";
  }
  write(d / "labels.csv", csv);
  const auto folder = gan::metrics::list_image_set((d / "img").string());
  EXPECT_EQ(folder.size(), 6u);
  EXPECT_EQ(folder.labels, std::vector<int64_t>(6, -1));
  const auto ones = gan::metrics::list_image_set((d / "labels.csv").string(), "", 1);
  ASSERT_EQ(ones.size(), 3u);
  EXPECT_EQ(ones.names[0], "img/t1.png");
  EXPECT_EQ(ones.files[0], d / "img/t1.png");
  EXPECT_NE(error_of([&] { gan::metrics::list_image_set((d / "labels.csv").string(), "", 7, "REAL"); }).find("fewer than 2 images of class 7"),
            std::string::npos);

  // Draws: n of each side; per cluster, the real members of a cluster against the fakes of its label.
  const auto all = gan::metrics::list_image_set((d / "labels.csv").string());
  std::map<std::string, int64_t> cluster_of{{"img/t0.png", 0}, {"img/t2.png", 0}, {"img/t4.png", 0}, {"img/t1.png", 1}};
  std::vector<int64_t> skipped;
  const auto pairs = gan::metrics::draw_pairs(all, all, 4, cluster_of, [&](int64_t c) { skipped.push_back(c); });
  ASSERT_EQ(pairs.size(), 2u);
  EXPECT_EQ(pairs[0].cluster, "all");
  EXPECT_EQ(pairs[0].real.size(), 4u);
  EXPECT_EQ(pairs[1].cluster, "0");
  EXPECT_EQ(std::set<size_t>(pairs[1].real.begin(), pairs[1].real.end()), (std::set<size_t>{0, 2, 4}));
  EXPECT_EQ(std::set<size_t>(pairs[1].fake.begin(), pairs[1].fake.end()), (std::set<size_t>{0, 2, 4}));
  EXPECT_EQ(skipped, std::vector<int64_t>{1});  // one real member only
  EXPECT_THROW(gan::metrics::draw_pairs(all, folder, 0, cluster_of), std::invalid_argument);

  // Batches keep the files' order and split where the size changes; the resize makes one size.
  std::vector<int64_t> sizes;
  gan::metrics::for_each_image_batch(all.files, 0, 0, 8, [&](const at::Tensor& x) { sizes.push_back(x.size(0)); });
  EXPECT_EQ(sizes, std::vector<int64_t>(6, 1));
  sizes.clear();
  gan::metrics::for_each_image_batch(all.files, 0, 12, 4, [&](const at::Tensor& x) {
    sizes.push_back(x.size(0));
    EXPECT_EQ(x.size(2), 12);
  });
  EXPECT_EQ(sizes, (std::vector<int64_t>{4, 2}));

  // The cache: computed once, read back, computed again when a file changes.
  const gan::metrics::FeatureCache cache(d / "cache");
  int calls = 0;
  auto extract = [&](const std::vector<fs::path>& files) {
    ++calls;
    return at::arange(double(files.size())).view({-1, 1}).to(at::kFloat);
  };
  bool cached = true;
  const auto a = cache.features(all.files, "space", extract, &cached);
  EXPECT_FALSE(cached);
  const auto b = cache.features(all.files, "space", extract, &cached);
  EXPECT_TRUE(cached);
  EXPECT_TRUE(at::equal(a, b));
  cache.features(all.files, "another space", extract, &cached);
  EXPECT_FALSE(cached);
  cv::imwrite(all.files[0].string(), cv::Mat(3, 3, CV_8UC3, cv::Scalar(1, 2, 3)));
  cache.features(all.files, "space", extract, &cached);
  EXPECT_FALSE(cached);
  EXPECT_EQ(calls, 3);
}

TEST(ImageSets, DistanceTableRoundTripsWithClusterRows) {
  gan::test::TempDir tmp;
  gan::metrics::DistanceTable t;
  t.rows.push_back({"r.csv", "g", "classifier", 10, 12, 1.25, 0.5, 0.125, "all", 0.75, 0.5, 1.125, 0.625, 3});
  t.rows.push_back({"r.csv", "g", "classifier", 4, 5, 2.5, NAN, NAN, "3"});  // too few for the k-NN balls
  t.write(tmp.path() / "fid.csv");
  std::ifstream in(tmp.path() / "fid.csv");
  std::string header, first, second;
  std::getline(in, header), std::getline(in, first), std::getline(in, second);
  EXPECT_EQ(header, "real,fake,features,n_real,n_fake,fid,kid_mean,kid_std,cluster,precision,recall,density,coverage,k");
  EXPECT_EQ(first, "r.csv,g,classifier,10,12,1.25,0.5,0.125,all,0.75,0.5,1.125,0.625,3");
  EXPECT_EQ(second, "r.csv,g,classifier,4,5,2.5,,,3,,,,,0");
  const auto back = gan::metrics::DistanceTable::read(tmp.path() / "fid.csv");
  ASSERT_EQ(back.rows.size(), 2u);
  EXPECT_EQ(back.find("all")->n_fake, 12);
  EXPECT_DOUBLE_EQ(back.find("all")->coverage, 0.625);
  EXPECT_EQ(back.find("all")->k, 3);
  EXPECT_DOUBLE_EQ(back.find("3")->fid, 2.5);
  EXPECT_TRUE(std::isnan(back.find("3")->kid_mean));
  EXPECT_TRUE(std::isnan(back.find("3")->precision));
  EXPECT_EQ(back.find("7"), nullptr);
  // A table of an earlier version, without the sample-quality columns, still reads.
  std::ofstream(tmp.path() / "old.csv") << "real,fake,features,n_real,n_fake,fid,kid_mean,kid_std,cluster\n"
                                        << "r.csv,g,classifier,10,12,1.25,0.5,0.125,all\n";
  const auto old = gan::metrics::DistanceTable::read(tmp.path() / "old.csv");
  EXPECT_TRUE(std::isnan(old.rows.at(0).recall) && old.rows.at(0).k == 0);
}

TEST(PositiveClusters, MostlyPositiveClustersWithTheirCounts) {
  using R = gan::data::LabelRow;
  const std::vector<R> classes{{"a", 1}, {"b", 1}, {"c", 0}, {"d", 1}, {"e", 0}, {"f", 0}, {"g", 1}};
  // cluster 0: a, b, c (2 of 3 positive); 1: d, e, f (1 of 3); 2: g (1 of 1); "x" is not in classes.
  const std::vector<R> clusters{{"a", 0}, {"b", 0}, {"c", 0}, {"d", 1}, {"e", 1}, {"f", 1}, {"g", 2}, {"x", 1}};
  const auto p = gan::experiment::positive_clusters(classes, clusters);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].cluster, 0);
  EXPECT_EQ(p[0].positives, 2);
  EXPECT_EQ(p[1].cluster, 2);
  EXPECT_EQ(p[1].positives, 1);
  EXPECT_THROW(gan::experiment::positive_clusters(classes, {{"c", 0}, {"e", 0}}), std::runtime_error);
}

TEST(ClusterMethod, RepairOmitCrosstabAndTheTables) {
  // Clusters 0 and 1; cluster 0 holds 3 of class 0 and 1 of class 1 (share 0.25), cluster 1 only class 1.
  const gan::cluster::Labels labels{0, 0, 0, 0, 1, 1};
  const std::vector<int64_t> classes{0, 0, 1, 0, 1, 1};
  const auto t = gan::cluster::crosstab(labels, classes, 2);
  EXPECT_EQ(t.counts.at(0), (std::vector<int64_t>{3, 1}));
  EXPECT_EQ(t.counts.at(1), (std::vector<int64_t>{0, 2}));
  // Below the threshold nothing changes; at it cluster 0 splits into (0, class 0) and (0, class 1).
  EXPECT_EQ(gan::cluster::repair_by_class(labels, classes, 2, 0.3), labels);
  std::vector<std::array<int64_t, 3>> repaired;
  const auto r = gan::cluster::repair_by_class(labels, classes, 2, 0.25, &repaired);
  EXPECT_EQ(r, (gan::cluster::Labels{0, 0, 1, 0, 2, 2}));
  ASSERT_EQ(repaired.size(), 1u);
  EXPECT_EQ(repaired[0], (std::array<int64_t, 3>{0, 1, 4}));
  EXPECT_EQ(gan::cluster::omit_cluster(r, 1), (gan::cluster::Labels{0, 0, -1, 0, 1, 1}));
  EXPECT_THROW(gan::cluster::omit_cluster(r, 3), std::invalid_argument);

  EXPECT_EQ(gan::cluster::parse_method("average", "cosine").label(), "average/cosine");
  EXPECT_THROW(gan::cluster::parse_method("kmean"), std::invalid_argument);
  EXPECT_THROW(gan::cluster::parse_method("ward", "cosine"), std::invalid_argument);

  // The score row is the three scores of the labels; the tables read back what they wrote.
  gan::cluster::Features x(6, 2);
  x << 0, 0, 0, 1, 1, 0, 1, 1, 9, 9, 9, 8;
  const auto m = gan::cluster::parse_method("ward");
  const auto l = gan::cluster::cluster_with(x, m, 2);
  const auto s = gan::cluster::score(x, m, 2, l);
  EXPECT_DOUBLE_EQ(s.silhouette, gan::cluster::silhouette_score(x, l));
  EXPECT_DOUBLE_EQ(s.davies_bouldin, gan::cluster::davies_bouldin_score(x, l));
  EXPECT_TRUE(std::isnan(gan::cluster::score(x, m, 1, gan::cluster::Labels(6, 0)).silhouette));
  gan::test::TempDir tmp;
  gan::cluster::ScoreTable{{s}}.write(tmp.path() / "scores.csv");
  const auto back = gan::cluster::ScoreTable::read(tmp.path() / "scores.csv");
  ASSERT_EQ(back.rows.size(), 1u);
  EXPECT_EQ(back.rows[0].method, "ward");
  EXPECT_NEAR(back.rows[0].calinski_harabasz, s.calinski_harabasz, 1e-5 * s.calinski_harabasz);
  t.write(tmp.path() / "cc.csv");
  const auto cc = gan::cluster::ClusterClassTable::read(tmp.path() / "cc.csv");
  EXPECT_EQ(cc.classes, 2);
  EXPECT_EQ(cc.counts, t.counts);
}

TEST(SplitFile, PartsOfASetFromTheSplit) {
  gan::test::TempDir tmp;
  write(tmp.path() / "split.csv", "filename,label,part\na,0,train\nb,1,test\nc,0,val\nd,1,train\n");
  const auto parts = gan::data::parts_of(tmp.path() / "split.csv", {"d", "c", "a", "b"});
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0], (std::vector<int64_t>{0, 2}));
  EXPECT_EQ(parts[1], (std::vector<int64_t>{1}));
  EXPECT_EQ(parts[2], (std::vector<int64_t>{3}));
  EXPECT_NE(error_of([&] { gan::data::parts_of(tmp.path() / "split.csv", {"a", "zz"}); }).find("has no row for 'zz'"), std::string::npos);
}
