#pragma once
/// @file
/// Barnes–Hut t-SNE to two dimensions, and the trustworthiness of an embedding. Eigen only
/// (no libtorch, no OpenCV). The neighbour search, the perplexity search and trustworthiness
/// run in parallel with OpenMP when compiled with -fopenmp (serially otherwise); the gradient
/// descent runs on a small pool of std::threads (one per 1000 points at most) whose waiting
/// threads sleep rather than spin, so that shared cores do not stall its 1000 short steps.
/// While tsne() runs it sets Eigen::setNbThreads(1) (restored on return), so that Eigen's
/// GEMM blocking, hence the rounding, does not depend on the number of threads: the result
/// depends on the data, the options and the seed only.
///
/// Implements L. van der Maaten, "Accelerating t-SNE using Tree-Based Algorithms", JMLR 15
/// (2014), following scikit-learn's TSNE(method="barnes_hut") step by step: perplexity-based
/// conditional probabilities on the k = min(n - 1, 3·perplexity + 1) nearest neighbours found
/// by a binary search on the precision of each point, symmetrised and normalised sparse P,
/// PCA initialisation scaled so that the first coordinate has standard deviation 1e-4,
/// early exaggeration for 250 iterations with momentum 0.5, then momentum 0.8, per-coordinate
/// gains, a quadtree with the opening criterion max_width² / d² < θ², and the same
/// convergence checks (every 50 iterations: no progress in the KL divergence, or a tiny
/// gradient). Differences from scikit-learn: the nearest neighbours are exact (blocked GEMM
/// over all pairs, float32), PCA uses a randomized range finder of our own (so the signs and
/// the tiny random parts of the start differ), and positions are kept in float64.
///
/// ```cpp
/// gan::cluster::RowMatrixXf features = ...;            // n × d, one row per sample
/// gan::cluster::TsneOptions options;
/// options.seed = 7;
/// const auto result = gan::cluster::tsne(features, options);
/// const double t = gan::cluster::trustworthiness(features, result.embedding, 5);
/// ```

#include <Eigen/Dense>

#ifdef _OPENMP
#include <omp.h>
#define GAN_TSNE_OMP(directive) _Pragma(#directive)
#else
#define GAN_TSNE_OMP(directive)  // no -fopenmp: serial, without unknown-pragma warnings
#endif

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace gan::cluster {

/// Input features: one sample a row, float32, row-major.
using RowMatrixXf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
/// An embedding: one sample a row (two columns for t-SNE), float64, row-major.
using Embedding = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Options of tsne(); the defaults are scikit-learn's.
struct TsneOptions {
  double perplexity = 30;          ///< effective number of neighbours; 0 < perplexity < n
  int n_iter = 1000;               ///< total iterations, at least 250 (as scikit-learn asks)
  double theta = 0.5;              ///< Barnes–Hut accuracy: 0 is exact, larger is faster
  double early_exaggeration = 12;  ///< P is multiplied by this for the first 250 iterations
  double learning_rate = 0;        ///< 0: "auto", max(n / early_exaggeration / 4, 50)
  std::uint64_t seed = 0;          ///< seeds the PCA initialisation's random projection
  /// 0: OpenMP's default (omp_get_max_threads(); without OpenMP, the hardware's), of which
  /// the descent uses at most one per 1000 points
  int threads = 0;
  int n_iter_without_progress = 300;  ///< stop when the KL divergence has not improved this long
  double min_grad_norm = 1e-7;        ///< stop when the gradient norm falls below this
  bool verbose = false;  ///< print the time of each phase and the KL divergence to stderr
};

/// What tsne() returns.
struct TsneResult {
  Embedding embedding;  ///< n × 2, float64
  double kl_divergence =
      0;               ///< KL(P || Q) at the last iteration (as scikit-learn's kl_divergence_)
  int iterations = 0;  ///< iterations run (may stop early on the convergence checks)
};

namespace detail {

inline int tsne_threads(int requested) {
#ifdef _OPENMP
  return requested > 0 ? requested : omp_get_max_threads();
#else
  return requested > 0 ? requested : int(std::max(1u, std::thread::hardware_concurrency()));
#endif
}

/// The k nearest neighbours of every row of X (itself excluded), by exact squared Euclidean
/// distance computed as |x|² + |y|² - 2 x·y in blocks (float32 GEMM, clipped at 0). Returns
/// indices and squared distances, n × k each, row-major, nearest first.
inline void exact_knn(const RowMatrixXf& X, int k, int threads, std::vector<int>& indices,
                      std::vector<float>& distances) {
  (void)threads;  // unused without OpenMP
  const Eigen::Index n = X.rows();
  const Eigen::VectorXf norms = X.rowwise().squaredNorm();
  indices.assign(std::size_t(n) * k, 0);
  distances.assign(std::size_t(n) * k, 0.0f);
  // Rows per block: about 16M floats of distances per thread, and at least 16 rows.
  const Eigen::Index block =
      std::clamp<Eigen::Index>((Eigen::Index(1) << 24) / std::max<Eigen::Index>(n, 1), 16, 256);
  const Eigen::Index blocks = (n + block - 1) / block;
GAN_TSNE_OMP(omp parallel num_threads(threads))
  {
    Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> D;
    std::vector<std::pair<float, int>> row(n);
GAN_TSNE_OMP(omp for schedule(dynamic, 1))
    for (Eigen::Index b = 0; b < blocks; ++b) {
      const Eigen::Index lo = b * block, rows = std::min(block, n - lo);
      D.noalias() = X.middleRows(lo, rows) * X.transpose();
      for (Eigen::Index r = 0; r < rows; ++r) {
        const Eigen::Index i = lo + r;
        const float ni = norms[i];
        for (Eigen::Index j = 0; j < n; ++j)
          row[j] = {std::max(0.0f, ni + norms[j] - 2.0f * D(r, j)), int(j)};
        row[i].first = std::numeric_limits<float>::infinity();
        std::nth_element(row.begin(), row.begin() + k, row.end());
        std::sort(row.begin(), row.begin() + k);
        for (int m = 0; m < k; ++m) {
          indices[std::size_t(i) * k + m] = row[m].second;
          distances[std::size_t(i) * k + m] = row[m].first;
        }
      }
    }
  }
}

/// Conditional probabilities p(j|i) over the k neighbours of each point with the perplexity
/// asked for: scikit-learn's _binary_search_perplexity (tolerance 1e-5 on the entropy in
/// nats, at most 100 steps, β starting at 1).
inline std::vector<double> conditional_p(const std::vector<float>& sqdist, Eigen::Index n, int k,
                                         double perplexity, int threads) {
  (void)threads;  // unused without OpenMP
  std::vector<double> P(std::size_t(n) * k);
  const double desired_entropy = std::log(perplexity);
GAN_TSNE_OMP(omp parallel for num_threads(threads) schedule(static))
  for (Eigen::Index i = 0; i < n; ++i) {
    const float* d = &sqdist[std::size_t(i) * k];
    double* p = &P[std::size_t(i) * k];
    double beta_min = -std::numeric_limits<double>::infinity();
    double beta_max = std::numeric_limits<double>::infinity();
    double beta = 1.0;
    for (int step = 0; step < 100; ++step) {
      double sum_p = 0;
      for (int j = 0; j < k; ++j) sum_p += (p[j] = std::exp(-double(d[j]) * beta));
      if (sum_p == 0.0) sum_p = 1e-8;
      double sum_dp = 0;
      for (int j = 0; j < k; ++j) {
        p[j] /= sum_p;
        sum_dp += double(d[j]) * p[j];
      }
      const double entropy_diff = std::log(sum_p) + beta * sum_dp - desired_entropy;
      if (std::abs(entropy_diff) <= 1e-5) break;
      if (entropy_diff > 0) {
        beta_min = beta;
        beta =
            beta_max == std::numeric_limits<double>::infinity() ? beta * 2 : (beta + beta_max) / 2;
      } else {
        beta_max = beta;
        beta =
            beta_min == -std::numeric_limits<double>::infinity() ? beta / 2 : (beta + beta_min) / 2;
      }
    }
    // scikit-learn keeps these in float32.
    for (int j = 0; j < k; ++j) p[j] = double(float(p[j]));
  }
  return P;
}

/// A sparse symmetric matrix in CSR form.
struct SparseP {
  std::vector<Eigen::Index> row_start;  ///< n + 1
  std::vector<int> column;
  std::vector<double> value;
};

/// (P + Pᵀ) / sum, from the conditional probabilities on the neighbour lists.
inline SparseP symmetrise(const std::vector<int>& neighbours, const std::vector<double>& cond,
                          Eigen::Index n, int k) {
  std::vector<Eigen::Index> count(n + 1, 0);
  for (Eigen::Index i = 0; i < n; ++i)
    for (int m = 0; m < k; ++m) {
      ++count[i + 1];
      ++count[neighbours[std::size_t(i) * k + m] + 1];
    }
  for (Eigen::Index i = 0; i < n; ++i) count[i + 1] += count[i];
  std::vector<std::pair<int, double>> entries(count[n]);
  std::vector<Eigen::Index> fill(count.begin(), count.end() - 1);
  for (Eigen::Index i = 0; i < n; ++i)
    for (int m = 0; m < k; ++m) {
      const int j = neighbours[std::size_t(i) * k + m];
      const double p = cond[std::size_t(i) * k + m];
      entries[fill[i]++] = {j, p};
      entries[fill[j]++] = {int(i), p};
    }
  SparseP out;
  out.row_start.assign(n + 1, 0);
  out.column.reserve(entries.size());
  out.value.reserve(entries.size());
  double total = 0;
  for (Eigen::Index i = 0; i < n; ++i) {
    auto first = entries.begin() + count[i], last = entries.begin() + count[i + 1];
    std::sort(first, last, [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto it = first; it != last; ++it) {
      if (!out.column.empty() && Eigen::Index(out.column.size()) > out.row_start[i] &&
          out.column.back() == it->first)
        out.value.back() += it->second;
      else {
        out.column.push_back(it->first);
        out.value.push_back(it->second);
      }
      total += it->second;
    }
    out.row_start[i + 1] = Eigen::Index(out.column.size());
  }
  total = std::max(total, std::numeric_limits<double>::epsilon());
  for (double& v : out.value) v /= total;
  return out;
}

/// The first two principal components of X (n × 2, float64), found with a randomized range
/// finder (Halko et al. 2011: 10 extra dimensions, 4 power iterations with re-orthonormalisation),
/// with scikit-learn's sign convention (the entry of largest magnitude of each column is
/// positive).
inline Embedding pca_2d(const RowMatrixXf& X, std::uint64_t seed) {
  const Eigen::Index n = X.rows(), d = X.cols();
  const Eigen::Index l = std::min<Eigen::Index>(std::min(n, d), 12);
  const Eigen::RowVectorXf mean = X.colwise().mean();
  const RowMatrixXf Xc = X.rowwise() - mean;
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal;
  Eigen::MatrixXf omega(d, l);
  for (Eigen::Index c = 0; c < l; ++c)
    for (Eigen::Index r = 0; r < d; ++r) omega(r, c) = normal(rng);
  const auto orth = [](const Eigen::MatrixXd& A) {
    Eigen::HouseholderQR<Eigen::MatrixXd> qr(A);
    return Eigen::MatrixXd(qr.householderQ() * Eigen::MatrixXd::Identity(A.rows(), A.cols()));
  };
  Eigen::MatrixXd Q = orth((Xc * omega).cast<double>());
  for (int it = 0; it < 4; ++it) {
    const Eigen::MatrixXd Z = orth((Xc.transpose() * Q.cast<float>()).cast<double>());
    Q = orth((Xc * Z.cast<float>()).cast<double>());
  }
  const Eigen::MatrixXd B = (Q.cast<float>().transpose() * Xc).cast<double>();  // l × d
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(B * B.transpose());
  Embedding Y(n, 2);
  for (int c = 0; c < 2; ++c) {
    const Eigen::Index e = l - 1 - std::min<Eigen::Index>(c, l - 1);
    const double sigma = std::sqrt(std::max(0.0, eig.eigenvalues()[e]));
    Y.col(c) = Q * eig.eigenvectors().col(e) * sigma;
    if (c >= l) Y.col(c).setZero();
    Eigen::Index at = 0;
    Y.col(c).cwiseAbs().maxCoeff(&at);
    if (Y(at, c) < 0) Y.col(c) *= -1;
  }
  return Y;
}

/// A quadtree over 2-D points, stored depth-first so that a query walks it without a stack:
/// from node i it either uses the node as a summary and jumps to next[i] (the node after its
/// subtree) or opens it and goes to i + 1 (its first child).
class QuadTree {
 public:
  struct Node {
    // float: 20 bytes a node, so that the tree of 10^4 - 10^5 points stays in cache.
    float cx, cy;  ///< centre of mass
    float w2;      ///< squared largest side of the cell; 0 for a leaf
    float count;   ///< points in the cell
    int next;      ///< the node after this one's subtree
  };

  /// Rebuilds the tree over the n points `pos` (x0, y0, x1, y1, ...).
  void build(const double* pos, Eigen::Index n) {
    pos_ = pos;
    nodes_.clear();
    sums_.clear();
    order_.resize(n);
    std::iota(order_.begin(), order_.end(), 0);
    double x0 = std::numeric_limits<double>::infinity(), y0 = x0, x1 = -x0, y1 = -x0;
    for (Eigen::Index i = 0; i < n; ++i) {
      x0 = std::min(x0, pos[2 * i]), x1 = std::max(x1, pos[2 * i]);
      y0 = std::min(y0, pos[2 * i + 1]), y1 = std::max(y1, pos[2 * i + 1]);
    }
    x1 = std::nextafter(x1, std::numeric_limits<double>::infinity());
    y1 = std::nextafter(y1, std::numeric_limits<double>::infinity());
    build_node(0, int(n), x0, y0, x1, y1, 0);
  }

  const std::vector<Node>& nodes() const { return nodes_; }
  /// The points in depth-first (spatially coherent) order.
  const std::vector<int>& order() const { return order_; }

  /// The repulsive force on the point (px, py) (sum of q²·(p - c)·count over the summaries,
  /// q = 1 / (1 + d²), unnormalised) and the sum of q·count, skipping the point itself and
  /// its exact duplicates.
  void repulsion(double px, double py, float theta2, double& fx, double& fy, double& sum_q) const {
    const Node* nodes = nodes_.data();
    const int size = int(nodes_.size());
    const float x = float(px), y = float(py);
    double ax = 0, ay = 0, q_sum = 0;
    // Branch-free: whether a node is summarised is data-dependent and mispredicts often, so
    // every visited node computes its term and a mask keeps it or not.
    for (int i = 0; i < size;) {
      const Node& node = nodes[i];
      const float dx = x - node.cx, dy = y - node.cy, d2 = dx * dx + dy * dy;
      const bool use = node.w2 < theta2 * d2;
      const bool skip = use || node.w2 == 0;  // a leaf at distance 0: the point itself
      const float q = 1.0f / (1.0f + d2), cq = use ? node.count * q : 0.0f;
      q_sum += cq;
      ax += cq * q * dx;
      ay += cq * q * dy;
      i = skip ? node.next : i + 1;
    }
    fx = ax, fy = ay, sum_q = q_sum;
  }

 private:
  static constexpr int max_depth = 50;

  int build_node(int lo, int hi, double x0, double y0, double x1, double y1, int depth) {
    const int index = int(nodes_.size());
    nodes_.push_back({});
    sums_.push_back({});
    const double wx = x1 - x0, wy = y1 - y0;
    bool leaf = hi - lo == 1 || depth >= max_depth;
    if (!leaf) {
      const double mx = 0.5 * (x0 + x1), my = 0.5 * (y0 + y1);
      int* first = order_.data() + lo;
      int* last = order_.data() + hi;
      int* mid_y = std::partition(first, last, [&](int p) { return pos_[2 * p + 1] < my; });
      int* mid_x0 = std::partition(first, mid_y, [&](int p) { return pos_[2 * p] < mx; });
      int* mid_x1 = std::partition(mid_y, last, [&](int p) { return pos_[2 * p] < mx; });
      const int a = int(mid_x0 - order_.data()), b = int(mid_y - order_.data()),
                c = int(mid_x1 - order_.data());
      double sx = 0, sy = 0;
      const auto child = [&](int clo, int chi, double cx0, double cy0, double cx1, double cy1) {
        if (clo == chi) return;
        const int ci = build_node(clo, chi, cx0, cy0, cx1, cy1, depth + 1);
        const auto& cn = sums_[ci];
        sx += cn.sx, sy += cn.sy;
      };
      child(lo, a, x0, y0, mx, my);
      child(a, b, mx, y0, x1, my);
      child(b, c, x0, my, mx, y1);
      child(c, hi, mx, my, x1, y1);
      Node& node = nodes_[index];
      node.count = float(hi - lo);
      node.cx = float(sx / (hi - lo)), node.cy = float(sy / (hi - lo));
      node.w2 = float(std::max(wx * wx, wy * wy));
      if (!(node.w2 > 0)) node.w2 = std::numeric_limits<float>::min();
      sums_[index] = {sx, sy};
    } else {
      double sx = 0, sy = 0;
      for (int m = lo; m < hi; ++m) sx += pos_[2 * order_[m]], sy += pos_[2 * order_[m] + 1];
      Node& node = nodes_[index];
      node.count = float(hi - lo);
      node.cx = float(sx / (hi - lo)), node.cy = float(sy / (hi - lo));
      node.w2 = 0;
      sums_[index] = {sx, sy};
    }
    nodes_[index].next = int(nodes_.size());
    return index;
  }

  const double* pos_ = nullptr;
  struct Sum {
    double sx, sy;
  };
  std::vector<Node> nodes_;
  std::vector<Sum> sums_;  ///< exact coordinate sums of each node, while building
  std::vector<int> order_;
};

/// A fixed set of worker threads for the gradient descent's per-iteration loop. Waiting
/// threads sleep on a condition variable instead of spinning (as OpenMP's barriers do for a
/// while): on cores shared with other processes, a spinning thread keeps a core from the
/// thread it waits for, which made 1000 short iterations up to 50 times slower.
class WorkerPool {
 public:
  explicit WorkerPool(int threads) {
    for (int t = 1; t < threads; ++t) workers_.emplace_back([this] { work(); });
  }
  ~WorkerPool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    start_.notify_all();
    for (auto& w : workers_) w.join();
  }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  /// Calls body(begin, end) over [0, n) in chunks of `chunk`, on every thread (this one
  /// included), and returns when all are done. `body` must not throw.
  void run(Eigen::Index n, Eigen::Index chunk, const std::function<void(Eigen::Index, Eigen::Index)>& body) {
    if (workers_.empty()) {
      body(0, n);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      body_ = &body, n_ = n, chunk_ = chunk;
      next_.store(0);
      busy_ = int(workers_.size());
      ++generation_;
    }
    start_.notify_all();
    chunks();
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return busy_ == 0; });
  }

 private:
  void chunks() {
    for (;;) {
      const Eigen::Index begin = next_.fetch_add(chunk_);
      if (begin >= n_) return;
      (*body_)(begin, std::min(n_, begin + chunk_));
    }
  }
  void work() {
    long seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        start_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
      }
      chunks();
      std::lock_guard<std::mutex> lock(mutex_);
      if (--busy_ == 0) done_.notify_one();
    }
  }

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable start_, done_;
  const std::function<void(Eigen::Index, Eigen::Index)>* body_ = nullptr;
  std::atomic<Eigen::Index> next_{0};
  Eigen::Index n_ = 0, chunk_ = 1;
  long generation_ = 0;
  int busy_ = 0;
  bool stop_ = false;
};

/// The repulsive forces (2n) kept in `scratch` after its 3n per-point sums.
inline double* scratch_force(std::vector<double>& scratch, Eigen::Index n) {
  return scratch.data() + 3 * n;
}

/// The Barnes–Hut gradient of KL(P || Q) at `pos` (n × 2, flat), written to `grad`; returns
/// the KL divergence when `want_error`, else 0. As scikit-learn's _kl_divergence_bh with one
/// degree of freedom: grad = 4 (F_attr - F_rep / Z). Attraction and repulsion are computed in
/// one parallel loop (one barrier an iteration: fewer stalls when the cores are shared), and
/// the KL divergence as Σ p (log p - log q) + log Z Σ p (scikit-learn clamps q / Z at the
/// smallest float, which only matters when q / Z underflows it).
inline double bh_gradient(const SparseP& P, double exaggeration, const std::vector<double>& pos,
                          Eigen::Index n, double theta, WorkerPool& pool, QuadTree& tree,
                          std::vector<double>& grad, std::vector<double>& scratch,
                          bool want_error) {
  tree.build(pos.data(), n);
  const auto& order = tree.order();
  const float theta2 = float(theta * theta);
  constexpr double tiny = double(std::numeric_limits<float>::min());
  // scratch: per point, the sum of q·count, Σ p, and Σ p (log p - log q).
  scratch.resize(5 * n);
  pool.run(n, 64, [&](Eigen::Index begin, Eigen::Index end) {
  for (Eigen::Index t = begin; t < end; ++t) {
    const int i = order[t];
    const double px = pos[2 * i], py = pos[2 * i + 1];
    double fx, fy, sq;
    tree.repulsion(px, py, theta2, fx, fy, sq);
    double ax = 0, ay = 0, p_sum = 0, error = 0;
    for (Eigen::Index e = P.row_start[i]; e < P.row_start[i + 1]; ++e) {
      const int j = P.column[e];
      const double dx = px - pos[2 * j], dy = py - pos[2 * j + 1];
      const double q = 1.0 / (1.0 + dx * dx + dy * dy);
      const double p = P.value[e] * exaggeration;
      ax += p * q * dx, ay += p * q * dy;
      if (want_error) {
        p_sum += p;
        error += p * (std::log(std::max(p, tiny)) - std::log(q));
      }
    }
    grad[2 * i] = ax, grad[2 * i + 1] = ay;
    scratch[3 * i] = sq, scratch[3 * i + 1] = p_sum, scratch[3 * i + 2] = error;
    scratch_force(scratch, n)[2 * i] = fx;
    scratch_force(scratch, n)[2 * i + 1] = fy;
  }
  });
  double z = 0, p_total = 0, error = 0;  // summed in a fixed order: independent of the threads
  for (Eigen::Index i = 0; i < n; ++i)
    z += scratch[3 * i], p_total += scratch[3 * i + 1], error += scratch[3 * i + 2];
  const double inv_z = 1.0 / z;
  const double* rep = scratch.data() + 3 * n;
  for (Eigen::Index c = 0; c < 2 * n; ++c) grad[c] = 4 * (grad[c] - rep[c] * inv_z);
  return want_error ? error + std::log(z) * p_total : 0.0;
}

}  // namespace detail

/// Embeds the rows of X (n × d) in two dimensions with Barnes–Hut t-SNE (van der Maaten
/// 2014) as scikit-learn's TSNE(method="barnes_hut", init="pca", learning_rate="auto") does;
/// see the file comment for the steps and the differences. The result depends on the seed
/// only, not on the number of threads.
///
/// Throws std::invalid_argument (naming the value) when n < 4, d < 1, perplexity is not in
/// (0, n), n_iter < 250, theta < 0, early_exaggeration < 1, learning_rate < 0, or a feature is
/// NaN or infinite (naming the row and column).
inline TsneResult tsne(const RowMatrixXf& X, const TsneOptions& options = {}) {
  const Eigen::Index n = X.rows(), d = X.cols();
  if (n < 4) throw std::invalid_argument("tsne: need at least 4 samples, got " + std::to_string(n));
  if (d < 1) throw std::invalid_argument("tsne: need at least 1 feature, got 0");
  if (!(options.perplexity > 0) || !(options.perplexity < double(n)))
    throw std::invalid_argument("tsne: perplexity must be in (0, n = " + std::to_string(n) +
                                "), got " + std::to_string(options.perplexity));
  if (options.n_iter < 250)
    throw std::invalid_argument("tsne: n_iter must be at least 250, got " +
                                std::to_string(options.n_iter));
  if (!(options.theta >= 0))
    throw std::invalid_argument("tsne: theta must be >= 0, got " + std::to_string(options.theta));
  if (!(options.early_exaggeration >= 1))
    throw std::invalid_argument("tsne: early_exaggeration must be >= 1, got " +
                                std::to_string(options.early_exaggeration));
  if (!(options.learning_rate >= 0))
    throw std::invalid_argument("tsne: learning_rate must be >= 0 (0 for auto), got " +
                                std::to_string(options.learning_rate));
  for (Eigen::Index i = 0; i < n; ++i)
    if (!X.row(i).allFinite()) {
      Eigen::Index j = 0;
      while (std::isfinite(X(i, j))) ++j;
      throw std::invalid_argument("tsne: feature " + std::to_string(j) + " of row " +
                                  std::to_string(i) + " is " + std::to_string(X(i, j)) +
                                  "; features must be finite");
    }

  const int threads = detail::tsne_threads(options.threads);
  // Eigen's own GEMM threading would change the blocking, hence the rounding, with the
  // number of threads: keep it serial while we run (our loops are parallel themselves).
  struct EigenThreads {
    int old = Eigen::nbThreads();
    EigenThreads() { Eigen::setNbThreads(1); }
    ~EigenThreads() { Eigen::setNbThreads(old); }
  } eigen_threads;
  auto clock = std::chrono::steady_clock::now();
  const auto phase = [&](const char* what) {
    if (!options.verbose) return;
    const auto now = std::chrono::steady_clock::now();
    std::fprintf(stderr, "tsne: %s %.3f s\n", what,
                 std::chrono::duration<double>(now - clock).count());
    clock = now;
  };
  const int k = int(std::min<double>(double(n - 1), std::floor(3 * options.perplexity + 1)));

  // P: neighbours, conditional probabilities, symmetrised.
  std::vector<int> neighbours;
  std::vector<float> sqdist;
  detail::exact_knn(X, k, threads, neighbours, sqdist);
  phase("neighbours");
  const auto cond = detail::conditional_p(sqdist, n, k, options.perplexity, threads);
  const detail::SparseP P = detail::symmetrise(neighbours, cond, n, k);
  phase("P");

  // Start: PCA, first coordinate with standard deviation 1e-4.
  Embedding Y0 = detail::pca_2d(X, options.seed);
  {
    const double m = Y0.col(0).mean();
    const double sd = std::sqrt((Y0.col(0).array() - m).square().mean());
    Y0 *= 1e-4 / (sd > 0 ? sd : 1.0);
  }
  std::vector<double> pos(Y0.data(), Y0.data() + 2 * n);
  phase("PCA");

  const double learning_rate = options.learning_rate > 0
                                   ? options.learning_rate
                                   : std::max(double(n) / options.early_exaggeration / 4.0, 50.0);
  std::vector<double> grad(2 * n), update(2 * n), gains(2 * n), scratch(5 * n);
  detail::QuadTree tree;
  // One thread per 1000 points at most in the descent: below that an iteration takes well
  // under a millisecond and, on shared cores, waiting for a descheduled thread costs more.
  // The descent runs on a pool of std::threads that sleep while waiting (see WorkerPool).
  detail::WorkerPool pool(int(std::clamp<Eigen::Index>(n / 1000, 1, threads)));
  constexpr int exploration = 250, check_every = 50;
  double kl = 0;
  int last_it = 0;
  // Two stages as scikit-learn's _gradient_descent: fresh update and gains each.
  const auto descend = [&](int first, int last, double momentum, double exaggeration,
                           int without_progress) {
    std::fill(update.begin(), update.end(), 0.0);
    std::fill(gains.begin(), gains.end(), 1.0);
    double best_error = std::numeric_limits<double>::max();
    int best_it = 0, i = first;
    for (; i < last; ++i) {
      const bool check = (i + 1) % check_every == 0;
      const double error =
          detail::bh_gradient(P, exaggeration, pos, n, options.theta, pool, tree, grad,
                              scratch, check || i == last - 1);
      double norm2 = 0;
      for (Eigen::Index c = 0; c < 2 * n; ++c) {
        double& gain = gains[c];
        gain = update[c] * grad[c] < 0 ? gain + 0.2 : gain * 0.8;
        gain = std::max(gain, 0.01);
        const double g = grad[c] * gain;
        norm2 += g * g;
        update[c] = momentum * update[c] - learning_rate * g;
        pos[c] += update[c];
      }
      if (check || i == last - 1) kl = error;
      if (check && options.verbose)
        std::fprintf(stderr, "tsne: iteration %d KL %.4f gradient norm %.3g\n", i + 1, error,
                     std::sqrt(norm2));
      if (check) {
        if (error < best_error)
          best_error = error, best_it = i;
        else if (i - best_it > without_progress)
          break;
        if (std::sqrt(norm2) <= options.min_grad_norm) break;
      }
    }
    return std::min(i, last - 1);
  };
  last_it = descend(0, exploration, 0.5, options.early_exaggeration, exploration);
  if (options.n_iter > exploration || last_it < exploration - 1)
    last_it = descend(last_it + 1, options.n_iter, 0.8, 1.0, options.n_iter_without_progress);

  phase("descent");
  TsneResult result;
  result.embedding = Eigen::Map<const Embedding>(pos.data(), n, 2);
  result.kl_divergence = kl;
  result.iterations = last_it + 1;
  return result;
}

/// The trustworthiness of an embedding Y of X (Venna & Kaski 2001) with `k` neighbours, as
/// sklearn.manifold.trustworthiness(X, Y, n_neighbors=k) (Euclidean): 1 minus a penalty for
/// each of the k nearest neighbours in Y of a point by how far outside its k nearest in X it
/// ranks. Distances are exact in float64 (O(n²) time, O(n) memory per thread).
///
/// Throws std::invalid_argument when the row counts differ, or k is not in [1, n / 2).
inline double trustworthiness(const RowMatrixXf& X, const Embedding& Y, int k, int threads = 0) {
  const Eigen::Index n = X.rows();
  if (Y.rows() != n)
    throw std::invalid_argument("trustworthiness: X has " + std::to_string(n) + " rows but Y has " +
                                std::to_string(Y.rows()));
  if (k < 1 || !(double(k) < double(n) / 2))
    throw std::invalid_argument("trustworthiness: k must be in [1, n / 2) with n = " +
                                std::to_string(n) + ", got " + std::to_string(k));
  threads = detail::tsne_threads(threads);
  const Eigen::MatrixXd Xd = X.cast<double>();  // column-major: cache-friendly per column below
  const Eigen::Index d = X.cols(), e = Y.cols();
  double total = 0;
  std::vector<double> penalty(n, 0.0);
GAN_TSNE_OMP(omp parallel num_threads(threads))
  {
    std::vector<double> dx(n), dy(n);
    std::vector<std::pair<double, int>> near(n);
GAN_TSNE_OMP(omp for schedule(dynamic, 16))
    for (Eigen::Index i = 0; i < n; ++i) {
      // k nearest of i in Y (itself excluded).
      for (Eigen::Index j = 0; j < n; ++j) {
        double s = 0;
        for (Eigen::Index c = 0; c < e; ++c) {
          const double t = Y(i, c) - Y(j, c);
          s += t * t;
        }
        near[j] = {j == i ? std::numeric_limits<double>::infinity() : s, int(j)};
      }
      std::nth_element(near.begin(), near.begin() + (k - 1), near.end());
      // Squared distances from i in X.
      std::fill(dx.begin(), dx.end(), 0.0);
      for (Eigen::Index c = 0; c < d; ++c) {
        const double xi = Xd(i, c);
        const double* col = Xd.col(c).data();
        for (Eigen::Index j = 0; j < n; ++j) {
          const double t = col[j] - xi;
          dx[j] += t * t;
        }
      }
      dx[i] = std::numeric_limits<double>::infinity();
      double p = 0;
      for (int m = 0; m < k; ++m) {
        const int j = near[m].second;
        const double dij = dx[j];
        // Rank of j among i's neighbours in X, from 1: ties ranked by index (a stable sort).
        Eigen::Index rank = 1;
        for (Eigen::Index l = 0; l < n; ++l) rank += dx[l] < dij || (dx[l] == dij && l < j);
        if (rank > k) p += double(rank - k);
      }
      penalty[i] = p;
    }
  }
  for (double p : penalty) total += p;
  return 1.0 - total * (2.0 / (double(n) * k * (2.0 * double(n) - 3.0 * k - 1.0)));
}

}  // namespace gan::cluster

#undef GAN_TSNE_OMP
