// Times gan::metrics::frechet_distance on two feature files that benchmarks/reference/
// frechet_scipy.py wrote (raw float64, row-major, n x d), the same features that pytorch-fid's
// formula was timed on. Prints the best of --repeat runs and the distance.
//   frechet_time A.f64 NA B.f64 NB D [REPEAT]
#include <gan/linalg/lapack.hpp>
#include <gan/metrics/fid.hpp>

#include <Eigen/Core>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>

namespace {

Eigen::MatrixXd read_raw(const std::string& path, long n, long d) {
  using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  RowMajor x(n, d);
  std::ifstream in(path, std::ios::binary);
  if (!in.read(reinterpret_cast<char*>(x.data()), static_cast<std::streamsize>(sizeof(double) * n * d)))
    throw std::runtime_error(path + ": expected " + std::to_string(n) + " x " + std::to_string(d) + " float64 values");
  return x;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    std::cerr << "usage: frechet_time A.f64 NA B.f64 NB D [REPEAT]\n";
    return 2;
  }
  const long na = std::stol(argv[2]), nb = std::stol(argv[4]), d = std::stol(argv[5]);
  const int repeat = argc > 6 ? std::stoi(argv[6]) : 3;
  const Eigen::MatrixXd a = read_raw(argv[1], na, d), b = read_raw(argv[3], nb, d);
  double best = 1e300, value = 0;
  for (int r = 0; r < repeat; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    value = gan::metrics::frechet_distance(a, b);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::printf("ours %.3f s fid %.12g (LAPACK %s)\n", best, value, gan::linalg::lapack_available() ? "linked" : "not linked");
  return 0;
}
