#pragma once
/// @file
/// A 2-d convolution whose double backward is three ordinary convolution kernels, for the
/// gradient penalty. WGAN-GP differentiates the critic's input gradient, so each of the
/// critic's convolutions runs twice backward. libtorch 1.13 (`_convolution_double_backward`)
/// computes the weight's term of the second backward as a convolution of the transposed input
/// (channels as the batch) with the transposed output gradient as a dilated kernel (24×24 at the
/// paper's second block): on the CPU that is a contiguous copy of both and a convolution with an
/// unusual shape, 50-95 ms each on the paper's 96×96 critic at batch 64, against 10-20 ms for
/// the same product as oneDNN's weight-gradient kernel (docs/performance.md). Here the second
/// backward of y = conv(x, w) + b, given the first backward's incoming gradient gO and the
/// gradients ggX, ggW, ggB of its results, is
///
///   d/d gO = conv(ggX, w) + conv(x, ggW) + ggB      (the forward, linear in each argument)
///   d/d x  = conv_backward_input(gO; weight ggW)    (x meets gO only through the weight gradient)
///   d/d w  = conv_backward_weight(gO; input ggX)    (w meets gO only through the input gradient)
///
/// The forward and the first backward are libtorch's own kernels (`at::convolution`,
/// `at::convolution_backward`), so their values are the same bits as `torch::nn::Conv2d`'s.
///
/// ```cpp
/// namespace F = torch::nn::functional;
/// auto y = gan::nn::convolution(x, w, F::Conv2dFuncOptions().bias(b).stride(2).padding(1));
/// ```

#include <gan/nn/spectral_norm.hpp>

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <torch/autograd.h>
#include <torch/nn/functional/conv.h>
#include <torch/nn/modules/container/any.h>
#include <torch/nn/modules/conv.h>

#include <array>
#include <cstdint>
#include <vector>

namespace gan::nn {

namespace detail {

/// The geometry of a convolution, as the autograd functions below keep it.
struct ConvGeometry {
  std::vector<int64_t> stride, padding, dilation;
  int64_t groups = 1;

  void save(torch::autograd::AutogradContext* ctx) const {
    ctx->saved_data["stride"] = stride;
    ctx->saved_data["padding"] = padding;
    ctx->saved_data["dilation"] = dilation;
    ctx->saved_data["groups"] = groups;
  }
  static ConvGeometry load(torch::autograd::AutogradContext* ctx) {
    return {ctx->saved_data["stride"].toIntVector(), ctx->saved_data["padding"].toIntVector(),
            ctx->saved_data["dilation"].toIntVector(), ctx->saved_data["groups"].toInt()};
  }
  at::Tensor forward(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b = c10::nullopt) const {
    return at::convolution(x, w, b, stride, padding, dilation, false, {0, 0}, groups);
  }
  std::tuple<at::Tensor, at::Tensor, at::Tensor> backward(const at::Tensor& grad_out, const at::Tensor& x,
                                                          const at::Tensor& w, bool bias,
                                                          std::array<bool, 3> mask) const {
    const std::vector<int64_t> bias_sizes{w.size(0)};
    return at::convolution_backward(grad_out, x, w, bias ? at::OptionalIntArrayRef(bias_sizes) : c10::nullopt, stride,
                                    padding, dilation, false, {0, 0}, groups, mask);
  }
};

/// The first backward of the convolution as an autograd function of (gO, x, w): its results are
/// the gradients `outputs` asks for (x, w, bias, in that order, only those), so that nothing
/// that the caller does not need is computed.
struct ConvolutionBackwardFunction : torch::autograd::Function<ConvolutionBackwardFunction> {
  static torch::autograd::variable_list forward(torch::autograd::AutogradContext* ctx, const at::Tensor& grad_out,
                                                const at::Tensor& x, const at::Tensor& w, bool bias,
                                                std::vector<int64_t> stride, std::vector<int64_t> padding,
                                                std::vector<int64_t> dilation, int64_t groups,
                                                std::vector<bool> outputs) {
    const ConvGeometry geo{std::move(stride), std::move(padding), std::move(dilation), groups};
    auto [gx, gw, gb] = geo.backward(grad_out, x, w, bias, {outputs[0], outputs[1], bias && outputs[2]});
    geo.save(ctx);
    ctx->save_for_backward({grad_out, x, w});
    ctx->saved_data["outputs"] = int64_t{outputs[0]} | int64_t{outputs[1]} << 1 | int64_t{outputs[2]} << 2;
    ctx->set_materialize_grads(false);  // an unused result's gradient stays undefined, not zeros
    torch::autograd::variable_list out;
    if (outputs[0]) out.push_back(gx);
    if (outputs[1]) out.push_back(gw);
    if (outputs[2] && bias) out.push_back(gb);
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &g_out = saved[0], &x = saved[1], &w = saved[2];
    const auto geo = ConvGeometry::load(ctx);
    const auto mask = ctx->saved_data["outputs"].toInt();
    const bool outputs[3] = {(mask & 1) != 0, (mask & 2) != 0, (mask & 4) != 0};
    at::Tensor gg_x, gg_w, gg_b;
    std::size_t next = 0;
    if (outputs[0]) gg_x = grads[next++];
    if (outputs[1]) gg_w = grads[next++];
    if (outputs[2] && next < grads.size()) gg_b = grads[next++];
    at::Tensor d_out, d_x, d_w;
    if (ctx->needs_input_grad(0)) {
      if (gg_x.defined()) d_out = geo.forward(gg_x, w);
      if (gg_w.defined()) d_out = d_out.defined() ? d_out + geo.forward(x, gg_w) : geo.forward(x, gg_w);
      if (gg_b.defined()) {
        std::vector<int64_t> shape(std::size_t(g_out.dim()), 1);
        shape[1] = gg_b.size(0);
        d_out = d_out.defined() ? d_out + gg_b.view(shape) : gg_b.view(shape).expand_as(g_out).contiguous();
      }
    }
    if (ctx->needs_input_grad(1) && gg_w.defined())
      d_x = std::get<0>(geo.backward(g_out, x, gg_w, false, {true, false, false}));
    if (ctx->needs_input_grad(2) && gg_x.defined())
      d_w = std::get<1>(geo.backward(g_out, gg_x, w, false, {false, true, false}));
    return {d_out, d_x, d_w, {}, {}, {}, {}, {}, {}};
  }
};

/// y = conv(x, w) + b with libtorch's forward kernel, whose backward is ConvolutionBackwardFunction.
struct ConvolutionFunction : torch::autograd::Function<ConvolutionFunction> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, const at::Tensor& w,
                            const c10::optional<at::Tensor>& b, std::vector<int64_t> stride,
                            std::vector<int64_t> padding, std::vector<int64_t> dilation, int64_t groups) {
    const ConvGeometry geo{std::move(stride), std::move(padding), std::move(dilation), groups};
    geo.save(ctx);
    ctx->save_for_backward({x, w});
    ctx->saved_data["bias"] = b.has_value() && b->defined();
    return geo.forward(x, w, b);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto geo = ConvGeometry::load(ctx);
    const bool bias = ctx->saved_data["bias"].toBool();
    const std::vector<bool> outputs{ctx->needs_input_grad(0), ctx->needs_input_grad(1), bias && ctx->needs_input_grad(2)};
    const auto g = ConvolutionBackwardFunction::apply(grads[0], saved[0], saved[1], bias, geo.stride, geo.padding,
                                                      geo.dilation, geo.groups, outputs);
    torch::autograd::variable_list out{{}, {}, {}, {}, {}, {}, {}};
    std::size_t next = 0;
    for (std::size_t i = 0; i < 3; ++i)
      if (outputs[i]) out[i] = g[next++];
    return out;
  }
};

}  // namespace detail

/// Whether convolution() takes its own route: float or double, 4-d, on the CPU, autocast off
/// (autocast lowers `conv2d`, not the kernel this calls). Otherwise it is
/// `torch::nn::functional::conv2d`.
inline bool own_convolution(const at::Tensor& x, const at::Tensor& w) {
  return x.device().is_cpu() && !at::autocast::is_cpu_enabled() && x.dim() == 4 && w.dim() == 4 && x.scalar_type() == w.scalar_type() &&
         (x.scalar_type() == at::kFloat || x.scalar_type() == at::kDouble);
}

/// `torch::nn::functional::conv2d(x, weight, options)` (zero padding given as numbers), the
/// same values and first gradients, with the double backward of this file's comment on the CPU.
inline at::Tensor convolution(const at::Tensor& x, const at::Tensor& weight,
                              const torch::nn::functional::Conv2dFuncOptions& options = {}) {
  const auto* padding = c10::get_if<torch::ExpandingArray<2>>(&options.padding());
  if (!padding || !own_convolution(x, weight)) return torch::nn::functional::conv2d(x, weight, options);
  const auto pair = [](const torch::ExpandingArray<2>& a) { return std::vector<int64_t>{(*a)[0], (*a)[1]}; };
  const auto& b = options.bias();
  return detail::ConvolutionFunction::apply(x, weight, b.defined() ? c10::optional<at::Tensor>(b) : c10::nullopt,
                                            pair(options.stride()), pair(*padding), pair(options.dilation()),
                                            options.groups());
}

/// The forward of a layer that gan::nn::conv2d() made (a Conv2d, spectrally normalised or not)
/// through convolution(); any other module, or a padding mode other than zeros, through its own
/// forward.
inline at::Tensor convolve(torch::nn::AnyModule& layer, const at::Tensor& x) {
  torch::nn::Conv2dImpl* conv = nullptr;
  at::Tensor weight;
  const auto module = layer.ptr();  // (AnyModule::ptr<T> throws on another type)
  if (auto sn = std::dynamic_pointer_cast<SpectralNormImpl<torch::nn::Conv2d>>(module)) {
    conv = sn->layer.get();
    if (c10::holds_alternative<torch::enumtype::kZeros>(conv->options.padding_mode())) weight = sn->normalized_weight();
  } else if (auto plain = std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(module)) {
    conv = plain.get();
    weight = conv->weight;
  }
  if (!conv || !weight.defined() || !c10::holds_alternative<torch::enumtype::kZeros>(conv->options.padding_mode()) ||
      !c10::holds_alternative<torch::ExpandingArray<2>>(conv->options.padding()))
    return layer.forward(x);
  const auto& o = conv->options;
  return convolution(x, weight,
                     torch::nn::functional::Conv2dFuncOptions()
                         .bias(conv->bias)
                         .stride(o.stride())
                         .padding(c10::get<torch::ExpandingArray<2>>(o.padding()))
                         .dilation(o.dilation())
                         .groups(o.groups()));
}

}  // namespace gan::nn
