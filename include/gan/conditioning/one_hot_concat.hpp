#pragma once
/// @file
/// Conditioning by concatenation, as in the paper's code (and Mirza & Osindero, 2014).

#include <gan/conditioning/conditioning.hpp>

#include <ATen/ATen.h>

namespace gan::conditioning {

namespace detail {
inline at::Tensor one_hot(const at::Tensor& labels, int64_t n, const at::TensorOptions& o) {
  // A scatter, not at::one_hot: that reads the labels' min and max to the host on every call
  // (a wait per call on CUDA); the trainer checks them once (Trainer::check_labels).
  const auto l = labels.to(at::kLong);
  return at::zeros({l.size(0), n}, o).scatter_(1, l.unsqueeze(1), 1);
}
}  // namespace detail

/// The label's one-hot vector is appended to z, and one-hot planes (constant images, one per
/// class) to the discriminator's input channels.
struct OneHotConcat : Base {
  void configure(NetworkSpec& spec) {
    Base::configure(spec);
    spec.g_condition_dim(num_classes).d_condition_channels(num_classes);
  }
  at::Tensor generator_input(const at::Tensor& z, const at::Tensor& labels) const {
    return at::cat({z, detail::one_hot(labels, num_classes, z.options())}, 1);
  }
  at::Tensor discriminator_input(const at::Tensor& x, const at::Tensor& labels) const {
    auto planes = detail::one_hot(labels, num_classes, x.options())
                      .view({x.size(0), num_classes, 1, 1})
                      .expand({x.size(0), num_classes, x.size(2), x.size(3)});
    return at::cat({x, planes}, 1);
  }
};

}  // namespace gan::conditioning
