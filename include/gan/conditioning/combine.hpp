#pragma once
/// @file
/// Several conditioning strategies at once.

#include <gan/conditioning/conditioning.hpp>

#include <tuple>

namespace gan::conditioning {

/// Applies each strategy in order: each configures the spec, inputs pass through each in turn,
/// and the extra losses add up. `Combine<ConditionalBatchNorm, Projection>` is SNGAN's set-up.
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
  std::tuple<Cs...> parts;

 private:
  static void add(at::Tensor& sum, const at::Tensor& t) {
    if (t.defined()) sum = sum.defined() ? sum + t : t;
  }
};

}  // namespace gan::conditioning
