#pragma once
/// @file
/// Weight clipping of the original WGAN (Arjovsky, Chintala, Bottou, 2017).

#include <gan/regularizer/lipschitz_constraint.hpp>

#include <torch/csrc/autograd/grad_mode.h>

namespace gan::regularizer {

/// After each critic step, clamps every parameter of the critic to [−c, c].
struct WeightClipping {
  explicit WeightClipping(double clip_value = 0.01) : clip_value(clip_value) {
    TORCH_CHECK_VALUE(clip_value > 0, "WeightClipping: clip value must be > 0, got ", clip_value);
  }
  Penalty penalty(const Critic&, const at::Tensor&, const at::Tensor&, at::Generator&) const {
    return {};
  }
  void after_discriminator_step(torch::nn::Module& critic) const {
    torch::NoGradGuard no_grad;
    for (auto& p : critic.parameters()) p.clamp_(-clip_value, clip_value);
  }
  double clip_value;
};

}  // namespace gan::regularizer
