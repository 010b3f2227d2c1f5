#pragma once
/// @file
/// The data types shared by `gan::cluster`: a feature matrix (one sample a row, float32,
/// row-major, as the classifier writes its features) and flat cluster labels (`std::vector<int>`,
/// one label a sample, clusters numbered from 0).

#include <gan/linalg/gram.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>


namespace gan::cluster {

/// n x d features, one sample a row.
using Features = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
/// One cluster id a sample, ids from 0.
using Labels = std::vector<int>;

namespace detail {

/// Throws std::invalid_argument when `x` is empty or holds a NaN or an infinity (naming the row).
inline void check_features(const Features& x, const char* who) {
  if (x.rows() == 0 || x.cols() == 0)
    throw std::invalid_argument(std::string(who) + ": empty features (" + std::to_string(x.rows()) +
                                " x " + std::to_string(x.cols()) + "), expected at least 1 x 1");
  for (Eigen::Index i = 0; i < x.rows(); ++i)
    if (!x.row(i).allFinite())
      throw std::invalid_argument(std::string(who) + ": features row " + std::to_string(i) +
                                  " holds a NaN or an infinity");
}

/// Throws std::invalid_argument unless `labels` has one entry a row, all >= 0.
inline void check_labels(const Labels& labels, Eigen::Index n, const char* who) {
  if (static_cast<Eigen::Index>(labels.size()) != n)
    throw std::invalid_argument(std::string(who) + ": " + std::to_string(labels.size()) +
                                " labels for " + std::to_string(n) + " samples");
  for (std::size_t i = 0; i < labels.size(); ++i)
    if (labels[i] < 0)
      throw std::invalid_argument(std::string(who) + ": label " + std::to_string(labels[i]) +
                                  " of sample " + std::to_string(i) + " is negative");
}

// The Gram kernels the clustering shares with the Fréchet distance live in gan/linalg/gram.hpp.
using linalg::gram_block;
using linalg::gram_rows;
using linalg::lower_block_pairs;
}  // namespace detail
}  // namespace gan::cluster
