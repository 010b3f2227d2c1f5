// Tests for gan/cluster/tsne.hpp: t-SNE keeps separated blobs apart, trustworthiness equals
// scikit-learn's, results depend on the seed only, and bad input is refused. Eigen only.

#include <gtest/gtest.h>

#include <gan/cluster/tsne.hpp>

#include <cmath>
#include <fstream>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>


namespace {

using gan::cluster::Embedding;
using gan::cluster::RowMatrixXf;
using gan::cluster::TsneOptions;

/// `per_blob` points around each of `blobs` centres in `d` dimensions: centres N(0, 10²),
/// points N(centre, 1). Labels are the blob of each row.
RowMatrixXf make_blobs(int blobs, int per_blob, int d, unsigned seed, std::vector<int>& labels) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  RowMatrixXf centres(blobs, d);
  for (int b = 0; b < blobs; ++b)
    for (int c = 0; c < d; ++c) centres(b, c) = 10.0f * normal(rng);
  RowMatrixXf X(blobs * per_blob, d);
  labels.clear();
  for (int i = 0; i < blobs * per_blob; ++i) {
    const int b = i % blobs;  // interleaved, so that no code can rely on the order
    labels.push_back(b);
    for (int c = 0; c < d; ++c) X(i, c) = centres(b, c) + normal(rng);
  }
  return X;
}

/// The fraction of points whose k nearest neighbours in Y (itself excluded) mostly share its
/// label.
double knn_agreement(const Embedding& Y, const std::vector<int>& labels, int k) {
  const auto n = Y.rows();
  int agree = 0;
  for (Eigen::Index i = 0; i < n; ++i) {
    std::vector<std::pair<double, int>> near;
    for (Eigen::Index j = 0; j < n; ++j)
      if (j != i) near.push_back({(Y.row(i) - Y.row(j)).squaredNorm(), int(j)});
    std::partial_sort(near.begin(), near.begin() + k, near.end());
    int same = 0;
    for (int m = 0; m < k; ++m) same += labels[near[m].second] == labels[i];
    agree += 2 * same > k;
  }
  return double(agree) / double(n);
}

TEST(Tsne, KeepsSeparatedBlobsApart) {
  std::vector<int> labels;
  const RowMatrixXf X = make_blobs(5, 100, 50, 1, labels);
  TsneOptions options;
  options.seed = 3;
  const auto result = gan::cluster::tsne(X, options);
  ASSERT_EQ(result.embedding.rows(), 500);
  ASSERT_EQ(result.embedding.cols(), 2);
  EXPECT_TRUE(result.embedding.allFinite());
  EXPECT_GT(result.kl_divergence, 0.0);
  EXPECT_LT(result.kl_divergence, 2.0);
  EXPECT_GE(gan::cluster::trustworthiness(X, result.embedding, 5), 0.9);
  EXPECT_GE(knn_agreement(result.embedding, labels, 5), 0.98);
}

TEST(Tsne, TrustworthinessEqualsSklearn) {
  const std::string path = std::string(GAN_TEST_FIXTURES) + "/tsne/trustworthiness.txt";
  std::ifstream in(path);
  ASSERT_TRUE(in) << "missing fixture " << path << " (tests/fixtures/make_tsne_fixtures.py)";
  int n = 0, d = 0, e = 0, cases = 0;
  in >> n >> d >> e;
  RowMatrixXf X(n, d);
  Embedding Y(n, e);
  for (int i = 0; i < n; ++i)
    for (int c = 0; c < d; ++c) {
      double v;
      in >> v;
      X(i, c) = float(v);
    }
  for (int i = 0; i < n; ++i)
    for (int c = 0; c < e; ++c) in >> Y(i, c);
  in >> cases;
  ASSERT_TRUE(in);
  ASSERT_GT(cases, 0);
  for (int c = 0; c < cases; ++c) {
    int k;
    double expected;
    in >> k >> expected;
    EXPECT_NEAR(gan::cluster::trustworthiness(X, Y, k), expected, 1e-12) << "k = " << k;
  }
}

TEST(Tsne, TrustworthinessOfAnIsometryIsOne) {
  std::vector<int> labels;
  const RowMatrixXf X = make_blobs(3, 20, 2, 5, labels);
  Embedding Y = X.cast<double>() * 2.0;
  Y.col(0) *= -1;  // a reflection and a scaling keep every neighbourhood
  EXPECT_DOUBLE_EQ(gan::cluster::trustworthiness(X, Y, 5), 1.0);
}

TEST(Tsne, SameSeedGivesTheSameEmbeddingWhateverTheThreads) {
  std::vector<int> labels;
  const RowMatrixXf X = make_blobs(4, 50, 20, 2, labels);
  TsneOptions options;
  options.perplexity = 15;
  options.n_iter = 300;
  options.seed = 11;
  options.threads = 1;
  const auto a = gan::cluster::tsne(X, options);
  options.threads = 2;
  const auto b = gan::cluster::tsne(X, options);
  const auto c = gan::cluster::tsne(X, options);
  EXPECT_EQ(a.embedding, b.embedding);
  EXPECT_EQ(b.embedding, c.embedding);
  EXPECT_EQ(a.kl_divergence, c.kl_divergence);
  EXPECT_EQ(a.iterations, 300);
}

/// The message of the std::invalid_argument that `f` throws, or "" when it throws none.
template <class F>
std::string invalid_argument_message(F f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(Tsne, RefusesBadInput) {
  std::vector<int> labels;
  const RowMatrixXf X = make_blobs(2, 10, 3, 4, labels);
  TsneOptions options;  // perplexity 30 >= 20 samples
  EXPECT_NE(invalid_argument_message([&] { gan::cluster::tsne(X, options); }).find("30"),
            std::string::npos);
  options.perplexity = 5;
  const RowMatrixXf few = X.topRows(3);
  EXPECT_NE(invalid_argument_message([&] { gan::cluster::tsne(few, options); }).find("got 3"),
            std::string::npos);
  RowMatrixXf with_nan = X;
  with_nan(7, 2) = std::numeric_limits<float>::quiet_NaN();
  const auto message = invalid_argument_message([&] { gan::cluster::tsne(with_nan, options); });
  EXPECT_NE(message.find("row 7"), std::string::npos) << message;
  options.n_iter = 100;
  EXPECT_NE(invalid_argument_message([&] { gan::cluster::tsne(X, options); }).find("100"),
            std::string::npos);
  EXPECT_THROW(gan::cluster::trustworthiness(X, Embedding(19, 2), 5), std::invalid_argument);
  EXPECT_THROW(gan::cluster::trustworthiness(X, X.cast<double>(), 10), std::invalid_argument);
}

}  // namespace
