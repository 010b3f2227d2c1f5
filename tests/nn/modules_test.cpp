// Modules of gan::nn: gradient checks, spectral norm against torch.nn.utils.spectral_norm,
// attention, shapes of every network for every supported size, and bad options.
#include "common/fixture.hpp"
#include "common/gradcheck.hpp"

#include <gan/conditioning/auxiliary_classifier.hpp>
#include <gan/conditioning/projection.hpp>
#include <gan/nn/architecture.hpp>
#include <gan/nn/blocks.hpp>
#include <gan/nn/conditional_batch_norm.hpp>
#include <gan/nn/conv_transpose.hpp>
#include <gan/nn/discriminator.hpp>
#include <gan/nn/generator.hpp>
#include <gan/nn/self_attention.hpp>
#include <gan/nn/spectral_norm.hpp>

#include <gtest/gtest.h>
#include <torch/linalg.h>

namespace {

using gan::test::gradcheck;
using gan::test::project;

std::vector<at::Tensor> with(std::vector<at::Tensor> a, const std::vector<at::Tensor>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(GradCheck, SpectralNormConv) {
  torch::manual_seed(0);
  gan::nn::SpectralNorm<torch::nn::Conv2d> m(torch::nn::Conv2dOptions(2, 3, 3).padding(1));
  m->to(torch::kDouble);
  m->eval();  // the power iteration is not part of the function
  auto x = torch::randn({2, 2, 5, 5}, torch::kDouble);
  EXPECT_EQ(gradcheck([&] { return project(m(x)); }, with({x}, m->parameters())), "");
}

TEST(GradCheck, SpectralNormLinearAndTransposed) {
  torch::manual_seed(1);
  gan::nn::SpectralNorm<torch::nn::Linear> lin(torch::nn::LinearOptions(4, 3));
  gan::nn::SpectralNorm<torch::nn::ConvTranspose2d> ct(torch::nn::ConvTranspose2dOptions(3, 2, 4).stride(2).padding(1));
  lin->to(torch::kDouble);
  ct->to(torch::kDouble);
  lin->eval();
  ct->eval();
  auto x = torch::randn({2, 4}, torch::kDouble);
  auto y = torch::randn({2, 3, 3, 3}, torch::kDouble);
  EXPECT_EQ(gradcheck([&] { return project(lin(x)); }, with({x}, lin->parameters())), "");
  EXPECT_EQ(gradcheck([&] { return project(ct(y)); }, with({y}, ct->parameters())), "");
}

TEST(GradCheck, SelfAttention) {
  torch::manual_seed(2);
  gan::nn::SelfAttention m(gan::nn::SelfAttentionOptions(8));
  m->to(torch::kDouble);
  {
    torch::NoGradGuard g;
    m->gamma.fill_(0.7);  // with gamma = 0 the attention branch would not be exercised
  }
  auto x = torch::randn({2, 8, 4, 4}, torch::kDouble);
  EXPECT_EQ(gradcheck([&] { return project(m(x)); }, with({x}, m->parameters())), "");
}

TEST(GradCheck, ConditionalBatchNorm) {
  torch::manual_seed(3);
  gan::nn::ConditionalBatchNorm2d m(gan::nn::ConditionalBatchNorm2dOptions(3, 4));
  m->to(torch::kDouble);
  {
    torch::NoGradGuard g;
    m->gain->weight.normal_(1, 0.3);
    m->bias->weight.normal_(0, 0.3);
  }
  auto x = torch::randn({4, 3, 3, 3}, torch::kDouble);
  auto y = torch::tensor({0, 3, 1, 3});
  EXPECT_EQ(gradcheck([&] { return project(m(x, y)); }, with({x}, m->parameters())), "");
}

TEST(GradCheck, Blocks) {
  torch::manual_seed(4);
  using namespace gan::nn;
  for (auto mode : {Upsample::transposed, Upsample::resize_conv}) {
    UpBlock up(UpBlockOptions(3, 4).mode(mode));
    up->to(torch::kDouble);
    auto x = torch::randn({3, 3, 3, 3}, torch::kDouble);
    EXPECT_EQ(gradcheck([&] { return project(up(x)); }, with({x}, up->parameters())), "")
        << "mode " << int(mode);
  }
  DownBlock down(DownBlockOptions(3, 4).spectral_norm(true));
  down->to(torch::kDouble);
  down->eval();
  auto x = torch::randn({2, 3, 6, 6}, torch::kDouble);
  EXPECT_EQ(gradcheck([&] { return project(down(x)); }, with({x}, down->parameters())), "");
}

TEST(GradCheck, GeneratorAndDiscriminator) {
  torch::manual_seed(5);
  using namespace gan::nn;
  Generator g(GeneratorOptions::family(4, 16, 8)
                  .condition_dim(2)
                  .norm(Norm::conditional_batch)
                  .num_classes(2)
                  .attention_at({2})
                  // spectral norm's power iteration moves u on every training forward, which
                  // finite differences cannot follow
                  .attention_spectral_norm(false));
  g->to(torch::kDouble);
  auto z = torch::randn({3, 6}, torch::kDouble);
  auto y = torch::tensor({0, 1, 1});
  EXPECT_EQ(gradcheck([&] { return project(g(z, y)); }, with({z}, g->parameters()), 1e-6, 1e-5,
                      1e-3, 6),
            "");
  Discriminator d(DiscriminatorOptions::family(16, 8)
                      .num_classes(2)
                      .terms({gan::conditioning::projection_term(), gan::conditioning::auxiliary_head()})
                      .attention_at({1})
                      .attention_spectral_norm(false)
                      .output_dim(3));
  d->to(torch::kDouble);
  auto x = torch::randn({3, 3, 16, 16}, torch::kDouble);
  EXPECT_EQ(gradcheck(
                [&] {
                  auto o = d(x, y);
                  return project(o.score) + project(o.class_logits, 9);
                },
                with({x}, d->parameters()), 1e-6, 1e-5, 1e-3, 6),
            "");
}

// --- spectral norm against torch.nn.utils.spectral_norm -----------------------------------

template <class Holder, class Opts>
void check_against_fixture(const std::string& prefix, Opts opts, bool integer_input = false) {
  auto fx = gan::test::load_fixture("spectral_norm.txt");
  auto get = [&](const std::string& k) {
    EXPECT_TRUE(fx.count(prefix + k)) << prefix + k;
    return fx.at(prefix + k);
  };
  gan::nn::SpectralNorm<Holder> m(opts);
  m->to(torch::kDouble);
  {
    torch::NoGradGuard g;
    m->layer->weight.copy_(get("weight"));
    if (fx.count(prefix + "bias")) m->layer->named_parameters()["bias"].copy_(get("bias"));
    m->u.copy_(get("u0"));
    m->v.copy_(get("v0"));
  }
  auto x = integer_input ? get("x").to(torch::kLong) : get("x");
  m->train();
  for (int i = 0; i < 3; ++i) {
    auto y = m(x);
    EXPECT_TRUE(torch::allclose(y, get("y" + std::to_string(i)), 1e-9, 1e-12))
        << prefix << " training forward " << i;
  }
  EXPECT_TRUE(torch::allclose(m->u, get("u3"), 1e-9, 1e-12)) << prefix << " u";
  EXPECT_TRUE(torch::allclose(m->v, get("v3"), 1e-9, 1e-12)) << prefix << " v";
  // Bit equality with another program's floating point depends on the CPU's kernels, so the
  // fixture is met within tolerance; the invariant (no update in eval mode) is bit for bit.
  const auto u_before = m->u.clone(), v_before = m->v.clone();
  m->eval();
  EXPECT_TRUE(torch::allclose(m(x), get("y_eval"), 1e-9, 1e-12)) << prefix << " eval forward";
  EXPECT_TRUE(torch::equal(m->u, u_before) && torch::equal(m->v, v_before))
      << prefix << " u or v changed in eval mode";
  EXPECT_TRUE(torch::allclose(m->u, get("u_eval"), 1e-9, 1e-12)) << prefix << " u after eval";
}

// The oneDNN transposed convolution (channels-last float) against libtorch's own in float64:
// the output and the gradients of the input, the weight and the bias, for the paper's kernels
// (4 and 5, stride 2, no padding, from a 1x1 input too), the family's (4, stride 2, padding 1)
// and an output padding; within 1e-5 of the largest magnitude.
TEST(ConvTranspose2d, OneDnnRouteEqualsFloat64Reference) {
  namespace F = torch::nn::functional;
  struct Case { int64_t in, out, k, stride, pad, out_pad, size; };
  for (const auto& c : {Case{10, 16, 4, 2, 0, 0, 1}, Case{16, 8, 5, 2, 0, 0, 6}, Case{8, 3, 4, 2, 1, 0, 7},
                        Case{6, 4, 3, 2, 1, 1, 5}}) {
    torch::manual_seed(c.k * 100 + c.size);
    const auto x64 = torch::randn({3, c.in, c.size, c.size}, torch::kDouble);
    const auto w64 = torch::randn({c.in, c.out, c.k, c.k}, torch::kDouble) * 0.1;
    const auto b64 = torch::randn({c.out}, torch::kDouble);
    const auto opts = [&](const at::Tensor& b) {
      return F::ConvTranspose2dFuncOptions().bias(b).stride(c.stride).padding(c.pad).output_padding(c.out_pad);
    };
    auto leaf = [](const at::Tensor& t, bool nhwc) {
      auto u = t.to(torch::kFloat);
      if (nhwc && u.dim() == 4) u = u.contiguous(at::MemoryFormat::ChannelsLast);
      return u.detach().requires_grad_(true);
    };
    auto x = leaf(x64, true), w = leaf(w64, true), b = leaf(b64, false);
    ASSERT_TRUE(gan::nn::detail::onednn_conv_transpose(x, w));
    const auto y = gan::nn::transposed_convolution(x, w, opts(b));
    auto xr = x64.clone().requires_grad_(true), wr = w64.clone().requires_grad_(true), br = b64.clone().requires_grad_(true);
    const auto yr = F::conv_transpose2d(xr, wr, opts(br));
    ASSERT_EQ(y.sizes(), yr.sizes());
    const auto dy = torch::randn(yr.sizes(), torch::kDouble);
    (y * dy.to(torch::kFloat)).sum().backward();
    (yr * dy).sum().backward();
    const auto close = [](const at::Tensor& got, const at::Tensor& want, const char* what) {
      const double scale = want.abs().max().item<double>();
      EXPECT_LE((got.to(torch::kDouble) - want).abs().max().item<double>(), 1e-5 * scale) << what;
    };
    close(y.detach(), yr.detach(), "output");
    close(x.grad(), xr.grad(), "input gradient");
    close(w.grad(), wr.grad(), "weight gradient");
    close(b.grad(), br.grad(), "bias gradient");
  }
  // Contiguous tensors keep libtorch's route.
  EXPECT_FALSE(gan::nn::detail::onednn_conv_transpose(torch::randn({1, 2, 3, 3}), torch::randn({2, 2, 3, 3})));
}

TEST(SpectralNorm, EqualsPyTorchFixture) {
  check_against_fixture<torch::nn::Conv2d>("conv.", torch::nn::Conv2dOptions(3, 5, 3).stride(2).padding(1));
  check_against_fixture<torch::nn::ConvTranspose2d>(
      "convt.", torch::nn::ConvTranspose2dOptions(4, 3, 4).stride(2).padding(1));
  check_against_fixture<torch::nn::Linear>("linear.", torch::nn::LinearOptions(6, 4));
  check_against_fixture<torch::nn::Embedding>("embedding.", torch::nn::EmbeddingOptions(5, 7), true);
}

TEST(SpectralNorm, SigmaOfNormalisedWeightIsOne) {
  torch::manual_seed(6);
  gan::nn::SpectralNorm<torch::nn::Conv2d> m(torch::nn::Conv2dOptions(8, 16, 3));
  m->to(torch::kDouble);
  auto x = torch::randn({1, 8, 5, 5}, torch::kDouble);
  for (int i = 0; i < 200; ++i) m(x);
  auto w = m->normalized_weight().detach();
  auto sigma = torch::linalg::svdvals(w.reshape({16, -1}), c10::nullopt).max().item<double>();
  EXPECT_NEAR(sigma, 1.0, 1e-6);
  auto raw = torch::linalg::svdvals(m->layer->weight.detach().reshape({16, -1}), c10::nullopt).max().item<double>();
  EXPECT_NEAR(m->sigma().item<double>(), raw, 1e-6 * raw);
}

TEST(SpectralNorm, NoUpdateInEvalMode) {
  gan::nn::SpectralNorm<torch::nn::Linear> m(torch::nn::LinearOptions(5, 3));
  m->eval();
  auto u = m->u.clone();
  m(torch::randn({2, 5}));
  EXPECT_TRUE(torch::equal(u, m->u));
  m->train();
  m(torch::randn({2, 5}));
  EXPECT_FALSE(torch::equal(u, m->u));
}

// --- attention -------------------------------------------------------------------------

TEST(SelfAttention, GammaZeroIsIdentity) {
  gan::nn::SelfAttention m(gan::nn::SelfAttentionOptions(16).spectral_norm(true));
  EXPECT_EQ(m->gamma.item<float>(), 0.0f);
  auto x = torch::randn({2, 16, 6, 4});
  EXPECT_TRUE(torch::equal(m(x), x));
}

TEST(SelfAttention, ShapesAndPooledKeys) {
  gan::nn::SelfAttention m(gan::nn::SelfAttentionOptions(32));
  auto named = m->named_parameters();
  EXPECT_EQ(named["theta.weight"].sizes(), (std::vector<int64_t>{4, 32, 1, 1}));
  EXPECT_EQ(named["phi.weight"].sizes(), (std::vector<int64_t>{4, 32, 1, 1}));
  EXPECT_EQ(named["g.weight"].sizes(), (std::vector<int64_t>{16, 32, 1, 1}));
  EXPECT_EQ(named["o.weight"].sizes(), (std::vector<int64_t>{32, 16, 1, 1}));
  EXPECT_EQ(m(torch::randn({3, 32, 8, 8})).sizes(), (std::vector<int64_t>{3, 32, 8, 8}));
}

TEST(SelfAttention, RejectsBadInput) {
  EXPECT_THROW(gan::nn::SelfAttention(gan::nn::SelfAttentionOptions(4)), c10::ValueError);
  gan::nn::SelfAttention m(gan::nn::SelfAttentionOptions(8));
  EXPECT_THROW(m(torch::randn({1, 8, 5, 4})), c10::ValueError);
  EXPECT_THROW(m(torch::randn({1, 9, 4, 4})), c10::ValueError);
}

// --- networks: shapes for every size ------------------------------------------------------

struct SizeCase {
  int64_t size;
  int64_t blocks;
};

class FamilyShapes : public ::testing::TestWithParam<int64_t> {};

TEST_P(FamilyShapes, GeneratorAndDiscriminator) {
  const int64_t s = GetParam();
  for (bool sn : {false, true}) {
    auto spec = gan::NetworkSpec()
                    .image_size(s)
                    .num_classes(3)
                    .g_width(8)
                    .d_width(8)
                    .z_dim(5)
                    .d_output_dim(4)
                    .g_attention_at(std::vector<int64_t>{2})
                    .d_attention_at(std::vector<int64_t>{1, 2})
                    .g_spectral_norm(sn)
                    .d_spectral_norm(sn)
                    .g_condition_dim(3)
                    .d_condition_channels(3);
    gan::arch::Dcgan a;
    auto g = a.make_generator(spec);
    auto d = a.make_discriminator(spec);
    auto img = g(torch::randn({2, 8}), torch::tensor({0, 2}));
    EXPECT_EQ(img.sizes(), (std::vector<int64_t>{2, 3, s, s}));
    EXPECT_LE(img.abs().max().item<float>(), 1.0f);
    auto out = d(torch::randn({2, 6, s, s}), torch::tensor({0, 2}));
    EXPECT_EQ(out.score.sizes(), (std::vector<int64_t>{2, 4}));
    EXPECT_FALSE(out.class_logits.defined());
  }
}
INSTANTIATE_TEST_SUITE_P(Sizes, FamilyShapes, ::testing::Values(16, 32, 64, 96, 128));

TEST(Networks, PaperArchitectureIsExact) {
  using namespace gan::nn;
  Generator g(GeneratorOptions::paper96(64).condition_dim(6));
  std::vector<std::vector<int64_t>> expect{{70, 512, 4, 4}, {512, 256, 4, 4}, {256, 128, 4, 4},
                                           {128, 64, 5, 5}, {64, 3, 4, 4}};
  std::vector<std::vector<int64_t>> got;
  for (const auto& p : g->named_parameters())
    if (p.key().find("conv.weight") != std::string::npos) got.push_back(p.value().sizes().vec());
  EXPECT_EQ(got, expect);
  auto x = torch::randn({2, 70});
  auto h = x.view({2, 70, 1, 1});
  std::vector<int64_t> sizes;
  for (const auto& m : *g->blocks) {
    h = m->as<UpBlockImpl>()->forward(h);
    sizes.push_back(h.size(2));
  }
  EXPECT_EQ(sizes, (std::vector<int64_t>{4, 10, 22, 47}));
  EXPECT_EQ(g(x).sizes(), (std::vector<int64_t>{2, 3, 96, 96}));

  Discriminator d(DiscriminatorOptions::paper96().condition_channels(6).output_dim(8));
  std::vector<std::vector<int64_t>> dexpect{{64, 9, 2, 2}, {128, 64, 2, 2}, {256, 128, 4, 4},
                                            {512, 256, 4, 4}, {8, 512, 4, 4}};
  got.clear();
  for (const auto& p : d->named_parameters())
    if (p.key().find("conv.weight") != std::string::npos ||
        p.key().find("head.weight") != std::string::npos)
      got.push_back(p.value().sizes().vec());
  EXPECT_EQ(got, dexpect);
  int bns = 0;
  for (const auto& m : d->modules())
    if (dynamic_cast<torch::nn::BatchNorm2dImpl*>(m.get())) ++bns;
  EXPECT_EQ(bns, 4);
  EXPECT_EQ(d(torch::randn({2, 9, 96, 96})).score.sizes(), (std::vector<int64_t>{2, 8}));
}

TEST(Networks, ResizeConvAndOptions) {
  using namespace gan::nn;
  auto o = GeneratorOptions::family(8, 32, 16).upsample(Upsample::resize_conv);
  Generator g(o);
  EXPECT_EQ(g(torch::randn({2, 8})).sizes(), (std::vector<int64_t>{2, 3, 32, 32}));
  int convt = 0;
  for (const auto& m : g->modules())
    if (dynamic_cast<torch::nn::ConvTranspose2dImpl*>(m.get())) ++convt;
  EXPECT_EQ(convt, 2);  // the 1×1 → s₀ block and the 3×3 output; the rest resize then conv
}

TEST(Networks, RejectBadOptions) {
  using namespace gan::nn;
  EXPECT_THROW(Generator(GeneratorOptions::family(8, 32).attention_at({9})), c10::ValueError);
  EXPECT_THROW(GeneratorOptions::family(8, 30, 16, 3), c10::ValueError);
  EXPECT_THROW(Discriminator(DiscriminatorOptions::family(32).terms({gan::conditioning::projection_term()})), c10::ValueError);
  Generator g(GeneratorOptions::family(8, 32, 16));
  EXPECT_THROW(g(torch::randn({2, 9})), c10::ValueError);
  Discriminator d(DiscriminatorOptions::family(32, 16));
  EXPECT_THROW(d(torch::randn({2, 3, 16, 16})), c10::ValueError);
  gan::arch::Dcgan a;
  EXPECT_THROW(a.make_generator(gan::NetworkSpec().image_size(64).layout(gan::Layout::paper96)),
               c10::ValueError);
  EXPECT_THROW(a.make_generator(gan::NetworkSpec().num_classes(0)), c10::ValueError);
}

}  // namespace
