#pragma once
/// @file
/// Run-time options of the trainer: optimizers, n_critic, EMA, seed, device.

#include <torch/arg.h>
#include <torch/optim/adam.h>
#include <torch/optim/rmsprop.h>
#include <torch/types.h>

#include <gan/nn/init.hpp>

#include <limits>
#include <memory>
#include <string>
#include <vector>

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

/// The arithmetic of the training step's forward passes.
enum class Precision {
  fp32,  ///< float throughout
  /// bfloat16 autocast of the forward passes (convolutions and matrix products in bf16, the
  /// rest as autocast decides); the weights, their gradients and the optimizers' state stay
  /// float, and the losses are computed in float.
  bf16,
  /// float64 throughout: weights, optimizer state, batches, noise and losses. Several times
  /// slower; for reference runs against another float64 implementation, where float rounding
  /// would otherwise decide (Adam's first update moves every weight whose gradient is rounding
  /// noise by a whole learning rate, so two float32 implementations part within a few steps).
  fp64
};

/// The dtype of the weights and of the step's tensors at `precision`.
inline c10::ScalarType parameter_dtype(Precision precision) {
  return precision == Precision::fp64 ? c10::kDouble : c10::kFloat;
}

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
  /// The forward passes' arithmetic in the training step (sampling stays float).
  TORCH_ARG(Precision, precision) = Precision::fp32;
  /// Both networks' 4-d weights and the real batches in channels-last memory (NHWC), which
  /// oneDNN's CPU convolutions take without reordering, and the generator's transposed
  /// convolutions on oneDNN (nn::transposed_convolution). The same numbers to float rounding; on the
  /// CPU faster (docs/performance.md). Off by default.
  TORCH_ARG(bool, channels_last) = false;
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

/// What one `Trainer::step_deferred` computed, left on the trainer's device: nothing of it has
/// been read to the host. `read` (or `read_all` for many steps, with one copy) makes the
/// `StepStats`.
struct DeferredStats {
  int64_t step = 0;
  /// 0-dim tensors on the trainer's device; undefined where `StepStats` has NaN.
  torch::Tensor d_loss, g_loss, penalty, grad_norm, wasserstein;
  /// Whether every discriminator loss, and the generator's loss, was finite (0-dim bool).
  torch::Tensor d_finite, g_finite;
  /// The augmentation's probability after the step (held on the host; NaN without one).
  double augment_p = std::numeric_limits<double>::quiet_NaN();
};

/// The `StepStats` of deferred steps, read from the device in one copy.
inline std::vector<StepStats> read_all(const std::vector<DeferredStats>& steps) {
  if (steps.empty()) return {};
  constexpr int kFields = 7;
  std::vector<torch::Tensor> parts;
  parts.reserve(steps.size() * kFields);
  const auto device = steps.front().d_loss.device();
  const auto nan = torch::full({}, std::numeric_limits<double>::quiet_NaN(), torch::TensorOptions(torch::kDouble).device(device));
  for (const auto& s : steps)
    for (const auto* t : {&s.d_loss, &s.g_loss, &s.penalty, &s.grad_norm, &s.wasserstein, &s.d_finite, &s.g_finite})
      parts.push_back(t->defined() ? t->detach().to(torch::kDouble).reshape({}) : nan);
  const auto host = torch::stack(parts).cpu();
  const double* v = host.data_ptr<double>();
  std::vector<StepStats> out(steps.size());
  for (size_t i = 0; i < steps.size(); ++i, v += kFields) {
    auto& o = out[i];
    o.step = steps[i].step;
    o.d_loss = v[0], o.g_loss = v[1], o.penalty = v[2], o.grad_norm = v[3], o.wasserstein = v[4];
    o.augment_p = steps[i].augment_p;
    const bool d_ok = v[5] != 0, g_ok = v[6] != 0;
    o.finite = d_ok && g_ok;
    o.diverged = !d_ok ? "discriminator" : !g_ok ? "generator" : "";
  }
  return out;
}

/// One deferred step's `StepStats` (one copy from the device).
inline StepStats read(const DeferredStats& s) { return read_all({s}).front(); }

}  // namespace gan
