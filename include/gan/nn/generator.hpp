#pragma once
/// @file
/// The generator family: a stack of up-sampling blocks from a 1×1 input, with optional
/// self-attention, spectral normalisation and conditional batch norm, sized at run time.

#include <gan/nn/blocks.hpp>
#include <gan/nn/attention.hpp>

#include <torch/nn/modules/container/modulelist.h>

#include <algorithm>
#include <vector>

namespace gan::nn {

/// One convolution layer of a network: its output width and its geometry.
struct ConvLayer {
  int64_t out_channels = 0;
  int64_t kernel = 4;
  int64_t stride = 2;
  int64_t padding = 1;
};

namespace detail {
/// The number of stride-2 blocks for a square image: as many as leave a start size >= 3.
inline int64_t auto_blocks(int64_t image_size) {
  int64_t n = 0;
  while (image_size % (int64_t{2} << n) == 0 && image_size / (int64_t{2} << n) >= 3) ++n;
  return n;
}
inline void check_family(int64_t image_size, int64_t width, int64_t blocks, const char* who) {
  TORCH_CHECK_VALUE(image_size >= 4, who, ": image_size must be >= 4, got ", image_size);
  TORCH_CHECK_VALUE(width > 0, who, ": base width must be > 0, got ", width);
  TORCH_CHECK_VALUE(blocks > 0, who, ": image_size ", image_size,
                    " cannot be made by stride-2 blocks: it must be a start size of 3 or more times a power of two,"
                    " i.e. an even number >= 6, such as 8, 16, 24, 32, 48, 64, 96, 128");
  TORCH_CHECK_VALUE(image_size % (int64_t{1} << blocks) == 0,
                    who, ": image_size ", image_size, " is not divisible by 2^", blocks,
                    " (num_blocks ", blocks, ")");
}
inline void check_attention(const std::vector<int64_t>& at, size_t blocks, const char* who) {
  for (auto k : at)
    TORCH_CHECK_VALUE(k >= 1 && k <= int64_t(blocks), who, ": attention after block ", k,
                      " is out of range; the network has blocks 1..", blocks);
}
}  // namespace detail

/// Options of `Generator`. `layers` are the hidden blocks (conv-transpose → norm → ReLU), run
/// from a 1×1 input of `z_dim + condition_dim` channels; `output` is the last layer, to
/// `channels` and tanh.
struct GeneratorOptions {
  GeneratorOptions(int64_t z_dim, std::vector<ConvLayer> layers, ConvLayer output)
      : z_dim_(z_dim), layers_(std::move(layers)), output_(output) {}

  /// The family: a 1×1 → s₀×s₀ block, `num_blocks` blocks that double the size, then a 3×3
  /// convolution to RGB. Widths halve from block to block and end at `base_width`, capped at
  /// `max_width`. `num_blocks` 0 picks as many as leave s₀ >= 3 (32 → 3, 64 → 4, 96 → 5).
  static GeneratorOptions family(int64_t z_dim, int64_t image_size, int64_t base_width = 64,
                                 int64_t num_blocks = 0, int64_t max_width = 512) {
    if (num_blocks == 0) num_blocks = detail::auto_blocks(image_size);
    detail::check_family(image_size, base_width, num_blocks, "Generator");
    const int64_t s0 = image_size >> num_blocks;
    auto width = [&](int64_t i) { return std::min(max_width, base_width << i); };
    std::vector<ConvLayer> layers{{width(num_blocks), s0, 1, 0}};
    for (int64_t i = num_blocks - 1; i >= 0; --i) layers.push_back({width(i), 4, 2, 1});
    return GeneratorOptions(z_dim, std::move(layers), {0, 3, 1, 1});
  }

  /// The 96×96 generator of the paper's code: transposed convs from 1×1 with kernels
  /// 4/4/4/5/4, stride 2, no padding, widths 512-256-128-64-3, BN and ReLU, then tanh.
  static GeneratorOptions paper96(int64_t z_dim) {
    return GeneratorOptions(z_dim, {{512, 4, 2, 0}, {256, 4, 2, 0}, {128, 4, 2, 0}, {64, 5, 2, 0}},
                            {0, 4, 2, 0});
  }

  TORCH_ARG(int64_t, z_dim);
  TORCH_ARG(std::vector<ConvLayer>, layers);
  /// The last layer (its out_channels is ignored: it makes `channels`).
  TORCH_ARG(ConvLayer, output);
  /// Extra input dimensions that a conditioning appends to z (one-hot: the class count).
  TORCH_ARG(int64_t, condition_dim) = 0;
  TORCH_ARG(int64_t, channels) = 3;
  /// Norm of the hidden blocks: batch (DCGAN), conditional_batch or none.
  TORCH_ARG(Norm, norm) = Norm::batch;
  /// Classes, for a conditional batch norm.
  TORCH_ARG(int64_t, num_classes) = 0;
  TORCH_ARG(Upsample, upsample) = Upsample::transposed;
  /// A self-attention block after each of these hidden blocks (1-based).
  TORCH_ARG(std::vector<int64_t>, attention_at) = {};
  TORCH_ARG(bool, spectral_norm) = false;
  /// Spectral norm on the attention blocks' four 1×1 convs even when `spectral_norm` is off,
  /// as the paper's `AttentionBlock` (models.py:12-15).
  TORCH_ARG(bool, attention_spectral_norm) = true;
  /// What an attention block is (SAGAN's self-attention by default).
  TORCH_ARG(AttentionFactory, attention) = self_attention();


 public:
  /// The size of the images this generator makes.
  int64_t image_size() const {
    int64_t s = 1;
    for (const auto& l : layers_) s = block(0, l).output_size(s);
    return block(0, {0, output_.kernel, output_.stride, output_.padding}).output_size(s);
  }
  /// The options of hidden block `l` whose input has `in` channels.
  UpBlockOptions block(int64_t in, const ConvLayer& l) const {
    return UpBlockOptions(std::max<int64_t>(in, 1), std::max<int64_t>(l.out_channels, 1))
        .kernel(l.kernel)
        .stride(l.stride)
        .padding(l.padding)
        .norm(norm_)
        .num_classes(num_classes_)
        .mode(upsample_)
        .spectral_norm(spectral_norm_);
  }
};

/// A generator: G(z, labels) → images in [-1, 1] of shape [N, channels, S, S]. `z` has
/// `z_dim + condition_dim` columns (a conditioning appends its part before the call);
/// `labels` are read only by conditional batch norms.
class GeneratorImpl : public torch::nn::Cloneable<GeneratorImpl> {
 public:
  explicit GeneratorImpl(GeneratorOptions options) : options(std::move(options)) { reset(); }

  void reset() override {
    const auto& o = options;
    TORCH_CHECK_VALUE(o.z_dim() > 0, "Generator: z_dim must be > 0, got ", o.z_dim());
    TORCH_CHECK_VALUE(!o.layers().empty(), "Generator: needs at least one hidden block");
    detail::check_attention(o.attention_at(), o.layers().size(), "Generator");
    blocks = register_module("blocks", torch::nn::ModuleList());
    attention.clear();
    int64_t in = o.z_dim() + o.condition_dim();
    for (size_t i = 0; i < o.layers().size(); ++i) {
      blocks->push_back(UpBlock(o.block(in, o.layers()[i])));
      in = o.layers()[i].out_channels;
      if (std::count(o.attention_at().begin(), o.attention_at().end(), int64_t(i + 1)))
        attention.add(blocks, o.attention()(in, o.spectral_norm() || o.attention_spectral_norm()));
    }
    const auto& l = o.output();
    output = register_module(
        "output", UpBlock(o.block(in, {o.channels(), l.kernel, l.stride, l.padding})
                              .norm(Norm::none)
                              .activation(Activation::tanh)));
  }

  torch::Tensor forward(const torch::Tensor& z, const torch::Tensor& labels = {}) {
    const int64_t in = options.z_dim() + options.condition_dim();
    TORCH_CHECK_VALUE(z.dim() == 2 && z.size(1) == in, "Generator: expected z of shape [N, ", in,
                      "], got ", z.sizes());
    auto h = z.view({z.size(0), in, 1, 1});
    for (const auto& m : *blocks) {
      if (auto up = std::dynamic_pointer_cast<UpBlockImpl>(m))
        h = up->forward(h, labels);
      else
        h = attention.forward(m.get(), h);
    }
    return output->forward(h, labels);
  }

  GeneratorOptions options;
  torch::nn::ModuleList blocks{nullptr};
  AttentionBlocks attention;
  UpBlock output{nullptr};
};
TORCH_MODULE(Generator);

}  // namespace gan::nn
