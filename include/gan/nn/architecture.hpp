#pragma once
/// @file
/// Architecture policies: how a `NetworkSpec` becomes a generator and a discriminator.

#include <gan/nn/discriminator.hpp>
#include <gan/nn/generator.hpp>
#include <gan/nn/init.hpp>
#include <gan/nn/network_spec.hpp>

#include <concepts>

namespace gan {

namespace nn {
/// A generator module holder: `g->forward(z, labels)` returns images.
template <class G>
concept GeneratorNetwork = requires(G& g, const at::Tensor& t) {
  { g->forward(t, t) } -> std::convertible_to<at::Tensor>;
  { *g } -> std::convertible_to<torch::nn::Module&>;
};
/// A discriminator module holder: `d->forward(x, labels)` returns a `CriticOutput`.
template <class D>
concept DiscriminatorNetwork = requires(D& d, const at::Tensor& t) {
  { d->forward(t, t) } -> std::convertible_to<CriticOutput>;
  { *d } -> std::convertible_to<torch::nn::Module&>;
};
}  // namespace nn

/// An architecture policy.
///
/// Requirements: `a.make_generator(spec)` returns a `nn::GeneratorNetwork` and
/// `a.make_discriminator(spec)` a `nn::DiscriminatorNetwork`, made for `spec` (image size,
/// channels, z_dim + g_condition_dim inputs, channels + d_condition_channels inputs). They are
/// called once, after the global seed is set. For a conditioning that brings network parts
/// (`NetworkHooks`: a generator norm, discriminator terms) the trainer calls
/// `make_generator(spec, hooks)` / `make_discriminator(spec, hooks)` instead, and refuses, at
/// compile time, an architecture without them.
///
/// Optional: `a.init_weights(net, init)` initialises a network it made (each of the two, in
/// turn) for a `WeightInit`; without it the trainer applies `nn::init_weights`. An
/// architecture whose layers need another init owns it there.
template <class A>
concept Architecture = requires(const A& a, const NetworkSpec& s) {
  { a.make_generator(s) } -> nn::GeneratorNetwork;
  { a.make_discriminator(s) } -> nn::DiscriminatorNetwork;
};

/// An architecture whose generator takes a conditioning's normalisation
/// (`make_generator(spec, hooks)`), and one whose discriminator takes its terms.
template <class A>
concept TakesGeneratorHooks = requires(const A& a, const NetworkSpec& s, const NetworkHooks& h) {
  { a.make_generator(s, h) } -> nn::GeneratorNetwork;
};
template <class A>
concept TakesDiscriminatorHooks = requires(const A& a, const NetworkSpec& s, const NetworkHooks& h) {
  { a.make_discriminator(s, h) } -> nn::DiscriminatorNetwork;
};

namespace arch {

/// Defaults that distinguish the built-in architectures.
struct Defaults {
  /// Attention after these blocks (1-based) of the generator and of the discriminator.
  std::vector<int64_t> g_attention_at, d_attention_at;
  bool spectral_norm = false;
  /// The discriminator's norm when it is not spectrally normalised.
  nn::Norm d_norm = nn::Norm::batch;
};

/// The library's generator and discriminator (`nn::Generator`, `nn::Discriminator`), in
/// the family or the paper's layout, with the defaults `D` gives.
template <Defaults (*D)()>
struct Standard {
  nn::Generator make_generator(const NetworkSpec& s) const { return make_generator(s, {}); }
  nn::Discriminator make_discriminator(const NetworkSpec& s) const { return make_discriminator(s, {}); }
  nn::Generator make_generator(const NetworkSpec& s, const NetworkHooks& hooks) const {
    s.validate();
    const auto d = D();
    auto o = s.layout() == Layout::paper96
                 ? nn::GeneratorOptions::paper96(s.z_dim())
                 : nn::GeneratorOptions::family(s.z_dim(), s.image_size(), s.g_width(),
                                                s.g_blocks(), s.max_width());
    o.condition_dim(s.g_condition_dim())
        .channels(s.channels())
        .norm(hooks.generator_norm.value_or(nn::Norm::batch))
        .num_classes(s.num_classes())
        .upsample(s.upsample())
        .attention_at(s.g_attention_at().value_or(d.g_attention_at))
        .spectral_norm(s.g_spectral_norm().value_or(d.spectral_norm));
    if (s.attention()) o.attention(*s.attention());
    TORCH_CHECK_VALUE(o.image_size() == s.image_size(), "the generator makes ", o.image_size(),
                      "x", o.image_size(), " images, but image_size is ", s.image_size(),
                      " (resize_conv keeps only sizes that double exactly)");
    return nn::Generator(o);
  }
  nn::Discriminator make_discriminator(const NetworkSpec& s, const NetworkHooks& hooks) const {
    s.validate();
    const auto d = D();
    auto o = s.layout() == Layout::paper96
                 ? nn::DiscriminatorOptions::paper96()
                 : nn::DiscriminatorOptions::family(s.image_size(), s.d_width(), s.d_blocks(),
                                                    s.max_width());
    const bool sn = s.d_spectral_norm().value_or(d.spectral_norm);
    o.channels(s.channels())
        .condition_channels(s.d_condition_channels())
        .output_dim(s.d_output_dim())
        .norm(sn ? nn::Norm::none : d.d_norm)
        .attention_at(s.d_attention_at().value_or(d.d_attention_at))
        .spectral_norm(sn)
        .num_classes(s.num_classes())
        .terms(hooks.discriminator_terms);
    if (s.attention()) o.attention(*s.attention());
    return nn::Discriminator(o);
  }
  void init_weights(torch::nn::Module& net, WeightInit init) const { nn::init_weights(net, init); }
};

inline Defaults dcgan_defaults() { return {}; }
inline Defaults sagan_defaults() { return {{2}, {2}, true, nn::Norm::none}; }
inline Defaults attention_defaults() { return {{2}, {}, false, nn::Norm::batch}; }
inline Defaults attention2_defaults() { return {{2}, {2}, false, nn::Norm::batch}; }

/// DCGAN-style networks: batch norm, no attention, no spectral norm.
using Dcgan = Standard<dcgan_defaults>;
/// SAGAN (Zhang et al., 2019): self-attention after block 2 in both networks, spectral norm in
/// both, no batch norm in the discriminator.
using Sagan = Standard<sagan_defaults>;
/// The paper's SAGAN variant trained with BCE, model R (its Table 4): one self-attention block
/// in total, in the generator after block 2; batch norm, no spectral norm on the conv blocks
/// (which destabilised its training). The attention's 1×1 convs are spectrally normalised.
using Attention = Standard<attention_defaults>;
/// The paper's model S: self-attention after block 2 of both networks (two blocks in total).
using Attention2 = Standard<attention2_defaults>;

}  // namespace arch
}  // namespace gan
