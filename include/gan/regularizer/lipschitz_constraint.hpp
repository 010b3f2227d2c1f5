#pragma once
/// @file
/// The concept that a Lipschitz constraint (a penalty and/or a projection of the critic's
/// weights after each step) satisfies.

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include <concepts>
#include <functional>
#include <limits>

namespace gan::regularizer {

/// The critic as a function of images only: labels and conditioning are already bound.
using Critic = std::function<at::Tensor(const at::Tensor& images)>;

/// What a penalty adds to the discriminator's loss.
struct Penalty {
  /// The scalar added to the discriminator's loss; undefined for none.
  at::Tensor value;
  /// The mean per-sample gradient norm it measured, a 0-dim tensor on the critic's device
  /// (left there: the trainer reads it when its statistics are asked for); undefined when it
  /// measured none.
  at::Tensor grad_norm;
};

/// A Lipschitz constraint on the critic.
///
/// Requirements:
/// - `r.penalty(critic, real, fake, rng)` returns the `Penalty` for this discriminator step;
///   `real` and `fake` are image batches of the same shape, `rng` is the trainer's
///   generator, on the trainer's device (use it for every random draw, so that runs are reproducible);
/// - `r.after_discriminator_step(d)` runs after each optimizer step of the discriminator `d`
///   (weight clipping projects the weights there), and may do nothing.
template <class R>
concept LipschitzConstraint =
    requires(R& r, const Critic& critic, const at::Tensor& t, at::Generator& g,
             torch::nn::Module& m) {
      { r.penalty(critic, t, t, g) } -> std::convertible_to<Penalty>;
      r.after_discriminator_step(m);
    };

/// No constraint.
struct None {
  Penalty penalty(const Critic&, const at::Tensor&, const at::Tensor&, at::Generator&) const {
    return {};
  }
  void after_discriminator_step(torch::nn::Module&) const {}
};

}  // namespace gan::regularizer
