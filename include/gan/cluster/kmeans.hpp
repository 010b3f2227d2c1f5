#pragma once
/// @file
/// k-means: greedy k-means++ seeding (Arthur & Vassilvitskii 2007, "k-means++: the advantages of
/// careful seeding", with scikit-learn's 2 + log(k) local trials) and Lloyd iterations, as
/// `sklearn.cluster.KMeans(algorithm="lloyd")`.
///
/// ```cpp
/// gan::cluster::Features x = ...;                     // n x d, float32, row-major
/// auto r = gan::cluster::kmeans(x, gan::cluster::KMeansOptions(6).seed(1));
/// // r.labels (n), r.centers (6 x d), r.inertia, r.n_iter
/// ```

#include <gan/cluster/features.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace gan::cluster {

/// Options of `kmeans`: the number of clusters is required, the rest chain.
struct KMeansOptions {
  explicit KMeansOptions(int k) : k_(k) {}
  KMeansOptions& k(int v) {
    k_ = v;
    return *this;
  }
  /// Restarts from new seeds; the run with the lowest inertia is kept.
  KMeansOptions& n_init(int v) {
    n_init_ = v;
    return *this;
  }
  KMeansOptions& max_iter(int v) {
    max_iter_ = v;
    return *this;
  }
  /// Convergence when the squared shift of the centers (summed) is <= tol times the mean
  /// per-feature variance of the data (scikit-learn's rule).
  KMeansOptions& tol(double v) {
    tol_ = v;
    return *this;
  }
  KMeansOptions& seed(std::uint64_t v) {
    seed_ = v;
    return *this;
  }
  int k_;
  int n_init_ = 10;
  int max_iter_ = 300;
  double tol_ = 1e-4;
  std::uint64_t seed_ = 0;
};

/// What `kmeans` returns.
struct KMeansResult {
  Labels labels;       ///< n, in [0, k)
  Features centers;    ///< k x d
  double inertia = 0;  ///< sum of squared distances of the samples to their centers
  int n_iter = 0;      ///< Lloyd iterations of the kept run
};

namespace detail {

using RowMatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// One Lloyd assignment over all rows: labels, distance of each row to its center, and (when
/// `sums` is not null) per-cluster sums and counts. Squared distances come from
/// ||x||^2 - 2 x.c + ||c||^2 with a GEMM a block of rows. Returns the inertia.
inline double kmeans_assign(const RowMatrixF& x, const Eigen::VectorXf& xnorm, const RowMatrixF& c,
                            std::vector<int>& labels, Eigen::MatrixXd* sums,
                            std::vector<double>* counts) {
  const Eigen::Index n = x.rows(), d = x.cols(), k = c.rows();
  const Eigen::VectorXf cnorm = c.rowwise().squaredNorm();
  const Eigen::Index block = 256;
  const Eigen::Index nblocks = (n + block - 1) / block;
  double inertia = 0;
  if (sums) {
    sums->setZero(k, d);
    counts->assign(k, 0.0);
  }
#ifdef _OPENMP  // without OpenMP: one thread, same results
#pragma omp parallel reduction(+ : inertia) if (n * (d + k) > (1 << 18))
#endif
  {
    Eigen::MatrixXd local_sums;
    std::vector<double> local_counts;
    if (sums) {
      local_sums.setZero(d, k);
      local_counts.assign(k, 0.0);
    }
    Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> dist;
#ifdef _OPENMP  // without OpenMP: one thread, same results
#pragma omp for schedule(static)
#endif
    for (Eigen::Index b = 0; b < nblocks; ++b) {
      const Eigen::Index r0 = b * block, m = std::min(block, n - r0);
      gram_block(x, r0, m, c, 0, k, dist);
      for (Eigen::Index i = 0; i < m; ++i) {
        int best = 0;
        float bd = std::numeric_limits<float>::infinity();
        for (Eigen::Index j = 0; j < k; ++j) {
          const float v = cnorm[j] - 2.0f * dist(i, j);
          if (v < bd) {
            bd = v;
            best = static_cast<int>(j);
          }
        }
        labels[r0 + i] = best;
        inertia += std::max(0.0, static_cast<double>(bd) + xnorm[r0 + i]);
        if (sums) {
          local_sums.col(best) += x.row(r0 + i).transpose().cast<double>();
          local_counts[best] += 1.0;
        }
      }
    }
    if (sums) {
#ifdef _OPENMP  // without OpenMP: one thread, same results
#pragma omp critical
#endif
      {
        *sums += local_sums.transpose();
        for (Eigen::Index j = 0; j < k; ++j) (*counts)[j] += local_counts[j];
      }
    }
  }
  return inertia;
}

/// Greedy k-means++ as scikit-learn's `_kmeans_plusplus`: 2 + floor(log k) candidates a step,
/// drawn proportional to the current squared distance, the one lowering the potential most kept.
inline RowMatrixF kmeans_plusplus(const RowMatrixF& x, const Eigen::VectorXf& xnorm, int k,
                                  std::mt19937_64& rng) {
  const Eigen::Index n = x.rows(), d = x.cols();
  const int trials = 2 + static_cast<int>(std::log(static_cast<double>(k)));
  RowMatrixF centers(k, d);
  std::uniform_int_distribution<Eigen::Index> first(0, n - 1);
  std::uniform_real_distribution<double> unif(0.0, 1.0);
  const Eigen::Index c0 = first(rng);
  centers.row(0) = x.row(c0);
  auto sqdist_to = [&](const RowMatrixF& cand) {  // n x t squared distances
    RowMatrixF g;
    gram_block(x, 0, n, cand, 0, cand.rows(), g);
    const Eigen::VectorXf cn = cand.rowwise().squaredNorm();
    Eigen::MatrixXf out(n, cand.rows());
#ifdef _OPENMP  // without OpenMP: one thread, same results
#pragma omp parallel for schedule(static) if (n > (1 << 16))
#endif
    for (Eigen::Index i = 0; i < n; ++i)
      for (Eigen::Index j = 0; j < cand.rows(); ++j)
        out(i, j) = std::max(0.0f, xnorm[i] - 2.0f * g(i, j) + cn[j]);
    return out;
  };
  Eigen::VectorXd closest = sqdist_to(centers.topRows(1)).col(0).cast<double>();
  double pot = closest.sum();
  std::vector<double> cum(n);
  for (int c = 1; c < k; ++c) {
    std::partial_sum(closest.data(), closest.data() + n, cum.begin());
    RowMatrixF cand(trials, d);
    for (int t = 0; t < trials; ++t) {
      const double r = unif(rng) * pot;
      Eigen::Index id = std::upper_bound(cum.begin(), cum.end(), r) - cum.begin();
      // searchsorted(side="left") is lower_bound; upper_bound skips zero-weight samples.
      id = std::min(id, n - 1);
      cand.row(t) = x.row(id);
    }
    const Eigen::MatrixXf dc = sqdist_to(cand);
    int best = 0;
    double best_pot = std::numeric_limits<double>::infinity();
    for (int t = 0; t < trials; ++t) {
      const double p = dc.col(t).cast<double>().cwiseMin(closest).sum();
      if (p < best_pot) {
        best_pot = p;
        best = t;
      }
    }
    closest = closest.cwiseMin(dc.col(best).cast<double>());
    pot = best_pot;
    centers.row(c) = cand.row(best);
  }
  return centers;
}

}  // namespace detail

/// Clusters the rows of `x` into `opts.k_` clusters (k-means++ seeding, Lloyd iterations,
/// `n_init` restarts, the lowest inertia kept). With OpenMP, restarts run in parallel (blocks of
/// rows when there is one restart).
/// An emptied cluster takes the sample farthest from its center (as scikit-learn).
/// @throws std::invalid_argument for empty features, NaN/inf (naming the row), k < 1, k > n,
///         n_init < 1 or max_iter < 1.
inline KMeansResult kmeans(const Features& x_in, const KMeansOptions& opts) {
  detail::check_features(x_in, "kmeans");
  const Eigen::Index n = x_in.rows(), d = x_in.cols();
  const int k = opts.k_;
  if (k < 1 || k > n)
    throw std::invalid_argument("kmeans: k = " + std::to_string(k) +
                                ", expected 1 <= k <= n = " + std::to_string(n));
  if (opts.n_init_ < 1)
    throw std::invalid_argument("kmeans: n_init = " + std::to_string(opts.n_init_) +
                                ", expected >= 1");
  if (opts.max_iter_ < 1)
    throw std::invalid_argument("kmeans: max_iter = " + std::to_string(opts.max_iter_) +
                                ", expected >= 1");
  // Center the data (as scikit-learn) for precision of the distance trick.
  const Eigen::RowVectorXd mean = x_in.cast<double>().colwise().mean();
  detail::RowMatrixF x = x_in;
  x.rowwise() -= mean.cast<float>();
  // x is centred: the mean per-feature variance is its mean square.
  const double var_mean = x.cast<double>().squaredNorm() / static_cast<double>(n * d);
  const double tol = opts.tol_ * var_mean;
  const Eigen::VectorXf xnorm = x.rowwise().squaredNorm();

  // One run a restart; restarts run in parallel (each with its own seed, so the result does not
  // depend on the number of threads), the blocks of a run in parallel when restarts are fewer.
  std::vector<KMeansResult> runs(opts.n_init_);
  [[maybe_unused]] const bool outer = opts.n_init_ > 1 && n * d > (1 << 16);
#ifdef _OPENMP  // without OpenMP: one thread, same results
#pragma omp parallel for schedule(dynamic, 1) if (outer)
#endif
  for (int init = 0; init < opts.n_init_; ++init) {
    std::vector<int> labels(n), prev(n, -1);
    Eigen::MatrixXd sums;
    std::vector<double> counts;
    std::mt19937_64 rng(opts.seed_ * 1000003ULL + static_cast<std::uint64_t>(init));
    detail::RowMatrixF c = detail::kmeans_plusplus(x, xnorm, k, rng);
    int it = 0;
    double inertia = 0;
    bool strict = false;
    for (; it < opts.max_iter_;) {
      inertia = detail::kmeans_assign(x, xnorm, c, labels, &sums, &counts);
      ++it;
      detail::RowMatrixF nc(k, d);
      bool any_empty = false;
      for (int j = 0; j < k; ++j) {
        if (counts[j] > 0)
          nc.row(j) = (sums.row(j) / counts[j]).cast<float>();
        else
          any_empty = true;
      }
      if (any_empty) {  // relocate empty clusters to the samples farthest from their centers
        std::vector<std::pair<float, Eigen::Index>> far(n);
        for (Eigen::Index i = 0; i < n; ++i)
          far[i] = {(x.row(i) - c.row(labels[i])).squaredNorm(), i};
        std::sort(far.begin(), far.end(), [](auto& a, auto& b) { return a.first > b.first; });
        std::size_t next = 0;
        for (int j = 0; j < k; ++j)
          if (counts[j] == 0) {
            const Eigen::Index i = far[next++].second;
            nc.row(j) = x.row(i);
            const int old = labels[i];  // take the sample out of its old cluster's mean
            if (counts[old] > 1) {
              sums.row(old) -= x.row(i).cast<double>();
              counts[old] -= 1;
              nc.row(old) = (sums.row(old) / counts[old]).cast<float>();
            }
            labels[i] = j;
            counts[j] = 1;
          }
      }
      // Labels unchanged: c is already the mean of its clusters and `inertia` is final.
      if (!any_empty && labels == prev) {
        strict = true;
        break;
      }
      const double shift = (nc - c).cast<double>().squaredNorm();
      c = nc;
      prev = labels;
      if (shift <= tol) break;
    }
    // Otherwise a final E-step with the last centers (as scikit-learn).
    if (!strict) inertia = detail::kmeans_assign(x, xnorm, c, labels, nullptr, nullptr);
    runs[init].labels = std::move(labels);
    runs[init].centers = std::move(c);
    runs[init].inertia = inertia;
    runs[init].n_iter = it;
  }
  std::size_t best_run = 0;  // the lowest inertia, the first on ties
  for (std::size_t r = 1; r < runs.size(); ++r)
    if (runs[r].inertia < runs[best_run].inertia) best_run = r;
  KMeansResult best = std::move(runs[best_run]);
  best.centers.rowwise() += mean.cast<float>();
  return best;
}

}  // namespace gan::cluster
