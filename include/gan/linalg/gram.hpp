#pragma once
/// @file
/// Gram blocks (dot products of rows) and the loop over the lower triangle's blocks: the
/// kernels that the clustering's distance matrices and silhouettes and the Fréchet distance's
/// covariance share. float rows with an AVX2 + FMA kernel where the CPU has one, Eigen's
/// product otherwise; double rows with Eigen's product.

#include <Eigen/Core>

#include <algorithm>
#include <type_traits>
#include <utility>
#include <vector>

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define GAN_LINALG_HAVE_AVX2_KERNEL 1
#endif

namespace gan::linalg {

using RowBlockF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

#ifdef GAN_LINALG_HAVE_AVX2_KERNEL
/// out[i * ldo + j] = a_i . b_j for an MR x NR tile, AVX2 + FMA, d a multiple of 8 not needed.
template <int MR, int NR>
__attribute__((target("avx2,fma"))) inline void gram_tile_avx2(const float* a, Eigen::Index lda,
                                                               const float* b, Eigen::Index ldb,
                                                               Eigen::Index d, float* out,
                                                               Eigen::Index ldo) {
  __m256 acc[MR][NR];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) acc[i][j] = _mm256_setzero_ps();
  Eigen::Index k = 0;
  for (; k + 8 <= d; k += 8) {
    __m256 bv[NR];
    for (int j = 0; j < NR; ++j) bv[j] = _mm256_loadu_ps(b + j * ldb + k);
    for (int i = 0; i < MR; ++i) {
      const __m256 av = _mm256_loadu_ps(a + i * lda + k);
      for (int j = 0; j < NR; ++j) acc[i][j] = _mm256_fmadd_ps(av, bv[j], acc[i][j]);
    }
  }
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) {
      const __m128 lo = _mm256_castps256_ps128(acc[i][j]), hi = _mm256_extractf128_ps(acc[i][j], 1);
      __m128 s4 = _mm_add_ps(lo, hi);
      s4 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
      s4 = _mm_add_ss(s4, _mm_shuffle_ps(s4, s4, 1));
      float v = _mm_cvtss_f32(s4);
      for (Eigen::Index t = k; t < d; ++t) v += a[i * lda + t] * b[j * ldb + t];
      out[i * ldo + j] = v;
    }
}

template <int MR>
__attribute__((target("avx2,fma"))) inline void gram_rows_avx2(const float* a, Eigen::Index lda,
                                                               const float* b, Eigen::Index ldb,
                                                               Eigen::Index nb, Eigen::Index d,
                                                               float* out, Eigen::Index ldo) {
  Eigen::Index j = 0;
  for (; j + 3 <= nb; j += 3) gram_tile_avx2<MR, 3>(a, lda, b + j * ldb, ldb, d, out + j, ldo);
  for (; j < nb; ++j) gram_tile_avx2<MR, 1>(a, lda, b + j * ldb, ldb, d, out + j, ldo);
}

__attribute__((target("avx2,fma"))) inline void gram_avx2(const RowBlockF& a, Eigen::Index a0,
                                                          Eigen::Index ma, const RowBlockF& b,
                                                          Eigen::Index b0, Eigen::Index mb,
                                                          RowBlockF& out) {
  const Eigen::Index d = a.cols(), lda = a.cols(), ldb = b.cols(), ldo = out.cols();
  const Eigen::Index jc = 96;  // a panel of b rows that stays in L2
  for (Eigen::Index j0 = 0; j0 < mb; j0 += jc) {
    const Eigen::Index nj = std::min(jc, mb - j0);
    const float* bp = b.data() + (b0 + j0) * ldb;
    const Eigen::Index m4 = ma - ma % 4;
    Eigen::Index i = 0;
    for (; i < m4; i += 4)
      gram_rows_avx2<4>(a.data() + (a0 + i) * lda, lda, bp, ldb, nj, d, out.data() + i * ldo + j0,
                        ldo);
    for (; i < ma; ++i)
      gram_rows_avx2<1>(a.data() + (a0 + i) * lda, lda, bp, ldb, nj, d, out.data() + i * ldo + j0,
                        ldo);
  }
}

inline bool have_avx2_fma() {
  static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return yes;
}
#endif

/// out = rows [a0, a0+ma) of a times rows [b0, b0+mb) of b transposed (a Gram block, float).
/// Uses an AVX2/FMA kernel chosen at run time when the build targets less (x86-64-v2) and the
/// CPU has it; Eigen's product otherwise.
inline void gram_block(const RowBlockF& a, Eigen::Index a0, Eigen::Index ma, const RowBlockF& b,
                       Eigen::Index b0, Eigen::Index mb, RowBlockF& out) {
  out.resize(ma, mb);
#if defined(GAN_LINALG_HAVE_AVX2_KERNEL) && !defined(__AVX2__)
  if (have_avx2_fma()) {
    gram_avx2(a, a0, ma, b, b0, mb, out);
    return;
  }
#endif
  out.noalias() = a.middleRows(a0, ma) * b.middleRows(b0, mb).transpose();
}

/// The (row block, column block) pairs of the lower triangle of an n × n matrix cut in blocks
/// of `block`: (0,0), (1,0), (1,1), (2,0), ... Each pair is one task of a parallel loop over a
/// symmetric (Gram or distance) matrix.
inline std::vector<std::pair<Eigen::Index, Eigen::Index>> lower_block_pairs(Eigen::Index n, Eigen::Index block) {
  const Eigen::Index nb = (n + block - 1) / block;
  std::vector<std::pair<Eigen::Index, Eigen::Index>> pairs;
  for (Eigen::Index bi = 0; bi < nb; ++bi)
    for (Eigen::Index bj = 0; bj <= bi; ++bj) pairs.emplace_back(bi, bj);
  return pairs;
}

/// out = rows [i0, i0+mi) of y times rows [j0, j0+mj) of y transposed, in y's scalar type:
/// `gram_block`'s kernel for float, Eigen's product for double.
template <class Scalar>
void gram_rows(const Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>& y, Eigen::Index i0,
               Eigen::Index mi, Eigen::Index j0, Eigen::Index mj,
               Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>& out) {
  if constexpr (std::is_same_v<Scalar, float>)
    gram_block(y, i0, mi, y, j0, mj, out);
  else
    out.noalias() = y.middleRows(i0, mi) * y.middleRows(j0, mj).transpose();
}

}  // namespace gan::linalg
