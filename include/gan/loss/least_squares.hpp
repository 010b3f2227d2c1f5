#pragma once
/// @file
/// The least-squares loss of LSGAN (Mao et al., 2017), with targets 0 and 1.

#include <ATen/ATen.h>

namespace gan::loss {

/// D minimises ½·mean((real − 1)²) + ½·mean(fake²); G minimises ½·mean((fake − 1)²).
struct LeastSquares {
  at::Tensor discriminator_loss(const at::Tensor& real, const at::Tensor& fake) const {
    return 0.5 * (real - 1.0).square().mean() + 0.5 * fake.square().mean();
  }
  at::Tensor generator_loss(const at::Tensor& fake) const {
    return 0.5 * (fake - 1.0).square().mean();
  }
};

}  // namespace gan::loss
