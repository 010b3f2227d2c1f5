#pragma once
/// @file
/// The hinge loss of SAGAN and BigGAN (Lim & Ye, 2017; Zhang et al., 2019).

#include <ATen/ATen.h>

namespace gan::loss {

/// D minimises mean(relu(1 − real)) + mean(relu(1 + fake)); G minimises −mean(fake).
struct Hinge {
  static constexpr bool reports_wasserstein = true;
  at::Tensor discriminator_loss(const at::Tensor& real, const at::Tensor& fake) const {
    return at::relu(1.0 - real).mean() + at::relu(1.0 + fake).mean();
  }
  at::Tensor generator_loss(const at::Tensor& fake) const { return -fake.mean(); }
};

}  // namespace gan::loss
