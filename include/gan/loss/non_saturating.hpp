#pragma once
/// @file
/// The (non-saturating) binary cross-entropy loss of Goodfellow et al. (2014), on logits.

#include <ATen/ATen.h>

namespace gan::loss {

/// BCE on logits: D minimises the mean of −log σ(real) and −log(1 − σ(fake)), halved as the
/// paper's code does (train.py:183-186: `(disc_fake_loss + disc_real_loss) / 2`); G minimises
/// −log σ(fake) (the non-saturating form). Written with softplus, so it is stable for large
/// logits. With a k-wide output every logit is one binary decision (the paper's 8-dim output).
struct NonSaturating {
  at::Tensor discriminator_loss(const at::Tensor& real, const at::Tensor& fake) const {
    return (at::softplus(-real).mean() + at::softplus(fake).mean()) * 0.5;
  }
  at::Tensor generator_loss(const at::Tensor& fake) const { return at::softplus(-fake).mean(); }
};

}  // namespace gan::loss
