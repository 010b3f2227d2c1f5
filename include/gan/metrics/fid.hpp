#pragma once
/// @file
/// Feature statistics and the distances between two sets of features that GAN papers report:
/// the Fréchet distance of the Gaussians fitted to them (FID, Heusel et al. 2017, "GANs Trained
/// by a Two Time-Scale Update Rule Converge to a Local Nash Equilibrium", as pytorch-fid computes
/// it) and the kernel distance (KID, Bińkowski et al. 2018, "Demystifying MMD GANs", as
/// torch-fidelity computes it). Eigen only, float64 throughout; the features are any extractor's
/// (Inception pool3 for the published numbers, one sample a row).
///
/// ```cpp
/// const gan::metrics::GaussianStats real = gan::metrics::gaussian_stats(real_features);
/// const gan::metrics::GaussianStats fake = gan::metrics::gaussian_stats(fake_features);
/// double fid = gan::metrics::frechet_distance(real, fake);
/// gan::metrics::KidResult kid = gan::metrics::kernel_inception_distance(real_features,
///                                                                       fake_features);
/// ```

#include <gan/data/random.hpp>
#include <gan/linalg/lapack.hpp>

#include <Eigen/Core>
#include <Eigen/Eigenvalues>

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace gan::metrics {

/// Features for these metrics: a dense Eigen matrix (or expression) of float or double, one sample
/// a row, any storage order (a column-major float64 copy is made where needed).
template <class M>
concept FeatureMatrix = std::derived_from<M, Eigen::MatrixBase<M>> &&
    (std::same_as<typename M::Scalar, float> || std::same_as<typename M::Scalar, double>);

/// Mean and covariance of a set of features (float64), and the number of samples behind them.
struct GaussianStats {
  Eigen::VectorXd mu;     ///< d: the mean of the features
  Eigen::MatrixXd sigma;  ///< d x d: their covariance, divided by n - 1
  int64_t n = 0;          ///< the number of samples
};

/// The Fréchet distance and how it was reached.
struct FrechetResult {
  double value = 0;          ///< ||mu1 - mu2||^2 + tr S1 + tr S2 - 2 tr sqrt(S1 S2)
  bool used_offset = false;  ///< true when eps I had to be added to both covariances
  /// The most negative eigenvalue of S1 S2 (of its symmetric form), counted as 0; 0 when there is
  /// none.
  double max_negative_eig = 0;
};

/// The kernel distance: mean and standard deviation (ddof = 0) of the unbiased MMD^2 over the
/// subsets, and the number and size of the subsets used.
struct KidResult {
  double mean = 0, std = 0;
  int64_t subsets = 0, subset_size = 0;
};

namespace detail {

/// Throws std::invalid_argument unless `x` has at least 2 rows, at least 1 column, and only
/// finite values (naming the first row that is not).
template <class Scalar>
void check_metric_features(
    const Eigen::Ref<const Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>>& x,
    const char* who, const char* which) {
  if (x.rows() < 2)
    throw std::invalid_argument(std::string(who) + ": " + which + " has " +
                                std::to_string(x.rows()) + " samples, expected at least 2");
  if (x.cols() < 1)
    throw std::invalid_argument(std::string(who) + ": " + which + " has 0 features per sample");
  if (x.allFinite()) return;
  for (Eigen::Index i = 0; i < x.rows(); ++i)
    if (!x.row(i).allFinite())
      throw std::invalid_argument(std::string(who) + ": " + which + " row " + std::to_string(i) +
                                  " holds a NaN or an infinity");
}

/// The column means of `x` in float64 (np.mean(x, axis=0) of the float64 features).
template <class Scalar>
Eigen::VectorXd column_means(const Eigen::Ref<const Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>>& x) {
  return x.template cast<double>().colwise().sum().transpose() / static_cast<double>(x.rows());
}

/// Rows (`of_rows`) or columns [first, first + count) of `x` in float64 less the means `mu`: one
/// block of the centred features, in `out` (whose storage the next block reuses). The metrics
/// work block by block rather than on a centred copy of the whole set: here a fresh n x d float64
/// matrix costs more in page faults than the product that reads it (0.42 s for 10,000 x 2,048,
/// against 0.47 s for its covariance; docs/performance.md).
template <class Scalar>
void centred_block(const Eigen::Ref<const Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>>& x,
                   const Eigen::VectorXd& mu, bool of_rows, Eigen::Index first, Eigen::Index count,
                   Eigen::MatrixXd& out) {
  if (of_rows) {
    out = x.middleRows(first, count).template cast<double>();
    out.rowwise() -= mu.transpose();
  } else {
    out = x.middleCols(first, count).template cast<double>();
    out.rowwise() -= mu.segment(first, count).transpose();
  }
}

/// Rows a block of the covariance's product, and features a block of the cross product.
inline constexpr Eigen::Index kRowBlock = 512, kFeatureBlock = 256;

template <class Scalar>
GaussianStats gaussian_stats(
    const Eigen::Ref<const Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>>& x) {
  check_metric_features<Scalar>(x, "gaussian_stats", "features");
  const Eigen::Index n = x.rows();
  GaussianStats s;
  s.n = n;
  s.mu = column_means<Scalar>(x);
  Eigen::MatrixXd block;
  for (Eigen::Index r = 0; r < n; r += kRowBlock) {
    centred_block<Scalar>(x, s.mu, true, r, std::min(kRowBlock, n - r), block);
    linalg::gram_lower(block, s.sigma, false, r == 0 ? 0.0 : 1.0);
  }
  linalg::mirror_lower(s.sigma);
  s.sigma /= static_cast<double>(n - 1);
  return s;
}

inline void check_stats(const GaussianStats& s, const char* which) {
  if (s.mu.size() != s.sigma.rows() || s.mu.size() != s.sigma.cols())
    throw std::invalid_argument(std::string("frechet_distance: stats ") + which +
                                " have mu of dim " + std::to_string(s.mu.size()) +
                                " but sigma of " + std::to_string(s.sigma.rows()) + " x " +
                                std::to_string(s.sigma.cols()) + ", expected equal dims");
  if (s.mu.size() == 0)
    throw std::invalid_argument(std::string("frechet_distance: stats ") + which +
                                " are empty (dim 0)");
  for (Eigen::Index i = 0; i < s.mu.size(); ++i)
    if (!std::isfinite(s.mu[i]))
      throw std::invalid_argument(std::string("frechet_distance: stats ") + which + " mu[" +
                                  std::to_string(i) + "] = " + std::to_string(s.mu[i]) +
                                  " is not finite");
  if (!s.sigma.allFinite())
    for (Eigen::Index j = 0; j < s.sigma.cols(); ++j)
      for (Eigen::Index i = 0; i < s.sigma.rows(); ++i)
        if (!std::isfinite(s.sigma(i, j)))
          throw std::invalid_argument(std::string("frechet_distance: stats ") + which + " sigma(" +
                                      std::to_string(i) + ", " + std::to_string(j) +
                                      ") = " + std::to_string(s.sigma(i, j)) + " is not finite");
}

/// `v` with 6 significant digits (std::to_string prints 1e-7 as 0.000000).
inline std::string format(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

/// pytorch-fid's tolerance on the imaginary part of sqrtm(S1 S2): 1e-3, absolute.
inline constexpr double kImaginaryTolerance = 1e-3;

/// The eigenvalues of S1 S2 from a symmetric problem, or `finite = false` when a step produced a
/// NaN or an infinity (or an eigensolver did not converge).
struct ProductEigenvalues {
  bool finite = false;
  Eigen::VectorXd lambda;  // ascending
  double min_eig = 0;      // the most negative eigenvalue seen, for the imaginary check
};

/// Whether a symmetric matrix has a negative eigenvalue beyond what rounding gives a positive
/// semidefinite one (d eps max|mu|).
inline bool negative_beyond_rounding(const Eigen::VectorXd& mu) {
  const double scale = mu.cwiseAbs().maxCoeff();
  return mu(0) < -static_cast<double>(mu.size()) * std::numeric_limits<double>::epsilon() * scale;
}

/// How negative the most negative eigenvalue is, relative to the largest magnitude.
inline double relative_negativity(const Eigen::VectorXd& mu) {
  const double scale = mu.cwiseAbs().maxCoeff();
  return scale > 0 ? -mu(0) / scale : 0.0;
}

/// With S = V D V^T and B = V D+^(1/2) (negative eigenvalues clamped to 0), the eigenvalues of the
/// symmetric B^T other B, which is V^T (A other A) V with A = S^(1/2) = B V^T: the spectrum of
/// A other A, and so of S other, with one GEMM less. False when it is not finite.
inline bool factored_product(const linalg::SymmetricEigen& es, const Eigen::MatrixXd& other,
                             Eigen::VectorXd& lambda) {
  const Eigen::MatrixXd b = es.vectors * es.values.cwiseMax(0.0).cwiseSqrt().asDiagonal();
  const Eigen::MatrixXd t = other * b;
  return linalg::finite_eigenvalues(b.transpose() * t, lambda);
}

/// With S1 = L L^T (Cholesky), the eigenvalues of the symmetric L^T S2 L, which is similar to
/// S1 S2 (L^-1 S1 S2 L): a Cholesky factor and two triangular products instead of an
/// eigendecomposition with eigenvectors. False when S1 is not positive definite or a result is
/// not finite.
inline bool cholesky_product(const Eigen::MatrixXd& s1, const Eigen::MatrixXd& s2, Eigen::VectorXd& lambda) {
  Eigen::MatrixXd l;
  if (!linalg::cholesky_lower(s1, l)) return false;
  return linalg::finite_eigenvalues(linalg::lower_congruence(l, s2), lambda);
}

/// The eigenvalues of S1 S2. S1 is factored (its eigenvalues clamped to 0) when it has no
/// negative eigenvalue beyond rounding: the usual case, one eigendecomposition with eigenvectors
/// and one without. Otherwise clamping would hide them, and S2 is factored instead
/// (eig(S1 S2) = eig(S2 S1)), so that the product shows them. When S2 has some too (statistics
/// rounded to float32, or matrices that are not covariances), both are factored in turn: each
/// product shows the other's negative eigenvalues, `min_eig` is the smaller of the two, and the
/// eigenvalues are those from the less negative factor.
inline ProductEigenvalues product_eigenvalues(const Eigen::MatrixXd& s1,
                                              const Eigen::MatrixXd& s2) {
  ProductEigenvalues out;
  // A positive definite S1 (more samples than dimensions) has no negative eigenvalue to hide.
  if (cholesky_product(s1, s2, out.lambda)) {
    out.finite = true;
    out.min_eig = out.lambda(0);
    return out;
  }
  const auto e1 = linalg::symmetric_eigen(s1, true);
  if (!e1.ok) return out;
  if (!negative_beyond_rounding(e1.values)) {
    out.finite = factored_product(e1, s2, out.lambda);
    if (out.finite) out.min_eig = out.lambda(0);
    return out;
  }
  const auto e2 = linalg::symmetric_eigen(s2, true);
  Eigen::VectorXd l2;
  if (!e2.ok || !factored_product(e2, s1, l2)) return out;
  out.finite = true;
  out.min_eig = l2(0);
  if (!negative_beyond_rounding(e2.values)) {
    out.lambda = std::move(l2);
    return out;
  }
  Eigen::VectorXd l1;
  if (!factored_product(e1, s2, l1)) return ProductEigenvalues{};
  out.min_eig = std::min(l1(0), l2(0));
  const bool first = relative_negativity(e1.values) <= relative_negativity(e2.values);
  out.lambda = first ? std::move(l1) : std::move(l2);
  return out;
}

/// The distance from the parts: ||mu1 - mu2||^2, tr S1 + tr S2, and the eigenvalues of S1 S2
/// (with the most negative one for pytorch-fid's check on the imaginary component).
inline void finish_frechet(FrechetResult& r, double mean_term, double traces, const Eigen::VectorXd& lambda,
                           double min_eig) {
  if (min_eig < 0) {
    r.max_negative_eig = min_eig;
    if (std::sqrt(-min_eig) > kImaginaryTolerance)
      throw std::runtime_error(
          "frechet_distance: imaginary component " + format(std::sqrt(-min_eig)) +
          " in sqrt(S1 S2) (eigenvalue " + format(min_eig) +
          " of S1 S2), expected at most 1e-3: a covariance is not positive semidefinite");
  }
  r.value = mean_term + traces - 2 * lambda.cwiseMax(0.0).cwiseSqrt().sum();
}

}  // namespace detail

/// Mean and covariance of `features` (one sample a row), in float64 whatever the input: the mean
/// as `np.mean(x, axis=0)`, the covariance divided by n - 1 as `np.cov(x, rowvar=False)`, which is
/// what pytorch-fid's `calculate_activation_statistics` stores. The covariance is X^T X of the
/// centred features, summed over blocks of 512 rows (BLAS's dsyrk where it is linked).
/// Memory: one block of centred features in float64 (512 x d) and the d x d covariance.
/// @throws std::invalid_argument for fewer than 2 samples (saying how many), no column, or a NaN
///         or an infinity (naming its row).
template <FeatureMatrix M>
GaussianStats gaussian_stats(const M& features) {
  return detail::gaussian_stats<typename M::Scalar>(features);
}

/// The Fréchet distance between the Gaussians N(mu1, S1) and N(mu2, S2),
/// ||mu1 - mu2||^2 + tr S1 + tr S2 - 2 tr sqrt(S1 S2), with pytorch-fid's behaviour
/// (`calculate_frechet_distance`) but no general matrix square root: tr sqrt(S1 S2) is the sum of
/// the square roots of the eigenvalues of S1 S2, which are those of the symmetric L^T S2 L with
/// S1 = L L^T (Cholesky) when S1 is positive definite, else of A S2 A with A = S1^(1/2) from a
/// symmetric eigendecomposition. The eigenproblems go to LAPACK's dsyevd when it is linked
/// (gan/linalg/lapack.hpp), the products to Eigen, multithreaded under OpenMP.
///
/// - Not finite: when a NaN or an infinity appears in the product or its eigenvalues (overflow,
///   an eigensolver that does not converge), it retries with `eps` I added to both covariances,
///   as pytorch-fid does, and sets `used_offset` (pytorch-fid prints a note; a library returns
///   it). The traces keep the covariances without the offset, as there. If the retry is not
///   finite either it throws std::runtime_error (pytorch-fid would return NaN).
/// - Imaginary component: pytorch-fid raises `ValueError('Imaginary component ...')` when a
///   diagonal entry of sqrtm(S1 S2) has an imaginary part above 1e-3 (absolute), and otherwise
///   drops the imaginary part. Here an imaginary part comes from a negative eigenvalue lambda of
///   the product, whose square root i sqrt(-lambda) is the imaginary part that it adds to the
///   trace of sqrtm(S1 S2): this throws std::runtime_error("... imaginary component ...") when
///   sqrt(-lambda_min) > 1e-3, the same absolute tolerance on the imaginary part, and otherwise
///   counts the negative eigenvalues as 0 (the real part of their square roots, as pytorch-fid's
///   `covmean.real`). The most negative eigenvalue is returned as `max_negative_eig`. Like
///   pytorch-fid's, the tolerance is absolute: it depends on the scale of the features.
/// - A covariance with a negative eigenvalue beyond rounding: the other one is factored, so that
///   the product shows it (clamping it would hide it). When both have one, both are factored in
///   turn and the check takes the most negative eigenvalue of the two products; negative
///   directions that the two share escape it (pytorch-fid returns a number there too: the product
///   of two indefinite matrices can have a real square root), so do not pass matrices that are
///   not covariances.
/// @throws std::invalid_argument when mu and sigma of a set disagree in size, when the two sets
///         differ in dimension (saying both), or for a NaN or an infinity in the statistics.
inline FrechetResult frechet_distance_detailed(const GaussianStats& a, const GaussianStats& b,
                                               double eps = 1e-6) {
  detail::check_stats(a, "a");
  detail::check_stats(b, "b");
  if (a.mu.size() != b.mu.size())
    throw std::invalid_argument("frechet_distance: dims " + std::to_string(a.mu.size()) + " and " +
                                std::to_string(b.mu.size()) + " of the two sets differ");
  FrechetResult r;
  detail::ProductEigenvalues p = detail::product_eigenvalues(a.sigma, b.sigma);
  if (!p.finite) {
    r.used_offset = true;
    const Eigen::MatrixXd offset = eps * Eigen::MatrixXd::Identity(a.sigma.rows(), a.sigma.cols());
    p = detail::product_eigenvalues(a.sigma + offset, b.sigma + offset);
    if (!p.finite)
      throw std::runtime_error(
          "frechet_distance: the product of the covariances is not finite, even with " +
          std::to_string(eps) + " added to their diagonals");
  }
  detail::finish_frechet(r, (a.mu - b.mu).squaredNorm(), a.sigma.trace() + b.sigma.trace(), p.lambda,
                         p.min_eig);
  return r;
}

/// The Fréchet distance alone; see frechet_distance_detailed() for the retry with `eps`, the
/// imaginary component and the errors.
inline double frechet_distance(const GaussianStats& a, const GaussianStats& b, double eps = 1e-6) {
  return frechet_distance_detailed(a, b, eps).value;
}

namespace detail {

/// Whether the nuclear-norm route (from the features) should take two sets of n1 and n2 samples
/// in d dimensions. Always when a set has at most d samples: its centred covariance has rank at
/// most n - 1 < d, so the Cholesky factor of the statistics' route would fail and send it to the
/// eigendecomposition with eigenvectors (3 s at 2,048, against 0.6 s here), and the null space
/// is rounding noise there (see frechet_distance). Otherwise the cheaper of the two by flops,
/// an eigenvalue flop counted twice (LAPACK's tridiagonal reduction runs at about half the speed
/// of a GEMM, measured with dsyevd and dgemm at 2,048 on two cores): the features route is
/// 2 n1 n2 d (X1 X2^T) + m^2 M (its Gram) + 8/3 m^3 (the eigenvalues), m = min(n1, n2),
/// M = max(n1, n2); the statistics' route (n1 + n2) d^2 (two covariances) + d^3 / 3 (Cholesky)
/// + 2 d^3 (L^T S2 L) + 8/3 d^3.
inline bool features_route_cheaper(Eigen::Index n1, Eigen::Index n2, Eigen::Index d) {
  const double m = static_cast<double>(std::min(n1, n2)), big = static_cast<double>(std::max(n1, n2));
  const double dd = static_cast<double>(d);
  if (m <= dd) return true;
  const double features = 2 * m * big * dd + m * m * big + 8.0 / 3.0 * m * m * m;
  const double stats = (m + big) * dd * dd + dd * dd * dd / 3 + 2 * dd * dd * dd + 8.0 / 3.0 * dd * dd * dd;
  return features < stats;
}

template <class SA, class SB>
FrechetResult frechet_from_features(
    const Eigen::Ref<const Eigen::Matrix<SA, Eigen::Dynamic, Eigen::Dynamic>>& a,
    const Eigen::Ref<const Eigen::Matrix<SB, Eigen::Dynamic, Eigen::Dynamic>>& b, double eps) {
  check_metric_features<SA>(a, "frechet_distance", "features a");
  check_metric_features<SB>(b, "frechet_distance", "features b");
  if (a.cols() != b.cols())
    throw std::invalid_argument("frechet_distance: dims " + std::to_string(a.cols()) + " and " +
                                std::to_string(b.cols()) + " of the two sets differ");
  const Eigen::Index n1 = a.rows(), n2 = b.rows(), d = a.cols();
  const auto from_stats = [&] { return frechet_distance_detailed(gaussian_stats<SA>(a), gaussian_stats<SB>(b), eps); };
  if (!features_route_cheaper(n1, n2, d)) {
    // The usual case first, in the covariances' own storage (two d x d copies fewer): S1
    // positive definite, L^T S2 L finite. Otherwise the statistics are made again for the
    // general path (its eigendecompositions and its retry with eps need them whole).
    GaussianStats sa = gaussian_stats<SA>(a), sb = gaussian_stats<SB>(b);
    check_stats(sa, "a");
    check_stats(sb, "b");
    const double mean_term = (sa.mu - sb.mu).squaredNorm(), traces = sa.sigma.trace() + sb.sigma.trace();
    Eigen::MatrixXd l;
    Eigen::VectorXd lambda;
    if (!linalg::cholesky_lower(std::move(sa.sigma), l) ||
        !linalg::finite_eigenvalues(linalg::lower_congruence(l, std::move(sb.sigma)), lambda))
      return from_stats();
    FrechetResult r;
    finish_frechet(r, mean_term, traces, lambda, lambda(0));
    return r;
  }
  const Eigen::VectorXd mu1 = column_means<SA>(a), mu2 = column_means<SB>(b);
  const double c1 = 1.0 / static_cast<double>(n1 - 1), c2 = 1.0 / static_cast<double>(n2 - 1);
  Eigen::MatrixXd m, x1, x2;  // X1 X2^T (n1 x n2), summed over blocks of features
  double squares1 = 0, squares2 = 0;
  for (Eigen::Index c = 0; c < d; c += kFeatureBlock) {
    const Eigen::Index count = std::min(kFeatureBlock, d - c);
    centred_block<SA>(a, mu1, false, c, count, x1);
    centred_block<SB>(b, mu2, false, c, count, x2);
    squares1 += x1.squaredNorm();
    squares2 += x2.squaredNorm();
    linalg::multiply_transposed(x1, x2, m, c == 0 ? 0.0 : 1.0);
  }
  x1.resize(0, 0);
  x2.resize(0, 0);
  Eigen::MatrixXd g;  // the smaller of m m^T and m^T m, its lower triangle
  linalg::gram_lower(m, g, n1 <= n2, 0);
  m.resize(0, 0);
  Eigen::VectorXd lambda;
  // Overflow or no convergence: the covariances' path retries with eps.
  if (!linalg::finite_eigenvalues(std::move(g), lambda)) return from_stats();
  lambda *= c1 * c2;
  FrechetResult r;
  finish_frechet(r, (mu1 - mu2).squaredNorm(), c1 * squares1 + c2 * squares2, lambda, lambda(0));
  return r;
}

}  // namespace detail

/// The Fréchet distance between the Gaussians fitted to two sets of features (one sample a row,
/// float or double), equal to frechet_distance(gaussian_stats(a), gaussian_stats(b)) to rounding,
/// but faster when a set has no more samples than dimensions (512 or 2,048 Inception features a
/// side): with the centred features X1 (n1 x d), X2 (n2 x d) and c_i = 1 / (n_i - 1),
/// S1 S2 = c1 c2 X1^T (X1 X2^T) X2, whose nonzero eigenvalues are c1 c2 times those of
/// (X1 X2^T)(X1 X2^T)^T, so tr sqrt(S1 S2) = sqrt(c1 c2) ||X1 X2^T||_*, the nuclear norm of an
/// n1 x n2 matrix: one n1 x n2 x d product, one of min(n1, n2)^2 x max(n1, n2), and one symmetric
/// eigenproblem of size min(n1, n2), without the d x d covariances. It takes that route whenever a
/// set has at most d samples (its covariance is singular), and otherwise when it costs fewer flops
/// than the covariances' route (a Cholesky factor of S1, then the eigenvalues of L^T S2 L):
/// detail::features_route_cheaper. The imaginary-component check and the errors are those of the statistics' version;
/// the features must be finite (the row of a NaN is named).
template <FeatureMatrix A, FeatureMatrix B>
FrechetResult frechet_distance_detailed(const A& features_a, const B& features_b, double eps = 1e-6) {
  return detail::frechet_from_features<typename A::Scalar, typename B::Scalar>(features_a, features_b, eps);
}

/// The Fréchet distance of two sets of features alone; see the detailed version.
template <FeatureMatrix A, FeatureMatrix B>
double frechet_distance(const A& features_a, const B& features_b, double eps = 1e-6) {
  return frechet_distance_detailed(features_a, features_b, eps).value;
}

namespace detail {

/// A number uniform in [0, bound) from the 64-bit outputs of `rng`, by rejection (no modulo
/// bias): the same sequence with every standard library, unlike std::uniform_int_distribution.
inline std::uint64_t uniform_below(std::mt19937_64& rng, std::uint64_t bound) {
  const std::uint64_t threshold = (0 - bound) % bound;  // 2^64 mod bound
  for (;;) {
    const std::uint64_t r = rng();
    if (r >= threshold) return r % bound;
  }
}

/// `m` distinct indices of [0, n), uniformly: the first m steps of a Fisher–Yates shuffle of
/// 0..n-1.
inline std::vector<Eigen::Index> draw_without_replacement(std::mt19937_64& rng, Eigen::Index n,
                                                          Eigen::Index m) {
  std::vector<Eigen::Index> p(static_cast<std::size_t>(n));
  for (Eigen::Index i = 0; i < n; ++i) p[i] = i;
  data::partial_shuffle(p, static_cast<std::size_t>(m), [&](std::uint64_t bound) { return uniform_below(rng, bound); });
  return p;
}

using RowMatrixD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// The unbiased MMD^2 of two m x d samples under k(x, y) = (x.y / d + 1)^3 (torch-fidelity's
/// `polynomial_mmd` with its defaults): (sum_{i != j} k(x_i, x_j) + sum_{i != j} k(y_i, y_j)) /
/// (m (m - 1)) - 2 sum_{i, j} k(x_i, y_j) / m^2. The within-sample sums use one triangle.
inline double polynomial_mmd2(const RowMatrixD& x, const RowMatrixD& y) {
  const Eigen::Index m = x.rows();
  const double gamma = 1.0 / static_cast<double>(x.cols());
  auto cube = [gamma](double g) {
    const double k = g * gamma + 1.0;
    return k * k * k;
  };
  auto off_diagonal_sum = [&](const RowMatrixD& s) {
    Eigen::MatrixXd g = Eigen::MatrixXd::Zero(m, m);
    g.selfadjointView<Eigen::Lower>().rankUpdate(s);
    double sum = 0;
    for (Eigen::Index j = 0; j < m; ++j)
      for (Eigen::Index i = j + 1; i < m; ++i) sum += cube(g(i, j));
    return 2 * sum;
  };
  const Eigen::MatrixXd gxy = x * y.transpose();
  double sxy = 0;
  for (Eigen::Index j = 0; j < m; ++j)
    for (Eigen::Index i = 0; i < m; ++i) sxy += cube(gxy(i, j));
  const double md = static_cast<double>(m);
  return (off_diagonal_sum(x) + off_diagonal_sum(y)) / (md * (md - 1)) - 2 * sxy / (md * md);
}

template <class Scalar>
KidResult kernel_inception_distance(
    const Eigen::Ref<const Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>>& a,
    const Eigen::Ref<const Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>>& b,
    int64_t subsets, int64_t subset_size, std::uint64_t seed) {
  const char* who = "kernel_inception_distance";
  check_metric_features<Scalar>(a, who, "features a");
  check_metric_features<Scalar>(b, who, "features b");
  if (a.cols() != b.cols())
    throw std::invalid_argument(std::string(who) + ": dims " + std::to_string(a.cols()) + " and " +
                                std::to_string(b.cols()) + " of the two sets differ");
  if (subsets < 1)
    throw std::invalid_argument(std::string(who) + ": subsets = " + std::to_string(subsets) +
                                ", expected >= 1");
  if (subset_size < 2)
    throw std::invalid_argument(
        std::string(who) + ": subset_size = " + std::to_string(subset_size) + ", expected >= 2");
  const Eigen::Index m =
      std::min<Eigen::Index>({static_cast<Eigen::Index>(subset_size), a.rows(), b.rows()});
  // The draws first, in order, so that the subsets do not depend on the number of threads.
  std::mt19937_64 rng(seed);
  std::vector<std::vector<Eigen::Index>> ia(static_cast<std::size_t>(subsets)), ib(ia.size());
  for (std::size_t s = 0; s < ia.size(); ++s) {
    ia[s] = draw_without_replacement(rng, a.rows(), m);
    ib[s] = draw_without_replacement(rng, b.rows(), m);
  }
  std::vector<double> mmds(ia.size());
#ifdef _OPENMP  // without OpenMP: one thread, same results
#pragma omp parallel for schedule(dynamic, 1) if (subsets > 1)
#endif
  for (std::int64_t s = 0; s < subsets; ++s) {
    RowMatrixD x(m, a.cols()), y(m, b.cols());
    for (Eigen::Index r = 0; r < m; ++r) {
      x.row(r) = a.row(ia[s][r]).template cast<double>();
      y.row(r) = b.row(ib[s][r]).template cast<double>();
    }
    mmds[s] = polynomial_mmd2(x, y);
  }
  KidResult out;
  out.subsets = subsets;
  out.subset_size = m;
  double sum = 0;
  for (double v : mmds) sum += v;
  out.mean = sum / static_cast<double>(subsets);
  double ss = 0;
  for (double v : mmds) ss += (v - out.mean) * (v - out.mean);
  out.std = std::sqrt(ss / static_cast<double>(subsets));
  return out;
}

}  // namespace detail

/// The kernel (inception) distance between two sets of features (one sample a row), as
/// torch-fidelity's `kid` (and clean-fid's) computes it: `subsets` times, draw `subset_size` rows
/// of each set without replacement (independently across subsets and sets) and take the unbiased
/// MMD^2 under the polynomial kernel k(x, y) = (x.y / d + 1)^3; return the mean and the standard
/// deviation (numpy's `np.std`, ddof = 0) over the subsets.
///
/// Differences: `subset_size` is lowered to the smaller set's size (torch-fidelity refuses a
/// subset larger than a set); the draws come from std::mt19937_64(seed) and a Fisher–Yates
/// shuffle of our own (the same numbers with every standard library, not numpy's draws); the
/// kernels are computed in float64 (torch-fidelity multiplies float32 features in float32). The
/// subsets run in parallel with OpenMP, each one's GEMMs on one thread: the result does not depend
/// on the number of threads. Cost: about 4 m^2 d flops a subset (m = subset size): 820 GFLOP for
/// the defaults at d = 2048, 0.4 s a subset on two cores without -march=native.
/// @throws std::invalid_argument for fewer than 2 samples in a set (saying how many), a NaN or an
///         infinity (naming the row), sets of different dims (saying both), subsets < 1 or
///         subset_size < 2.
template <FeatureMatrix A, FeatureMatrix B>
KidResult kernel_inception_distance(const A& features_a, const B& features_b, int64_t subsets = 100,
                                    int64_t subset_size = 1000, std::uint64_t seed = 0) {
  static_assert(std::is_same_v<typename A::Scalar, typename B::Scalar>,
                "kernel_inception_distance: give two float or two double feature matrices");
  return detail::kernel_inception_distance<typename A::Scalar>(features_a, features_b, subsets,
                                                               subset_size, seed);
}

}  // namespace gan::metrics
