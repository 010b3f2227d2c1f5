#pragma once
/// @file
/// The gradient penalty of WGAN-GP (Gulrajani et al., 2017, "Improved Training of Wasserstein
/// GANs"), per sample.

#include <gan/distributed/communicator.hpp>
#include <gan/regularizer/lipschitz_constraint.hpp>

#include <torch/csrc/autograd/autograd.h>

namespace gan::regularizer {

/// λ · mean over samples of (‖∇ₓ D(x̂)‖₂ − 1)², with x̂ = ε·real + (1 − ε)·fake and one
/// ε ~ U[0, 1] per sample, drawn in the batch's dtype. (The paper's code took the norm of the
/// batch mean instead.)
/// A k-wide critic output is summed over its k scores before the gradient is taken.
struct GradientPenalty {
  explicit GradientPenalty(double weight = 10.0) : weight(weight) {
    TORCH_CHECK_VALUE(weight >= 0, "GradientPenalty: weight must be >= 0, got ", weight);
  }

  Penalty penalty(const Critic& critic, const at::Tensor& real, const at::Tensor& fake,
                  at::Generator& rng) const {
    TORCH_CHECK_VALUE(real.sizes() == fake.sizes(), "GradientPenalty: real ", real.sizes(),
                      " and fake ", fake.sizes(), " differ in shape");
    std::vector<int64_t> eps_shape(real.dim(), 1);
    auto eps = distributed::draw_rows(real.size(0), [&](int64_t m) {  // this rank's rows under data parallel
                 eps_shape[0] = m;
                 return at::rand(eps_shape, rng, at::TensorOptions(real.scalar_type()).device(rng.device()));
               }).to(real.options());
    auto mixed = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(true);
    auto scores = critic(mixed);
    auto grad = torch::autograd::grad({scores.sum()}, {mixed}, {}, /*retain_graph=*/true,
                                      /*create_graph=*/true)[0];
    auto norms = grad.flatten(1).norm(2, 1);
    return {weight * (norms - 1).square().mean(), norms.mean().detach()};
  }
  void after_discriminator_step(torch::nn::Module&) const {}

  double weight;
};

}  // namespace gan::regularizer
