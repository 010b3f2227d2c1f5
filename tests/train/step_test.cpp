// The step without host reads (step_deferred), the truncated noise drawn in one pass, the bf16
// autocast step and the channels-last step, against today's step and closed forms; and the
// paper's step at its 96x96 networks against the paper's Python from the same weights.
#include <gan/data/toy.hpp>
#include <gan/gan.hpp>

#include <gtest/gtest.h>

#include "common/errors.hpp"
#include "common/fixture.hpp"
#include "common/temp_dir.hpp"

#include <cmath>
#include <filesystem>

namespace step_test {

namespace fs = std::filesystem;

constexpr int64_t kSize = 16;

gan::NetworkSpec small_spec() {
  return gan::NetworkSpec().image_size(kSize).num_classes(4).z_dim(16).g_width(16).d_width(16);
}
gan::TrainerOptions small_options() { return gan::TrainerOptions().seed(11).n_critic(2).ema_decay(0.9); }

std::pair<at::Tensor, at::Tensor> batch(int64_t i) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(500 + i);
  return gan::data::quadrant_batch(8, kSize, gen);
}

void expect_same_weights(torch::nn::Module& a, torch::nn::Module& b) {
  auto pa = a.named_parameters(), pb = b.named_parameters();
  for (const auto& p : pa) EXPECT_TRUE(torch::equal(p.value(), pb[p.key()])) << p.key();
  auto ba = a.named_buffers(), bb = b.named_buffers();
  for (const auto& p : ba) EXPECT_TRUE(torch::equal(p.value(), bb[p.key()])) << p.key();
}

template <class T>
class DeferredStep : public ::testing::Test {};
using Variants = ::testing::Types<gan::presets::ConditionalGan, gan::presets::ConditionalWganGp,
                                  gan::presets::ConditionalSagan,
                                  gan::presets::ConditionalGan::WithAugmentation<gan::augment::DiffAugment>>;
TYPED_TEST_SUITE(DeferredStep, Variants);

// The same weights, losses and noise as `step`, bit for bit.
TYPED_TEST(DeferredStep, EqualsTheStepThatReads) {
  TypeParam now(small_spec(), small_options()), deferred(small_spec(), small_options());
  std::vector<gan::StepStats> read_now;
  std::vector<gan::DeferredStats> kept;
  for (int64_t i = 0; i < 3; ++i) {
    auto [x, y] = batch(i);
    read_now.push_back(now.step(x, y));
    kept.push_back(deferred.step_deferred(x, y));
  }
  const auto read_later = gan::read_all(kept);
  ASSERT_EQ(read_later.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const auto &a = read_now[i], &b = read_later[i];
    EXPECT_EQ(a.step, b.step);
    EXPECT_EQ(a.d_loss, b.d_loss) << i;
    EXPECT_EQ(a.g_loss, b.g_loss) << i;
    EXPECT_TRUE(a.penalty == b.penalty || (std::isnan(a.penalty) && std::isnan(b.penalty))) << i;
    EXPECT_TRUE(a.grad_norm == b.grad_norm || (std::isnan(a.grad_norm) && std::isnan(b.grad_norm))) << i;
    EXPECT_TRUE(a.wasserstein == b.wasserstein || (std::isnan(a.wasserstein) && std::isnan(b.wasserstein))) << i;
    EXPECT_TRUE(b.finite);
    EXPECT_EQ(b.diverged, "");
  }
  expect_same_weights(*now.generator(), *deferred.generator());
  expect_same_weights(*now.discriminator(), *deferred.discriminator());
  EXPECT_EQ(deferred.diverged_step(), -1);
  const auto labels = torch::tensor({0, 1, 2, 3});
  EXPECT_TRUE(torch::equal(now.sample(labels), deferred.sample(labels)));  // EMA and noise
}

// The deferred step reads nothing to the host; the hook that says so sees the reading step's.
TYPED_TEST(DeferredStep, ReadsNothingToTheHost) {
  TypeParam t(small_spec(), small_options());
  auto [x, y] = batch(0);
  {
    gan::HostReads reads;
    t.step_deferred(x, y);
    t.step_deferred(x, y);
    EXPECT_EQ(reads.count(), 0);
  }
  gan::HostReads reads;
  t.step(x, y);
  EXPECT_GE(reads.count(), 3);  // the labels' range, the losses, the finiteness checks
}

TEST(DeferredStep, ResumeIsExact) {
  using Gp = gan::presets::ConditionalWganGp;
  gan::test::TempDir dir("gan_deferred_resume");
  Gp straight(small_spec(), small_options());
  for (int64_t i = 0; i < 4; ++i) {
    auto [x, y] = batch(i);
    straight.step_deferred(x, y);
  }
  {
    Gp first(small_spec(), small_options());
    for (int64_t i = 0; i < 2; ++i) {
      auto [x, y] = batch(i);
      first.step_deferred(x, y);
    }
    first.save(dir.path() / "ckpt.pt");
  }
  Gp resumed(small_spec(), small_options().seed(99));
  resumed.load(dir.path() / "ckpt.pt");
  for (int64_t i = 2; i < 4; ++i) {
    auto [x, y] = batch(i);
    resumed.step_deferred(x, y);
  }
  expect_same_weights(*straight.generator(), *resumed.generator());
  expect_same_weights(*straight.discriminator(), *resumed.discriminator());
}

// A non-finite loss cannot stop a deferred update: it is recorded, read later, and no
// checkpoint is written of the networks it left.
TEST(DeferredStep, DivergenceIsRecordedAndNotSaved) {
  using Gp = gan::presets::ConditionalWganGp;
  gan::test::TempDir dir("gan_deferred_nan");
  Gp t(small_spec(), small_options());
  auto [x, y] = batch(0);
  t.step_deferred(x, y);
  t.save(dir.path() / "good.pt");
  auto bad = x.clone();
  bad[0][0][0][0] = std::numeric_limits<float>::quiet_NaN();
  const auto s = gan::read(t.step_deferred(bad, y));
  EXPECT_FALSE(s.finite);
  EXPECT_EQ(s.diverged, "discriminator");
  EXPECT_EQ(s.step, 2);
  t.step_deferred(x, y);
  EXPECT_EQ(t.diverged_step(), 2);  // the first one, not the last
  const auto message = gan::test::error_of<gan::Error>([&] { t.save(dir.path() / "bad.pt"); });
  EXPECT_TRUE(gan::test::contains(message, "not finite at step 2")) << message;
  EXPECT_FALSE(fs::exists(dir.path() / "bad.pt"));
  t.load(dir.path() / "good.pt");
  EXPECT_EQ(t.diverged_step(), -1);
  EXPECT_EQ(t.steps(), 1);
}

TEST(DeferredStep, LabelsAreCheckedOnceByTheCaller) {
  gan::presets::ConditionalGan t(small_spec(), small_options());
  EXPECT_NO_THROW(t.check_labels(torch::tensor({0, 3, 2})));
  const auto m = gan::test::error_of<c10::ValueError>([&] { t.check_labels(torch::tensor({0, 4})); });
  EXPECT_TRUE(gan::test::contains(m, "label 4 is out of range [0, 4)")) << m;
  EXPECT_TRUE(gan::test::contains(gan::test::error_of<c10::ValueError>([&] { t.check_labels(torch::tensor({-1})); }),
                                  "label -1"));
}

// z ~ N(0, 1) conditioned on |z| <= ψ, in one pass: against the truncated normal's closed-form
// variance 1 − 2ψφ(ψ)/(2Φ(ψ) − 1), its mean 0 and its CDF at ψ/2, with no host read.
TEST(TruncatedNoise, IsTheTruncatedNormalDrawnWithoutALoop) {
  gan::presets::ConditionalGan t(gan::NetworkSpec().image_size(kSize).num_classes(2).z_dim(100));
  for (const double psi : {0.5, 1.0, 2.0}) {
    at::Tensor z;
    {
      gan::HostReads reads;
      z = t.noise(2000, psi);
      EXPECT_EQ(reads.count(), 0);
    }
    const auto v = z.to(at::kDouble).flatten();
    const double n = double(v.numel());
    EXPECT_LE(v.abs().max().item<double>(), psi);
    const double phi = std::exp(-psi * psi / 2) / std::sqrt(2 * M_PI), mass = std::erf(psi / std::sqrt(2.0));
    const double var = 1 - 2 * psi * phi / mass;
    const double mean = v.mean().item<double>(), var_hat = v.var().item<double>();
    EXPECT_NEAR(mean, 0.0, 5 * std::sqrt(var / n)) << psi;
    // The sample variance's standard error: sqrt((μ4 − σ⁴)/n), with μ4 <= ψ²σ² here.
    EXPECT_NEAR(var_hat, var, 5 * std::sqrt((psi * psi * var) / n)) << psi;
    const double cdf_half = std::erf(psi / 2 / std::sqrt(2.0)) / mass;  // P(|z| <= ψ/2)
    const double share = (v.abs() <= psi / 2).to(at::kDouble).mean().item<double>();
    EXPECT_NEAR(share, cdf_half, 5 * std::sqrt(cdf_half * (1 - cdf_half) / n)) << psi;
  }
  EXPECT_GT(t.noise(2000).abs().max().item<float>(), 2.5f);  // no truncation: the whole normal
}

// --- bf16 autocast --------------------------------------------------------------------------

// Steps both trainers on the same batches; expects their losses within tol + tol·|loss| of a's
// at every step, and returns the largest difference.
template <class T>
double largest_loss_difference(T& a, T& b, int64_t steps, double tol) {
  double worst = 0;
  for (int64_t i = 0; i < steps; ++i) {
    auto [x, y] = batch(i);
    const auto sa = a.step(x, y), sb = b.step(x, y);
    EXPECT_TRUE(sa.finite && sb.finite) << i;
    for (const auto [u, v] : {std::pair{sa.d_loss, sb.d_loss}, std::pair{sa.g_loss, sb.g_loss}}) {
      EXPECT_NEAR(v, u, tol + tol * std::abs(u)) << "step " << i;
      worst = std::max(worst, std::abs(u - v));
    }
  }
  return worst;
}

template <class T>
class Bf16Step : public ::testing::Test {};
using Bf16Variants = ::testing::Types<gan::presets::ConditionalGan, gan::presets::ConditionalWganGp,
                                      gan::presets::ConditionalSagan>;
TYPED_TEST_SUITE(Bf16Step, Bf16Variants);

// Over 10 steps from the same weights the bf16 losses stay within the stated tolerance of the
// float ones (docs/performance.md): |Δ| <= 0.05 + 0.05·|fp32 loss|. The weights and the
// optimizers' state stay float.
TYPED_TEST(Bf16Step, LossesStayNearFloat) {
  TypeParam fp32(small_spec(), small_options());
  TypeParam bf16(small_spec(), small_options().precision(gan::Precision::bf16));
  const double worst = largest_loss_difference(fp32, bf16, 10, 0.05);
  std::cout << "[bf16] largest loss difference over 10 steps: " << worst << "\n";
  EXPECT_GT(worst, 0.0);  // bf16 did run: the losses are not the float ones bit for bit
  for (const auto& p : bf16.generator()->parameters()) EXPECT_EQ(p.scalar_type(), at::kFloat);
  for (const auto& p : bf16.discriminator()->parameters()) EXPECT_EQ(p.scalar_type(), at::kFloat);
  for (const auto& b : bf16.generator()->buffers()) EXPECT_TRUE(b.scalar_type() != at::kBFloat16);
  EXPECT_FALSE(at::autocast::is_cpu_enabled());  // the scope ended
  const auto labels = torch::tensor({0, 1, 2, 3});
  EXPECT_EQ(bf16.sample(labels).scalar_type(), at::kFloat);
}

// --- channels-last --------------------------------------------------------------------------

namespace channels_last {

template <class T>
class ChannelsLastStep : public ::testing::Test {};
TYPED_TEST_SUITE(ChannelsLastStep, Bf16Variants);

bool all_4d_channels_last(torch::nn::Module& m) {
  for (const auto& p : m.parameters())
    if (p.dim() == 4 && !p.is_contiguous(at::MemoryFormat::ChannelsLast)) return false;
  return true;
}

// The channels-last step (its transposed convolutions on oneDNN) follows the contiguous one to
// float rounding over 5 steps from the same weights: |Δloss| <= 1e-4 + 1e-4·|loss| (measured:
// below 1e-5, printed), and its weights stay channels-last.
TYPED_TEST(ChannelsLastStep, FollowsTheContiguousStep) {
  TypeParam plain(small_spec(), small_options());
  TypeParam nhwc(small_spec(), small_options().channels_last(true));
  ASSERT_TRUE(all_4d_channels_last(*nhwc.generator()));
  ASSERT_TRUE(all_4d_channels_last(*nhwc.discriminator()));
  ASSERT_FALSE(all_4d_channels_last(*plain.generator()));
  const double worst = largest_loss_difference(plain, nhwc, 5, 1e-4);
  std::cout << "[channels-last] largest loss difference over 5 steps: " << worst << "\n";
  EXPECT_TRUE(all_4d_channels_last(*nhwc.generator()));
  EXPECT_TRUE(all_4d_channels_last(*nhwc.discriminator()));
  const auto labels = torch::tensor({0, 1, 2, 3});
  EXPECT_LT((plain.sample(labels) - nhwc.sample(labels)).abs().max().template item<double>(), 1e-3);
}

// A channels-last run resumes exactly from its checkpoint, and comes back channels-last.
TEST(ChannelsLastStep, ResumesExactly) {
  gan::test::TempDir dir("gan_channels_last_resume");
  const auto options = small_options().channels_last(true);
  gan::presets::ConditionalGan a(small_spec(), options);
  for (int64_t i = 0; i < 2; ++i) {
    auto [x, y] = batch(i);
    a.step(x, y);
  }
  a.save(dir.path() / "ckpt.pt");
  gan::presets::ConditionalGan b(small_spec(), options);
  b.load(dir.path() / "ckpt.pt");
  EXPECT_TRUE(all_4d_channels_last(*b.generator()));
  for (int64_t i = 2; i < 4; ++i) {
    auto [x, y] = batch(i);
    const auto sa = a.step(x, y), sb = b.step(x, y);
    EXPECT_EQ(sa.d_loss, sb.d_loss) << i;
    EXPECT_EQ(sa.g_loss, sb.g_loss) << i;
  }
  expect_same_weights(*a.generator(), *b.generator());
  expect_same_weights(*a.discriminator(), *b.discriminator());
}

}  // namespace channels_last

}  // namespace step_test

namespace step_test {

// After reuse_large_allocations a 64 MB block comes from the heap, not from a fresh mmap (glibc's
// count of mmapped blocks stays), and a second one reuses it.
TEST(ReuseLargeAllocations, ServesLargeBlocksFromTheHeap) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer has its own allocator (its mallopt takes nothing)";
#elif defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
  ASSERT_TRUE(gan::reuse_large_allocations());
  const auto mapped = [] { return mallinfo2().hblks; };
  const std::size_t before = mapped();
  auto* a = static_cast<volatile char*>(std::malloc(std::size_t{64} << 20));
  ASSERT_NE(a, nullptr);
  a[0] = 1;
  EXPECT_EQ(mapped(), before);
  std::free(const_cast<char*>(a));
  auto* b = static_cast<volatile char*>(std::malloc(std::size_t{64} << 20));
  EXPECT_EQ(b, a);
  std::free(const_cast<char*>(b));
#else
  GTEST_SKIP() << "not glibc 2.33+";
#endif
}

}  // namespace step_test

// --- the paper's step, against the paper's Python -----------------------------------------------

namespace step_test::paper_numerics {

// tests/fixtures/make_paper_step_fixtures.py's formula: element i of the tensor `name` is
// 2 frac(i phi + h(name)) - 1, h(name) = (sum of (position + 1) * code) mod 1000 / 1000.
at::Tensor pattern(const std::string& name, at::IntArrayRef shape) {
  int64_t h = 0;
  for (size_t j = 0; j < name.size(); ++j) h += static_cast<int64_t>(j + 1) * static_cast<unsigned char>(name[j]);
  const double phi = (std::sqrt(5.0) - 1) / 2;
  const auto t = at::arange(c10::multiply_integers(shape), at::kDouble) * phi + static_cast<double>(h % 1000) / 1000.0;
  return (2 * (t - t.floor()) - 1).view(shape);
}

at::Tensor value(const std::string& name, at::IntArrayRef shape) {
  const auto u = pattern(name, shape);
  if (name.ends_with("weight_u") || name.ends_with("weight_v")) return u / u.norm();
  if (name.ends_with("bn.weight")) return 1 + 0.02 * u;
  if (name.ends_with("bias")) return 0.01 * u;
  return 0.02 * std::sqrt(3.0) * u;
}

// Every weight, and spectral norm's u and v, from the formula (batch norm's running statistics
// are not read in training mode).
void set_weights(const std::string& net, torch::nn::Module& m) {
  torch::NoGradGuard no_grad;
  for (auto& p : m.named_parameters()) p.value().copy_(value(net + "." + p.key(), p.value().sizes()));
  for (auto& b : m.named_buffers())
    if (b.key().ends_with("weight_u") || b.key().ends_with("weight_v"))
      b.value().copy_(value(net + "." + b.key(), b.value().sizes()));
}

// The trainer's losses over the fixture's 20 steps, from the fixture's weights, batch and seed,
// in float64 (in float32 two implementations part within a few steps: the fixture script says why).
template <class T>
void expect_paper_losses(const std::string& variant, bool channels_last) {
  const auto f = gan::test::load_fixture("paper_step.txt");
  const auto spec = gan::NetworkSpec().image_size(96).num_classes(6).z_dim(64).layout(gan::Layout::paper96);
  T trainer(spec, gan::TrainerOptions().seed(0).channels_last(channels_last).precision(gan::Precision::fp64));
  set_weights("G", *trainer.generator());
  set_weights("D", *trainer.discriminator());
  const auto real = pattern("real", {4, 3, 96, 96});
  const auto labels = at::arange(4, at::kLong).remainder(6);
  const auto d = f.at(variant + ".d_loss"), pen = f.at(variant + ".penalty"), g = f.at(variant + ".g_loss");
  double worst = 0;
  for (int64_t i = 0; i < d.size(0); ++i) {
    const auto s = trainer.step(real, labels);
    std::vector<std::pair<double, double>> pairs{{s.d_loss, d[i].item<double>()}, {s.g_loss, g[i].item<double>()}};
    if (std::isfinite(s.penalty)) pairs.emplace_back(s.penalty, pen[i].item<double>());
    for (const auto& [ours, python] : pairs) {
      EXPECT_NEAR(ours, python, 1e-5 + 1e-5 * std::abs(python)) << variant << " step " << i;
      worst = std::max(worst, std::abs(ours - python) / (1 + std::abs(python)));
    }
  }
  std::cout << "[paper step] " << variant << (channels_last ? " channels-last" : " contiguous")
            << ": largest |ours - python| / (1 + |python|) over 20 steps: " << worst << "\n";
}

// Contiguous memory for all three; channels-last (the tool's default) for SAGAN, whose attention
// reshapes its activations (the float channels-last step is held to the contiguous one above).
TEST(PaperStep, VanillaEqualsThePapersPython) { expect_paper_losses<gan::presets::ConditionalGan>("vanilla", false); }
TEST(PaperStep, WganGpEqualsThePapersPython) {
  expect_paper_losses<gan::presets::ConditionalWganGp>("wgan-gp", false);
}
TEST(PaperStep, SaganEqualsThePapersPython) {
  expect_paper_losses<gan::presets::ConditionalSagan>("sagan", false);
  expect_paper_losses<gan::presets::ConditionalSagan>("sagan", true);
}

}  // namespace step_test::paper_numerics
