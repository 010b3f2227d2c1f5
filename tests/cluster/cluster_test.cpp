// Tests of gan::cluster against scikit-learn 1.2 / SciPy fixtures made by
// tests/fixtures/make_cluster_fixtures.py (text files: "rows cols" then the values).
#include <gan/cluster/hierarchical.hpp>
#include <gan/cluster/kmeans.hpp>
#include <gan/cluster/scores.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>


namespace {

using gan::cluster::Features;
using gan::cluster::Labels;

struct Table {
  long rows = 0, cols = 0;
  std::vector<double> v;
  double operator()(long r, long c) const { return v[r * cols + c]; }
};

Table read_table(const std::string& name) {
  const std::string path = std::string(GAN_TEST_FIXTURES) + "/cluster/" + name;
  std::ifstream f(path);
  if (!f) throw std::runtime_error("cannot open fixture " + path);
  Table t;
  f >> t.rows >> t.cols;
  t.v.resize(t.rows * t.cols);
  for (auto& x : t.v) f >> x;
  if (!f) throw std::runtime_error("short fixture " + path);
  return t;
}

Features read_features(const std::string& name) {
  const Table t = read_table(name);
  Features x(t.rows, t.cols);
  for (long i = 0; i < t.rows; ++i)
    for (long j = 0; j < t.cols; ++j) x(i, j) = static_cast<float>(t(i, j));
  return x;
}

Labels read_labels(const std::string& name) {
  const Table t = read_table(name);
  Labels l(t.rows);
  for (long i = 0; i < t.rows; ++i) l[i] = static_cast<int>(t(i, 0));
  return l;
}

void expect_rel(double got, double want, double rel) {
  EXPECT_LE(std::abs(got - want), rel * std::abs(want)) << "got " << got << " want " << want;
}

}  // namespace

TEST(KMeans, AgreesWithSklearnOnBlobs) {
  const Features x = read_features("blobs_x.txt");
  const Labels ref = read_labels("blobs_kmeans_labels.txt");
  const auto r = gan::cluster::kmeans(x, gan::cluster::KMeansOptions(5).seed(3));
  ASSERT_EQ(r.labels.size(), ref.size());
  EXPECT_EQ(r.centers.rows(), 5);
  EXPECT_EQ(r.centers.cols(), 16);
  EXPECT_GE(r.n_iter, 1);
  EXPECT_GE(gan::cluster::adjusted_rand_index(r.labels, ref), 0.99);
  // The inertia is the sum of squared distances to the returned centers.
  double inertia = 0;
  for (long i = 0; i < x.rows(); ++i)
    inertia += (x.row(i) - r.centers.row(r.labels[i])).cast<double>().squaredNorm();
  expect_rel(r.inertia, inertia, 1e-4);
}

TEST(KMeans, SameSeedSameResult) {
  const Features x = read_features("blobs_x.txt");
  const auto opts = gan::cluster::KMeansOptions(4).n_init(3).seed(11);
  const auto a = gan::cluster::kmeans(x, opts), b = gan::cluster::kmeans(x, opts);
  EXPECT_EQ(a.labels, b.labels);
  EXPECT_EQ(a.inertia, b.inertia);
}

TEST(KMeans, KEqualsNAndDuplicates) {
  Features x(4, 2);
  x << 0, 0, 0, 0, 1, 1, 5, 5;  // duplicate rows: a cluster may empty and is relocated
  const auto r = gan::cluster::kmeans(x, gan::cluster::KMeansOptions(3).n_init(2));
  EXPECT_NEAR(r.inertia, 0.0, 1e-9);
  const auto one = gan::cluster::kmeans(x, gan::cluster::KMeansOptions(1));
  for (int l : one.labels) EXPECT_EQ(l, 0);
}

TEST(KMeans, RejectsBadInput) {
  Features x = Features::Random(5, 3);
  EXPECT_THROW(gan::cluster::kmeans(x, gan::cluster::KMeansOptions(6)), std::invalid_argument);
  EXPECT_THROW(gan::cluster::kmeans(x, gan::cluster::KMeansOptions(0)), std::invalid_argument);
  EXPECT_THROW(gan::cluster::kmeans(Features(0, 3), gan::cluster::KMeansOptions(1)),
               std::invalid_argument);
  x(2, 1) = std::numeric_limits<float>::quiet_NaN();
  try {
    gan::cluster::kmeans(x, gan::cluster::KMeansOptions(2));
    FAIL() << "NaN accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("row 2"), std::string::npos) << e.what();
  }
  x(2, 1) = std::numeric_limits<float>::infinity();
  EXPECT_THROW(gan::cluster::kmeans(x, gan::cluster::KMeansOptions(2)), std::invalid_argument);
  try {
    gan::cluster::kmeans(Features::Random(5, 3), gan::cluster::KMeansOptions(6));
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("k = 6"), std::string::npos) << e.what();
  }
}

TEST(Hierarchical, WardAgreesWithSklearnOnBlobs) {
  const Features x = read_features("blobs_x.txt");
  const Labels ref = read_labels("blobs_ward_labels.txt");
  const auto r = gan::cluster::agglomerative(x, 5);
  EXPECT_GE(gan::cluster::adjusted_rand_index(r.labels, ref), 0.99);
  const auto rf = gan::cluster::agglomerative<float>(x, 5);
  EXPECT_GE(gan::cluster::adjusted_rand_index(rf.labels, ref), 0.99);
}

namespace {
void expect_linkage(gan::cluster::Linkage method, gan::cluster::Metric metric,
                    const std::string& file) {
  const Features x = read_features("small_x.txt");
  const Table ref = read_table(file);
  const auto z =
      gan::cluster::linkage(x, gan::cluster::HierarchicalOptions{}.linkage(method).metric(metric));
  ASSERT_EQ(z.rows(), ref.rows) << file;
  for (long i = 0; i < ref.rows; ++i) {
    EXPECT_NEAR(z(i, 2), ref(i, 2), 1e-9 * std::max(1.0, ref(i, 2))) << file << " row " << i;
    EXPECT_EQ(z(i, 3), ref(i, 3)) << file << " row " << i;
    EXPECT_EQ(z(i, 0), ref(i, 0)) << file << " row " << i;
    EXPECT_EQ(z(i, 1), ref(i, 1)) << file << " row " << i;
  }
}
}  // namespace

TEST(Hierarchical, HeightsEqualScipyEuclidean) {
  using gan::cluster::Linkage;
  using gan::cluster::Metric;
  expect_linkage(Linkage::ward, Metric::euclidean, "small_linkage_ward_euclidean.txt");
  expect_linkage(Linkage::complete, Metric::euclidean, "small_linkage_complete_euclidean.txt");
  expect_linkage(Linkage::average, Metric::euclidean, "small_linkage_average_euclidean.txt");
  expect_linkage(Linkage::single, Metric::euclidean, "small_linkage_single_euclidean.txt");
}

TEST(Hierarchical, HeightsEqualScipyCosine) {
  using gan::cluster::Linkage;
  using gan::cluster::Metric;
  expect_linkage(Linkage::complete, Metric::cosine, "small_linkage_complete_cosine.txt");
  expect_linkage(Linkage::average, Metric::cosine, "small_linkage_average_cosine.txt");
}

TEST(Hierarchical, CutEqualsFcluster) {
  const Features x = read_features("small_x.txt");
  for (const auto& [method, file] :
       {std::pair{gan::cluster::Linkage::ward, "small_fcluster_ward_4.txt"},
        std::pair{gan::cluster::Linkage::average, "small_fcluster_average_4.txt"}}) {
    const auto r =
        gan::cluster::agglomerative(x, 4, gan::cluster::HierarchicalOptions{}.linkage(method));
    EXPECT_DOUBLE_EQ(gan::cluster::adjusted_rand_index(r.labels, read_labels(file)), 1.0) << file;
  }
}

TEST(Hierarchical, RejectsBadInput) {
  const Features x = Features::Random(10, 3);
  EXPECT_THROW(gan::cluster::linkage(
                   x, gan::cluster::HierarchicalOptions{}.metric(gan::cluster::Metric::cosine)),
               std::invalid_argument);
  EXPECT_THROW(gan::cluster::linkage(Features(0, 2)), std::invalid_argument);
  EXPECT_THROW(gan::cluster::agglomerative(x, 11), std::invalid_argument);
  Features y = x;
  y(4, 0) = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW(gan::cluster::linkage(y), std::invalid_argument);
}

TEST(Scores, EqualSklearn) {
  const Features x = read_features("blobs_x.txt");
  const Table ref = read_table("blobs_scores.txt");
  Labels l = read_labels("blobs_kmeans_labels.txt");
  for (int row = 0; row < 2; ++row) {
    if (row == 1) l[0] = 5;  // a singleton cluster
    expect_rel(gan::cluster::silhouette_score<double>(x, l), ref(row, 0), 1e-6);
    expect_rel(gan::cluster::silhouette_score<double>(x, l, 37), ref(row, 0), 1e-6);
    expect_rel(gan::cluster::silhouette_score<float>(x, l), ref(row, 0), 1e-5);
    expect_rel(gan::cluster::calinski_harabasz_score(x, l), ref(row, 1), 1e-6);
    expect_rel(gan::cluster::davies_bouldin_score(x, l), ref(row, 2), 1e-6);
  }
}

TEST(Scores, RejectBadInput) {
  const Features x = Features::Random(6, 2);
  EXPECT_THROW(gan::cluster::silhouette_score(x, Labels(6, 0)), std::invalid_argument);
  EXPECT_THROW(gan::cluster::silhouette_score(x, Labels{0, 1, 2, 3, 4, 5}), std::invalid_argument);
  EXPECT_THROW(gan::cluster::calinski_harabasz_score(x, Labels{0, 1}), std::invalid_argument);
  EXPECT_THROW(gan::cluster::davies_bouldin_score(Features(0, 2), Labels{}), std::invalid_argument);
}

TEST(AdjustedRand, HandComputed) {
  using gan::cluster::adjusted_rand_index;
  EXPECT_DOUBLE_EQ(adjusted_rand_index({0, 0, 1, 1, 2, 2}, {0, 0, 1, 1, 2, 2}), 1.0);
  EXPECT_DOUBLE_EQ(adjusted_rand_index({0, 0, 1, 1, 2, 2}, {2, 2, 0, 0, 7, 7}), 1.0);
  // sklearn: adjusted_rand_score([0, 0, 1, 1], [0, 0, 1, 2]) = 0.5714285714285715 (= 4/7):
  // pairs tp=1, fp=0, fn=1, tn=4 -> 2(1*4 - 0)/((2)(5) + (1)(4)) = 8/14.
  EXPECT_NEAR(adjusted_rand_index({0, 0, 1, 1}, {0, 0, 1, 2}), 4.0 / 7.0, 1e-15);
  // sklearn: adjusted_rand_score([0, 0, 1, 1], [0, 1, 0, 1]) = -0.5
  EXPECT_NEAR(adjusted_rand_index({0, 0, 1, 1}, {0, 1, 0, 1}), -0.5, 1e-15);
  EXPECT_THROW(adjusted_rand_index({0, 1}, {0}), std::invalid_argument);
}

TEST(Hierarchical, FloatStorageCloseToScipy) {
  const Features x = read_features("small_x.txt");
  for (const char* m : {"ward", "average"}) {
    const Table ref = read_table(std::string("small_linkage_") + m + "_euclidean.txt");
    const auto method =
        std::string(m) == "ward" ? gan::cluster::Linkage::ward : gan::cluster::Linkage::average;
    const auto z =
        gan::cluster::linkage<float>(x, gan::cluster::HierarchicalOptions{}.linkage(method));
    for (long i = 0; i < ref.rows; ++i)
      EXPECT_NEAR(z(i, 2), ref(i, 2), 1e-4 * ref(i, 2) + 1e-5) << m;
  }
}

TEST(Scores, LabelNamesDoNotMatter) {
  const Features x = read_features("blobs_x.txt");
  const Labels l = read_labels("blobs_kmeans_labels.txt");
  Labels renamed(l.size());
  for (std::size_t i = 0; i < l.size(); ++i) renamed[i] = 10 * (4 - l[i]) + 3;
  EXPECT_NEAR(gan::cluster::silhouette_score<double>(x, renamed),
              gan::cluster::silhouette_score<double>(x, l), 1e-12);
  EXPECT_NEAR(gan::cluster::calinski_harabasz_score(x, renamed),
              gan::cluster::calinski_harabasz_score(x, l), 1e-9);
  EXPECT_NEAR(gan::cluster::davies_bouldin_score(x, renamed),
              gan::cluster::davies_bouldin_score(x, l), 1e-12);
  const auto samples = gan::cluster::silhouette_samples<double>(x, l);
  ASSERT_EQ(samples.size(), l.size());
  for (double s : samples) {
    EXPECT_GE(s, -1.0);
    EXPECT_LE(s, 1.0);
  }
}
