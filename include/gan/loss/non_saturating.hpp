#pragma once
/// @file
/// The (non-saturating) binary cross-entropy loss of Goodfellow et al. (2014), on logits.

#include <ATen/ATen.h>

namespace gan::loss {

/// BCE on logits: D minimises −log σ(real) − log(1 − σ(fake)); G minimises −log σ(fake) (the
/// non-saturating form). Written with softplus, so it is stable for large logits. With a
/// k-wide output every logit is one binary decision (the paper's 8-dim output).
struct NonSaturating {
  at::Tensor discriminator_loss(const at::Tensor& real, const at::Tensor& fake) const {
    return at::softplus(-real).mean() + at::softplus(fake).mean();
  }
  at::Tensor generator_loss(const at::Tensor& fake) const { return at::softplus(-fake).mean(); }
};

}  // namespace gan::loss
