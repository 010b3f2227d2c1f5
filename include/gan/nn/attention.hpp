#pragma once
/// @file
/// Attention as an option: an `AttentionFactory` makes the block that follows a network's
/// chosen blocks, so attention variants plug into the same generator and discriminator (and are
/// benchmarked against each other) without touching them. `self_attention()` is SAGAN's block,
/// the paper's; `channel_attention()` is squeeze-and-excitation (Hu, Shen, Sun 2018), a cheaper
/// alternative that reweights channels only.
///
/// ```cpp
/// auto spec = gan::NetworkSpec().g_attention_at(std::vector<int64_t>{2})
///                 .attention(gan::nn::channel_attention());
/// ```

#include <gan/nn/layers.hpp>
#include <gan/nn/self_attention.hpp>

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>

#include <functional>
#include <map>

namespace gan::nn {

/// Makes an attention block for `channels` channels, spectrally normalised when asked. The
/// module's forward maps [N, C, H, W] to [N, C, H, W].
using AttentionFactory = std::function<torch::nn::AnyModule(int64_t channels, bool spectral_norm)>;

/// SAGAN's self-attention (`SelfAttention`): the paper's block.
inline AttentionFactory self_attention() {
  return [](int64_t channels, bool spectral_norm) {
    return torch::nn::AnyModule(SelfAttention(SelfAttentionOptions(channels).spectral_norm(spectral_norm)));
  };
}

/// Options of `ChannelAttention`.
struct ChannelAttentionOptions {
  /* implicit */ ChannelAttentionOptions(int64_t channels) : channels_(channels) {}
  TORCH_ARG(int64_t, channels);
  /// The bottleneck is channels / reduction wide (at least 1).
  TORCH_ARG(int64_t, reduction) = 8;
};

/// Squeeze-and-excitation: y = x · σ(W₂ relu(W₁ mean_hw(x))), a gain per channel.
class ChannelAttentionImpl : public torch::nn::Cloneable<ChannelAttentionImpl> {
 public:
  explicit ChannelAttentionImpl(ChannelAttentionOptions options) : options(options) { reset(); }
  void reset() override {
    const int64_t c = options.channels(), hidden = std::max<int64_t>(1, c / options.reduction());
    TORCH_CHECK_VALUE(c >= 1 && options.reduction() >= 1, "ChannelAttention: channels and reduction must be >= 1");
    squeeze = register_module("squeeze", torch::nn::Linear(c, hidden));
    excite = register_module("excite", torch::nn::Linear(hidden, c));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    TORCH_CHECK_VALUE(x.dim() == 4 && x.size(1) == options.channels(), "ChannelAttention: expected [N, ",
                      options.channels(), ", H, W], got ", x.sizes());
    const auto gain = torch::sigmoid(excite->forward(torch::relu(squeeze->forward(x.mean({2, 3})))));
    return x * gain.view({x.size(0), x.size(1), 1, 1});
  }
  ChannelAttentionOptions options;
  torch::nn::Linear squeeze{nullptr}, excite{nullptr};
};
TORCH_MODULE(ChannelAttention);

/// Squeeze-and-excitation blocks (no spectral norm: they hold linear layers only).
inline AttentionFactory channel_attention(int64_t reduction = 8) {
  return [reduction](int64_t channels, bool) {
    return torch::nn::AnyModule(ChannelAttention(ChannelAttentionOptions(channels).reduction(reduction)));
  };
}

/// The attention blocks among a network's `blocks`, by module, so that the network forwards
/// them whatever their type.
class AttentionBlocks {
 public:
  /// Appends `a` to `blocks` and remembers it.
  void add(torch::nn::ModuleList& blocks, torch::nn::AnyModule a) {
    blocks->push_back(a.ptr());
    modules_.emplace(a.ptr().get(), std::move(a));
  }
  void clear() { modules_.clear(); }
  /// The forward of block `m`, which `add` appended.
  torch::Tensor forward(const torch::nn::Module* m, const torch::Tensor& x) { return modules_.at(m).forward(x); }

 private:
  std::map<const torch::nn::Module*, torch::nn::AnyModule> modules_;
};

}  // namespace gan::nn
