// Policies: adversarial losses, Lipschitz constraints and conditioning strategies, against
// closed forms and independent computations.
#include "common/gradcheck.hpp"

#include <gan/gan.hpp>

#include <gtest/gtest.h>

namespace {

using gan::test::gradcheck;

// --- losses ------------------------------------------------------------------------------

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

struct Scores {
  at::Tensor real = torch::randn({5, 3}, torch::kDouble) * 3;
  at::Tensor fake = torch::randn({5, 3}, torch::kDouble) * 3;
  // Elementwise means of f over a tensor, computed entry by entry.
  template <class F>
  static double mean(const at::Tensor& t, F f) {
    double s = 0;
    auto a = t.accessor<double, 2>();
    for (int64_t i = 0; i < t.size(0); ++i)
      for (int64_t j = 0; j < t.size(1); ++j) s += f(a[i][j]);
    return s / double(t.numel());
  }
};

template <class L>
class LossTest : public ::testing::Test {};
using Losses = ::testing::Types<gan::loss::NonSaturating, gan::loss::Wasserstein,
                                gan::loss::Hinge, gan::loss::LeastSquares>;
TYPED_TEST_SUITE(LossTest, Losses);

TYPED_TEST(LossTest, GradientCheck) {
  torch::manual_seed(11);
  TypeParam loss;
  Scores s;
  EXPECT_EQ(gradcheck([&] { return loss.discriminator_loss(s.real, s.fake); }, {s.real, s.fake}), "");
  EXPECT_EQ(gradcheck([&] { return loss.generator_loss(s.fake); }, {s.fake}), "");
}

TEST(Losses, EqualClosedForms) {
  torch::manual_seed(12);
  Scores s;
  auto check = [&](auto loss, auto d_real, auto d_fake, auto g_fake, double d_scale = 1.0) {
    const double d = d_scale * (Scores::mean(s.real, d_real) + Scores::mean(s.fake, d_fake));
    EXPECT_NEAR(loss.discriminator_loss(s.real, s.fake).template item<double>(), d, 1e-12);
    EXPECT_NEAR(loss.generator_loss(s.fake).template item<double>(), Scores::mean(s.fake, g_fake),
                1e-12);
  };
  check(gan::loss::NonSaturating{}, [](double r) { return -std::log(sigmoid(r)); },
        [](double f) { return -std::log(1 - sigmoid(f)); },
        [](double f) { return -std::log(sigmoid(f)); }, 0.5);  // train.py:186 halves the sum
  check(gan::loss::Wasserstein{}, [](double r) { return -r; }, [](double f) { return f; },
        [](double f) { return -f; });
  check(gan::loss::Hinge{}, [](double r) { return std::max(0.0, 1 - r); },
        [](double f) { return std::max(0.0, 1 + f); }, [](double f) { return -f; });
  check(gan::loss::LeastSquares{}, [](double r) { return 0.5 * (r - 1) * (r - 1); },
        [](double f) { return 0.5 * f * f; }, [](double f) { return 0.5 * (f - 1) * (f - 1); });
  static_assert(gan::loss::reports_wasserstein<gan::loss::Wasserstein>());
  static_assert(!gan::loss::reports_wasserstein<gan::loss::NonSaturating>());
}

TEST(Losses, NonSaturatingIsStableForLargeLogits) {
  gan::loss::NonSaturating l;
  auto big = torch::tensor({{1000.0}, {-1000.0}}, torch::kDouble);
  EXPECT_TRUE(std::isfinite(l.discriminator_loss(big, big).item<double>()));
  EXPECT_TRUE(std::isfinite(l.generator_loss(big).item<double>()));
}

// --- gradient penalty --------------------------------------------------------------------

// Critic f(x) = Σ_j a_j x_j² + b · Σ_j x_j per sample: ∇f = 2 a ⊙ x + b, in closed form.
TEST(GradientPenalty, EqualsClosedForm) {
  torch::manual_seed(13);
  const int64_t n = 6;
  auto a = torch::randn({1, 2, 3, 3}, torch::kDouble);
  const double b = 0.3;
  auto critic = [&](const at::Tensor& x) {
    return ((a * x * x).flatten(1).sum(1) + b * x.flatten(1).sum(1)).unsqueeze(1);
  };
  auto real = torch::randn({n, 2, 3, 3}, torch::kDouble);
  auto fake = torch::randn({n, 2, 3, 3}, torch::kDouble);
  auto rng = at::make_generator<at::CPUGeneratorImpl>(99);
  gan::regularizer::GradientPenalty gp(10.0);
  auto p = gp.penalty(critic, real, fake, rng);

  // Independently: the same ε draws, the gradient in closed form, one norm per sample.
  auto rng2 = at::make_generator<at::CPUGeneratorImpl>(99);
  auto eps = at::rand({n, 1, 1, 1}, rng2, at::TensorOptions(at::kDouble));  // drawn in the batch's dtype
  double sum = 0, norm_sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    auto xi = eps[i] * real[i] + (1 - eps[i]) * fake[i];
    auto grad = 2 * a[0] * xi + b;
    const double norm = std::sqrt(grad.square().sum().item<double>());
    sum += (norm - 1) * (norm - 1);
    norm_sum += norm;
  }
  EXPECT_NEAR(p.value.item<double>(), 10.0 * sum / n, 1e-10);
  EXPECT_NEAR(p.grad_norm.item<double>(), norm_sum / n, 1e-10);

  // Not the paper code's version, which takes one norm of the batch-mean gradient.
  auto mixed = (eps * real + (1 - eps) * fake);
  auto mean_grad = (2 * a * mixed + b).mean(0);
  const double paper = 10.0 * std::pow(mean_grad.norm().item<double>() - 1, 2);
  EXPECT_GT(std::abs(p.value.item<double>() - paper), 1e-3);
}

TEST(GradientPenalty, GradientCheckThroughTheCritic) {
  torch::manual_seed(14);
  gan::nn::Discriminator d(gan::nn::DiscriminatorOptions::family(8, 8).norm(gan::nn::Norm::none));
  d->to(torch::kDouble);
  auto real = torch::randn({3, 3, 8, 8}, torch::kDouble);
  auto fake = torch::randn({3, 3, 8, 8}, torch::kDouble);
  gan::regularizer::GradientPenalty gp(10.0);
  auto f = [&] {
    auto rng = at::make_generator<at::CPUGeneratorImpl>(5);
    return gp.penalty([&](const at::Tensor& x) { return d(x).score; }, real, fake, rng).value;
  };
  EXPECT_EQ(gradcheck(f, d->parameters(), 1e-6, 1e-6, 1e-3, 8), "");
}

TEST(WeightClipping, ClampsEveryParameter) {
  gan::nn::Discriminator d(gan::nn::DiscriminatorOptions::family(16, 8));
  gan::regularizer::WeightClipping clip(0.01);
  {
    torch::NoGradGuard g;
    for (auto& p : d->parameters()) p.normal_(0, 1);
  }
  clip.after_discriminator_step(*d);
  for (auto& p : d->parameters()) EXPECT_LE(p.abs().max().item<double>(), 0.01);
  EXPECT_THROW(gan::regularizer::WeightClipping(0.0), c10::ValueError);
}

// --- conditioning --------------------------------------------------------------------------

TEST(Conditioning, OneHotConcat) {
  gan::conditioning::OneHotConcat c;
  auto spec = gan::NetworkSpec().num_classes(3);
  c.configure(spec);
  EXPECT_EQ(spec.g_condition_dim(), 3);
  EXPECT_EQ(spec.d_condition_channels(), 3);
  auto y = torch::tensor({2, 0});
  auto z = c.generator_input(torch::zeros({2, 4}), y);
  EXPECT_TRUE(torch::equal(z.slice(1, 4), torch::tensor({{0.f, 0.f, 1.f}, {1.f, 0.f, 0.f}})));
  auto x = c.discriminator_input(torch::zeros({2, 3, 5, 5}), y);
  EXPECT_EQ(x.sizes(), (std::vector<int64_t>{2, 6, 5, 5}));
  EXPECT_EQ(x[0][5].sum().item<float>(), 25.f);
  EXPECT_EQ(x[0][3].sum().item<float>(), 0.f);
  EXPECT_EQ(x[1][3].sum().item<float>(), 25.f);
}

TEST(Conditioning, CombineAndAuxiliaryClassifier) {
  gan::conditioning::Combine<gan::conditioning::ConditionalBatchNorm, gan::conditioning::Projection> both;
  auto spec = gan::NetworkSpec().num_classes(4);
  both.configure(spec);
  const auto hooks = gan::conditioning::network_hooks(both);
  EXPECT_EQ(hooks.generator_norm, gan::nn::Norm::conditional_batch);
  ASSERT_EQ(hooks.discriminator_terms.size(), 1u);
  EXPECT_EQ(hooks.discriminator_terms[0].name, "projection");
  EXPECT_EQ(spec.g_condition_dim(), 0);
  EXPECT_FALSE(both.discriminator_extra_loss({}, {}, torch::tensor({0})).defined());

  gan::conditioning::AuxiliaryClassifier ac(0.5);
  auto spec2 = gan::NetworkSpec().num_classes(3);
  ac.configure(spec2);
  ASSERT_EQ(gan::conditioning::network_hooks(ac).discriminator_terms.size(), 1u);
  EXPECT_FALSE(gan::conditioning::network_hooks(ac).generator_norm.has_value());
  auto logits = torch::randn({4, 3}, torch::kDouble);
  auto y = torch::tensor({0, 2, 1, 2});
  gan::nn::CriticOutput o{torch::zeros({4, 1}), logits};
  double ce = 0;
  for (int i = 0; i < 4; ++i)
    ce -= torch::log_softmax(logits[i], 0)[y[i].item<int64_t>()].item<double>() / 4;
  EXPECT_NEAR(ac.generator_extra_loss(o, y).item<double>(), 0.5 * ce, 1e-12);
  EXPECT_NEAR(ac.discriminator_extra_loss(o, o, y).item<double>(), 2 * 0.5 * ce, 1e-12);
}

TEST(Conditioning, ProjectionAddsTheLabelsInnerProduct) {
  torch::manual_seed(15);
  using namespace gan::nn;
  Discriminator d(DiscriminatorOptions::family(8, 8).num_classes(3).terms({gan::conditioning::projection_term()}));
  d->eval();
  auto x = torch::randn({2, 3, 8, 8});
  auto y0 = torch::tensor({0, 0}), y1 = torch::tensor({1, 1});
  auto diff = d(x, y1).score - d(x, y0).score;
  // Same features φ(x), different embeddings: the difference is ⟨e₁ − e₀, φ(x)⟩.
  auto embed = d->named_parameters()["projection.embed.weight"];
  auto h = x;
  for (const auto& m : *d->blocks) h = m->as<DownBlockImpl>()->forward(h);
  auto expect = ((embed[1] - embed[0]) * h.flatten(1)).sum(1, true);
  EXPECT_TRUE(torch::allclose(diff, expect, 1e-4, 1e-5));
}

}  // namespace
