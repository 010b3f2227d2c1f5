#pragma once
/// @file
/// Spectral normalisation of a layer's weight (Miyato et al., 2018, "Spectral Normalization
/// for Generative Adversarial Networks"), numerically the same as `torch.nn.utils.spectral_norm`.

#include <torch/nn/cloneable.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

#include <type_traits>
#include <utility>

namespace gan::nn {

/// Options of `SpectralNorm`.
struct SpectralNormOptions {
  /// Power iterations per training forward (PyTorch's default: 1).
  TORCH_ARG(int64_t, n_power_iterations) = 1;
  /// Added to norms before dividing (PyTorch's default: 1e-12).
  TORCH_ARG(double, eps) = 1e-12;
  /// The dimension of the weight that indexes the output; -1 picks PyTorch's choice
  /// (1 for transposed convolutions, 0 otherwise).
  TORCH_ARG(int64_t, dim) = -1;
};

/// Wraps a layer whose forward reads its public `weight` member (Conv2d, ConvTranspose2d,
/// Linear, Embedding) and divides that weight by its largest singular value σ, estimated by
/// power iteration. The wrapped layer's `weight` parameter plays the role of PyTorch's
/// `weight_orig`; `u` and `v` are buffers. In training mode each forward runs
/// `n_power_iterations` iterations and updates `u` and `v`; in eval mode they stay as they are.
///
/// @tparam Holder a module holder such as `torch::nn::Conv2d`.
///
/// ```cpp
/// gan::nn::SpectralNorm<torch::nn::Conv2d> conv(torch::nn::Conv2dOptions(3, 64, 4).stride(2));
/// auto y = conv(x);
/// ```
template <class Holder>
class SpectralNormImpl : public torch::nn::Cloneable<SpectralNormImpl<Holder>> {
 public:
  using Layer = typename Holder::ContainedType;

  template <class LayerOptions>
  explicit SpectralNormImpl(LayerOptions layer_options, SpectralNormOptions options = {})
      : layer(std::move(layer_options)), options(options) {
    reset();
  }
  explicit SpectralNormImpl(Holder wrapped, SpectralNormOptions options = {})
      : layer(std::move(wrapped)), options(options) {
    reset();
  }

  void reset() override {
    TORCH_CHECK_VALUE(options.n_power_iterations() >= 0,
                      "SpectralNorm: n_power_iterations must be >= 0, got ",
                      options.n_power_iterations());
    TORCH_CHECK_VALUE(options.eps() > 0, "SpectralNorm: eps must be > 0, got ", options.eps());
    layer = this->register_module("module", layer);
    if (options.dim() < 0) options.dim(is_transposed() ? 1 : 0);
    torch::NoGradGuard no_grad;
    const auto mat = weight_matrix(layer->weight);
    u = this->register_buffer(
        "weight_u", normalize(torch::empty({mat.size(0)}, mat.options()).normal_(0, 1)));
    v = this->register_buffer(
        "weight_v", normalize(torch::empty({mat.size(1)}, mat.options()).normal_(0, 1)));
  }

  /// The normalised weight W / σ(W). Runs the power iteration first in training mode.
  torch::Tensor normalized_weight() {
    const auto mat = weight_matrix(layer->weight);
    if (this->is_training() && options.n_power_iterations() > 0) {
      torch::NoGradGuard no_grad;
      for (int64_t i = 0; i < options.n_power_iterations(); ++i) {
        v.copy_(normalize(torch::mv(mat.t(), u)));
        u.copy_(normalize(torch::mv(mat, v)));
      }
    }
    // Clones, as in PyTorch: the next forward updates u and v in place before this one's
    // backward pass has read them.
    const auto sigma = torch::dot(u.clone(), torch::mv(mat, v.clone()));
    return layer->weight / sigma;
  }

  /// The largest singular value of the raw weight, as the power iteration estimates it now.
  torch::Tensor sigma() const {
    torch::NoGradGuard no_grad;
    return torch::dot(u, torch::mv(weight_matrix(layer->weight), v));
  }

  /// The wrapped layer's forward, with the normalised weight.
  torch::Tensor forward(const torch::Tensor& input) {
    auto original = layer->weight;
    layer->weight = normalized_weight();
    struct Restore {
      torch::Tensor& slot;
      torch::Tensor value;
      ~Restore() { slot = value; }
    } restore{layer->weight, original};
    return layer->forward(input);
  }

  Holder layer;
  SpectralNormOptions options;
  torch::Tensor u, v;

 private:
  static constexpr bool is_transposed() {
    return std::is_base_of_v<torch::nn::ConvTranspose1dImpl, Layer> ||
           std::is_base_of_v<torch::nn::ConvTranspose2dImpl, Layer> ||
           std::is_base_of_v<torch::nn::ConvTranspose3dImpl, Layer>;
  }
  torch::Tensor weight_matrix(const torch::Tensor& w) const {
    auto m = w;
    if (options.dim() != 0) {
      std::vector<int64_t> perm{options.dim()};
      for (int64_t d = 0; d < w.dim(); ++d)
        if (d != options.dim()) perm.push_back(d);
      m = w.permute(perm);
    }
    return m.reshape({m.size(0), -1});
  }
  torch::Tensor normalize(const torch::Tensor& x) const {
    return x / x.norm().clamp_min(options.eps());
  }
};

/// Holder of `SpectralNormImpl` (TORCH_MODULE cannot take a template).
template <class Holder>
class SpectralNorm : public torch::nn::ModuleHolder<SpectralNormImpl<Holder>> {
 public:
  using torch::nn::ModuleHolder<SpectralNormImpl<Holder>>::ModuleHolder;
};

}  // namespace gan::nn
