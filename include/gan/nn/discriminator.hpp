#pragma once
/// @file
/// The discriminator (critic) family: a stack of down-sampling blocks, with optional
/// self-attention and spectral normalisation, a head of width 1 or k, and the terms a
/// conditioning brings (a projection, an auxiliary classifier: `DiscriminatorTerm`).

#include <gan/nn/blocks.hpp>
#include <gan/nn/generator.hpp>
#include <gan/nn/attention.hpp>

#include <torch/nn/modules/container/modulelist.h>

#include <functional>
#include <memory>
#include <string>

namespace gan::nn {

/// What a discriminator returns.
struct CriticOutput {
  /// Adversarial scores (logits for BCE), [N, output_dim].
  torch::Tensor score;
  /// Class logits of an auxiliary classifier, [N, num_classes]; undefined without one.
  torch::Tensor class_logits;
};

/// What a discriminator term is made for: the last block's features [N, channels, size, size],
/// the class count, whether D is spectrally normalised, and the head's geometry (a term that
/// outputs per-sample values uses it to reduce the map to 1×1 as the head does).
struct TermShape {
  int64_t channels = 0, size = 0, num_classes = 0;
  bool spectral_norm = false;
  ConvLayer head{};
};

/// A part of the discriminator that a conditioning brings: a module of D (its parameters are
/// D's: optimised, saved and moved with it) that changes D's output given the last block's
/// features and the labels, e.g. adds ⟨embed(y), φ(x)⟩ to the score or sets class logits.
class DiscriminatorTermImpl : public torch::nn::Module {
 public:
  virtual void apply(const torch::Tensor& features, const torch::Tensor& labels, CriticOutput& out) = 0;
};

/// A named maker of a term: D registers what `make` returns under `name`.
struct DiscriminatorTerm {
  std::string name;
  std::function<std::shared_ptr<DiscriminatorTermImpl>(const TermShape&)> make;
};

/// Options of `Discriminator`. `layers` are the blocks (conv → norm → LeakyReLU 0.2); `head`
/// is the last convolution, whose geometry must reduce the last block's map to 1×1.
struct DiscriminatorOptions {
  DiscriminatorOptions(int64_t image_size, std::vector<ConvLayer> layers, ConvLayer head)
      : image_size_(image_size), layers_(std::move(layers)), head_(head) {}

  /// The family: `num_blocks` blocks that halve the size, widths doubling from `base_width`
  /// and capped at `max_width`, no norm in the first block (DCGAN), then a head whose
  /// kernel covers the last map. `num_blocks` 0 picks as many as leave a map >= 3.
  static DiscriminatorOptions family(int64_t image_size, int64_t base_width = 64,
                                     int64_t num_blocks = 0, int64_t max_width = 512) {
    if (num_blocks == 0) num_blocks = detail::auto_blocks(image_size);
    detail::check_family(image_size, base_width, num_blocks, "Discriminator");
    std::vector<ConvLayer> layers;
    for (int64_t i = 0; i < num_blocks; ++i)
      layers.push_back({std::min(max_width, base_width << i), 4, 2, 1});
    auto o = DiscriminatorOptions(image_size, std::move(layers), {0, image_size >> num_blocks, 1, 0});
    o.norm_first(false);
    return o;
  }

  /// The 96×96 discriminator of the paper's code: convs with kernels 2/2/4/4, stride 2,
  /// widths 64-128-256-512, BN and LeakyReLU 0.2 in every block, then a 4×4 stride-2 conv.
  static DiscriminatorOptions paper96() {
    return DiscriminatorOptions(96, {{64, 2, 2, 0}, {128, 2, 2, 0}, {256, 4, 2, 0}, {512, 4, 2, 0}},
                                {0, 4, 2, 0});
  }

  TORCH_ARG(int64_t, image_size);
  TORCH_ARG(std::vector<ConvLayer>, layers);
  TORCH_ARG(ConvLayer, head);
  TORCH_ARG(int64_t, channels) = 3;
  /// Extra input channels that a conditioning appends (one-hot planes: the class count).
  TORCH_ARG(int64_t, condition_channels) = 0;
  /// Width of the adversarial output: 1, or k (the paper's model E: 8).
  TORCH_ARG(int64_t, output_dim) = 1;
  TORCH_ARG(Norm, norm) = Norm::batch;
  /// Whether the first block is normalised too (the paper's code: yes; DCGAN: no).
  TORCH_ARG(bool, norm_first) = true;
  TORCH_ARG(std::vector<int64_t>, attention_at) = {};
  TORCH_ARG(bool, spectral_norm) = false;
  /// Spectral norm on the attention blocks' four 1×1 convs even when `spectral_norm` is off,
  /// as the paper's `AttentionBlock` (models.py:12-15).
  TORCH_ARG(bool, attention_spectral_norm) = true;
  /// What an attention block is (SAGAN's self-attention by default).
  TORCH_ARG(AttentionFactory, attention) = self_attention();
  TORCH_ARG(int64_t, num_classes) = 0;
  /// The conditioning's terms (e.g. `conditioning::projection_term()`), applied in order after
  /// the head.
  TORCH_ARG(std::vector<DiscriminatorTerm>, terms) = {};
};

/// A discriminator: D(x, labels) → `CriticOutput`. `x` has `channels + condition_channels`
/// channels; `labels` are read by the terms only.
class DiscriminatorImpl : public torch::nn::Cloneable<DiscriminatorImpl> {
 public:
  explicit DiscriminatorImpl(DiscriminatorOptions options) : options(std::move(options)) {
    reset();
  }

  void reset() override {
    const auto& o = options;
    TORCH_CHECK_VALUE(!o.layers().empty(), "Discriminator: needs at least one block");
    TORCH_CHECK_VALUE(o.output_dim() > 0, "Discriminator: output_dim must be > 0, got ",
                      o.output_dim());
    detail::check_attention(o.attention_at(), o.layers().size(), "Discriminator");
    blocks = register_module("blocks", torch::nn::ModuleList());
    attention.clear();
    int64_t in = o.channels() + o.condition_channels(), size = o.image_size();
    for (size_t i = 0; i < o.layers().size(); ++i) {
      const auto& l = o.layers()[i];
      auto b = DownBlockOptions(in, l.out_channels)
                   .kernel(l.kernel)
                   .stride(l.stride)
                   .padding(l.padding)
                   .norm(i == 0 && !o.norm_first() ? Norm::none : o.norm())
                   .spectral_norm(o.spectral_norm());
      size = b.output_size(size);
      TORCH_CHECK_VALUE(size >= 1, "Discriminator: block ", i + 1, " leaves no pixels of a ",
                        o.image_size(), "x", o.image_size(), " input");
      blocks->push_back(DownBlock(b));
      in = l.out_channels;
      if (std::count(o.attention_at().begin(), o.attention_at().end(), int64_t(i + 1)))
        attention.add(blocks, o.attention()(in, o.spectral_norm() || o.attention_spectral_norm()));
    }
    const auto& h = o.head();
    TORCH_CHECK_VALUE(detail::conv_size(size, h.kernel, h.stride, h.padding) == 1,
                      "Discriminator: the head (kernel ", h.kernel, ", stride ", h.stride,
                      ") does not reduce the last ", size, "x", size, " map to 1x1");
    auto head_conv = [&](int64_t out) {
      return conv2d(torch::nn::Conv2dOptions(in, out, h.kernel).stride(h.stride).padding(h.padding),
                    o.spectral_norm());
    };
    head = head_conv(o.output_dim());
    register_module("head", head.ptr());
    terms.clear();
    for (const auto& t : o.terms()) {
      TORCH_CHECK_VALUE(t.make && !t.name.empty(), "Discriminator: a term needs a name and a maker");
      terms.push_back(register_module(t.name, t.make({in, size, o.num_classes(), o.spectral_norm(), h})));
    }
  }

  CriticOutput forward(const torch::Tensor& x, const torch::Tensor& labels = {}) {
    const int64_t in = options.channels() + options.condition_channels();
    TORCH_CHECK_VALUE(x.dim() == 4 && x.size(1) == in && x.size(2) == options.image_size() &&
                          x.size(3) == options.image_size(),
                      "Discriminator: expected input of shape [N, ", in, ", ",
                      options.image_size(), ", ", options.image_size(), "], got ", x.sizes());
    auto h = x;
    for (const auto& m : *blocks) {
      if (auto down = std::dynamic_pointer_cast<DownBlockImpl>(m))
        h = down->forward(h, labels);
      else
        h = attention.forward(m.get(), h);
    }
    CriticOutput out{convolve(head, h).flatten(1), {}};
    for (const auto& t : terms) t->apply(h, labels, out);
    return out;
  }

  DiscriminatorOptions options;
  torch::nn::ModuleList blocks{nullptr};
  AttentionBlocks attention;
  torch::nn::AnyModule head;
  std::vector<std::shared_ptr<DiscriminatorTermImpl>> terms;
};
TORCH_MODULE(Discriminator);

}  // namespace gan::nn
