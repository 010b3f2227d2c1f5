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

namespace detail {
/// Whether the BLAS/LAPACK path can take matrices with these sizes (32-bit Fortran integers).
inline bool fits(std::initializer_list<Eigen::Index> sizes) {
  if (!lapack_available()) return false;
  for (auto s : sizes)
    if (s <= 0 || s > INT_MAX) return false;
  return true;
}
}  // namespace detail

/// a b^T (a: m x k, b: n x k).
inline Eigen::MatrixXd multiply_transposed(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  if (!detail::fits({a.rows(), b.rows(), a.cols()}) || a.cols() != b.cols()) return a * b.transpose();
  Eigen::MatrixXd c(a.rows(), b.rows());
  const int m = static_cast<int>(a.rows()), n = static_cast<int>(b.rows()), k = static_cast<int>(a.cols());
  const double one = 1, zero = 0;
  dgemm_("N", "T", &m, &n, &k, &one, a.data(), &m, b.data(), &n, &zero, c.data(), &m, 1, 1);
  return c;
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

/// x^T x (x: n x d; d x d), or x x^T with `of_rows` (n x n), symmetric, both triangles filled:
/// BLAS's dsyrk where it is linked, else detail::gram_blocked.
inline void gram(const Eigen::MatrixXd& x, Eigen::MatrixXd& out, bool of_rows = false) {
  if (!detail::fits({x.rows(), x.cols()})) {
    if (of_rows) detail::gram_blocked(x.transpose(), out);
    else detail::gram_blocked(x, out);
    return;
  }
  const int n = static_cast<int>(x.rows()), d = static_cast<int>(x.cols());
  const int size = of_rows ? n : d, inner = of_rows ? d : n;
  out.resize(size, size);
  const double one = 1, zero = 0;
  dsyrk_("L", of_rows ? "N" : "T", &size, &inner, &one, x.data(), &n, &zero, out.data(), &size, 1, 1);
  out.triangularView<Eigen::StrictlyUpper>() = out.transpose();
}

/// The eigenvalues of a symmetric matrix, ascending, and its eigenvectors (columns) when asked.
struct SymmetricEigen {
  Eigen::VectorXd values;
  Eigen::MatrixXd vectors;  ///< empty unless asked for
  bool ok = false;          ///< false when the solver did not converge or gave a NaN or an infinity
};

/// The eigendecomposition of the symmetric `m` (its lower triangle is read).
inline SymmetricEigen symmetric_eigen(const Eigen::MatrixXd& m, bool with_vectors) {
  SymmetricEigen out;
  const Eigen::Index n = m.rows();
  if (detail::fits({n})) {
    Eigen::MatrixXd a = m;
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
/// an infinity or the solver fails.
inline bool finite_eigenvalues(const Eigen::MatrixXd& m, Eigen::VectorXd& values) {
  if (!m.allFinite()) return false;
  auto e = symmetric_eigen(m, false);
  if (!e.ok) return false;
  values = std::move(e.values);
  return true;
}

/// The lower Cholesky factor L of the symmetric `m` (m = L L^T; its lower triangle is read), or
/// false when `m` is not positive definite to working precision.
inline bool cholesky_lower(const Eigen::MatrixXd& m, Eigen::MatrixXd& l) {
  const Eigen::Index n = m.rows();
  if (detail::fits({n})) {
    l = m;
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

/// L^T s L for a lower triangular `l` and a square `s` (two triangular products).
inline Eigen::MatrixXd lower_congruence(const Eigen::MatrixXd& l, const Eigen::MatrixXd& s) {
  if (!detail::fits({l.rows()}) || s.rows() != l.rows() || s.cols() != l.rows()) {
    const Eigen::MatrixXd t = s * l.triangularView<Eigen::Lower>();
    return l.transpose().triangularView<Eigen::Upper>() * t;
  }
  const int n = static_cast<int>(l.rows());
  const double one = 1;
  Eigen::MatrixXd t = s;
  dtrmm_("R", "L", "N", "N", &n, &n, &one, l.data(), &n, t.data(), &n, 1, 1, 1, 1);  // s L
  dtrmm_("L", "L", "T", "N", &n, &n, &one, l.data(), &n, t.data(), &n, 1, 1, 1, 1);  // L^T (s L)
  return t;
}

}  // namespace gan::linalg
