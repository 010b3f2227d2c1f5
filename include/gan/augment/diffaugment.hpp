#pragma once
/// @file
/// DiffAugment (Zhao et al., "Differentiable Augmentation for Data-Efficient GAN Training",
/// NeurIPS 2020): the same random, differentiable transformations of reals and fakes before
/// every discriminator call, so that D cannot memorise a few hundred reals. The ops and their
/// draws are the authors' (DiffAugment_pytorch.py), each applied to every image with its own
/// draw, every time:
/// - color: brightness + U(-0.5, 0.5); saturation × U(0, 2) around the pixel's channel mean;
///   contrast × U(0.5, 1.5) around the image mean;
/// - translation: an integer shift of up to 1/8 of each side, zeros shifted in;
/// - cutout: a zeroed square of half each side at a uniform place (clipped at the border).
///
/// ```cpp
/// using T = gan::presets::ConditionalGan::WithAugmentation<gan::augment::DiffAugment>;
/// T t(spec, options, {}, {}, {}, {}, gan::augment::DiffAugment("color,translation,cutout"));
/// ```
/// The ops are also free functions given their draws (`brightness(x, r)`, ...), which is how
/// the tests compare them with the authors' code.

#include <gan/augment/augmentation.hpp>
#include <gan/distributed/communicator.hpp>

#include <ATen/ATen.h>

#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>

namespace gan::augment {

/// x + (r - 0.5); r [N, 1, 1, 1] in [0, 1).
inline at::Tensor brightness(const at::Tensor& x, const at::Tensor& r) { return x + (r - 0.5); }

/// (x - channel mean) · 2r + channel mean.
inline at::Tensor saturation(const at::Tensor& x, const at::Tensor& r) {
  const auto m = x.mean({1}, true);
  return (x - m) * (r * 2) + m;
}

/// (x - image mean) · (r + 0.5) + image mean.
inline at::Tensor contrast(const at::Tensor& x, const at::Tensor& r) {
  const auto m = x.mean({1, 2, 3}, true);
  return (x - m) * (r + 0.5) + m;
}

/// Image i shifted by (tx[i], ty[i]) rows and columns (int64 [N, 1, 1]): out[i, :, h, w] =
/// x[i, :, h + tx, w + ty], zero outside.
inline at::Tensor translation(const at::Tensor& x, const at::Tensor& tx, const at::Tensor& ty) {
  const int64_t n = x.size(0), h = x.size(2), w = x.size(3);
  const auto opts = at::TensorOptions(at::kLong).device(x.device());
  const auto gb = at::arange(n, opts).view({n, 1, 1}).expand({n, h, w});
  const auto gx = (at::arange(h, opts).view({1, h, 1}) + tx.to(x.device()).view({n, 1, 1}) + 1).clamp(0, h + 1).expand({n, h, w});
  const auto gy = (at::arange(w, opts).view({1, 1, w}) + ty.to(x.device()).view({n, 1, 1}) + 1).clamp(0, w + 1).expand({n, h, w});
  const auto padded = at::constant_pad_nd(x, {1, 1, 1, 1}).permute({0, 2, 3, 1});
  return padded.index({gb, gx, gy}).permute({0, 3, 1, 2});
}

/// Image i with a square of round(ratio · side) zeroed around (ox[i], oy[i]) (int64 [N, 1, 1]),
/// clipped at the border.
inline at::Tensor cutout(const at::Tensor& x, const at::Tensor& ox, const at::Tensor& oy, double ratio = 0.5) {
  const int64_t n = x.size(0), h = x.size(2), w = x.size(3);
  const int64_t ch = int64_t(double(h) * ratio + 0.5), cw = int64_t(double(w) * ratio + 0.5);
  const auto opts = at::TensorOptions(at::kLong).device(x.device());
  const auto gb = at::arange(n, opts).view({n, 1, 1}).expand({n, ch, cw});
  const auto gx = (at::arange(ch, opts).view({1, ch, 1}) + ox.to(x.device()).view({n, 1, 1}) - ch / 2).clamp(0, h - 1).expand({n, ch, cw});
  const auto gy = (at::arange(cw, opts).view({1, 1, cw}) + oy.to(x.device()).view({n, 1, 1}) - cw / 2).clamp(0, w - 1).expand({n, ch, cw});
  auto mask = at::ones({n, h, w}, x.options());
  mask.index_put_({gb, gx, gy}, at::zeros({}, x.options()));
  return x * mask.unsqueeze(1);
}

/// The DiffAugment policy: a comma-separated list of color, translation, cutout.
class DiffAugment {
 public:
  /// Throws std::invalid_argument naming an unknown op.
  explicit DiffAugment(const std::string& policy = "color,translation,cutout", double translation_ratio = 0.125,
                       double cutout_ratio = 0.5)
      : translation_ratio_(translation_ratio), cutout_ratio_(cutout_ratio) {
    std::stringstream in(policy);
    for (std::string op; std::getline(in, op, ',');) {
      if (op == "color") color_ = true;
      else if (op == "translation") translation_ = true;
      else if (op == "cutout") cutout_ = true;
      else if (!op.empty())
        throw std::invalid_argument("DiffAugment: unknown op '" + op + "' (one of: color, translation, cutout)");
    }
  }

  /// `x` augmented, each image with its own draws from `rng` (the trainer's generator, made on
  /// its device; the draws are moved to x's device where they differ).
  at::Tensor operator()(const at::Tensor& x, at::Generator& rng) const {
    const int64_t n = x.size(0), h = x.size(2), w = x.size(3);
    const auto real = at::TensorOptions(x.scalar_type()).device(rng.device());
    const auto index = at::TensorOptions(at::kLong).device(rng.device());
    // Under data parallel each draw is this rank's rows of the global batch's (gan/distributed).
    const auto draw = [&] {
      return distributed::draw_rows(n, [&](int64_t m) { return at::rand({m, 1, 1, 1}, rng, real); }).to(x.device());
    };
    const auto draw_int = [&](int64_t lo, int64_t hi) {
      return distributed::draw_rows(n, [&](int64_t m) { return at::randint(lo, hi, {m, 1, 1}, rng, index); });
    };
    at::Tensor y = x;
    if (color_) {
      y = brightness(y, draw());
      y = saturation(y, draw());
      y = contrast(y, draw());
    }
    if (translation_) {
      const int64_t sx = int64_t(double(h) * translation_ratio_ + 0.5), sy = int64_t(double(w) * translation_ratio_ + 0.5);
      const auto tx = draw_int(-sx, sx + 1);
      const auto ty = draw_int(-sy, sy + 1);
      y = translation(y, tx, ty);
    }
    if (cutout_) {
      const int64_t ch = int64_t(double(h) * cutout_ratio_ + 0.5), cw = int64_t(double(w) * cutout_ratio_ + 0.5);
      const auto ox = draw_int(0, h + (1 - ch % 2));
      const auto oy = draw_int(0, w + (1 - cw % 2));
      y = cutout(y, ox, oy, cutout_ratio_);
    }
    return y;
  }

  bool color() const { return color_; }
  bool translates() const { return translation_; }
  bool cuts_out() const { return cutout_; }

 private:
  double translation_ratio_, cutout_ratio_;
  bool color_ = false, translation_ = false, cutout_ = false;
};

}  // namespace gan::augment
