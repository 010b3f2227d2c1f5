#pragma once
/// @file
/// The weight initialisations of the paper's code and of libtorch, as functions of a network.

#include <gan/nn/self_attention.hpp>

#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>

#include <set>

namespace gan {

/// How the networks' weights start.
enum class WeightInit {
  /// The paper's `weights_init` (train.py:120-125): conv and transposed-conv weights
  /// N(0, 0.02), BatchNorm weights N(1, 0.02) and biases 0; the attention blocks' 1×1 convs
  /// (spectrally normalised) and linear layers keep libtorch's defaults.
  paper,
  /// The same draws under DCGAN's name (Radford et al. 2016 define them).
  dcgan = paper,
  pytorch  ///< libtorch's own defaults everywhere
};

namespace nn {

/// Applies `init` to the modules of `net` (from libtorch's global generator). The paper's
/// weights_init never reaches the attention blocks' spectrally normalised convs: they keep
/// libtorch's defaults.
inline void init_weights(torch::nn::Module& net, WeightInit init) {
  if (init == WeightInit::pytorch) return;
  torch::NoGradGuard no_grad;
  std::set<const torch::nn::Module*> keep;
  for (const auto& m : net.modules())
    if (dynamic_cast<SelfAttentionImpl*>(m.get()))
      for (const auto& sub : m->modules()) keep.insert(sub.get());
  for (const auto& m : net.modules()) {
    if (keep.count(m.get())) continue;
    if (auto* c = dynamic_cast<torch::nn::Conv2dImpl*>(m.get())) c->weight.normal_(0, 0.02);
    if (auto* c = dynamic_cast<torch::nn::ConvTranspose2dImpl*>(m.get())) c->weight.normal_(0, 0.02);
    if (auto* b = dynamic_cast<torch::nn::BatchNorm2dImpl*>(m.get()); b && b->options.affine()) {
      b->weight.normal_(1.0, 0.02);
      b->bias.zero_();
    }
  }
}

}  // namespace nn
}  // namespace gan
