#pragma once
/// @file
/// The augmentation policy of the trainer: what the discriminator sees instead of an image.
/// The trainer passes every image batch through it right before every discriminator call
/// (reals and fakes in the critic steps, the gradient penalty's interpolates, the generator
/// step's fakes, and the reals of a relativistic loss's generator step), so an augmentation
/// must be differentiable: the generator learns through it. `None` is the default.
///
/// A policy is a type with
///   torch::Tensor operator()(const torch::Tensor& images, at::Generator& rng);
/// (`rng` is the trainer's generator, made on the trainer's device: draw with
/// `TensorOptions().device(rng.device())` so that nothing is copied from the host per step)
/// and, optionally (found through `requires`):
///   void observe(const torch::Tensor& real_scores);   // D's raw outputs on the reals, after
///                                                      // each critic step (ADA adapts p here)
///   double probability() const;                        // logged as aug_p
///   void save(torch::serialize::OutputArchive&) const; // state that a resumed run needs
///   void load(torch::serialize::InputArchive&);
/// Write one in its own file (docs/writing-a-policy.md) and give it to `Trainer` as its fifth
/// parameter; the trainer needs no edit.

#include <ATen/ATen.h>
#include <torch/serialize/archive.h>

#include <concepts>

namespace gan::augment {

/// An augmentation of the discriminator's input.
template <class A>
concept Augmentation = requires(A a, const torch::Tensor& x, at::Generator& rng) {
  { a(x, rng) } -> std::convertible_to<torch::Tensor>;
};

/// Policies that adapt to the discriminator (ADA).
template <class A>
concept ObservesDiscriminator = requires(A a, const torch::Tensor& scores) { a.observe(scores); };

/// Policies with a probability to log.
template <class A>
concept HasProbability = requires(const A a) {
  { a.probability() } -> std::convertible_to<double>;
};

/// Policies with state to checkpoint.
template <class A>
concept HasAugmentState = requires(const A a, A b, torch::serialize::OutputArchive& out,
                                   torch::serialize::InputArchive& in) {
  a.save(out);
  b.load(in);
};

/// No augmentation: the discriminator sees the images as they are.
struct None {
  torch::Tensor operator()(const torch::Tensor& x, at::Generator&) const { return x; }
};

}  // namespace gan::augment
