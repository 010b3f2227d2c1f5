#pragma once
/// @file
/// Dense float64 kernels of the Fréchet distance: symmetric eigenvalues, Cholesky factors and the
/// two products (A B^T, X^T X), through LAPACK and BLAS (`dsyevd`, `dpotrf`, `dgemm`, `dsyrk`)
/// when the program links them, else through Eigen. gan::gan links them when CMake finds LAPACK
/// (Debian: OpenBLAS's, multi-threaded under OMP_NUM_THREADS, with the AVX2 kernels it picks at
/// run time, where the project compiles for x86-64-v2). A 2048 x 2048 eigenproblem then takes a
/// fraction of a second instead of Eigen's single-threaded seconds (docs/performance.md).
/// The symbols are weak references, so a program built without them links and runs on Eigen;
/// `lapack_available()` says which one runs. Without BLAS, gram() falls back to gram.hpp's
/// lower-triangle block loop, parallel under OpenMP.

#include <gan/linalg/gram.hpp>

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <Eigen/Eigenvalues>

#include <algorithm>
#include <utility>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <vector>

#ifdef __linux__
#include <sys/mman.h>
#endif

extern "C" {
// Fortran LAPACK, with the hidden lengths of the character arguments that gfortran passes last.
void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w,
             double* work, const int* lwork, int* iwork, const int* liwork, int* info, std::size_t,
             std::size_t) __attribute__((weak));
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info, std::size_t)
    __attribute__((weak));
void dgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k,
            const double* alpha, const double* a, const int* lda, const double* b, const int* ldb,
            const double* beta, double* c, const int* ldc, std::size_t, std::size_t) __attribute__((weak));
void dsyrk_(const char* uplo, const char* trans, const int* n, const int* k, const double* alpha,
            const double* a, const int* lda, const double* beta, double* c, const int* ldc, std::size_t,
            std::size_t) __attribute__((weak));
void dtrmm_(const char* side, const char* uplo, const char* transa, const char* diag, const int* m, const int* n,
            const double* alpha, const double* a, const int* lda, double* b, const int* ldb, std::size_t,
            std::size_t, std::size_t, std::size_t) __attribute__((weak));
}

namespace gan::linalg {

/// Whether LAPACK's routines are linked into the program (else Eigen's run).
inline bool lapack_available() {
  return dsyevd_ != nullptr && dpotrf_ != nullptr && dgemm_ != nullptr && dsyrk_ != nullptr && dtrmm_ != nullptr;
}

/// Sizes `m` to rows x cols, asking Linux for transparent huge pages over its storage before
/// anything touches it (madvise, where the kernel's setting is "madvise", as Debian's is): a fresh
/// 2048 x 2048 float64 matrix then faults 16 pages in instead of 8,192, which on the 2-core VM of
/// docs/performance.md halves the 0.085 s that its first write costs. A no-op elsewhere, for small
/// matrices, and when the storage is already there.
inline void resize_fresh(Eigen::MatrixXd& m, Eigen::Index rows, Eigen::Index cols) {
  if (m.rows() == rows && m.cols() == cols) return;
  m.resize(rows, cols);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr std::uintptr_t huge = std::uintptr_t{1} << 21;
  const auto begin = reinterpret_cast<std::uintptr_t>(m.data());
  const std::uintptr_t end = begin + static_cast<std::uintptr_t>(m.size()) * sizeof(double);
  const std::uintptr_t first = (begin + huge - 1) & ~(huge - 1), last = end & ~(huge - 1);
  if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
#endif
}

namespace detail {
/// Whether the BLAS/LAPACK path can take matrices with these sizes (32-bit Fortran integers).
inline bool fits(std::initializer_list<Eigen::Index> sizes) {
  if (!lapack_available()) return false;
  for (auto s : sizes)
    if (s <= 0 || s > INT_MAX) return false;
  return true;
}
}  // namespace detail

/// c = a b^T + beta c (a: m x k, b: n x k; c: m x n, resized when beta is 0).
inline void multiply_transposed(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b, Eigen::MatrixXd& c,
                                double beta = 0) {
  if (beta == 0) resize_fresh(c, a.rows(), b.rows());
  if (!detail::fits({a.rows(), b.rows(), a.cols()}) || a.cols() != b.cols()) {
    if (beta == 0) c.noalias() = a * b.transpose();
    else c.noalias() += a * b.transpose();  // beta is 0 or 1 here
    return;
  }
  const int m = static_cast<int>(a.rows()), n = static_cast<int>(b.rows()), k = static_cast<int>(a.cols());
  const double one = 1;
  dgemm_("N", "T", &m, &n, &k, &one, a.data(), &m, b.data(), &n, &beta, c.data(), &m, 1, 1);
}

namespace detail {
/// x^T x into the lower triangle of `out` (then mirrored) by blocks of `block` columns: one GEMM a
/// block of the lower triangle, the blocks in parallel with OpenMP (each GEMM then runs on one
/// thread). Half the flops of a full product; the same result on any number of threads.
inline void gram_blocked(const Eigen::MatrixXd& x, Eigen::MatrixXd& out, Eigen::Index block = 256) {
  const Eigen::Index d = x.cols();
  out.resize(d, d);
  const auto tasks = lower_block_pairs(d, block);
  const auto count = static_cast<std::int64_t>(tasks.size());
#ifdef _OPENMP  // without OpenMP: one thread, same results
#pragma omp parallel for schedule(dynamic, 1) if (count > 1)
#endif
  for (std::int64_t t = 0; t < count; ++t) {
    const Eigen::Index i0 = tasks[t].first * block, j0 = tasks[t].second * block;
    const Eigen::Index mi = std::min(block, d - i0), mj = std::min(block, d - j0);
    out.block(i0, j0, mi, mj).noalias() = x.middleCols(i0, mi).transpose() * x.middleCols(j0, mj);
  }
  for (Eigen::Index j = 1; j < d; ++j)
    for (Eigen::Index i = 0; i < j; ++i) out(i, j) = out(j, i);
}
}  // namespace detail

/// x^T x (x: n x d; d x d), or x x^T with `of_rows` (n x n), into the lower triangle of `out`
/// plus `beta` times what it holds (beta 0 or 1; resized when 0): BLAS's dsyrk where it is
/// linked, else detail::gram_blocked. mirror_lower() fills the upper triangle once all blocks are in.
inline void gram_lower(const Eigen::MatrixXd& x, Eigen::MatrixXd& out, bool of_rows, double beta) {
  const Eigen::Index size = of_rows ? x.rows() : x.cols();
  if (!detail::fits({x.rows(), x.cols()})) {
    const auto blocked = [&](Eigen::MatrixXd& into) {
      if (of_rows) detail::gram_blocked(x.transpose(), into);
      else detail::gram_blocked(x, into);
    };
    if (beta == 0) return blocked(out);  // straight into `out` (both triangles)
    Eigen::MatrixXd g;
    blocked(g);
    out.triangularView<Eigen::Lower>() += g;
    return;
  }
  if (beta == 0) {
    resize_fresh(out, size, size);
    out.setZero();
  }
  const int n = static_cast<int>(x.rows()), d = static_cast<int>(x.cols());
  const int si = of_rows ? n : d, inner = of_rows ? d : n;
  const double one = 1;
  dsyrk_("L", of_rows ? "N" : "T", &si, &inner, &one, x.data(), &n, &beta, out.data(), &si, 1, 1);
}

/// Copies the strictly lower triangle of the square `m` to its upper one.
inline void mirror_lower(Eigen::MatrixXd& m) { m.triangularView<Eigen::StrictlyUpper>() = m.transpose(); }

/// x^T x (x: n x d; d x d), or x x^T with `of_rows` (n x n), symmetric, both triangles filled:
/// BLAS's dsyrk where it is linked, else detail::gram_blocked.
inline void gram(const Eigen::MatrixXd& x, Eigen::MatrixXd& out, bool of_rows = false) {
  gram_lower(x, out, of_rows, 0);
  mirror_lower(out);
}

/// The eigenvalues of a symmetric matrix, ascending, and its eigenvectors (columns) when asked.
struct SymmetricEigen {
  Eigen::VectorXd values;
  Eigen::MatrixXd vectors;  ///< empty unless asked for
  bool ok = false;          ///< false when the solver did not converge or gave a NaN or an infinity
};

/// The eigendecomposition of the symmetric `m` (its lower triangle is read). LAPACK works in `m`'s
/// storage: pass an rvalue (std::move) to spare a copy of a large matrix (at 2,048, a copy into
/// fresh memory costs about as much as a tenth of the eigenvalues here: page faults).
inline SymmetricEigen symmetric_eigen(Eigen::MatrixXd m, bool with_vectors) {
  SymmetricEigen out;
  const Eigen::Index n = m.rows();
  if (detail::fits({n})) {
    Eigen::MatrixXd& a = m;
    out.values.resize(n);
    const char jobz = with_vectors ? 'V' : 'N', uplo = 'L';
    const int ni = static_cast<int>(n);
    int lwork = -1, liwork = -1, info = 0, iwork_query = 0;
    double work_query = 0;
    dsyevd_(&jobz, &uplo, &ni, a.data(), &ni, out.values.data(), &work_query, &lwork, &iwork_query,
            &liwork, &info, 1, 1);
    if (info != 0) return out;
    lwork = static_cast<int>(work_query);
    liwork = iwork_query;
    std::vector<double> work(static_cast<std::size_t>(std::max(lwork, 1)));
    std::vector<int> iwork(static_cast<std::size_t>(std::max(liwork, 1)));
    dsyevd_(&jobz, &uplo, &ni, a.data(), &ni, out.values.data(), work.data(), &lwork, iwork.data(),
            &liwork, &info, 1, 1);
    out.ok = info == 0 && out.values.allFinite();
    if (with_vectors) out.vectors = std::move(a);
    return out;
  }
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(
      m, with_vectors ? Eigen::ComputeEigenvectors : Eigen::EigenvaluesOnly);
  out.ok = es.info() == Eigen::Success && es.eigenvalues().allFinite();
  out.values = es.eigenvalues();
  if (with_vectors) out.vectors = es.eigenvectors();
  return out;
}

/// The eigenvalues (ascending) of the symmetric `m` into `values`; false when `m` holds a NaN or
/// an infinity or the solver fails. An rvalue `m` is worked on in place.
inline bool finite_eigenvalues(Eigen::MatrixXd m, Eigen::VectorXd& values) {
  if (!m.allFinite()) return false;
  auto e = symmetric_eigen(std::move(m), false);
  if (!e.ok) return false;
  values = std::move(e.values);
  return true;
}

/// The lower Cholesky factor L of the symmetric `m` (m = L L^T; its lower triangle is read), or
/// false when `m` is not positive definite to working precision. An rvalue `m` is factored in
/// its own storage.
inline bool cholesky_lower(Eigen::MatrixXd m, Eigen::MatrixXd& l) {
  const Eigen::Index n = m.rows();
  if (detail::fits({n})) {
    l = std::move(m);
    const char uplo = 'L';
    const int ni = static_cast<int>(n);
    int info = 0;
    dpotrf_(&uplo, &ni, l.data(), &ni, &info, 1);
    if (info != 0) return false;
    l.triangularView<Eigen::StrictlyUpper>().setZero();
    return l.allFinite();
  }
  const Eigen::LLT<Eigen::MatrixXd> llt(m);
  if (llt.info() != Eigen::Success) return false;
  l = llt.matrixL();
  return l.allFinite();
}

/// L^T s L for a lower triangular `l` and a square `s` (two triangular products, in `s`'s storage
/// when it is an rvalue).
inline Eigen::MatrixXd lower_congruence(const Eigen::MatrixXd& l, Eigen::MatrixXd s) {
  if (!detail::fits({l.rows()}) || s.rows() != l.rows() || s.cols() != l.rows()) {
    const Eigen::MatrixXd t = s * l.triangularView<Eigen::Lower>();
    return l.transpose().triangularView<Eigen::Upper>() * t;
  }
  const int n = static_cast<int>(l.rows());
  const double one = 1;
  Eigen::MatrixXd t = std::move(s);
  dtrmm_("R", "L", "N", "N", &n, &n, &one, l.data(), &n, t.data(), &n, 1, 1, 1, 1);  // s L
  dtrmm_("L", "L", "T", "N", &n, &n, &one, l.data(), &n, t.data(), &n, 1, 1, 1, 1);  // L^T (s L)
  return t;
}

}  // namespace gan::linalg
