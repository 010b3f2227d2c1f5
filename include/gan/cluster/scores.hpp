#pragma once
/// @file
/// Internal cluster scores with scikit-learn's definitions (`sklearn.metrics`):
/// silhouette (Rousseeuw 1987), Calinski–Harabasz (1974), Davies–Bouldin (1979), and the
/// adjusted Rand index (Hubert & Arabie 1985) between two labellings.
///
/// ```cpp
/// double s = gan::cluster::silhouette_score(x, labels);        // float GEMM, in blocks
/// double s64 = gan::cluster::silhouette_score<double>(x, labels);  // float64 throughout
/// double ch = gan::cluster::calinski_harabasz_score(x, labels);
/// double db = gan::cluster::davies_bouldin_score(x, labels);
/// double ari = gan::cluster::adjusted_rand_index(labels_a, labels_b);
/// ```

#include <gan/cluster/features.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace gan::cluster {

namespace detail {

/// Labels renumbered 0..L-1 in increasing order of the original ids (as LabelEncoder).
inline std::vector<int> encode_labels(const Labels& labels, int& num) {
  std::vector<int> ids(labels.begin(), labels.end());
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  num = static_cast<int>(ids.size());
  std::vector<int> out(labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i)
    out[i] = static_cast<int>(std::lower_bound(ids.begin(), ids.end(), labels[i]) - ids.begin());
  return out;
}

inline void check_num_labels(int num, Eigen::Index n, const char* who) {
  if (num < 2 || num > n - 1)
    throw std::invalid_argument(
        std::string(who) + ": " + std::to_string(num) +
        " distinct labels, expected 2 <= labels <= n - 1 = " + std::to_string(n - 1));
}

}  // namespace detail

/// Silhouette of every sample (`sklearn.metrics.silhouette_samples`, Euclidean): (b - a) /
/// max(a, b), a the mean distance to the other members of its cluster, b the lowest mean distance
/// to another cluster; 0 for a sample alone in its cluster.
///
/// Exact: all pairwise distances, computed by blocks of `block` x `block` (a GEMM each, on the
/// centred data) over the upper triangle only, in parallel with OpenMP; the samples are sorted by
/// label so that a block's sums per cluster are row/column sums of contiguous slices. Memory:
/// O(block^2 + n L) a thread, L the number of clusters (the sums of distances of each sample to
/// each cluster).
/// @tparam Scalar precision of the distances: `float` (default, fast; relative error ~1e-6 on the
///         score) or `double` (scikit-learn to rounding).
/// @throws std::invalid_argument for empty/NaN features, a label count that differs from n, and
///         fewer than 2 or more than n-1 distinct labels.
template <class Scalar = float>
std::vector<double> silhouette_samples(const Features& x, const Labels& labels,
                                       Eigen::Index block = 512) {
  detail::check_features(x, "silhouette");
  const Eigen::Index n = x.rows();
  detail::check_labels(labels, n, "silhouette");
  int nl = 0;
  const std::vector<int> lab = detail::encode_labels(labels, nl);
  detail::check_num_labels(nl, n, "silhouette");
  if (block < 1) throw std::invalid_argument("silhouette: block = " + std::to_string(block));
  // Sort samples by label.
  std::vector<Eigen::Index> order(n);
  std::iota(order.begin(), order.end(), Eigen::Index{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](Eigen::Index a, Eigen::Index b) { return lab[a] < lab[b]; });
  using RowM = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::RowVectorXd mean = x.cast<double>().colwise().mean();
  RowM y(n, x.cols());
  for (Eigen::Index i = 0; i < n; ++i)
    y.row(i) = (x.row(order[i]).template cast<double>() - mean).template cast<Scalar>();
  const Eigen::Matrix<Scalar, Eigen::Dynamic, 1> nrm = y.rowwise().squaredNorm();
  std::vector<int> slab(n);
  std::vector<Eigen::Index> start(nl + 1, 0);
  for (Eigen::Index i = 0; i < n; ++i) {
    slab[i] = lab[order[i]];
    ++start[slab[i] + 1];
  }
  for (int c = 0; c < nl; ++c) start[c + 1] += start[c];

  // Blocks of the upper triangle: rows i0 <= columns j0 (the lower pairs, transposed).
  const auto tasks = detail::lower_block_pairs(n, block);
  // sums(i, c): sum of distances of sorted sample i to the members of cluster c.
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> sums =
      Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>::Zero(n, nl);
#ifdef _OPENMP  // without OpenMP: one thread, same results
#pragma omp parallel if (tasks.size() > 1)
#endif
  {
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> local =
        Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>::Zero(n, nl);
    Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> dist;
    Eigen::Matrix<Scalar, 1, Eigen::Dynamic> acc;
#ifdef _OPENMP  // without OpenMP: one thread, same results
#pragma omp for schedule(dynamic, 1)
#endif
    for (std::size_t t = 0; t < tasks.size(); ++t) {
      const Eigen::Index i0 = tasks[t].second * block, j0 = tasks[t].first * block;
      const Eigen::Index mi = std::min(block, n - i0), mj = std::min(block, n - j0);
      detail::gram_rows(y, i0, mi, j0, mj, dist);
      // Distances row by row (contiguous, vectorised), then sums per cluster slice.
      const auto nj = nrm.segment(j0, mj).transpose().array();
      for (Eigen::Index a = 0; a < mi; ++a) {
        auto r = dist.row(a).array();
        r = ((nj + nrm[i0 + a]) - Scalar(2) * r).max(Scalar(0)).sqrt();
        if (i0 == j0) r(a) = 0;
        // Row i0 + a gains its sums over the cluster slices of columns j0..
        for (Eigen::Index c0 = j0; c0 < j0 + mj;) {
          const int c = slab[c0];
          const Eigen::Index c1 = std::min(start[c + 1], j0 + mj);
          local(i0 + a, c) += static_cast<double>(r.segment(c0 - j0, c1 - c0).sum());
          c0 = c1;
        }
      }
      if (i0 != j0)  // the mirrored block: rows j0.. gain sums over the slices of rows i0..
        for (Eigen::Index r0 = i0; r0 < i0 + mi;) {
          const int c = slab[r0];
          const Eigen::Index r1 = std::min(start[c + 1], i0 + mi);
          acc.setZero(mj);
          for (Eigen::Index r = r0; r < r1; ++r) acc += dist.row(r - i0);
          local.block(j0, c, mj, 1) += acc.transpose().template cast<double>();
          r0 = r1;
        }
    }
#ifdef _OPENMP  // without OpenMP: one thread, same results
#pragma omp critical
#endif
    sums += local;
  }
  std::vector<double> out(n, 0.0);
  for (Eigen::Index i = 0; i < n; ++i) {
    const int own = slab[i];
    const double cnt = static_cast<double>(start[own + 1] - start[own]);
    if (cnt <= 1) continue;  // singleton: 0
    const double a = sums(i, own) / (cnt - 1);
    double b = std::numeric_limits<double>::infinity();
    for (int c = 0; c < nl; ++c)
      if (c != own) b = std::min(b, sums(i, c) / static_cast<double>(start[c + 1] - start[c]));
    const double m = std::max(a, b);
    out[order[i]] = m > 0 ? (b - a) / m : 0.0;
  }
  return out;
}

/// Mean silhouette over the samples (`sklearn.metrics.silhouette_score`, Euclidean).
template <class Scalar = float>
double silhouette_score(const Features& x, const Labels& labels, Eigen::Index block = 512) {
  const std::vector<double> s = silhouette_samples<Scalar>(x, labels, block);
  return std::accumulate(s.begin(), s.end(), 0.0) / static_cast<double>(s.size());
}

namespace detail {
struct Centroids {
  Eigen::MatrixXd centers;  // L x d
  std::vector<double> counts;
  std::vector<int> lab;
  int nl = 0;
};
inline Centroids centroids(const Features& x, const Labels& labels, const char* who) {
  check_features(x, who);
  check_labels(labels, x.rows(), who);
  Centroids c;
  c.lab = encode_labels(labels, c.nl);
  check_num_labels(c.nl, x.rows(), who);
  c.centers.setZero(c.nl, x.cols());
  c.counts.assign(c.nl, 0.0);
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    c.centers.row(c.lab[i]) += x.row(i).cast<double>();
    c.counts[c.lab[i]] += 1;
  }
  for (int k = 0; k < c.nl; ++k) c.centers.row(k) /= c.counts[k];
  return c;
}
}  // namespace detail

/// Calinski–Harabasz score (`sklearn.metrics.calinski_harabasz_score`): between-cluster over
/// within-cluster dispersion times (n - L) / (L - 1); 1 when the within dispersion is 0.
/// Float64 throughout.
inline double calinski_harabasz_score(const Features& x, const Labels& labels) {
  const detail::Centroids c = detail::centroids(x, labels, "calinski_harabasz");
  const Eigen::Index n = x.rows();
  const Eigen::RowVectorXd mean = x.cast<double>().colwise().mean();
  double extra = 0, intra = 0;
  for (int k = 0; k < c.nl; ++k) extra += c.counts[k] * (c.centers.row(k) - mean).squaredNorm();
  for (Eigen::Index i = 0; i < n; ++i)
    intra += (x.row(i).cast<double>() - c.centers.row(c.lab[i])).squaredNorm();
  if (intra == 0) return 1.0;
  return extra * static_cast<double>(n - c.nl) / (intra * static_cast<double>(c.nl - 1));
}

/// Davies–Bouldin score (`sklearn.metrics.davies_bouldin_score`): the mean over clusters of the
/// largest (s_i + s_j) / d(c_i, c_j), s the mean distance of a cluster's members to its centroid.
/// Float64 throughout.
inline double davies_bouldin_score(const Features& x, const Labels& labels) {
  const detail::Centroids c = detail::centroids(x, labels, "davies_bouldin");
  const int nl = c.nl;
  std::vector<double> intra(nl, 0.0);
  for (Eigen::Index i = 0; i < x.rows(); ++i)
    intra[c.lab[i]] += (x.row(i).cast<double>() - c.centers.row(c.lab[i])).norm();
  for (int k = 0; k < nl; ++k) intra[k] /= c.counts[k];
  Eigen::MatrixXd cd(nl, nl);
  for (int i = 0; i < nl; ++i)
    for (int j = 0; j < nl; ++j) cd(i, j) = (c.centers.row(i) - c.centers.row(j)).norm();
  const bool intra_zero = std::all_of(intra.begin(), intra.end(), [](double v) { return v == 0; });
  if (intra_zero || (cd.array() == 0).all()) return 0.0;
  double total = 0;
  for (int i = 0; i < nl; ++i) {
    double best = 0;
    for (int j = 0; j < nl; ++j) {
      if (j == i) continue;
      const double d = cd(i, j) == 0 ? std::numeric_limits<double>::infinity() : cd(i, j);
      best = std::max(best, (intra[i] + intra[j]) / d);
    }
    total += best;
  }
  return total / nl;
}

/// Adjusted Rand index of two labellings (`sklearn.metrics.adjusted_rand_score`): 1 for the
/// same partition whatever the label names, about 0 for independent ones.
/// @throws std::invalid_argument when the sizes differ.
inline double adjusted_rand_index(const Labels& a, const Labels& b) {
  if (a.size() != b.size())
    throw std::invalid_argument("adjusted_rand_index: " + std::to_string(a.size()) + " vs " +
                                std::to_string(b.size()) + " labels, expected equal sizes");
  int na = 0, nb = 0;
  const std::vector<int> ea = detail::encode_labels(a, na), eb = detail::encode_labels(b, nb);
  const double n = static_cast<double>(a.size());
  std::unordered_map<std::int64_t, std::int64_t> cont;
  std::vector<double> ra(na, 0.0), rb(nb, 0.0);
  for (std::size_t i = 0; i < a.size(); ++i) {
    ++cont[static_cast<std::int64_t>(ea[i]) * nb + eb[i]];
    ra[ea[i]] += 1;
    rb[eb[i]] += 1;
  }
  double ss = 0, sa = 0, sb = 0;
  for (const auto& kv : cont) ss += static_cast<double>(kv.second) * static_cast<double>(kv.second);
  for (double v : ra) sa += v * v;
  for (double v : rb) sb += v * v;
  const double tp = ss - n, fp = sb - ss, fn = sa - ss, tn = n * n - fp - fn - ss;
  if (fn == 0 && fp == 0) return 1.0;
  return 2.0 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn));
}

}  // namespace gan::cluster
