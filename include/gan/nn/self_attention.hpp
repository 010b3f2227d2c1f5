#pragma once
/// @file
/// Self-attention of SAGAN (Zhang, Goodfellow, Metaxas, Odena, 2019, "Self-Attention
/// Generative Adversarial Networks"), in the form of its authors' BigGAN code.

#include <gan/nn/layers.hpp>

#include <torch/nn/cloneable.h>
#include <torch/nn/functional/pooling.h>

namespace gan::nn {

/// Options of `SelfAttention`.
struct SelfAttentionOptions {
  /* implicit */ SelfAttentionOptions(int64_t channels) : channels_(channels) {}
  /// Channels of the input and the output; at least 8 (query and key have channels / 8).
  TORCH_ARG(int64_t, channels);
  /// Spectral normalisation of the four 1×1 convolutions.
  TORCH_ARG(bool, spectral_norm) = false;
};

/// y = x + γ · o(softmax(θ(x)ᵀ φ(x)) applied to g(x)), with θ, φ: 1×1 convs to C/8, g: to C/2,
/// a 2×2 max pool on φ and g, o: a 1×1 conv back to C, and a learnable γ that starts at 0, so
/// a new block is the identity. Height and width must be even.
class SelfAttentionImpl : public torch::nn::Cloneable<SelfAttentionImpl> {
 public:
  explicit SelfAttentionImpl(SelfAttentionOptions options) : options(options) { reset(); }

  void reset() override {
    const int64_t c = options.channels();
    TORCH_CHECK_VALUE(c >= 8, "SelfAttention: channels must be >= 8, got ", c);
    auto conv = [&](int64_t in, int64_t out) {
      return conv2d(torch::nn::Conv2dOptions(in, out, 1).bias(false), options.spectral_norm());
    };
    theta = conv(c, c / 8);
    phi = conv(c, c / 8);
    g = conv(c, c / 2);
    o = conv(c / 2, c);
    register_module("theta", theta.ptr());
    register_module("phi", phi.ptr());
    register_module("g", g.ptr());
    register_module("o", o.ptr());
    gamma = register_parameter("gamma", torch::zeros({1}));
  }

  torch::Tensor forward(const torch::Tensor& x) {
    TORCH_CHECK_VALUE(x.dim() == 4 && x.size(1) == options.channels(),
                      "SelfAttention: expected [N, ", options.channels(), ", H, W], got ",
                      x.sizes());
    const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
    TORCH_CHECK_VALUE(h % 2 == 0 && w % 2 == 0,
                      "SelfAttention: height and width must be even, got ", h, "x", w);
    namespace F = torch::nn::functional;
    const auto pool = F::MaxPool2dFuncOptions(2).stride(2);
    auto q = theta.forward(x).view({n, c / 8, h * w});
    auto k = F::max_pool2d(phi.forward(x), pool).view({n, c / 8, h * w / 4});
    auto v = F::max_pool2d(g.forward(x), pool).view({n, c / 2, h * w / 4});
    auto beta = torch::softmax(torch::bmm(q.transpose(1, 2), k), -1);  // [N, HW, HW/4]
    auto out = o.forward(torch::bmm(v, beta.transpose(1, 2)).view({n, c / 2, h, w}));
    return x + gamma * out;
  }

  SelfAttentionOptions options;
  torch::nn::AnyModule theta, phi, g, o;
  torch::Tensor gamma;
};

TORCH_MODULE(SelfAttention);

}  // namespace gan::nn
