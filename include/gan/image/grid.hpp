#pragma once
/// @file
/// Sample grids: images tiled in rows and columns with padding.

#include <ATen/ATen.h>

namespace gan::image {

/// Tiles `images` ([N, C, H, W]) into one [C, rows·(H+p)+p, cols·(W+p)+p] image, row-major,
/// `cols` images a row, with `padding` pixels of `pad_value` between and around them.
inline at::Tensor make_grid(const at::Tensor& images, int64_t cols, int64_t padding = 2,
                            double pad_value = 1.0) {
  TORCH_CHECK_VALUE(images.dim() == 4 && images.size(0) > 0,
                    "make_grid: expected a non-empty [N, C, H, W] batch, got ", images.sizes());
  TORCH_CHECK_VALUE(cols > 0 && padding >= 0, "make_grid: cols must be > 0 and padding >= 0");
  const int64_t n = images.size(0), c = images.size(1), h = images.size(2), w = images.size(3);
  const int64_t rows = (n + cols - 1) / cols;
  auto grid = at::full({c, rows * (h + padding) + padding, cols * (w + padding) + padding},
                       pad_value, images.options());
  for (int64_t i = 0; i < n; ++i) {
    const int64_t y = (i / cols) * (h + padding) + padding, x = (i % cols) * (w + padding) + padding;
    grid.slice(1, y, y + h).slice(2, x, x + w).copy_(images[i]);
  }
  return grid;
}

}  // namespace gan::image
