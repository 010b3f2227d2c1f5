#pragma once
/// @file
/// Run-time options of the trainer: optimizers, n_critic, EMA, seed, device.

#include <torch/arg.h>
#include <torch/optim/adam.h>
#include <torch/optim/rmsprop.h>
#include <torch/types.h>

#include <gan/nn/init.hpp>

#include <memory>
#include <string>

namespace gan {

/// The optimizer of one network.
struct OptimizerOptions {
  enum class Kind { adam, rmsprop };
  TORCH_ARG(Kind, kind) = Kind::adam;
  /// The paper: 2e-4 for both networks.
  TORCH_ARG(double, lr) = 2e-4;
  /// Adam's betas; the paper (and DCGAN): (0.5, 0.999).
  TORCH_ARG(double, beta1) = 0.5;
  TORCH_ARG(double, beta2) = 0.999;
  /// RMSprop's smoothing constant.
  TORCH_ARG(double, alpha) = 0.99;
  TORCH_ARG(double, eps) = 1e-8;
  TORCH_ARG(double, weight_decay) = 0.0;


 public:
  /// Makes the optimizer over `params`.
  std::unique_ptr<torch::optim::Optimizer> make(std::vector<torch::Tensor> params) const {
    TORCH_CHECK_VALUE(lr_ > 0, "optimizer: lr must be > 0, got ", lr_);
    if (kind_ == Kind::rmsprop)
      return std::make_unique<torch::optim::RMSprop>(
          std::move(params),
          torch::optim::RMSpropOptions(lr_).alpha(alpha_).eps(eps_).weight_decay(weight_decay_));
    TORCH_CHECK_VALUE(beta1_ >= 0 && beta1_ < 1 && beta2_ >= 0 && beta2_ < 1,
                      "optimizer: Adam's betas must lie in [0, 1), got (", beta1_, ", ", beta2_,
                      ")");
    return std::make_unique<torch::optim::Adam>(
        std::move(params), torch::optim::AdamOptions(lr_)
                               .betas({beta1_, beta2_})
                               .eps(eps_)
                               .weight_decay(weight_decay_));
  }
};

/// Options of `Trainer`.
struct TrainerOptions {
  /// Discriminator steps per generator step (the paper's `disc_repeats`).
  TORCH_ARG(int64_t, n_critic) = 1;
  TORCH_ARG(OptimizerOptions, g_optimizer) = {};
  TORCH_ARG(OptimizerOptions, d_optimizer) = {};
  /// Decay of the EMA of the generator's weights; 0 turns it off (typical on: 0.999).
  TORCH_ARG(double, ema_decay) = 0.0;
  /// Steps before the EMA starts to average (until then it copies the weights).
  TORCH_ARG(int64_t, ema_start) = 0;
  /// Seeds the weights (through libtorch's global generator) and the trainer's own noise.
  TORCH_ARG(uint64_t, seed) = 0;
  TORCH_ARG(torch::Device, device) = torch::kCPU;
  TORCH_ARG(WeightInit, init) = WeightInit::paper;
  /// The generator step reuses the last critic step's fakes (DCGAN's PyTorch example: one
  /// generator forward less per step) instead of drawing fresh noise and running G again, as
  /// the paper's code does (train.py:221-223). Off: the paper's step.
  TORCH_ARG(bool, reuse_fakes) = false;
};

/// What one `Trainer::step` measured.
struct StepStats {
  /// Steps done, this one included.
  int64_t step = 0;
  /// The discriminator's loss (adversarial + conditioning terms) on its last critic step.
  double d_loss = 0;
  double g_loss = 0;
  /// The Lipschitz penalty added to `d_loss`; NaN without one.
  double penalty = std::numeric_limits<double>::quiet_NaN();
  /// The mean per-sample gradient norm the penalty measured; NaN without one.
  double grad_norm = std::numeric_limits<double>::quiet_NaN();
  /// mean D(real) − mean D(fake), for losses that report it; NaN otherwise.
  double wasserstein = std::numeric_limits<double>::quiet_NaN();
  /// The augmentation's probability after this step (ADA's p); NaN for one without.
  double augment_p = std::numeric_limits<double>::quiet_NaN();
  /// False when a loss was not finite; that update was not applied.
  bool finite = true;
  /// Which loss was not finite ("discriminator" or "generator"), empty when all were.
  std::string diverged;
};

}  // namespace gan
