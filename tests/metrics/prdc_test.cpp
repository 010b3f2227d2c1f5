// Precision, recall, density and coverage (gan/metrics/prdc.hpp) against the authors' prdc code
// (fixtures/make_prdc_fixtures.py) and closed forms.
#include <gan/metrics/prdc.hpp>

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <string>

namespace {

Eigen::MatrixXd read_matrix(const std::string& name) {
  const std::string file = std::string(GAN_TEST_FIXTURES) + "/prdc/" + name;
  std::ifstream in(file);
  EXPECT_TRUE(in) << "cannot read " << file;
  Eigen::Index rows = 0, cols = 0;
  in >> rows >> cols;
  Eigen::MatrixXd m(rows, cols);
  for (Eigen::Index i = 0; i < rows; ++i)
    for (Eigen::Index j = 0; j < cols; ++j) in >> m(i, j);
  return m;
}

TEST(Prdc, MatchesTheAuthorsCode) {
  const auto real = read_matrix("real.txt"), fake = read_matrix("fake.txt");
  std::ifstream in(std::string(GAN_TEST_FIXTURES) + "/prdc/expected.txt");
  int64_t k = 0;
  int cases = 0;
  double p, r, d, c;
  while (in >> k >> p >> r >> d >> c) {
    const auto q = gan::metrics::prdc(real, fake, k);
    EXPECT_DOUBLE_EQ(q.precision, p) << "k " << k;
    EXPECT_DOUBLE_EQ(q.recall, r) << "k " << k;
    EXPECT_NEAR(q.density, d, 1e-12) << "k " << k;
    EXPECT_DOUBLE_EQ(q.coverage, c) << "k " << k;
    ++cases;
  }
  EXPECT_EQ(cases, 3);
}

TEST(Prdc, ClosedForms) {
  std::mt19937_64 rng(2);
  std::normal_distribution<double> g;
  Eigen::MatrixXd x(200, 8);
  for (Eigen::Index i = 0; i < x.rows(); ++i)
    for (Eigen::Index j = 0; j < x.cols(); ++j) x(i, j) = g(rng);
  // The same set: every fake is a real, every ball holds its own centre and k - 1 others.
  for (int64_t k : {1, 3, 7}) {
    const auto same = gan::metrics::prdc(x, x, k);
    EXPECT_EQ(same.precision, 1) << k;
    EXPECT_EQ(same.recall, 1) << k;
    EXPECT_EQ(same.coverage, 1) << k;
    EXPECT_NEAR(same.density, 1, 1e-12) << k;
  }
  // Far apart: nothing of one side lies in a ball of the other.
  const Eigen::MatrixXd far = (x.array() + 100.0).matrix();
  const auto apart = gan::metrics::prdc(x, far, 3);
  EXPECT_EQ(apart.precision, 0);
  EXPECT_EQ(apart.recall, 0);
  EXPECT_EQ(apart.density, 0);
  EXPECT_EQ(apart.coverage, 0);
  // Mode collapse: 50 copies of one real point are realistic but cover almost nothing.
  Eigen::MatrixXd collapsed(50, 8);
  for (Eigen::Index i = 0; i < 50; ++i) collapsed.row(i) = x.row(0);
  const auto c = gan::metrics::prdc(x, collapsed, 3);
  EXPECT_EQ(c.precision, 1);
  // Every fake lies in the same m real balls (those that hold x0): density m / k, coverage m / n.
  EXPECT_NEAR(c.coverage, c.density * 3 / 200, 1e-12);
  EXPECT_LT(c.coverage, 0.1);
  EXPECT_EQ(c.recall, 0);  // the fakes' balls have radius 0
  EXPECT_THROW(gan::metrics::prdc(x.topRows(3), x, 3), std::invalid_argument);
  EXPECT_THROW(gan::metrics::prdc(x, x.leftCols(4), 3), std::invalid_argument);
}

}  // namespace
