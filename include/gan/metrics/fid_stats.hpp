#pragma once
/// @file
/// pytorch-fid's statistics files: an `.npz` with `mu` (d) and `sigma` (d x d), as
/// `python -m pytorch_fid --save-stats` writes them, so that a distance can be taken against
/// statistics made elsewhere.
///
/// @code
/// gan::metrics::write_fid_stats("real.npz", gan::metrics::gaussian_stats(real_features));
/// double fid = gan::metrics::frechet_distance(gan::metrics::read_fid_stats("real.npz"), fake_stats);
/// @endcode

#include <gan/error.hpp>
#include <gan/io/npz.hpp>
#include <gan/metrics/fid.hpp>

#include <cmath>
#include <filesystem>
#include <string>

namespace gan::metrics {

/// Reads `mu` and `sigma` from a pytorch-fid statistics file. Throws gan::Error naming the file
/// when an array is missing, has the wrong shape or holds a non-finite value. `n` is 0: the
/// file does not say how many images made it.
inline GaussianStats read_fid_stats(const std::filesystem::path& path) {
  const auto arrays = io::read_npz(path);
  auto get = [&](const std::string& name) -> const io::NpyArray& {
    const auto it = arrays.find(name);
    if (it == arrays.end()) throw gan::Error(path.string(), 0, "has no '" + name + "' array: is it a pytorch-fid statistics file (mu, sigma)?");
    return it->second;
  };
  const auto& mu = get("mu");
  const auto& sigma = get("sigma");
  if (mu.shape.size() != 1 || mu.shape[0] < 1) throw gan::Error(path.string(), 0, "mu must be a vector");
  const int64_t d = mu.shape[0];
  if (sigma.shape != std::vector<int64_t>{d, d})
    throw gan::Error(path.string(), 0, "sigma must be " + std::to_string(d) + " x " + std::to_string(d) + " for a mu of " + std::to_string(d));
  GaussianStats s;
  s.mu = Eigen::Map<const Eigen::VectorXd>(mu.values.data(), d);
  s.sigma = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(sigma.values.data(), d, d);
  if (!s.mu.allFinite() || !s.sigma.allFinite()) throw gan::Error(path.string(), 0, "mu or sigma holds a value that is not finite");
  return s;
}

/// Writes `s` as a pytorch-fid statistics file (float64 mu and sigma), atomically.
inline void write_fid_stats(const std::filesystem::path& path, const GaussianStats& s) {
  const int64_t d = s.mu.size();
  if (d < 1 || s.sigma.rows() != d || s.sigma.cols() != d)
    throw std::invalid_argument("write_fid_stats: mu of " + std::to_string(d) + " and sigma of " + std::to_string(s.sigma.rows()) + " x " +
                                std::to_string(s.sigma.cols()));
  io::NpyArray mu{{d}, std::vector<double>(s.mu.data(), s.mu.data() + d)}, sigma{{d, d}, {}};
  const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rows = s.sigma;
  sigma.values.assign(rows.data(), rows.data() + d * d);
  io::write_npz(path, {{"mu", mu}, {"sigma", sigma}});
}

}  // namespace gan::metrics
