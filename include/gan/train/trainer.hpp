#pragma once
/// @file
/// `Trainer`: the one training loop that every GAN variant shares. A variant is the set of
/// policies the trainer is instantiated with (see `gan/presets.hpp`).

#include <gan/augment/augmentation.hpp>
#include <gan/conditioning/conditioning.hpp>
#include <gan/loss/adversarial_loss.hpp>
#include <gan/nn/architecture.hpp>
#include <gan/regularizer/lipschitz_constraint.hpp>
#include <gan/io/atomic_file.hpp>
#include <gan/train/ema.hpp>
#include <gan/train/options.hpp>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/optim/optimizer.h>
#include <torch/serialize/archive.h>

#include <filesystem>
#include <memory>

namespace gan {

/// How `Trainer::sample` draws images.
struct SampleOptions {
  /// Truncation ψ of z (BigGAN's trick): entries with |z| > ψ are redrawn. ψ <= 0: none.
  TORCH_ARG(double, truncation) = 0.0;
  /// Use the EMA weights when the trainer keeps them.
  TORCH_ARG(bool, use_ema) = true;
  /// Normalise with batch statistics (train mode) instead of the running ones (eval mode).
  TORCH_ARG(bool, batch_stats) = false;
};

/// Trains a conditional GAN made of an architecture, an adversarial loss, a Lipschitz
/// constraint, a conditioning strategy and an augmentation of the discriminator's input.
///
/// @tparam A an `Architecture` (makes the generator and the discriminator)
/// @tparam L an `loss::AdversarialLoss`
/// @tparam R a `regularizer::LipschitzConstraint`
/// @tparam C a `conditioning::Conditioning`
/// @tparam G an `augment::Augmentation` applied before every discriminator call (none by
///         default; `augment::DiffAugment`, `augment::Ada`)
///
/// ```cpp
/// gan::presets::ConditionalWganGp t(gan::NetworkSpec().image_size(32).num_classes(6),
///                                   gan::TrainerOptions().n_critic(5));
/// auto stats = t.step(images, labels);   // images in [-1, 1], labels in [0, 6)
/// t.save("ckpt.pt");
/// ```
template <Architecture A, loss::AdversarialLoss L, regularizer::LipschitzConstraint R,
          conditioning::Conditioning C, augment::Augmentation G = augment::None>
class Trainer {
 public:
  using ArchitectureType = A;
  using Loss = L;
  using Constraint = R;
  using ConditioningType = C;
  using AugmentationType = G;
  /// The same trainer with another augmentation: `presets::ConditionalGan::WithAugmentation<augment::Ada>`.
  template <augment::Augmentation G2>
  using WithAugmentation = Trainer<A, L, R, C, G2>;
  using Generator = decltype(std::declval<const A&>().make_generator(std::declval<NetworkSpec>()));
  using Discriminator =
      decltype(std::declval<const A&>().make_discriminator(std::declval<NetworkSpec>()));

  explicit Trainer(NetworkSpec spec, TrainerOptions options = {}, A architecture = A(),
                   L loss = L(), R constraint = R(), C conditioning = C(), G augmentation = G());

  /// One generator step after `n_critic` discriminator steps on the batch `real` ([N, C, S, S]
  /// in [-1, 1]) with `labels` (integers in [0, num_classes), [N]). A non-finite loss is
  /// reported in the result and its update is not applied.
  StepStats step(const torch::Tensor& real, const torch::Tensor& labels);

  /// Generated images for `labels`, on the trainer's device, in [-1, 1].
  torch::Tensor sample(const torch::Tensor& labels, const SampleOptions& options = {});
  /// The same from the given noise `z` ([N, z_dim]; `options.truncation` is not applied), for
  /// grids that compare epochs on the same draws. The trainer's RNG is not used.
  torch::Tensor sample(const torch::Tensor& labels, const torch::Tensor& z,
                       const SampleOptions& options = {});

  /// Noise for `n` samples from the trainer's generator, truncated to |z| <= ψ when ψ > 0.
  torch::Tensor noise(int64_t n, double truncation = 0.0);

  /// Saves everything a resumed run needs: networks, optimizers, EMA, step and RNG. Atomic.
  void save(const std::filesystem::path& path) const;
  /// Restores what `save` wrote; the trainer must have been made with the same spec.
  void load(const std::filesystem::path& path);

  Generator& generator() { return g_; }
  Discriminator& discriminator() { return d_; }
  const NetworkSpec& spec() const { return spec_; }
  const TrainerOptions& options() const { return options_; }
  int64_t steps() const { return step_; }
  bool has_ema() const { return ema_.enabled(); }
  L& loss() { return loss_; }
  R& constraint() { return constraint_; }
  C& conditioning() { return conditioning_; }
  G& augmentation() { return augment_; }

 private:
  void check_batch(const torch::Tensor& real, const torch::Tensor& labels) const;
  void init_weights();
  nn::CriticOutput critic(const torch::Tensor& images, const torch::Tensor& labels);
  torch::Tensor generate(const torch::Tensor& z, const torch::Tensor& labels);

  NetworkSpec spec_;
  TrainerOptions options_;
  A arch_;
  L loss_;
  R constraint_;
  C conditioning_;
  G augment_;
  Generator g_{nullptr};
  Discriminator d_{nullptr};
  std::unique_ptr<torch::optim::Optimizer> opt_g_, opt_d_;
  Ema ema_;
  at::Generator rng_;
  int64_t step_ = 0;
};

}  // namespace gan

#include <gan/train/trainer_impl.hpp>
