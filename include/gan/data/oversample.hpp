#pragma once
/// @file
/// Oversampling the rare class: how many extra positives reach a target share, and the plain
/// baselines a GAN has to beat (random duplication, augmented copies, class weights).
///
/// Example (the paper: the source's positive share from 19.6% to 35.1%):
/// @code
///   const int64_t k = gan::data::extra_needed(train_size, train_positives, 0.35);
///   auto dup = gan::data::draw_with_replacement(positive_indices, k, seed);      // duplication
///   auto aug = gan::data::augmented_copies(positive_images, k, seed);            // augmentation
///   auto w = gan::data::balanced_class_weights(train_labels, 2);                 // weighted loss
/// @endcode

#include <gan/data/dihedral.hpp>

#include <ATen/ATen.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace gan::data {

/// The least k >= 0 such that (positives + k) / (n + k) >= share: the extra positives that
/// bring a set of `n` samples with `positives` positives to the positive `share` (in [0, 1)).
inline int64_t extra_needed(int64_t n, int64_t positives, double share) {
  if (n <= 0 || positives < 0 || positives > n)
    throw std::invalid_argument("extra_needed: " + std::to_string(positives) + " positives of " +
                                std::to_string(n) + " samples");
  if (!(share >= 0 && share < 1))
    throw std::invalid_argument("extra_needed: the positive share must be in [0, 1), got " + std::to_string(share));
  auto reaches = [&](int64_t k) { return double(positives + k) >= share * double(n + k); };
  int64_t k = std::max<int64_t>(0, int64_t(std::ceil((share * double(n) - double(positives)) / (1 - share))));
  while (k > 0 && reaches(k - 1)) --k;  // guard the rounding of the closed form, both ways
  while (!reaches(k)) ++k;
  return k;
}

/// `n` labels from `classes` in the proportions `weights` (>= 0, not all 0), interleaved:
/// label i is the class furthest below its quota after i + 1 labels (the first of ties), so
/// every prefix holds each class within one of its share, and equal weights give
/// classes[i % size]. Used to draw generated images in the real positives' cluster shares.
inline std::vector<int64_t> interleaved_labels(const std::vector<int64_t>& classes,
                                               const std::vector<double>& weights, int64_t n) {
  if (classes.empty() || classes.size() != weights.size())
    throw std::invalid_argument("interleaved_labels: " + std::to_string(classes.size()) + " classes but " +
                                std::to_string(weights.size()) + " weights");
  double total = 0;
  for (double w : weights) {
    if (!(w >= 0) || !std::isfinite(w)) throw std::invalid_argument("interleaved_labels: a weight is negative or not finite");
    total += w;
  }
  if (total <= 0) throw std::invalid_argument("interleaved_labels: the weights sum to 0");
  std::vector<int64_t> out, count(classes.size(), 0);
  out.reserve(size_t(std::max<int64_t>(n, 0)));
  for (int64_t i = 0; i < n; ++i) {
    size_t best = 0;
    double best_gap = -1e300;
    for (size_t c = 0; c < classes.size(); ++c) {
      const double gap = weights[c] / total * double(i + 1) - double(count[c]);
      if (weights[c] > 0 && gap > best_gap + 1e-12) best_gap = gap, best = c;
    }
    ++count[best];
    out.push_back(classes[best]);
  }
  return out;
}

/// `count` draws, uniform with replacement, from `pool` (random oversampling by duplication).
/// Deterministic for `seed` on every standard library.
inline std::vector<int64_t> draw_with_replacement(const std::vector<int64_t>& pool, int64_t count, uint64_t seed) {
  if (count < 0) throw std::invalid_argument("draw_with_replacement: count " + std::to_string(count) + " < 0");
  if (pool.empty() && count > 0) throw std::invalid_argument("draw_with_replacement: nothing to draw from");
  std::mt19937_64 rng(seed);
  std::vector<int64_t> out(static_cast<size_t>(count));
  for (auto& v : out) v = pool[size_t(rng() % pool.size())];
  return out;
}

/// How `augmented_copies` changes an image.
struct AugmentOptions {
  /// The crop's side is drawn uniformly in [crop_min, 1] of the image's side, then resized back.
  double crop_min = 0.75;
  /// Brightness and contrast factors are drawn uniformly in [1 - jitter, 1 + jitter].
  double jitter = 0.1;
};

/// `count` new images made from uint8 `images` [N, 3, S, S] (oversampling by augmentation):
/// each copies a random source image, turns it by one of the 8 flips and right-angle
/// rotations, crops a random square of it and resizes it back (bilinear), and jitters its
/// brightness and contrast. Deterministic for `seed`.
inline at::Tensor augmented_copies(const at::Tensor& images, int64_t count, uint64_t seed,
                                   const AugmentOptions& o = {}) {
  if (images.dim() != 4 || images.size(1) != 3 || images.scalar_type() != at::kByte)
    throw std::invalid_argument("augmented_copies: expected uint8 images [N, 3, S, S], got " +
                                std::string(c10::toString(images.scalar_type())) + " " + c10::str(images.sizes()));
  if (count < 0) throw std::invalid_argument("augmented_copies: count " + std::to_string(count) + " < 0");
  if (images.size(0) == 0 && count > 0) throw std::invalid_argument("augmented_copies: no images to copy");
  if (!(o.crop_min > 0 && o.crop_min <= 1) || !(o.jitter >= 0 && o.jitter < 1))
    throw std::invalid_argument("augmented_copies: crop_min must be in (0, 1] and jitter in [0, 1)");
  const int64_t h = images.size(2), w = images.size(3);
  auto out = at::empty({count, 3, h, w}, at::kByte);
  std::mt19937_64 rng(seed);
  auto uniform = [&] { return double(rng() >> 11) * 0x1.0p-53; };
  for (int64_t i = 0; i < count; ++i) {
    auto x = images[int64_t(rng() % uint64_t(images.size(0)))].to(at::kFloat);
    const auto turn = int64_t(rng() % 8);
    x = dihedral(x, dihedral_code(turn & 4, turn & 3));  // mirrored first, then turned
    const double side = o.crop_min + (1 - o.crop_min) * uniform();
    const int64_t ch = std::max<int64_t>(1, std::llround(side * double(x.size(1))));
    const int64_t cw = std::max<int64_t>(1, std::llround(side * double(x.size(2))));
    const int64_t top = int64_t(uniform() * double(x.size(1) - ch + 1));
    const int64_t left = int64_t(uniform() * double(x.size(2) - cw + 1));
    x = x.slice(1, top, top + ch).slice(2, left, left + cw);
    if (ch != h || cw != w)
      x = at::upsample_bilinear2d(x.unsqueeze(0), {h, w}, /*align_corners=*/false).squeeze(0);
    const double brightness = 1 + o.jitter * (2 * uniform() - 1);
    const double contrast = 1 + o.jitter * (2 * uniform() - 1);
    const auto mean = x.mean();
    x = ((x - mean) * contrast + mean) * brightness;
    out[i].copy_(x.round().clamp(0, 255).to(at::kByte));
  }
  return out;
}

/// sklearn's "balanced" class weights, n / (classes * count_c), for a class-weighted loss. A
/// class with no sample gets weight 0.
inline std::vector<double> balanced_class_weights(const std::vector<int64_t>& labels, int64_t classes) {
  if (classes < 1) throw std::invalid_argument("balanced_class_weights: classes must be >= 1");
  std::vector<int64_t> counts(static_cast<size_t>(classes), 0);
  for (auto y : labels) {
    if (y < 0 || y >= classes)
      throw std::invalid_argument("balanced_class_weights: label " + std::to_string(y) + " is out of range [0, " +
                                  std::to_string(classes) + ")");
    ++counts[size_t(y)];
  }
  std::vector<double> w(static_cast<size_t>(classes), 0.0);
  for (size_t c = 0; c < w.size(); ++c)
    if (counts[c] > 0) w[c] = double(labels.size()) / (double(classes) * double(counts[c]));
  return w;
}

}  // namespace gan::data
