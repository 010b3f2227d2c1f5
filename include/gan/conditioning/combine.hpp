#pragma once
/// @file
/// Several conditioning strategies at once.

#include <gan/conditioning/conditioning.hpp>

#include <tuple>

namespace gan::conditioning {

/// Applies each strategy in order: each configures the spec, inputs pass through each in turn,
/// the extra losses add up, and the network parts they bring are gathered. `Combine<ConditionalBatchNorm, Projection>` is SNGAN's set-up.
template <Conditioning... Cs>
struct Combine {
  void configure(NetworkSpec& spec) {
    std::apply([&](auto&... c) { (c.configure(spec), ...); }, parts);
  }
  at::Tensor generator_input(at::Tensor z, const at::Tensor& y) const {
    std::apply([&](const auto&... c) { ((z = c.generator_input(z, y)), ...); }, parts);
    return z;
  }
  at::Tensor discriminator_input(at::Tensor x, const at::Tensor& y) const {
    std::apply([&](const auto&... c) { ((x = c.discriminator_input(x, y)), ...); }, parts);
    return x;
  }
  at::Tensor discriminator_extra_loss(const nn::CriticOutput& r, const nn::CriticOutput& f,
                                      const at::Tensor& y) const {
    at::Tensor sum;
    std::apply([&](const auto&... c) { (add(sum, c.discriminator_extra_loss(r, f, y)), ...); },
               parts);
    return sum;
  }
  at::Tensor generator_extra_loss(const nn::CriticOutput& f, const at::Tensor& y) const {
    at::Tensor sum;
    std::apply([&](const auto&... c) { (add(sum, c.generator_extra_loss(f, y)), ...); }, parts);
    return sum;
  }
  /// The one part's generator norm (two parts that both set it do not combine).
  nn::Norm generator_norm() const
    requires((HasGeneratorNorm<Cs> || ...))
  {
    static_assert((int(HasGeneratorNorm<Cs>) + ...) == 1, "Combine: two parts set the generator's norm");
    nn::Norm n{};
    std::apply([&](const auto&... c) { (take_norm(n, c), ...); }, parts);
    return n;
  }
  /// The parts' discriminator terms, in order.
  std::vector<nn::DiscriminatorTerm> discriminator_terms() const
    requires((HasDiscriminatorTerms<Cs> || ...))
  {
    std::vector<nn::DiscriminatorTerm> all;
    std::apply([&](const auto&... c) { (take_terms(all, c), ...); }, parts);
    return all;
  }
  std::tuple<Cs...> parts;

 private:
  template <class C>
  static void take_norm(nn::Norm& n, const C& c) {
    if constexpr (HasGeneratorNorm<C>) n = c.generator_norm();
  }
  template <class C>
  static void take_terms(std::vector<nn::DiscriminatorTerm>& all, const C& c) {
    if constexpr (HasDiscriminatorTerms<C>) {
      auto t = c.discriminator_terms();
      all.insert(all.end(), t.begin(), t.end());
    }
  }
  static void add(at::Tensor& sum, const at::Tensor& t) {
    if (t.defined()) sum = sum.defined() ? sum + t : t;
  }
};

}  // namespace gan::conditioning
