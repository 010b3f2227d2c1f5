#pragma once
/// @file
/// The GAN variants of the paper (and SAGAN as its authors define it), as type aliases of the
/// one `Trainer`, and the one list of named variants that the tool, the pipeline, the tests and
/// the benchmarks iterate. A variant is its policies; nothing else differs.
///
/// ```cpp
/// gan::presets::visit("wgan-clip", [&](auto tag) {
///   using T = typename decltype(tag)::type;          // gan::presets::ConditionalWganClip
///   auto trainer = gan::presets::make<T>(spec, options, {.clip_value = 0.02});
///   ...
/// });
/// ```

#include <gan/conditioning/one_hot_concat.hpp>
#include <gan/loss/hinge.hpp>
#include <gan/loss/non_saturating.hpp>
#include <gan/loss/wasserstein.hpp>
#include <gan/regularizer/gradient_penalty.hpp>
#include <gan/regularizer/weight_clipping.hpp>
#include <gan/train/trainer.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

namespace gan::presets {

/// Conditional vanilla GAN (BCE), one-hot conditioning: the paper's models A-E.
using ConditionalGan =
    Trainer<arch::Dcgan, loss::NonSaturating, regularizer::None, conditioning::OneHotConcat>;
/// Conditional WGAN with no Lipschitz constraint (the paper's model H).
using ConditionalWgan =
    Trainer<arch::Dcgan, loss::Wasserstein, regularizer::None, conditioning::OneHotConcat>;
/// Conditional WGAN with weight clipping (the paper's best, model M: c = 0.01).
using ConditionalWganClip =
    Trainer<arch::Dcgan, loss::Wasserstein, regularizer::WeightClipping, conditioning::OneHotConcat>;
/// Conditional WGAN with a per-sample gradient penalty (the paper's models I-L).
using ConditionalWganGp =
    Trainer<arch::Dcgan, loss::Wasserstein, regularizer::GradientPenalty, conditioning::OneHotConcat>;
/// The paper's conditional SAGAN, model R: one attention block (in G, after block 2), batch
/// norm, BCE (hinge with spectral norm destabilised its training).
using ConditionalSagan =
    Trainer<arch::Attention, loss::NonSaturating, regularizer::None, conditioning::OneHotConcat>;
/// The paper's model S: as model R with a second attention block, in D after block 2.
using ConditionalSaganS =
    Trainer<arch::Attention2, loss::NonSaturating, regularizer::None, conditioning::OneHotConcat>;
/// SAGAN as Zhang et al. define it: attention in both networks, spectral norm, hinge loss.
using ConditionalSaganHinge =
    Trainer<arch::Sagan, loss::Hinge, regularizer::None, conditioning::OneHotConcat>;

/// A named variant: the name the tool, the pipeline and the reports use, the preset, and what it is.
template <class T>
struct Named {
  using type = T;
  std::string_view name;
  std::string_view description;
};

/// The one list of named variants.
inline constexpr std::tuple variants{
    Named<ConditionalGan>{"vanilla", "conditional GAN, BCE (the paper's models A-E)"},
    Named<ConditionalWgan>{"wgan", "conditional WGAN, no Lipschitz constraint (model H)"},
    Named<ConditionalWganClip>{"wgan-clip", "conditional WGAN with weight clipping (model M, the paper's best)"},
    Named<ConditionalWganGp>{"wgan-gp", "conditional WGAN with a per-sample gradient penalty (models I-L)"},
    Named<ConditionalSagan>{"sagan", "the paper's SAGAN, model R: BCE, one attention block, in G after block 2"},
    Named<ConditionalSaganS>{"sagan-s", "model S: as sagan with a second attention block, in D after block 2"},
    Named<ConditionalSaganHinge>{"sagan-hinge", "SAGAN as Zhang et al.: attention in both networks, spectral norm, hinge"}};

namespace detail {
template <template <class...> class List, class Tuple>
struct types_of;
template <template <class...> class List, class... N>
struct types_of<List, std::tuple<N...>> {
  using type = List<typename N::type...>;
};
}  // namespace detail

/// The presets of `variants` as `List<T...>`, e.g. `VariantTypes<::testing::Types>`.
template <template <class...> class List>
using VariantTypes = typename detail::types_of<List, std::remove_cv_t<decltype(variants)>>::type;

/// The names of `variants`, in order.
inline std::vector<std::string> variant_names() {
  return std::apply([](const auto&... v) { return std::vector<std::string>{std::string(v.name)...}; }, variants);
}

namespace detail {
[[noreturn]] inline void unknown(std::string_view name) {
  std::string list;
  for (const auto& n : variant_names()) list += (list.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown variant '" + std::string(name) + "' (one of: " + list + ")");
}
}  // namespace detail

/// The name of preset `T` in `variants`.
template <class T>
constexpr std::string_view name_of() {
  std::string_view out;
  std::apply([&](const auto&... v) { ((std::is_same_v<typename std::decay_t<decltype(v)>::type, T> ? (out = v.name, 0) : 0), ...); }, variants);
  return out;
}

/// Calls `fn(std::type_identity<T>{})` with the preset named `name` and returns what it
/// returns (every preset's call must return the same type). Throws std::invalid_argument
/// naming the known variants when there is none of that name.
template <class Fn>
decltype(auto) visit(std::string_view name, Fn&& fn) {
  using R = decltype(fn(std::type_identity<ConditionalGan>{}));
  return std::apply(
      [&](const auto&... v) -> R {
        if constexpr (std::is_void_v<R>) {
          bool found = false;
          ((!found && v.name == name ? (fn(std::type_identity<typename std::decay_t<decltype(v)>::type>{}), found = true) : false), ...);
          if (!found) detail::unknown(name);
        } else {
          std::optional<std::remove_cvref_t<R>> out;
          ((!out && v.name == name ? (out.emplace(fn(std::type_identity<typename std::decay_t<decltype(v)>::type>{})), true) : false), ...);
          if (!out) detail::unknown(name);
          return std::move(*out);
        }
      },
      variants);
}

/// What a variant's policies take at run time (the paper's --clip_value and --gp_weight).
struct VariantOptions {
  double clip_value = 0.01;
  double gp_weight = 10;
};

/// Makes preset `T` (or `T::WithAugmentation<...>`) with its constraint from `v` and the
/// augmentation `augmentation`.
template <class T>
T make(const NetworkSpec& spec, const TrainerOptions& options, const VariantOptions& v = {},
       typename T::AugmentationType augmentation = {}) {
  using R = typename T::Constraint;
  const auto constraint = [&] {
    if constexpr (std::is_same_v<R, regularizer::WeightClipping>)
      return R(v.clip_value);
    else if constexpr (std::is_same_v<R, regularizer::GradientPenalty>)
      return R(v.gp_weight);
    else
      return R();
  };
  return T(spec, options, {}, {}, constraint(), {}, std::move(augmentation));
}

}  // namespace gan::presets
