#pragma once
/// @file
/// Sample quality beyond one number: precision and recall of generative models (Kynkäänniemi
/// et al. 2019) and density and coverage (Naeem et al. 2020), from k-nearest-neighbour balls in
/// a feature space (Inception's, or a classifier's), exactly as the authors' `prdc` package
/// computes them (Euclidean distances, a sample's ball the distance to its k-th nearest other
/// sample, strict inequalities):
/// - precision: the share of fakes inside some real ball (are the fakes realistic?);
/// - recall: the share of reals inside some fake ball (is the real variety covered?);
/// - density: how many real balls hold a fake, on average, / k (1 for fakes like the reals);
/// - coverage: the share of real balls that hold some fake (mode collapse lowers it).
///
/// ```cpp
/// auto q = gan::metrics::prdc(real_features, fake_features, /*k=*/3);   // Eigen [n, d] each
/// std::cout << q.precision << " " << q.recall << " " << q.density << " " << q.coverage;
/// ```
/// Distances are computed in float64 blocks (|x|² + |y|² − 2 x·y), never all at once.

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace gan::metrics {

struct PrdcResult {
  double precision = NAN, recall = NAN, density = NAN, coverage = NAN;
  int64_t k = 0;
};

namespace detail {
/// Squared Euclidean distances between rows a0 .. a0+rows of `a` and every row of `b`, clipped at
/// 0 (as sklearn's euclidean_distances).
inline Eigen::MatrixXd squared_distances(const Eigen::MatrixXd& a, Eigen::Index a0, Eigen::Index rows,
                                         const Eigen::MatrixXd& b, const Eigen::VectorXd& a_norm,
                                         const Eigen::VectorXd& b_norm) {
  Eigen::MatrixXd d = -2.0 * a.middleRows(a0, rows) * b.transpose();
  d.colwise() += a_norm.segment(a0, rows);
  d.rowwise() += b_norm.transpose();
  return d.cwiseMax(0.0);
}

/// The squared distance of each row of `x` to its k-th nearest other row.
inline Eigen::VectorXd kth_neighbour_radii(const Eigen::MatrixXd& x, int64_t k, Eigen::Index block = 512) {
  const Eigen::Index n = x.rows();
  const Eigen::VectorXd norm = x.rowwise().squaredNorm();
  Eigen::VectorXd radii(n);
  std::vector<double> row(static_cast<std::size_t>(n));
  for (Eigen::Index a0 = 0; a0 < n; a0 += block) {
    const Eigen::Index rows = std::min(block, n - a0);
    const Eigen::MatrixXd d = squared_distances(x, a0, rows, x, norm, norm);
    for (Eigen::Index i = 0; i < rows; ++i) {
      for (Eigen::Index j = 0; j < n; ++j) row[std::size_t(j)] = d(i, j);
      row[std::size_t(a0 + i)] = 0;  // itself, exactly
      // The (k+1)-th smallest, itself the first: the k-th nearest other.
      std::nth_element(row.begin(), row.begin() + k, row.end());
      radii(a0 + i) = row[std::size_t(k)];
    }
  }
  return radii;
}
}  // namespace detail

/// Precision, recall, density and coverage of `fake` against `real` (one sample a row, the same
/// dimension) with k nearest neighbours. Throws std::invalid_argument when a side has no more
/// than k samples, the dimensions differ or k < 1.
template <class A, class B>
PrdcResult prdc(const Eigen::MatrixBase<A>& real_in, const Eigen::MatrixBase<B>& fake_in, int64_t k = 3) {
  const Eigen::MatrixXd real = real_in.template cast<double>(), fake = fake_in.template cast<double>();
  if (k < 1) throw std::invalid_argument("prdc: k must be >= 1, got " + std::to_string(k));
  if (real.cols() != fake.cols())
    throw std::invalid_argument("prdc: the real features are " + std::to_string(real.cols()) + "-d, the fake " +
                                std::to_string(fake.cols()) + "-d");
  if (real.rows() <= k || fake.rows() <= k)
    throw std::invalid_argument("prdc: k = " + std::to_string(k) + " needs more than k samples a side, got " +
                                std::to_string(real.rows()) + " real and " + std::to_string(fake.rows()) + " fake");
  const Eigen::VectorXd r_real = detail::kth_neighbour_radii(real, k), r_fake = detail::kth_neighbour_radii(fake, k);
  const Eigen::VectorXd n_real = real.rowwise().squaredNorm(), n_fake = fake.rowwise().squaredNorm();
  const Eigen::Index nr = real.rows(), nf = fake.rows(), block = 512;
  std::vector<int64_t> balls_holding(std::size_t(nf), 0);  // per fake: real balls it lies in
  int64_t reals_covered_by_fakes = 0, real_balls_hit = 0;
  for (Eigen::Index a0 = 0; a0 < nr; a0 += block) {
    const Eigen::Index rows = std::min(block, nr - a0);
    const Eigen::MatrixXd d = detail::squared_distances(real, a0, rows, fake, n_real, n_fake);
    for (Eigen::Index i = 0; i < rows; ++i) {
      const double ri = r_real(a0 + i);
      bool in_fake_ball = false;
      double nearest = std::numeric_limits<double>::infinity();
      for (Eigen::Index j = 0; j < nf; ++j) {
        const double v = d(i, j);
        if (v < ri) ++balls_holding[std::size_t(j)];
        in_fake_ball = in_fake_ball || v < r_fake(j);
        nearest = std::min(nearest, v);
      }
      reals_covered_by_fakes += in_fake_ball;
      real_balls_hit += nearest < ri;
    }
  }
  int64_t realistic = 0, held = 0;
  for (auto c : balls_holding) realistic += c > 0, held += c;
  PrdcResult out;
  out.k = k;
  out.precision = double(realistic) / double(nf);
  out.recall = double(reals_covered_by_fakes) / double(nr);
  out.density = double(held) / (double(k) * double(nf));
  out.coverage = double(real_balls_hit) / double(nr);
  return out;
}

}  // namespace gan::metrics
