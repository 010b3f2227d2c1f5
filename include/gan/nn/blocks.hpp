#pragma once
/// @file
/// The up-sampling and down-sampling convolution blocks that generators and discriminators
/// are made of: a (transposed) convolution, a normalisation and an activation.

#include <gan/distributed/communicator.hpp>
#include <gan/nn/conditional_batch_norm.hpp>
#include <gan/nn/conv_transpose.hpp>
#include <gan/nn/convolution.hpp>
#include <gan/nn/layers.hpp>

#include <torch/nn/cloneable.h>
#include <torch/nn/functional/activation.h>
#include <torch/nn/functional/upsampling.h>
#include <torch/nn/modules/batchnorm.h>

#include <string>

namespace gan::nn {

/// How a block normalises its output.
enum class Norm { none, batch, conditional_batch };
/// The activation after the normalisation.
enum class Activation { none, relu, leaky_relu, tanh };
/// How an up-sampling block enlarges its input.
enum class Upsample {
  transposed,  ///< a transposed convolution with the block's kernel, stride and padding
  resize_conv  ///< nearest-neighbour resize by the stride, then a 3×3 convolution
};

/// Applies `a` (LeakyReLU with slope 0.2, as DCGAN and the paper's code). ReLU and LeakyReLU
/// work in place, as the paper's code does (`inplace=True`): `x` must be a fresh result (a
/// convolution's or a norm's), which is all the blocks pass.
inline torch::Tensor activate(torch::Tensor x, Activation a) {
  switch (a) {
    case Activation::relu: return torch::relu_(x);
    case Activation::leaky_relu: return torch::leaky_relu_(x, 0.2);
    case Activation::tanh: return torch::tanh(x);
    case Activation::none: break;
  }
  return x;
}

namespace detail {
/// Output size of a transposed convolution along one axis.
inline int64_t transposed_size(int64_t in, int64_t k, int64_t s, int64_t p) {
  return (in - 1) * s - 2 * p + k;
}
/// Output size of a convolution along one axis.
inline int64_t conv_size(int64_t in, int64_t k, int64_t s, int64_t p) {
  return (in + 2 * p - k) / s + 1;
}
}  // namespace detail

/// A chainable option whose setter returns the derived options type, so that options
/// inherited from a common base chain like TORCH_ARG ones.
#define GAN_DERIVED_ARG(T, name)                                   \
 public:                                                          \
  Derived& name(const T& new_##name) {                            \
    this->name##_ = new_##name;                                   \
    return static_cast<Derived&>(*this);                          \
  }                                                               \
  const T& name() const noexcept { return this->name##_; }        \
                                                                  \
 protected:                                                       \
  T name##_

/// Options shared by `UpBlock` and `DownBlock`.
template <class Derived>
struct ConvBlockOptionsBase {
  ConvBlockOptionsBase(int64_t in_channels, int64_t out_channels)
      : in_channels_(in_channels), out_channels_(out_channels) {}
  GAN_DERIVED_ARG(int64_t, in_channels);
  GAN_DERIVED_ARG(int64_t, out_channels);
  GAN_DERIVED_ARG(int64_t, kernel) = 4;
  GAN_DERIVED_ARG(int64_t, stride) = 2;
  GAN_DERIVED_ARG(int64_t, padding) = 1;
  GAN_DERIVED_ARG(bool, bias) = true;
  GAN_DERIVED_ARG(Norm, norm) = Norm::batch;
  /// Classes of a conditional batch norm.
  GAN_DERIVED_ARG(int64_t, num_classes) = 0;
  GAN_DERIVED_ARG(bool, spectral_norm) = false;

 public:
  /// The activation after the normalisation (set by the derived options' constructor).
  GAN_DERIVED_ARG(Activation, activation) = Activation::relu;
};

/// Options of `UpBlock`: defaults double the size (kernel 4, stride 2, padding 1), BN, ReLU.
struct UpBlockOptions : ConvBlockOptionsBase<UpBlockOptions> {
  using Derived = UpBlockOptions;
  UpBlockOptions(int64_t in_channels, int64_t out_channels)
      : ConvBlockOptionsBase(in_channels, out_channels) {}
  GAN_DERIVED_ARG(Upsample, mode) = Upsample::transposed;

 public:
  /// The spatial size this block makes from `in`.
  int64_t output_size(int64_t in) const {
    return mode_ == Upsample::resize_conv && stride_ > 1
               ? in * stride_
               : detail::transposed_size(in, kernel_, stride_, padding_);
  }
};

/// Options of `DownBlock`: defaults halve the size (kernel 4, stride 2, padding 1), BN,
/// LeakyReLU(0.2).
struct DownBlockOptions : ConvBlockOptionsBase<DownBlockOptions> {
  DownBlockOptions(int64_t in_channels, int64_t out_channels)
      : ConvBlockOptionsBase(in_channels, out_channels) {
    activation_ = Activation::leaky_relu;
  }
  int64_t output_size(int64_t in) const {
    return detail::conv_size(in, kernel_, stride_, padding_);
  }
};

namespace detail {
/// Throws unless the block options `o` (UpBlockOptions or DownBlockOptions) describe a conv.
template <class O>
void check_geometry(const char* who, const O& o) {
  TORCH_CHECK_VALUE(o.in_channels() > 0 && o.out_channels() > 0 && o.kernel() > 0 && o.stride() > 0 &&
                        o.padding() >= 0,
                    who, ": invalid geometry in=", o.in_channels(), " out=", o.out_channels(),
                    " kernel=", o.kernel(), " stride=", o.stride(), " padding=", o.padding());
}

/// The normalisation layer of a block, by kind.
class BlockNorm {
 public:
  void make(torch::nn::Module& owner, Norm norm, int64_t channels, int64_t num_classes) {
    kind_ = norm;
    if (norm == Norm::batch) {
      bn_ = owner.register_module("bn", torch::nn::BatchNorm2d(channels));
    } else if (norm == Norm::conditional_batch) {
      TORCH_CHECK_VALUE(num_classes > 0,
                        "a conditional batch norm needs num_classes > 0, got ", num_classes);
      cbn_ = owner.register_module(
          "cbn", ConditionalBatchNorm2d(ConditionalBatchNorm2dOptions(channels, num_classes)));
    }
  }
  torch::Tensor operator()(const torch::Tensor& x, const torch::Tensor& labels) {
    if (kind_ == Norm::batch) return distributed::batch_norm(*bn_, x);  // synchronised under data parallel
    if (kind_ == Norm::conditional_batch) return cbn_->forward(x, labels);
    return x;
  }

 private:
  Norm kind_ = Norm::none;
  torch::nn::BatchNorm2d bn_{nullptr};
  ConditionalBatchNorm2d cbn_{nullptr};
};
}  // namespace detail

/// conv-transpose (or resize + conv) → norm → activation.
class UpBlockImpl : public torch::nn::Cloneable<UpBlockImpl> {
 public:
  explicit UpBlockImpl(UpBlockOptions options) : options(std::move(options)) { reset(); }


  void reset() override {
    const auto& o = options;
    detail::check_geometry("UpBlock", o);
    if (o.mode() == Upsample::resize_conv && o.stride() > 1) {
      conv = conv2d(torch::nn::Conv2dOptions(o.in_channels(), o.out_channels(), 3)
                        .padding(1)
                        .bias(o.bias()),
                    o.spectral_norm());
    } else {
      conv = conv_transpose2d(
          torch::nn::ConvTranspose2dOptions(o.in_channels(), o.out_channels(), o.kernel())
              .stride(o.stride())
              .padding(o.padding())
              .bias(o.bias()),
          o.spectral_norm());
    }
    register_module("conv", conv.ptr());
    norm.make(*this, o.norm(), o.out_channels(), o.num_classes());
  }

  /// `labels` are read only by a conditional batch norm.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& labels = {}) {
    auto h = x;
    if (options.mode() == Upsample::resize_conv && options.stride() > 1) {
      namespace F = torch::nn::functional;
      h = F::interpolate(h, F::InterpolateFuncOptions()
                                .scale_factor(std::vector<double>{double(options.stride()),
                                                                  double(options.stride())})
                                .mode(torch::kNearest));
    }
    return activate(norm(convolve(h), labels), options.activation());
  }

  /// The (transposed) convolution alone. A transposed one runs through
  /// transposed_convolution, which takes oneDNN for channels-last float tensors on the CPU.
  torch::Tensor convolve(const torch::Tensor& h) {
    if (options.mode() == Upsample::resize_conv && options.stride() > 1) return conv.forward(h);
    const auto f = torch::nn::functional::ConvTranspose2dFuncOptions().stride(options.stride()).padding(options.padding());
    if (options.spectral_norm()) {
      auto sn = conv.get<SpectralNorm<torch::nn::ConvTranspose2d>>();
      return nn::transposed_convolution(h, sn->normalized_weight(), torch::nn::functional::ConvTranspose2dFuncOptions(f).bias(sn->layer->bias));
    }
    auto deconv = conv.get<torch::nn::ConvTranspose2d>();
    return nn::transposed_convolution(h, deconv->weight, torch::nn::functional::ConvTranspose2dFuncOptions(f).bias(deconv->bias));
  }

  UpBlockOptions options;
  torch::nn::AnyModule conv;
  detail::BlockNorm norm;
};
TORCH_MODULE(UpBlock);

/// conv → norm → activation.
class DownBlockImpl : public torch::nn::Cloneable<DownBlockImpl> {
 public:
  explicit DownBlockImpl(DownBlockOptions options) : options(std::move(options)) { reset(); }

  void reset() override {
    const auto& o = options;
    detail::check_geometry("DownBlock", o);
    conv = conv2d(torch::nn::Conv2dOptions(o.in_channels(), o.out_channels(), o.kernel())
                      .stride(o.stride())
                      .padding(o.padding())
                      .bias(o.bias()),
                  o.spectral_norm());
    register_module("conv", conv.ptr());
    norm.make(*this, o.norm(), o.out_channels(), o.num_classes());
  }

  /// The convolution runs through gan::nn::convolve (a double backward on oneDNN's kernels for
  /// the gradient penalty, on the CPU).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& labels = {}) {
    return activate(norm(convolve(conv, x), labels), options.activation());
  }

  DownBlockOptions options;
  torch::nn::AnyModule conv;
  detail::BlockNorm norm;
};
TORCH_MODULE(DownBlock);

}  // namespace gan::nn
