#pragma once
/// @file
/// Linear algebra shared by the metrics and the clustering: Gram kernels and block pairs (Eigen).

#include <gan/linalg/gram.hpp>
