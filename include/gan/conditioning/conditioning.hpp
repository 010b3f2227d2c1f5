#pragma once
/// @file
/// The concept that a conditioning strategy satisfies, and a base with neutral defaults.

#include <gan/nn/discriminator.hpp>
#include <gan/nn/network_spec.hpp>

#include <concepts>
#include <vector>

namespace gan::conditioning {

/// How the class (or cluster) label enters a GAN.
///
/// Requirements, for labels `y` (int64, [N]), noise `z` ([N, z_dim]) and images `x`:
/// - `c.configure(spec)` is called once before the networks are made; it sets the widths of
///   its extra inputs (`g_condition_dim`, `d_condition_channels`) and may keep what it needs
///   (the class count);
/// - `c.generator_input(z, y)` returns the generator's input;
/// - `c.discriminator_input(x, y)` returns the discriminator's input;
/// - `c.discriminator_extra_loss(real_out, fake_out, y)` and `c.generator_extra_loss(fake_out, y)`
///   return terms added to the two losses, or an undefined tensor for none.
/// Derive from `Base` to inherit neutral versions of all of them.
///
/// A conditioning may also bring network parts, found through `requires` (see
/// `NetworkHooks`): `c.generator_norm()` (an `nn::Norm`: the generator's normalisation, e.g.
/// conditional batch norm) and `c.discriminator_terms()` (`nn::DiscriminatorTerm`s: modules of
/// D that change its output given its last features and the labels, e.g. the projection).
template <class C>
concept Conditioning = requires(C& c, NetworkSpec& s, const at::Tensor& t,
                                const nn::CriticOutput& o) {
  c.configure(s);
  { c.generator_input(t, t) } -> std::convertible_to<at::Tensor>;
  { c.discriminator_input(t, t) } -> std::convertible_to<at::Tensor>;
  { c.discriminator_extra_loss(o, o, t) } -> std::convertible_to<at::Tensor>;
  { c.generator_extra_loss(o, t) } -> std::convertible_to<at::Tensor>;
};

/// A conditioning that sets the generator's normalisation.
template <class C>
concept HasGeneratorNorm = requires(const C& c) {
  { c.generator_norm() } -> std::convertible_to<nn::Norm>;
};
/// A conditioning that brings terms of the discriminator.
template <class C>
concept HasDiscriminatorTerms = requires(const C& c) {
  { c.discriminator_terms() } -> std::convertible_to<std::vector<nn::DiscriminatorTerm>>;
};

/// The network parts `c` brings (empty for a conditioning of the inputs only).
template <class C>
NetworkHooks network_hooks(const C& c) {
  NetworkHooks h;
  if constexpr (HasGeneratorNorm<C>) h.generator_norm = c.generator_norm();
  if constexpr (HasDiscriminatorTerms<C>) h.discriminator_terms = c.discriminator_terms();
  return h;
}

/// Neutral defaults: nothing is conditioned.
struct Base {
  void configure(NetworkSpec& spec) { num_classes = spec.num_classes(); }
  at::Tensor generator_input(const at::Tensor& z, const at::Tensor&) const { return z; }
  at::Tensor discriminator_input(const at::Tensor& x, const at::Tensor&) const { return x; }
  at::Tensor discriminator_extra_loss(const nn::CriticOutput&, const nn::CriticOutput&,
                                      const at::Tensor&) const {
    return {};
  }
  at::Tensor generator_extra_loss(const nn::CriticOutput&, const at::Tensor&) const { return {}; }
  int64_t num_classes = 0;
};

/// An unconditional GAN: labels are ignored.
struct None : Base {};

}  // namespace gan::conditioning
