// Tests of gan/metrics/fid.hpp against pytorch-fid (scipy.linalg.sqrtm), numpy and
// torch-fidelity's KID, from fixtures made once by tests/fixtures/make_fid_fixtures.py. The
// features are not stored: make_features() builds them bit for bit as the script does.
#include <gan/metrics/fid.hpp>

#include <gtest/gtest.h>
#include <Eigen/QR>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace {

using gan::metrics::GaussianStats;

/// splitmix64, as make_fid_fixtures.py: u = (x >> 11) * 2^-53.
struct SplitMix64 {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
};

/// The features of make_fid_fixtures.py's `features`: small integers over 16, exact.
Eigen::MatrixXd make_features(std::uint64_t seed, long n, long d, long latent, long shift) {
  SplitMix64 g{seed};
  Eigen::MatrixXd w(latent, d), z(n, d), l(n, latent);
  for (long k = 0; k < latent; ++k)
    for (long j = 0; j < d; ++j) w(k, j) = std::floor(g.uniform() * 5) - 2;
  for (long i = 0; i < n; ++i) {
    for (long j = 0; j < d; ++j) z(i, j) = std::floor(g.uniform() * 16) - 8;
    for (long k = 0; k < latent; ++k) l(i, k) = std::floor(g.uniform() * 16) - 8;
  }
  Eigen::MatrixXd x(n, d);
  for (long i = 0; i < n; ++i)
    for (long j = 0; j < d; ++j) {
      double v = 4 * z(i, j) + 2 * z(i, (j + 1) % d) + z(i, (j + 2) % d);
      for (long k = 0; k < latent; ++k) v += l(i, k) * w(k, j);
      x(i, j) = (v + static_cast<double>(shift * ((j % 7) - 3))) / 16;
    }
  return x;
}

struct Case {
  long d = 0, na = 0, nb = 0, latent = 0;
  std::uint64_t seed_a = 0, seed_b = 0;
  long shift_a = 0, shift_b = 0;
  std::vector<double> values;  // the reference columns after `latent`
  Eigen::MatrixXd a() const { return make_features(seed_a, na, d, latent, shift_a); }
  Eigen::MatrixXd b() const { return make_features(seed_b, nb, d, latent, shift_b); }
};

std::map<std::string, Case> read_cases(const std::string& name) {
  const std::string path = std::string(GAN_TEST_FIXTURES) + "/fid/" + name;
  std::ifstream f(path);
  if (!f) throw std::runtime_error("cannot open fixture " + path);
  std::map<std::string, Case> out;
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream s(line);
    std::string key;
    Case c;
    s >> key >> c.d >> c.na >> c.seed_a >> c.shift_a >> c.nb >> c.seed_b >> c.shift_b >> c.latent;
    for (double v; s >> v;) c.values.push_back(v);
    if (c.values.empty()) throw std::runtime_error("short fixture line in " + path + ": " + line);
    out[key] = c;
  }
  return out;
}

const Case& frechet_case(const std::string& key) {
  static const std::map<std::string, Case> cases = read_cases("frechet.txt");
  return cases.at(key);
}
// Columns of frechet.txt after `latent`.
enum { kFidPytorch, kFidSvd, kTrace, kSqrtmErr, kOffset };

double rel_err(double got, double want) {
  return std::abs(got - want) / std::abs(want);
}

template <class F>
void expect_throw_with(F&& f, const std::string& what, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << what << ": no exception";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos)
        << what << ": \"" << e.what() << "\" lacks \"" << needle << "\"";
  }
}

}  // namespace

TEST(FidStats, GaussianStatsEqualNumpy) {
  const Case& c = frechet_case("small");
  const Eigen::MatrixXd x = c.a();
  const std::string path = std::string(GAN_TEST_FIXTURES) + "/fid/stats_small.txt";
  std::ifstream f(path);
  ASSERT_TRUE(f) << path;
  long rows = 0, cols = 0;
  f >> rows >> cols;
  ASSERT_EQ(cols, c.d);
  ASSERT_EQ(rows, c.d + 1);
  Eigen::MatrixXd ref(rows, cols);
  for (long i = 0; i < rows; ++i)
    for (long j = 0; j < cols; ++j) f >> ref(i, j);
  ASSERT_TRUE(f) << "short fixture " << path;
  const GaussianStats s = gan::metrics::gaussian_stats(x);
  // The features are exact in float32: the float overloads give the same statistics.
  const Eigen::MatrixXf xf = x.cast<float>();
  const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> xr = xf;
  const GaussianStats sf = gan::metrics::gaussian_stats(xf);
  const GaussianStats sr = gan::metrics::gaussian_stats(xr);
  EXPECT_EQ(s.n, 50);
  ASSERT_EQ(s.mu.size(), c.d);
  ASSERT_EQ(s.sigma.rows(), c.d);
  ASSERT_EQ(s.sigma.cols(), c.d);
  for (long j = 0; j < c.d; ++j) {
    EXPECT_NEAR(s.mu[j], ref(0, j), 1e-14 * std::max(1.0, std::abs(ref(0, j)))) << j;
    for (long i = 0; i < c.d; ++i) {
      EXPECT_NEAR(s.sigma(i, j), ref(1 + i, j), 1e-13 * std::max(1.0, std::abs(ref(1 + i, j))))
          << i << ", " << j;
      EXPECT_EQ(s.sigma(i, j), s.sigma(j, i));
    }
  }
  EXPECT_EQ((sf.mu - s.mu).cwiseAbs().maxCoeff(), 0.0);
  EXPECT_EQ((sf.sigma - s.sigma).cwiseAbs().maxCoeff(), 0.0);
  EXPECT_EQ((sr.sigma - s.sigma).cwiseAbs().maxCoeff(), 0.0);
  // More columns than one block of the blocked X^T X (256): the same as a plain product.
  const Eigen::MatrixXd y = make_features(9, 40, 600, 3, 1);
  const GaussianStats sy = gan::metrics::gaussian_stats(y);
  const Eigen::MatrixXd yc = y.rowwise() - y.colwise().mean();
  const Eigen::MatrixXd cov = yc.transpose() * yc / 39.0;
  EXPECT_LE((sy.sigma - cov).cwiseAbs().maxCoeff(), 1e-12 * cov.cwiseAbs().maxCoeff());
}

TEST(FidStats, RejectsBadInput) {
  expect_throw_with([] { gan::metrics::gaussian_stats(Eigen::MatrixXd::Ones(1, 4)); }, "one sample",
                    "1 samples");
  expect_throw_with([] { gan::metrics::gaussian_stats(Eigen::MatrixXf(0, 4)); }, "no sample",
                    "0 samples");
  Eigen::MatrixXd x = Eigen::MatrixXd::Ones(5, 3);
  x(3, 1) = std::numeric_limits<double>::quiet_NaN();
  expect_throw_with([&] { gan::metrics::gaussian_stats(x); }, "NaN", "row 3");
  Eigen::MatrixXf xf = Eigen::MatrixXf::Ones(5, 3);
  xf(4, 2) = std::numeric_limits<float>::infinity();
  expect_throw_with([&] { gan::metrics::gaussian_stats(xf); }, "inf", "row 4");
  EXPECT_THROW(gan::metrics::gaussian_stats(x), std::invalid_argument);
}

TEST(Frechet, EqualsPytorchFid) {
  for (const std::string key : {"small", "mean_only"}) {
    const Case& c = frechet_case(key);
    const GaussianStats sa = gan::metrics::gaussian_stats(c.a()),
                        sb = gan::metrics::gaussian_stats(c.b());
    const gan::metrics::FrechetResult r = gan::metrics::frechet_distance_detailed(sa, sb);
    EXPECT_LE(rel_err(r.value, c.values[kFidPytorch]), 1e-6) << key;
    EXPECT_LE(rel_err(r.value, c.values[kFidSvd]), 1e-6) << key;
    EXPECT_FALSE(r.used_offset) << key;
    EXPECT_EQ(r.value, gan::metrics::frechet_distance(sa, sb)) << key;
    std::cout << key << ": FID " << r.value << ", relative error vs pytorch-fid "
              << rel_err(r.value, c.values[kFidPytorch]) << ", vs the SVD reference "
              << rel_err(r.value, c.values[kFidSvd]) << "\n";
  }
  // Mean only: the covariances agree to rounding and the distance is ||mu_a - mu_b||^2.
  const Case& c = frechet_case("mean_only");
  const GaussianStats sa = gan::metrics::gaussian_stats(c.a()),
                      sb = gan::metrics::gaussian_stats(c.b());
  EXPECT_NEAR(gan::metrics::frechet_distance(sa, sb), (sa.mu - sb.mu).squaredNorm(),
              1e-9 * c.values[kTrace]);
}

TEST(Frechet, IdenticalSetsGiveZero) {
  const Case& c = frechet_case("identical");
  const GaussianStats sa = gan::metrics::gaussian_stats(c.a()),
                      sb = gan::metrics::gaussian_stats(c.b());
  const double fid = gan::metrics::frechet_distance(sa, sb);
  EXPECT_LE(std::abs(fid), 1e-9 * c.values[kTrace]) << fid;
  EXPECT_LE(std::abs(fid - c.values[kFidPytorch]), 1e-9 * c.values[kTrace]);
  std::cout << "identical: FID " << fid << " (pytorch-fid " << c.values[kFidPytorch] << ", trace "
            << c.values[kTrace] << ")\n";
}

TEST(Frechet, RankDeficientCovariances) {
  // n = 300 < d = 512: both covariances have rank 299, S1 S2 has 213 zero eigenvalues whose
  // computed values are rounding noise either side of 0 (~1e-13 here). The SVD reference (the
  // nuclear norm of the centred cross product) does not see them; scipy's sqrtm and this eigen
  // form do, and the square roots of the positive ones (~1e-7 each here) add up: scipy's FID is
  // 4.5e-8 (relative) from the SVD reference although its sqrtm residual is 6.5e-13.
  const Case& c = frechet_case("rank_deficient");
  const GaussianStats sa = gan::metrics::gaussian_stats(c.a()),
                      sb = gan::metrics::gaussian_stats(c.b());
  const gan::metrics::FrechetResult r = gan::metrics::frechet_distance_detailed(sa, sb);
  const double scipy_err = rel_err(c.values[kFidPytorch], c.values[kFidSvd]);
  std::cout << "rank_deficient: FID " << r.value << ", relative error vs pytorch-fid "
            << rel_err(r.value, c.values[kFidPytorch]) << ", vs the SVD reference "
            << rel_err(r.value, c.values[kFidSvd]) << " (pytorch-fid vs the SVD reference "
            << scipy_err << ", its sqrtm residual " << c.values[kSqrtmErr]
            << "), most negative eigenvalue " << r.max_negative_eig << "\n";
  EXPECT_FALSE(r.used_offset);
  // Measured: 4.3e-9 from the SVD reference; pytorch-fid is 4.5e-8 from it (and from us).
  EXPECT_LE(rel_err(r.value, c.values[kFidSvd]), 1e-7);
  EXPECT_LE(rel_err(r.value, c.values[kFidPytorch]), std::max(1e-6, 10 * scipy_err));
  // Statistics stored in float32 (as some tools do): rounding makes eigenvalues of the null
  // spaces negative (~1e-7 here), below the tolerance on the imaginary part: no error, and the
  // distance moves by about the rounding.
  GaussianStats fa = sa, fb = sb;
  fa.sigma = sa.sigma.cast<float>().cast<double>();
  fb.sigma = sb.sigma.cast<float>().cast<double>();
  const gan::metrics::FrechetResult rf = gan::metrics::frechet_distance_detailed(fa, fb);
  std::cout << "rank_deficient, covariances rounded to float32: FID " << rf.value
            << ", relative change " << rel_err(rf.value, r.value) << ", most negative eigenvalue "
            << rf.max_negative_eig << "\n";
  EXPECT_LE(rel_err(rf.value, r.value), 1e-6);  // measured 1.3e-7 (pytorch-fid: 3.2e-8)
}

TEST(Frechet, Dim2048EqualsPytorchFid) {
  // n = 3000, d = 2048, full rank: the size of Inception pool3 statistics.
  const Case& c = frechet_case("full_2048");
  const Eigen::MatrixXd a = c.a(), b = c.b();
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  const GaussianStats sa = gan::metrics::gaussian_stats(a), sb = gan::metrics::gaussian_stats(b);
  const auto t1 = Clock::now();
  const gan::metrics::FrechetResult r = gan::metrics::frechet_distance_detailed(sa, sb);
  const auto t2 = Clock::now();
  EXPECT_FALSE(r.used_offset);
  EXPECT_LE(rel_err(r.value, c.values[kFidPytorch]), 1e-6);
  EXPECT_LE(rel_err(r.value, c.values[kFidSvd]), 1e-6);
  const auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
  std::cout << "full_2048: FID " << r.value << ", relative error vs pytorch-fid "
            << rel_err(r.value, c.values[kFidPytorch]) << ", vs the SVD reference "
            << rel_err(r.value, c.values[kFidSvd]) << "; gaussian_stats x2 " << ms(t1 - t0)
            << " ms, frechet_distance " << ms(t2 - t1) << " ms\n";
}

TEST(Frechet, FromFeaturesEqualsStatisticsAndTheSvdReference) {
  // frechet_distance(features): the nuclear norm of X1 X2^T where a side has fewer samples than
  // dimensions (rank_deficient, few_2048: 512 against 400 at 2048-d), the covariances otherwise.
  // The fixtures' SVD reference is numpy's nuclear norm of the same cross product.
  std::cout << "LAPACK " << (gan::linalg::lapack_available() ? "linked" : "not linked (Eigen)") << "\n";
  for (const std::string key : {"small", "mean_only", "identical", "rank_deficient", "full_2048", "few_2048"}) {
    const Case& c = frechet_case(key);
    const Eigen::MatrixXd a = c.a(), b = c.b();
    using Clock = std::chrono::steady_clock;
    const auto t0 = Clock::now();
    const gan::metrics::FrechetResult f = gan::metrics::frechet_distance_detailed(a, b);
    const auto t1 = Clock::now();
    const gan::metrics::FrechetResult s =
        gan::metrics::frechet_distance_detailed(gan::metrics::gaussian_stats(a), gan::metrics::gaussian_stats(b));
    const auto t2 = Clock::now();
    const double scale = std::max(std::abs(s.value), 1e-3 * c.values[kTrace]);  // "identical" is 0
    const double to_stats = std::abs(f.value - s.value) / scale;
    const double to_svd = std::abs(f.value - c.values[kFidSvd]) / scale;
    const double stats_to_svd = std::abs(s.value - c.values[kFidSvd]) / scale;
    const auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
    std::cout << key << ": from features " << f.value << " (" << ms(t1 - t0) << " ms), from statistics " << s.value
              << " (" << ms(t2 - t1) << " ms); relative differences: to statistics " << to_stats
              << ", to the SVD reference " << to_svd << " (statistics to it " << stats_to_svd << ")\n";
    EXPECT_FALSE(f.used_offset) << key;
    EXPECT_LE(to_svd, 1e-9) << key;
    // The statistics' version counts rounding noise in the null spaces (see RankDeficientCovariances).
    EXPECT_LE(to_stats, 1e-9 + stats_to_svd) << key;
    EXPECT_EQ(gan::metrics::frechet_distance(a, b), f.value) << key;
    // float features, as the feature files hold them: the same path on the same values.
    EXPECT_LE(rel_err(gan::metrics::frechet_distance(a.cast<float>().eval(), b.cast<float>().eval()),
                      gan::metrics::frechet_distance(a.cast<float>().cast<double>().eval(),
                                                     b.cast<float>().cast<double>().eval())),
              1e-12)
        << key;
  }
  // Bad input is named as for the statistics.
  const Eigen::MatrixXd x = Eigen::MatrixXd::Ones(4, 3), y = Eigen::MatrixXd::Ones(4, 2);
  EXPECT_THROW(gan::metrics::frechet_distance(x, y), std::invalid_argument);
  Eigen::MatrixXd nan = x;
  nan(2, 1) = std::nan("");
  try {
    gan::metrics::frechet_distance(x, nan);
    ADD_FAILURE() << "no error for a NaN";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("features b row 2"), std::string::npos) << e.what();
  }
}

TEST(Frechet, RejectsBadInput) {
  GaussianStats a{Eigen::VectorXd::Zero(3), Eigen::MatrixXd::Identity(3, 3), 10};
  GaussianStats b{Eigen::VectorXd::Zero(4), Eigen::MatrixXd::Identity(4, 4), 10};
  expect_throw_with([&] { gan::metrics::frechet_distance(a, b); }, "dims", "dims 3 and 4");
  EXPECT_THROW(gan::metrics::frechet_distance(a, b), std::invalid_argument);
  GaussianStats c{Eigen::VectorXd::Zero(3), Eigen::MatrixXd::Identity(4, 4), 10};
  expect_throw_with([&] { gan::metrics::frechet_distance(a, c); }, "mu vs sigma",
                    "mu of dim 3 but sigma of 4 x 4");
  GaussianStats e = a;
  e.sigma(2, 1) = std::numeric_limits<double>::infinity();
  expect_throw_with([&] { gan::metrics::frechet_distance(e, a); }, "inf sigma", "sigma(2, 1)");
  e = a;
  e.mu[1] = std::numeric_limits<double>::quiet_NaN();
  expect_throw_with([&] { gan::metrics::frechet_distance(a, e); }, "NaN mu", "mu[1]");
}

namespace {
/// Q diag(eigenvalues) Q^T for a fixed orthogonal Q: a symmetric matrix with a chosen spectrum.
Eigen::MatrixXd with_spectrum(const Eigen::VectorXd& eigenvalues) {
  const long d = eigenvalues.size();
  const Eigen::MatrixXd m = make_features(21, d, d, 0, 0);
  const Eigen::MatrixXd q = Eigen::HouseholderQR<Eigen::MatrixXd>(m).householderQ();
  return q * eigenvalues.asDiagonal() * q.transpose();
}
}  // namespace

TEST(Frechet, ImaginaryComponent) {
  const long d = 6;
  Eigen::VectorXd ev(d);
  ev << 2.0, 1.5, 1.0, 0.8, 0.5, -0.25;  // not a covariance: sqrt(S1 S2) is complex
  const GaussianStats good{Eigen::VectorXd::Zero(d), with_spectrum(Eigen::VectorXd::Ones(d)), 10};
  const GaussianStats bad{Eigen::VectorXd::Zero(d), with_spectrum(ev), 10};
  expect_throw_with([&] { gan::metrics::frechet_distance(good, bad); }, "S2 not PSD",
                    "imaginary component");
  expect_throw_with([&] { gan::metrics::frechet_distance(bad, good); }, "S1 not PSD",
                    "imaginary component");
  EXPECT_THROW(gan::metrics::frechet_distance(bad, good), std::runtime_error);
  // Both not PSD, in different directions: each product shows the other's negative eigenvalue.
  Eigen::VectorXd ev2(d);
  ev2 << -0.25, 1.5, 1.0, 0.8, 0.5, 2.0;
  const GaussianStats bad2{Eigen::VectorXd::Zero(d), with_spectrum(ev2), 10};
  expect_throw_with([&] { gan::metrics::frechet_distance(bad, bad2); }, "both not PSD",
                    "imaginary component");
  // A tiny negative eigenvalue (imaginary part 1e-4 < 1e-3) counts as 0, as pytorch-fid drops
  // the imaginary part: FID = tr I + tr S - 2 (5 square roots of the positive eigenvalues).
  ev(d - 1) = -1e-8;
  const GaussianStats tiny{Eigen::VectorXd::Zero(d), with_spectrum(ev), 10};
  for (const auto& [x, y] : {std::pair{&good, &tiny}, std::pair{&tiny, &good}}) {
    const gan::metrics::FrechetResult r = gan::metrics::frechet_distance_detailed(*x, *y);
    const double want = d + ev.sum() - 2 * ev.head(d - 1).cwiseSqrt().sum();
    EXPECT_NEAR(r.value, want, 1e-12);
    EXPECT_FALSE(r.used_offset);
    // Beyond rounding, so the other covariance is factored and the product shows it.
    EXPECT_NEAR(r.max_negative_eig, -1e-8, 1e-13);
  }
}

TEST(Frechet, NotFiniteEvenWithOffset) {
  // The product overflows (1e150 * 1e300 * 1e150): pytorch-fid retries with eps I and would
  // return NaN; this says so.
  const GaussianStats huge{Eigen::VectorXd::Zero(2), 1e300 * Eigen::MatrixXd::Identity(2, 2), 10};
  expect_throw_with([&] { gan::metrics::frechet_distance(huge, huge); }, "overflow",
                    "not finite, even with");
  EXPECT_THROW(gan::metrics::frechet_distance(huge, huge), std::runtime_error);
}

namespace {
const Case& kid_case(const std::string& key) {
  static const std::map<std::string, Case> cases = read_cases("kid.txt");
  return cases.at(key);
}
}  // namespace

TEST(Kid, EqualsTorchFidelityWithOneSubset) {
  for (const std::string key : {"kid_small", "kid_64"}) {
    const Case& c = kid_case(key);
    const Eigen::MatrixXd a = c.a(), b = c.b();
    const double want = c.values[0];
    for (std::uint64_t seed : {0u, 5u}) {
      const gan::metrics::KidResult r =
          gan::metrics::kernel_inception_distance(a, b, 1, c.na, seed);
      EXPECT_EQ(r.subsets, 1);
      EXPECT_EQ(r.subset_size, c.na);
      EXPECT_EQ(r.std, 0.0);
      EXPECT_LE(rel_err(r.mean, want), 1e-9)
          << key << " seed " << seed << ": " << r.mean << " vs " << want;
      if (seed == 0)
        std::cout << key << ": KID " << r.mean << ", relative error vs torch-fidelity's formula "
                  << rel_err(r.mean, want) << "\n";
    }
    const Eigen::MatrixXf af = a.cast<float>(), bf = b.cast<float>();  // exact in float32
    EXPECT_LE(rel_err(gan::metrics::kernel_inception_distance(af, bf, 1, 100000).mean, want), 1e-9);
  }
}

TEST(Kid, SubsetsAreSaneAndDeterministic) {
  const Eigen::MatrixXd all = make_features(31, 600, 32, 4, 0);
  const Eigen::MatrixXd a = all.topRows(300), b = all.bottomRows(300);  // one distribution
  const Eigen::MatrixXd c = make_features(32, 300, 32, 4, 1);           // another one
  const auto same = gan::metrics::kernel_inception_distance(a, b, 40, 100, 7);
  const auto diff = gan::metrics::kernel_inception_distance(a, c, 40, 100, 7);
  std::cout << "KID same distribution " << same.mean << " +- " << same.std << ", shifted "
            << diff.mean << " +- " << diff.std << "\n";
  EXPECT_EQ(same.subsets, 40);
  EXPECT_EQ(same.subset_size, 100);
  EXPECT_GT(same.std, 0.0);
  EXPECT_LT(std::abs(same.mean), same.std);
  EXPECT_GT(diff.mean, 5 * diff.std);
  // Deterministic for a seed, and another seed draws other subsets.
  const auto again = gan::metrics::kernel_inception_distance(a, c, 40, 100, 7);
  EXPECT_EQ(again.mean, diff.mean);
  EXPECT_EQ(again.std, diff.std);
  const auto other = gan::metrics::kernel_inception_distance(a, c, 40, 100, 8);
  EXPECT_NE(other.mean, diff.mean);
  EXPECT_NEAR(other.mean, diff.mean, 3 * diff.std);
#ifdef _OPENMP
  // The same numbers on one thread.
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const auto serial = gan::metrics::kernel_inception_distance(a, c, 40, 100, 7);
  omp_set_num_threads(threads);
  EXPECT_EQ(serial.mean, diff.mean);
  EXPECT_EQ(serial.std, diff.std);
#endif
  // The subset size is lowered to the smaller set.
  const auto small = gan::metrics::kernel_inception_distance(a, c.topRows(50), 3, 1000, 1);
  EXPECT_EQ(small.subset_size, 50);
}

TEST(Kid, DrawsAreWithoutReplacement) {
  std::mt19937_64 rng(3);
  for (int t = 0; t < 20; ++t) {
    const auto p = gan::metrics::detail::draw_without_replacement(rng, 30, 30 - t);
    ASSERT_EQ(p.size(), static_cast<std::size_t>(30 - t));
    const std::set<Eigen::Index> distinct(p.begin(), p.end());
    EXPECT_EQ(distinct.size(), p.size());
    EXPECT_GE(*distinct.begin(), 0);
    EXPECT_LT(*distinct.rbegin(), 30);
  }
}

TEST(Kid, RejectsBadInput) {
  const Eigen::MatrixXd a = Eigen::MatrixXd::Random(10, 4);
  expect_throw_with(
      [&] { gan::metrics::kernel_inception_distance(a, Eigen::MatrixXd::Random(1, 4)); },
      "one sample", "features b has 1 samples");
  expect_throw_with(
      [&] { gan::metrics::kernel_inception_distance(a, Eigen::MatrixXd::Random(10, 5)); }, "dims",
      "dims 4 and 5");
  Eigen::MatrixXd bad = a;
  bad(6, 0) = std::numeric_limits<double>::quiet_NaN();
  expect_throw_with([&] { gan::metrics::kernel_inception_distance(bad, a); }, "NaN",
                    "features a row 6");
  expect_throw_with([&] { gan::metrics::kernel_inception_distance(a, a, 0); }, "subsets",
                    "subsets = 0");
  expect_throw_with([&] { gan::metrics::kernel_inception_distance(a, a, 2, 1); }, "subset_size",
                    "subset_size = 1");
  EXPECT_THROW(gan::metrics::kernel_inception_distance(a, a, 0), std::invalid_argument);
}
