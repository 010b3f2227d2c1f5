#pragma once
/// @file
/// The concept that an adversarial loss policy satisfies.

#include <ATen/core/Tensor.h>

#include <concepts>

namespace gan::loss {

/// An adversarial loss.
///
/// Requirements, for scores `real` and `fake` of shape [N, k] (the discriminator's output for
/// real and generated images; logits where the loss is a classification one):
/// - `l.discriminator_loss(real, fake)` returns the scalar the discriminator minimises;
/// - `l.generator_loss(fake)` returns the scalar the generator minimises.
/// Both must be differentiable with respect to their arguments.
///
/// Optional: `static constexpr bool reports_wasserstein = true;` makes the trainer report
/// mean(real) − mean(fake), the Wasserstein estimate, in each step's figures.
///
/// A relativistic loss (RaGAN, Jolicoeur-Martineau 2019) compares fakes with reals in the
/// generator's step too: it provides `l.generator_loss(fake, real)` instead of
/// `l.generator_loss(fake)`, and the trainer passes it D(real) of the same batch (see
/// `RelativisticLoss`).
template <class L>
concept AdversarialLoss = requires(L& l, const at::Tensor& t) {
  { l.discriminator_loss(t, t) } -> std::convertible_to<at::Tensor>;
} && (requires(L& l, const at::Tensor& t) {
  { l.generator_loss(t) } -> std::convertible_to<at::Tensor>;
} || requires(L& l, const at::Tensor& t) {
  { l.generator_loss(t, t) } -> std::convertible_to<at::Tensor>;
});

/// A loss whose generator term reads D(real): `l.generator_loss(fake, real)`.
template <class L>
concept RelativisticLoss = AdversarialLoss<L> && requires(L& l, const at::Tensor& t) {
  { l.generator_loss(t, t) } -> std::convertible_to<at::Tensor>;
};

/// Whether the trainer reports the Wasserstein estimate for loss `L`.
template <class L>
constexpr bool reports_wasserstein() {
  if constexpr (requires { L::reports_wasserstein; })
    return L::reports_wasserstein;
  else
    return false;
}

}  // namespace gan::loss
