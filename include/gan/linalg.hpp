#pragma once
/// @file
/// Linear algebra shared by the metrics and the clustering: Gram kernels and block pairs (Eigen),
/// and LAPACK/BLAS kernels with Eigen fallbacks.

#include <gan/linalg/gram.hpp>
#include <gan/linalg/lapack.hpp>
