// gan::nn::convolution: the same forward and first gradients as torch::nn::functional::conv2d,
// and a double backward equal to finite differences of libtorch's first backward and to
// libtorch's own double backward, in both memory formats.
#include "common/gradcheck.hpp"

#include <gan/nn/convolution.hpp>
#include <gan/nn/layers.hpp>

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace {

namespace F = torch::nn::functional;

double conv_relative(const at::Tensor& a, const at::Tensor& b) {
  const auto d = (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
  return d / (1 + b.to(at::kDouble).abs().max().item<double>());
}

struct ConvCase {
  bool channels_last;
  bool bias;
  int64_t stride, padding, dilation, groups;
};

F::Conv2dFuncOptions func_options(const ConvCase& c, const at::Tensor& b) {
  auto o = F::Conv2dFuncOptions().stride(c.stride).padding(c.padding).dilation(c.dilation).groups(c.groups);
  if (c.bias) o.bias(b);
  return o;
}

/// The first derivatives of sum(v * conv(x, w) + b) (the input's, the weight's and the bias's),
/// weighed by fixed tensors and summed, plus their squares: a function of x, w, b and v to
/// differentiate again (every gradient of the first backward's results in play).
at::Tensor conv_first_derivatives(const ConvCase& c, const at::Tensor& x, const at::Tensor& w, const at::Tensor& b,
                                  const at::Tensor& v, bool ours, const std::vector<at::Tensor>& weighs) {
  const auto o = func_options(c, b);
  const auto y = ours ? gan::nn::convolution(x, w, o) : F::conv2d(x, w, o);
  std::vector<at::Tensor> wrt{x, w};
  if (c.bias) wrt.push_back(b);
  const auto g = torch::autograd::grad({(y * v).sum()}, wrt, {}, true, true);
  auto total = at::zeros({}, x.options());
  for (std::size_t i = 0; i < g.size(); ++i) total = total + (g[i] * weighs[i]).sum() + g[i].square().sum();
  return total;
}

class ConvolutionCases : public ::testing::TestWithParam<ConvCase> {
 protected:
  // x [3, 4, 9, 8], w [6, 4 / groups, 3, 3]
  std::vector<at::Tensor> make(at::ScalarType dtype) const {
    const auto& c = GetParam();
    auto x = torch::randn({3, 4, 9, 8}, dtype), w = torch::randn({6, 4 / c.groups, 3, 3}, dtype) * 0.3,
         b = torch::randn({6}, dtype);
    if (c.channels_last) {
      x = x.contiguous(at::MemoryFormat::ChannelsLast);
      w = w.contiguous(at::MemoryFormat::ChannelsLast);
    }
    const auto y = F::conv2d(x, w, func_options(c, b));
    const auto v = torch::randn(y.sizes(), dtype);
    return {x, w, b, v, torch::randn(x.sizes(), dtype), torch::randn(w.sizes(), dtype), torch::randn({6}, dtype)};
  }
};

TEST_P(ConvolutionCases, ForwardAndFirstGradientsAreLibtorchs) {
  const auto& c = GetParam();
  torch::manual_seed(11);
  auto t = make(at::kFloat);
  for (int i = 0; i < 3; ++i) t[std::size_t(i)].requires_grad_(true);
  const auto a = gan::nn::convolution(t[0], t[1], func_options(c, t[2])), b = F::conv2d(t[0], t[1], func_options(c, t[2]));
  EXPECT_TRUE(torch::equal(a, b));
  std::vector<at::Tensor> wrt{t[0], t[1]};
  if (c.bias) wrt.push_back(t[2]);
  const auto ga = torch::autograd::grad({(a * t[3]).sum()}, wrt), gb = torch::autograd::grad({(b * t[3]).sum()}, wrt);
  for (std::size_t i = 0; i < ga.size(); ++i) EXPECT_TRUE(torch::equal(ga[i], gb[i])) << "gradient " << i;
}

TEST_P(ConvolutionCases, DoubleBackwardEqualsFiniteDifferences) {
  const auto& c = GetParam();
  torch::manual_seed(12);
  auto t = make(at::kDouble);
  const auto layout = c.channels_last ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous;
  // gradcheck's entries are contiguous; the function puts x and w in the case's layout
  auto x = t[0].contiguous(), w = t[1].contiguous(), b = t[2], v = t[3];
  const std::vector<at::Tensor> weighs{t[4], t[5], t[6]};
  std::vector<at::Tensor> wrt{x, w, v};
  if (c.bias) wrt.push_back(b);
  EXPECT_EQ(gan::test::gradcheck(
                [&] {
                  return conv_first_derivatives(c, x.contiguous(layout), w.contiguous(layout), b, v, true, weighs);
                },
                wrt, 1e-6, 1e-6, 1e-5, 30),
            "");
}

TEST_P(ConvolutionCases, DoubleBackwardEqualsLibtorchsInBothPrecisions) {
  const auto& c = GetParam();
  for (const auto dtype : {at::kDouble, at::kFloat}) {
    torch::manual_seed(13);
    auto t = make(dtype);
    for (int i = 0; i < 4; ++i) t[std::size_t(i)].requires_grad_(true);
    const std::vector<at::Tensor> weighs{t[4], t[5], t[6]};
    std::vector<at::Tensor> wrt{t[0], t[1], t[3]};
    if (c.bias) wrt.push_back(t[2]);
    const auto ref =
        torch::autograd::grad({conv_first_derivatives(c, t[0], t[1], t[2], t[3], false, weighs)}, wrt, {}, false, false, true);
    const auto ours =
        torch::autograd::grad({conv_first_derivatives(c, t[0], t[1], t[2], t[3], true, weighs)}, wrt, {}, false, false, true);
    for (std::size_t i = 0; i < ref.size(); ++i) {
      ASSERT_EQ(ours[i].defined(), ref[i].defined()) << "input " << i;
      if (ref[i].defined())
        EXPECT_LT(conv_relative(ours[i], ref[i]), dtype == at::kDouble ? 1e-12 : 1e-5) << "input " << i << " " << dtype;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Geometries, ConvolutionCases,
                         ::testing::Values(ConvCase{false, true, 1, 1, 1, 1}, ConvCase{true, true, 2, 1, 1, 1},
                                           ConvCase{false, false, 2, 0, 2, 2}, ConvCase{true, false, 1, 2, 1, 2}),
                         [](const auto& info) {
                           const auto& c = info.param;
                           return std::string(c.channels_last ? "ChannelsLast" : "Contiguous") +
                                  (c.bias ? "Bias" : "NoBias") + "Stride" + std::to_string(c.stride) + "Pad" +
                                  std::to_string(c.padding) + "Dil" + std::to_string(c.dilation) + "Groups" +
                                  std::to_string(c.groups);
                         });

TEST(Convolution, ConvolveRunsTheLayersOfConv2dWithTheirOwnValues) {
  torch::manual_seed(14);
  const auto x = torch::randn({2, 3, 8, 8});
  for (const bool sn : {false, true}) {
    auto layer = gan::nn::conv2d(torch::nn::Conv2dOptions(3, 5, 4).stride(2).padding(1), sn);
    auto twin = layer.clone();
    layer.ptr()->eval();  // spectral norm: no power iteration, so the two see the same weight
    twin.ptr()->eval();
    EXPECT_TRUE(torch::equal(gan::nn::convolve(layer, x), twin.forward(x))) << "spectral norm " << sn;
  }
  // autocast lowers conv2d: libtorch's route, in bf16
  at::autocast::set_cpu_enabled(true);
  EXPECT_FALSE(gan::nn::own_convolution(x, torch::randn({5, 3, 4, 4})));
  at::autocast::set_cpu_enabled(false);
  EXPECT_TRUE(gan::nn::own_convolution(x, torch::randn({5, 3, 4, 4})));
  // another padding mode: the layer's own forward
  auto circular = gan::nn::conv2d(torch::nn::Conv2dOptions(3, 5, 3).padding(1).padding_mode(torch::kCircular), false);
  EXPECT_TRUE(torch::equal(gan::nn::convolve(circular, x), circular.forward(x)));
}

}  // namespace
