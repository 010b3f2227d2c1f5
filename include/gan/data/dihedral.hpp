#pragma once
/// @file
/// The 8 symmetries of a square tile (the dihedral group: 4 right-angle rotations, each with or
/// without a mirror), the augmentation of aerial views, which have no "up". One function for
/// the loader's random augmentation and for oversampling by augmented copies.

#include <ATen/ATen.h>

#include <cstdint>

namespace gan::data {

/// `img` ([..., H, W]: the last two dims are the image's) turned by symmetry `code` in [0, 8):
/// rotated by (code % 4) quarter turns (at::rot90 over the last two dims), then mirrored
/// left-right when code >= 4.
inline at::Tensor dihedral(const at::Tensor& img, int64_t code) {
  const int64_t h = img.dim() - 2, w = img.dim() - 1;
  auto out = code % 4 ? at::rot90(img, code % 4, {h, w}) : img;
  return code >= 4 ? at::flip(out, {w}) : out;
}

/// The code of "mirror left-right if `mirror`, then rotate by `quarter_turns`": a rotation
/// after a mirror is the mirror after the opposite rotation.
inline int64_t dihedral_code(bool mirror, int64_t quarter_turns) {
  const int64_t k = ((quarter_turns % 4) + 4) % 4;
  return mirror ? (4 - k) % 4 + 4 : k;
}

}  // namespace gan::data
