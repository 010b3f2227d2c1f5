// gan::nn::batch_norm: the same forward, running statistics and first gradients as
// torch::nn::BatchNorm2d, and a double backward equal to finite differences of libtorch's first
// backward and to libtorch's own double backward, in both memory formats.
#include "common/gradcheck.hpp"

#include <gan/nn/batch_norm.hpp>

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace {

using gan::test::gradcheck;

double max_relative(const at::Tensor& a, const at::Tensor& b) {
  const auto d = (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
  return d / (1 + b.to(at::kDouble).abs().max().item<double>());
}

/// The penalty's shape of use: the first derivatives of sum(v * bn(x)) (the input's, and the
/// affine parameters'), weighed by fixed tensors and summed, as a function to differentiate again.
/// With `fused`, gan::nn::batch_norm; else the module's own forward (libtorch's double backward).
at::Tensor first_derivatives(torch::nn::BatchNorm2dImpl& bn, const at::Tensor& x, const at::Tensor& v, bool fused,
                             const std::vector<at::Tensor>& weighs) {
  const auto y = fused ? gan::nn::batch_norm(bn, x) : bn.forward(x);
  std::vector<at::Tensor> wrt{x};  // x: a leaf or not
  if (bn.options.affine()) wrt.insert(wrt.end(), {bn.weight, bn.bias});
  const auto g = torch::autograd::grad({(y * v).sum()}, wrt, {}, true, true);
  auto total = (g[0] * weighs[0]).sum() + (g[0] * g[0]).sum();  // ggI depends on g itself too
  for (std::size_t i = 1; i < g.size(); ++i) total = total + (g[i] * weighs[i]).sum() + g[i].square().sum();
  return total;
}

struct Case {
  bool channels_last;
  bool affine;
};

class BatchNormCases : public ::testing::TestWithParam<Case> {};

TEST_P(BatchNormCases, ForwardStatisticsAndFirstGradientsAreTheModules) {
  const auto [cl, affine] = GetParam();
  torch::manual_seed(3);
  torch::nn::BatchNorm2d ours(torch::nn::BatchNorm2dOptions(5).affine(affine)), theirs(nullptr);
  if (affine) {
    torch::NoGradGuard no_grad;
    ours->weight.normal_(1, 0.3);
    ours->bias.normal_(0, 0.3);
  }
  theirs = std::dynamic_pointer_cast<torch::nn::BatchNorm2dImpl>(ours->clone());
  auto x = (torch::randn({4, 5, 6, 7}) * 3 + 2);
  if (cl) x = x.contiguous(at::MemoryFormat::ChannelsLast);
  x.requires_grad_(true);
  const auto v = torch::randn({4, 5, 6, 7});
  for (int step = 0; step < 2; ++step) {
    const auto a = gan::nn::batch_norm(*ours, x), b = theirs->forward(x);
    EXPECT_TRUE(torch::equal(a, b));
    EXPECT_EQ(a.is_contiguous(at::MemoryFormat::ChannelsLast), cl);
    std::vector<at::Tensor> wrt{x};
    if (affine) wrt.insert(wrt.end(), {ours->weight, ours->bias});
    auto ga = torch::autograd::grad({(a * v).sum()}, wrt);
    if (affine) wrt = {x, theirs->weight, theirs->bias};
    auto gb = torch::autograd::grad({(b * v).sum()}, wrt);
    for (std::size_t i = 0; i < ga.size(); ++i) EXPECT_TRUE(torch::equal(ga[i], gb[i])) << "gradient " << i;
  }
  EXPECT_TRUE(torch::equal(ours->running_mean, theirs->running_mean));
  EXPECT_TRUE(torch::equal(ours->running_var, theirs->running_var));
  EXPECT_EQ(ours->num_batches_tracked.item<int64_t>(), 2);
}

TEST_P(BatchNormCases, DoubleBackwardEqualsFiniteDifferences) {
  const auto [cl, affine] = GetParam();
  torch::manual_seed(4);
  torch::nn::BatchNorm2d bn(torch::nn::BatchNorm2dOptions(3).affine(affine));
  bn->to(torch::kDouble);
  if (affine) {
    torch::NoGradGuard no_grad;
    bn->weight.normal_(1, 0.3);
    bn->bias.normal_(0, 0.3);
  }
  auto x = torch::randn({3, 3, 4, 5}, torch::kDouble) * 2 + 1;  // gradcheck's entries: contiguous
  const auto layout = cl ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous;
  auto v = torch::randn({3, 3, 4, 5}, torch::kDouble);
  const std::vector<at::Tensor> weighs{torch::randn({3, 3, 4, 5}, torch::kDouble), torch::randn({3}, torch::kDouble),
                                       torch::randn({3}, torch::kDouble)};
  std::vector<at::Tensor> wrt{x, v};
  if (affine) wrt.insert(wrt.end(), {bn->weight, bn->bias});
  EXPECT_EQ(gradcheck([&] { return first_derivatives(*bn, x.contiguous(layout), v, true, weighs); }, wrt, 1e-6, 1e-7, 1e-6, 40), "");
}

TEST_P(BatchNormCases, DoubleBackwardEqualsLibtorchsInBothPrecisionsAndRoutes) {
  const auto [cl, affine] = GetParam();
  for (const auto dtype : {at::kDouble, at::kFloat}) {
    torch::manual_seed(5);
    torch::nn::BatchNorm2d bn(torch::nn::BatchNorm2dOptions(16).affine(affine));
    bn->to(dtype);
    if (affine) {
      torch::NoGradGuard no_grad;
      bn->weight.normal_(1, 0.3);
      bn->bias.normal_(0, 0.3);
    }
    auto x = (torch::randn({8, 16, 9, 10}, dtype) * 2 + 1);
    if (cl) x = x.contiguous(at::MemoryFormat::ChannelsLast);
    x.requires_grad_(true);
    const auto v = torch::randn({8, 16, 9, 10}, dtype);
    const std::vector<at::Tensor> weighs{torch::randn({8, 16, 9, 10}, dtype), torch::randn({16}, dtype),
                                         torch::randn({16}, dtype)};
    std::vector<at::Tensor> wrt{x};
    if (affine) wrt.insert(wrt.end(), {bn->weight, bn->bias});
    // The bias does not reach the first derivatives: its gradient is none on every route.
    const auto ref = torch::autograd::grad({first_derivatives(*bn, x, v, false, weighs)}, wrt, {}, false, false, true);
    const auto fused = torch::autograd::grad({first_derivatives(*bn, x, v, true, weighs)}, wrt, {}, false, false, true);
    // create_graph: the tensor-operation route (which a third derivative would record)
    const auto composite =
        torch::autograd::grad({first_derivatives(*bn, x, v, true, weighs)}, wrt, {}, false, true, true);
    const double tol = dtype == at::kDouble ? 1e-11 : 2e-5;
    for (std::size_t i = 0; i < ref.size(); ++i) {
      EXPECT_EQ(fused[i].defined(), ref[i].defined()) << "input " << i;
      EXPECT_EQ(composite[i].defined(), ref[i].defined()) << "input " << i;
      if (!ref[i].defined()) continue;
      EXPECT_LT(max_relative(fused[i], ref[i]), tol) << "fused, input " << i << " " << dtype;
      EXPECT_LT(max_relative(composite[i], ref[i]), tol) << "composite, input " << i << " " << dtype;
      EXPECT_EQ(fused[i].dtype(), ref[i].dtype());
    }
    EXPECT_EQ(fused[0].is_contiguous(at::MemoryFormat::ChannelsLast), cl);
  }
}

INSTANTIATE_TEST_SUITE_P(Layouts, BatchNormCases,
                         ::testing::Values(Case{false, true}, Case{true, true}, Case{false, false}, Case{true, false}),
                         [](const auto& info) {
                           return std::string(info.param.channels_last ? "ChannelsLast" : "Contiguous") +
                                  (info.param.affine ? "Affine" : "Plain");
                         });

TEST(BatchNorm, DoubleBackwardIsTheSameOnAnyThreadCount) {
  torch::manual_seed(6);
  for (const auto layout : {at::MemoryFormat::ChannelsLast, at::MemoryFormat::Contiguous}) {
    const auto big = [&] { return torch::randn({16, 8, 40, 40}).contiguous(layout); };
    const gan::nn::detail::BnDoubleBackward d{big(),          torch::randn({8}),     big(),
                                              torch::randn({8}), torch::randn({8}),  big(),
                                              torch::randn({8}), torch::rand({8}) + 1, {true, true, true}};
    const int threads = at::get_num_threads();
    at::set_num_threads(1);
    const auto one = d.run();
    at::set_num_threads(std::max(2, threads));
    const auto more = d.run();
    at::set_num_threads(threads);
    for (std::size_t i = 0; i < 3; ++i) EXPECT_TRUE(torch::equal(one[i], more[i])) << "result " << i;
  }
}

TEST(BatchNorm, EvaluationAndOtherDevicesAreTheModulesForward) {
  torch::nn::BatchNorm2d bn(4);
  bn->eval();
  const auto x = torch::randn({2, 4, 3, 3});
  EXPECT_FALSE(gan::nn::fused_batch_norm(*bn, x));
  EXPECT_TRUE(torch::equal(gan::nn::batch_norm(*bn, x), bn->forward(x)));
  bn->train();
  EXPECT_TRUE(gan::nn::fused_batch_norm(*bn, x));
  EXPECT_FALSE(gan::nn::fused_batch_norm(*bn, x.to(at::kBFloat16)));
  at::autocast::set_cpu_enabled(true);  // autocast decides the dtypes: the module's forward
  EXPECT_FALSE(gan::nn::fused_batch_norm(*bn, x));
  at::autocast::set_cpu_enabled(false);
  EXPECT_THROW(gan::nn::batch_norm(*bn, torch::randn({1, 4, 1, 1})), c10::ValueError);
  EXPECT_THROW(gan::nn::batch_norm(*bn, torch::randn({2, 3, 2, 2})), c10::ValueError);
}

}  // namespace
