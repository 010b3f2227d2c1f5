#pragma once
/// @file
/// An augmentation chosen at run time: none, DiffAugment with some ops, or ADA. One compiled
/// trainer per variant then serves every choice, as the tool does (`aerogan train --diffaugment
/// color,translation,cutout`, `--ada`); a C++ user who knows the policy at compile time gives it
/// to `Trainer` directly.
///
/// ```cpp
/// using T = gan::presets::ConditionalGan::WithAugmentation<gan::augment::Dynamic>;
/// T t(spec, options, {}, {}, {}, {}, gan::augment::Dynamic::ada({.kimg = 100}));
/// ```

#include <gan/augment/ada.hpp>
#include <gan/augment/augmentation.hpp>
#include <gan/augment/diffaugment.hpp>

#include <cmath>
#include <string>
#include <variant>

namespace gan::augment {

class Dynamic {
 public:
  Dynamic() = default;
  static Dynamic none() { return {}; }
  static Dynamic diffaugment(const std::string& ops) {
    Dynamic d;
    d.v_ = DiffAugment(ops);
    return d;
  }
  static Dynamic ada(AdaOptions o = {}) {
    Dynamic d;
    d.v_ = Ada(o);
    return d;
  }

  at::Tensor operator()(const at::Tensor& x, at::Generator& rng) const {
    return std::visit([&](const auto& a) { return a(x, rng); }, v_);
  }
  void observe(const at::Tensor& real_scores) {
    if (auto* a = std::get_if<Ada>(&v_)) a->observe(real_scores);
  }
  /// ADA's p; NaN for the others.
  double probability() const {
    const auto* a = std::get_if<Ada>(&v_);
    return a ? a->probability() : std::nan("");
  }
  /// ADA's state; nothing for the others, so their checkpoints are those of a trainer without
  /// augmentation.
  void save(torch::serialize::OutputArchive& out) const {
    if (const auto* a = std::get_if<Ada>(&v_)) a->save(out);
  }
  void load(torch::serialize::InputArchive& in) {
    if (auto* a = std::get_if<Ada>(&v_)) a->load(in);
  }
  bool is_none() const { return std::holds_alternative<None>(v_); }
  bool is_ada() const { return std::holds_alternative<Ada>(v_); }

 private:
  std::variant<None, DiffAugment, Ada> v_;
};

}  // namespace gan::augment
