#pragma once
/// @file
/// A conditional toy problem for tests and examples: class k of 4 has its bright quadrant k.

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <utility>

namespace gan::data {

/// The 4 class templates, [4, 3, size, size] in [-1, 1]: quadrant k (row-major) bright.
inline at::Tensor quadrant_templates(int64_t size) {
  TORCH_CHECK_VALUE(size >= 2 && size % 2 == 0, "quadrant_templates: size must be even, got ", size);
  auto t = at::full({4, 3, size, size}, -0.8);
  const int64_t h = size / 2;
  for (int64_t k = 0; k < 4; ++k)
    t[k].slice(1, (k / 2) * h, (k / 2) * h + h).slice(2, (k % 2) * h, (k % 2) * h + h).fill_(0.8);
  return t;
}

/// `n` images of random classes with Gaussian noise of std `noise`: {images, labels}.
inline std::pair<at::Tensor, at::Tensor> quadrant_batch(int64_t n, int64_t size, at::Generator& gen,
                                                        double noise = 0.1) {
  auto labels = at::randint(4, {n}, gen, at::TensorOptions(at::kLong));
  auto eps = at::randn({n, 3, size, size}, gen, at::TensorOptions(at::kFloat)) * noise;
  return {(quadrant_templates(size).index_select(0, labels) + eps).clamp(-1, 1), labels};
}

/// The class a simple statistic assigns to each image: its brightest quadrant.
inline at::Tensor quadrant_class(const at::Tensor& images) {
  const int64_t n = images.size(0), h = images.size(2) / 2, w = images.size(3) / 2;
  auto q = images.mean(1).view({n, 2, h, 2, w}).mean({2, 4});
  return q.flatten(1).argmax(1);
}

}  // namespace gan::data
