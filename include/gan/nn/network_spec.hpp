#pragma once
/// @file
/// `NetworkSpec`: the run-time description of a GAN's two networks, which an architecture
/// policy turns into a generator and a discriminator.

#include <gan/nn/attention.hpp>
#include <gan/nn/blocks.hpp>
#include <gan/nn/discriminator.hpp>

#include <optional>
#include <vector>

namespace gan {

/// The layout of the networks.
enum class Layout {
  family,  ///< the sized family (`GeneratorOptions::family`), any image size
  paper96  ///< the exact 96×96 networks of the paper's code
};

/// Sizes and switches of a GAN's networks. Unset optional fields take the architecture
/// policy's defaults. The conditioning policy fills the last group before the networks are
/// made.
struct NetworkSpec {
  TORCH_ARG(int64_t, image_size) = 64;
  TORCH_ARG(int64_t, channels) = 3;
  TORCH_ARG(int64_t, z_dim) = 64;
  TORCH_ARG(int64_t, num_classes) = 2;
  TORCH_ARG(Layout, layout) = Layout::family;
  TORCH_ARG(int64_t, g_width) = 64;
  TORCH_ARG(int64_t, d_width) = 64;
  /// Stride-2 blocks; 0 picks as many as the image size allows.
  TORCH_ARG(int64_t, g_blocks) = 0;
  TORCH_ARG(int64_t, d_blocks) = 0;
  TORCH_ARG(int64_t, max_width) = 512;
  TORCH_ARG(nn::Upsample, upsample) = nn::Upsample::transposed;
  /// Width of the discriminator's output (the paper's model E: 8).
  TORCH_ARG(int64_t, d_output_dim) = 1;
  TORCH_ARG(std::optional<std::vector<int64_t>>, g_attention_at) = std::nullopt;
  TORCH_ARG(std::optional<std::vector<int64_t>>, d_attention_at) = std::nullopt;
  TORCH_ARG(std::optional<bool>, g_spectral_norm) = std::nullopt;
  TORCH_ARG(std::optional<bool>, d_spectral_norm) = std::nullopt;
  /// What an attention block is (both networks); unset: SAGAN's self-attention.
  TORCH_ARG(std::optional<nn::AttentionFactory>, attention) = std::nullopt;

  // Filled by the conditioning policy: the widths of its extra inputs. The network parts it
  // brings (a generator norm, discriminator terms) come as `NetworkHooks`.
  TORCH_ARG(int64_t, g_condition_dim) = 0;
  TORCH_ARG(int64_t, d_condition_channels) = 0;


 public:
  /// Throws on a value no network can be made from.
  void validate() const {
    TORCH_CHECK_VALUE(num_classes_ >= 1, "NetworkSpec: num_classes must be >= 1, got ",
                      num_classes_);
    TORCH_CHECK_VALUE(z_dim_ >= 1, "NetworkSpec: z_dim must be >= 1, got ", z_dim_);
    TORCH_CHECK_VALUE(channels_ >= 1, "NetworkSpec: channels must be >= 1, got ", channels_);
    TORCH_CHECK_VALUE(d_output_dim_ >= 1, "NetworkSpec: d_output_dim must be >= 1, got ",
                      d_output_dim_);
    TORCH_CHECK_VALUE(layout_ != Layout::paper96 || image_size_ == 96,
                      "NetworkSpec: the paper96 layout makes 96x96 images, but image_size is ",
                      image_size_);
  }
};

/// What a conditioning brings to the networks, besides their extra inputs: the generator's
/// normalisation (conditional batch norm) and terms of the discriminator (a projection, an
/// auxiliary classifier). The trainer gathers them from the conditioning policy's
/// `generator_norm()` and `discriminator_terms()` and hands them to the architecture's
/// `make_generator(spec, hooks)` and `make_discriminator(spec, hooks)`; an architecture
/// without those overloads is refused at compile time for such a conditioning.
struct NetworkHooks {
  std::optional<nn::Norm> generator_norm;
  std::vector<nn::DiscriminatorTerm> discriminator_terms;
};

}  // namespace gan
