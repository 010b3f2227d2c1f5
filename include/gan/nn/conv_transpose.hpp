#pragma once
/// @file
/// A transposed 2-d convolution that runs on oneDNN (MKL-DNN) on the CPU. libtorch 1.13 sends
/// `conv_transpose2d` on the CPU to its im2col + GEMM + col2im kernel (`slow_conv_transpose2d`),
/// whatever the memory format; oneDNN only runs ordinary convolutions there. But a transposed
/// convolution is the input gradient of the ordinary convolution with the same weight, and the
/// gradients of the transposed one are an ordinary convolution (for its input) and the weight
/// gradient of that convolution (for its weight), so all three go to oneDNN:
///
///   y  = conv_backward_input(x;  w)       (ConvTranspose2d(x) with weight w: [C_in, C_out, k, k])
///   dx = conv2d(dy, w)
///   dw = conv_backward_weight(grad_out = x, input = dy)
///
/// with the same stride, padding and dilation. Measured on the paper's 96×96 generator (2 cores,
/// channels-last, docs/performance.md) this takes a forward and backward from 0.78 s to 0.38 s;
/// in the contiguous layout oneDNN reorders every tensor and is slower on the large layers, so
/// transposed_convolution() takes this route only when the input or the weight is channels-last.
///
/// ```cpp
/// namespace F = torch::nn::functional;
/// auto y = gan::nn::transposed_convolution(x, w, F::ConvTranspose2dFuncOptions().bias(b).stride(2));
/// ```

#include <gan/nn/convolution.hpp>

#include <ATen/Context.h>
#include <torch/autograd.h>
#include <torch/nn/module.h>
#include <torch/nn/functional/conv.h>
#include <torch/nn/options/conv.h>

#include <vector>

namespace gan::nn {

namespace detail {

/// Shape of a transposed convolution's output (PyTorch's formula).
inline std::vector<int64_t> conv_transpose2d_shape(const at::Tensor& x, const at::Tensor& w,
                                                   at::IntArrayRef stride, at::IntArrayRef padding,
                                                   at::IntArrayRef output_padding, at::IntArrayRef dilation,
                                                   int64_t groups) {
  std::vector<int64_t> out{x.size(0), w.size(1) * groups};
  for (int64_t i = 0; i < 2; ++i)
    out.push_back((x.size(i + 2) - 1) * stride[i] - 2 * padding[i] + dilation[i] * (w.size(i + 2) - 1) +
                  output_padding[i] + 1);
  return out;
}

/// The transposed convolution (without bias) as an autograd function of x and w.
struct OneDnnConvTranspose2d : torch::autograd::Function<OneDnnConvTranspose2d> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, const at::Tensor& w,
                            std::vector<int64_t> stride, std::vector<int64_t> padding,
                            std::vector<int64_t> output_padding, std::vector<int64_t> dilation, int64_t groups) {
    const auto format = x.suggest_memory_format();
    // Only its sizes are read: the ordinary convolution's input, which the result has the shape of.
    const auto like = at::empty(conv_transpose2d_shape(x, w, stride, padding, output_padding, dilation, groups),
                                x.options().memory_format(format));
    const ConvGeometry geo{std::move(stride), std::move(padding), std::move(dilation), groups};
    auto y = std::get<0>(geo.backward(x, like, w, false, {true, false, false}));
    ctx->save_for_backward({x, w});
    geo.save(ctx);
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &x = saved[0], &w = saved[1];
    const auto geo = ConvGeometry::load(ctx);
    const auto dy = grads[0].contiguous(x.suggest_memory_format());
    at::Tensor dx, dw;
    if (ctx->needs_input_grad(0)) dx = geo.forward(dy, w);
    if (ctx->needs_input_grad(1)) dw = std::get<1>(geo.backward(x, dy, w, false, {false, true, false}));
    return {dx, dw, {}, {}, {}, {}, {}};
  }
};

/// Whether transposed_convolution() takes the oneDNN route for these tensors.
inline bool onednn_conv_transpose(const at::Tensor& x, const at::Tensor& w) {
  const auto channels_last = [](const at::Tensor& t) {
    return t.dim() == 4 && t.suggest_memory_format() == at::MemoryFormat::ChannelsLast;
  };
  return at::hasMKLDNN() && at::globalContext().userEnabledMkldnn() && x.device().is_cpu() &&
         x.scalar_type() == at::kFloat && w.scalar_type() == at::kFloat && x.dim() == 4 &&
         (channels_last(x) || channels_last(w));
}

}  // namespace detail

/// `torch::nn::functional::conv_transpose2d(x, weight, options)`, on oneDNN when the input is
/// float on the CPU and it or the weight is channels-last (see the file's comment); otherwise
/// libtorch's own. The two agree to float rounding (tested against a float64 reference).
inline at::Tensor transposed_convolution(const at::Tensor& x, const at::Tensor& weight,
                                   const torch::nn::functional::ConvTranspose2dFuncOptions& options = {}) {
  if (!detail::onednn_conv_transpose(x, weight)) return torch::nn::functional::conv_transpose2d(x, weight, options);
  const auto pair = [](const torch::ExpandingArray<2>& a) { return std::vector<int64_t>{(*a)[0], (*a)[1]}; };
  auto y = detail::OneDnnConvTranspose2d::apply(x, weight, pair(options.stride()), pair(options.padding()),
                                                pair(options.output_padding()), pair(options.dilation()),
                                                options.groups());
  return options.bias().defined() ? y + options.bias().view({1, -1, 1, 1}) : y;
}

/// Puts `module`'s 4-d parameters and buffers (convolution weights) in channels-last memory,
/// in place (the tensors an optimizer holds stay the same tensors).
inline void to_channels_last(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& t : module.parameters())
    if (t.dim() == 4) t.set_data(t.contiguous(at::MemoryFormat::ChannelsLast));
  for (auto& t : module.buffers())
    if (t.dim() == 4) t.set_data(t.contiguous(at::MemoryFormat::ChannelsLast));
}

}  // namespace gan::nn
