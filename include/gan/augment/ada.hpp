#pragma once
/// @file
/// ADA, adaptive discriminator augmentation (Karras et al., "Training Generative Adversarial
/// Networks with Limited Data", NeurIPS 2020): every op of the pipeline is applied to each image
/// with probability p, and p follows the discriminator's overfitting. Every `interval` steps the
/// heuristic r_t = E[sign(D(real))] over those steps is compared with its target (0.6): above, D
/// is too sure of the reals and p rises; below, p falls; by batch · interval / (kimg · 1000)
/// each time (p can go from 0 to 1 in `kimg` thousand images), clamped to [0, 1].
///
/// The ops, in ADA's order, each with its own draw per image, all differentiable:
/// - xflip (a mirror with probability p/2, as ADA's "floor(2u)"), rot90 (k·90°, k uniform in
///   0..3), integer translation (up to 1/8 of the side, reflected at the border);
/// - brightness (+ N(0, 0.2)), contrast (× 2^N(0, 0.5)), luma flip (the Householder reflection
///   I − 2vvᵀ about the luma axis v = (1, 1, 1)/√3, with probability p/2, as ADA's "floor(2u)"),
///   hue (rotation about the luma axis by U(-π, π)), saturation (× 2^N(0, 1) off the luma
///   axis): the last three for 3-channel images, composed in ADA's order.
/// ADA's non-integer geometry (scale, rotation, anisotropy, fractional translation) is not here.
///
/// ```cpp
/// gan::augment::Ada ada({.target = 0.6, .interval = 4, .kimg = 500});
/// using T = gan::presets::ConditionalGan::WithAugmentation<gan::augment::Ada>;
/// T t(spec, options, {}, {}, {}, {}, ada);   // t.augmentation().probability(): StepStats::augment_p
/// ```

#include <gan/augment/augmentation.hpp>
#include <gan/distributed/communicator.hpp>

#include <ATen/ATen.h>
#include <torch/serialize/archive.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace gan::augment {

struct AdaOptions {
  double target = 0.6;  ///< r_t, the target of E[sign(D(real))]
  int64_t interval = 4;  ///< steps between adjustments
  double kimg = 500;     ///< thousands of images for p to go from 0 to 1
  double initial_p = 0;
  double translation = 0.125;  ///< largest integer translation, a share of the side
};

/// ADA's pipeline (the ops above) at probability p: the images with probability-p ops applied.
/// `p` may be a number or, per image, [N]. Exposed for tests and for a fixed-p use.
inline at::Tensor ada_pipeline(const at::Tensor& x, double p, at::Generator& rng, double max_translation = 0.125) {
  if (p <= 0) return x;
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  const auto f = at::TensorOptions(at::kFloat).device(rng.device());
  const auto dev = x.device();
  // Each draw has a row per image: under data parallel, this rank's rows of the global batch's.
  const auto rows = [&](at::IntArrayRef shape, auto&& fn) {
    auto s = shape.vec();
    return distributed::draw_rows(s[0], [&](int64_t m) { s[0] = m; return fn(s); });
  };
  const auto u = [&](at::IntArrayRef shape) { return rows(shape, [&](at::IntArrayRef s) { return at::rand(s, rng, f); }); };
  const auto g = [&](at::IntArrayRef shape) { return rows(shape, [&](at::IntArrayRef s) { return at::randn(s, rng, f); }); };
  const auto on = [&] { return (u({n}) < p).to(at::kFloat); };  // 1 where the op applies
  const auto per_image = [&](const at::Tensor& v) { return v.to(dev, x.scalar_type()).view({n, 1, 1, 1}); };
  at::Tensor y = x;
  // xflip: i = floor(2u), kept with probability p.
  {
    const auto i = (at::floor(u({n}) * 2) * on()).to(at::kBool).to(dev).view({n, 1, 1, 1});
    y = at::where(i, y.flip({3}), y);
  }
  // rot90: k = floor(4u) quarter turns (anticlockwise), kept with probability p; square images.
  if (h == w) {
    const auto k = (at::floor(u({n}) * 4) * on()).to(at::kLong).to(dev).view({n, 1, 1, 1});
    auto out = y;
    for (int64_t q = 1; q < 4; ++q) out = at::where(k == q, y.rot90(q, {2, 3}), out);
    y = out;
  }
  // Integer translation, reflected at the border (reflect: -1 -> 1).
  {
    const auto t = (u({n, 2}) * 2 - 1) * max_translation * on().view({n, 1});
    const auto tx = at::round(t.select(1, 0) * double(w)).to(at::kLong).to(dev), ty = at::round(t.select(1, 1) * double(h)).to(at::kLong).to(dev);
    const auto opts = at::TensorOptions(at::kLong).device(dev);
    const auto reflect = [](const at::Tensor& i, int64_t size) {
      // Fold into [0, 2 size - 2), then mirror the upper half.
      const int64_t period = std::max<int64_t>(1, 2 * size - 2);
      auto m = at::remainder(i, period);
      return at::where(m >= size, period - m, m);
    };
    const auto rows = reflect(at::arange(h, opts).view({1, h}) - ty.view({n, 1}), h);  // [n, h]
    const auto cols = reflect(at::arange(w, opts).view({1, w}) - tx.view({n, 1}), w);  // [n, w]
    const auto gb = at::arange(n, opts).view({n, 1, 1}).expand({n, h, w});
    const auto gr = rows.view({n, h, 1}).expand({n, h, w}), gc = cols.view({n, 1, w}).expand({n, h, w});
    y = y.permute({0, 2, 3, 1}).index({gb, gr, gc}).permute({0, 3, 1, 2});
  }
  // Colour.
  y = y + per_image(g({n}) * 0.2 * on());                                // brightness
  y = y * per_image(at::exp2(g({n}) * 0.5 * on()));                      // contrast
  if (c == 3) {
    const auto v = at::full({3}, 1.0 / std::sqrt(3.0), f);               // the luma axis
    const auto vv = at::outer(v, v);                                      // [3, 3]
    const auto eye = at::eye(3, f);
    const auto flip = (at::floor(u({n}) * 2) * on()).view({n, 1, 1});
    const auto luma_flip = eye - 2 * flip * vv;                           // [n, 3, 3]
    const auto cross = at::tensor({0.0f, -1.0f, 1.0f, 1.0f, 0.0f, -1.0f, -1.0f, 1.0f, 0.0f}, f).view({3, 3}) / std::sqrt(3.0);
    const auto theta = ((u({n}) * 2 - 1) * M_PI * on()).view({n, 1, 1});
    const auto hue = at::cos(theta) * eye + at::sin(theta) * cross + (1 - at::cos(theta)) * vv;  // [n, 3, 3]
    const auto s = at::exp2(g({n}) * on()).view({n, 1, 1});
    const auto sat = vv + s * (eye - vv);
    const auto m = at::matmul(sat, at::matmul(hue, luma_flip)).to(dev, x.scalar_type());  // flip, hue, saturation
    y = at::einsum("nck,nkhw->nchw", {m, y});
  }
  return y;
}

/// The adaptive policy.
class Ada {
 public:
  explicit Ada(AdaOptions o = {}) : o_(o), p_(o.initial_p) {
    if (!(o.target > -1 && o.target < 1)) throw std::invalid_argument("Ada: target must be in (-1, 1)");
    if (o.interval < 1) throw std::invalid_argument("Ada: interval must be >= 1");
    if (!(o.kimg > 0)) throw std::invalid_argument("Ada: kimg must be > 0");
    if (!(o.initial_p >= 0 && o.initial_p <= 1)) throw std::invalid_argument("Ada: initial_p must be in [0, 1]");
  }

  at::Tensor operator()(const at::Tensor& x, at::Generator& rng) const { return ada_pipeline(x, p_, rng, o_.translation); }

  /// D's raw outputs on a batch of (augmented) reals, once per critic step.
  void observe(const at::Tensor& real_scores) {
    // Under data parallel, over every rank's reals: p stays the same on every rank.
    const auto s = distributed::sum_over_ranks(real_scores.detach().sign().sum(at::kDouble));
    sum_ = sum_.defined() ? sum_ + s : s;  // stays on D's device: one read every `interval`
    const auto* group = distributed::current();
    seen_ += real_scores.numel() * (group ? group->comm->world_size() : 1);
    if (++steps_ % o_.interval != 0) return;
    const double r = sum_.item<double>() / double(seen_);
    p_ = std::clamp(p_ + (r > o_.target ? 1.0 : r < o_.target ? -1.0 : 0.0) * double(seen_) / (o_.kimg * 1000), 0.0, 1.0);
    last_r_ = r;
    sum_ = at::Tensor();
    seen_ = 0;
  }

  double probability() const { return p_; }
  /// The last r_t (NaN before the first adjustment).
  double heuristic() const { return last_r_; }
  const AdaOptions& options() const { return o_; }

  void save(torch::serialize::OutputArchive& out) const {
    out.write("ada_p", at::tensor(p_, at::kDouble), true);
    out.write("ada_sum", sum_.defined() ? sum_.to(at::kCPU, at::kDouble) : at::zeros({}, at::kDouble), true);
    out.write("ada_seen", at::tensor(seen_), true);
    out.write("ada_steps", at::tensor(steps_), true);
    out.write("ada_r", at::tensor(last_r_, at::kDouble), true);
  }
  void load(torch::serialize::InputArchive& in) {
    at::Tensor p, sum, seen, steps, r;
    in.read("ada_p", p, true);
    in.read("ada_sum", sum, true);
    in.read("ada_seen", seen, true);
    in.read("ada_steps", steps, true);
    in.read("ada_r", r, true);
    p_ = p.item<double>(), seen_ = seen.item<int64_t>(), steps_ = steps.item<int64_t>(), last_r_ = r.item<double>();
    sum_ = seen_ > 0 ? sum.to(at::kDouble) : at::Tensor();
  }

 private:
  AdaOptions o_;
  double p_ = 0, last_r_ = std::nan("");
  at::Tensor sum_;
  int64_t seen_ = 0, steps_ = 0;
};

}  // namespace gan::augment
