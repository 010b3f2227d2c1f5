#pragma once
/// @file
/// The Wasserstein loss of Arjovsky, Chintala, Bottou (2017).

#include <ATen/ATen.h>

namespace gan::loss {

/// The critic minimises mean(fake) − mean(real); the generator minimises −mean(fake). Pair it
/// with a Lipschitz constraint (weight clipping or a gradient penalty).
struct Wasserstein {
  static constexpr bool reports_wasserstein = true;
  at::Tensor discriminator_loss(const at::Tensor& real, const at::Tensor& fake) const {
    return fake.mean() - real.mean();
  }
  at::Tensor generator_loss(const at::Tensor& fake) const { return -fake.mean(); }
};

}  // namespace gan::loss
