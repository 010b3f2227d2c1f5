// Augmentation policies of the trainer (gan/augment/): DiffAugment's ops against the authors'
// code (fixtures/make_augment_fixtures.py), gradients through every op, ADA's p against its
// closed form, and the trainer with each policy: every D call augmented, p rising on a set D
// overfits, exact resume.
#include <gan/augment/dynamic.hpp>
#include <gan/data/toy.hpp>
#include <gan/gan.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace {

namespace fs = std::filesystem;
namespace aug = gan::augment;

std::map<std::string, at::Tensor> read_blocks(const std::string& name) {
  const std::string file = std::string(GAN_TEST_FIXTURES) + "/augment/" + name;
  std::ifstream in(file);
  EXPECT_TRUE(in) << "cannot read " << file;
  std::map<std::string, at::Tensor> out;
  for (std::string header, values; std::getline(in, header) && std::getline(in, values);) {
    std::istringstream h(header), v(values);
    std::string key;
    h >> key;
    std::vector<int64_t> shape;
    for (int64_t d; h >> d;) shape.push_back(d);
    std::vector<double> data;
    for (double x; v >> x;) data.push_back(x);
    out[key] = at::tensor(data, at::kDouble).view(shape);
  }
  return out;
}

TEST(DiffAugment, OpsMatchTheAuthorsCode) {
  auto f = read_blocks("diffaugment.txt");
  ASSERT_EQ(f.size(), 13u);
  const auto& x = f["x"];
  EXPECT_TRUE(at::allclose(aug::brightness(x, f["brightness_r"]), f["brightness"], 0, 1e-12));
  EXPECT_TRUE(at::allclose(aug::saturation(x, f["saturation_r"]), f["saturation"], 0, 1e-12));
  EXPECT_TRUE(at::allclose(aug::contrast(x, f["contrast_r"]), f["contrast"], 0, 1e-12));
  EXPECT_TRUE(at::equal(aug::translation(x, f["translation_x"].to(at::kLong), f["translation_y"].to(at::kLong)),
                        f["translation"]));
  EXPECT_TRUE(at::equal(aug::cutout(x, f["cutout_x"].to(at::kLong), f["cutout_y"].to(at::kLong)), f["cutout"]));
  EXPECT_THROW(aug::DiffAugment("color,zoom"), std::invalid_argument);
}

/// The augmentation with the same draws is linear (affine) in x: its gradient along v equals the
/// finite difference, exactly up to rounding, and is not zero.
template <class Policy>
void expect_gradient_flows(const Policy& policy, const std::string& what) {
  torch::manual_seed(4);
  const auto x = at::rand({6, 3, 16, 16}, at::kDouble) * 2 - 1, v = at::randn({6, 3, 16, 16}, at::kDouble);
  const auto w = at::randn({6, 3, 16, 16}, at::kDouble);
  auto rng = at::make_generator<at::CPUGeneratorImpl>(9);
  const auto state = rng.get_state();
  auto xg = x.clone().requires_grad_(true);
  (policy(xg, rng) * w).sum().backward();
  const double along = (xg.grad() * v).sum().item<double>();
  const auto at_shift = [&](double eps) {
    rng.set_state(state);
    return (policy(x + eps * v, rng) * w).sum().template item<double>();
  };
  const double fd = (at_shift(1e-3) - at_shift(-1e-3)) / 2e-3;
  EXPECT_NEAR(along, fd, 1e-8 * std::max(1.0, std::abs(fd))) << what;
  EXPECT_GT(xg.grad().abs().sum().item<double>(), 0) << what;
}

TEST(Augmentation, GradientsFlowThroughEveryOp) {
  for (const char* ops : {"color", "translation", "cutout", "color,translation,cutout"})
    expect_gradient_flows(aug::DiffAugment(ops), std::string("DiffAugment ") + ops);
  expect_gradient_flows(aug::Ada({.initial_p = 1}), "ADA at p = 1");
  expect_gradient_flows(aug::Ada({.initial_p = 0.5}), "ADA at p = 0.5");
}

// ADA's colour ops on grey images, by closed form: a constant grey image g·(1, 1, 1) stays
// constant under the geometry, stays grey under brightness and contrast, (g + b)·k, is fixed by
// hue and saturation (both keep the luma axis), and the luma flip I − 2vvᵀ negates it. So at
// p = 1 the sign of the output is negated for about half the images (floor(2u)), and at p = 0.5
// for a quarter; b ~ N(0, 0.2) < -g = -0.5 alone flips the sign for 0.6% of them.
TEST(Ada, LumaFlipNegatesGreyImagesAtItsRate) {
  const int64_t n = 4000;
  const auto grey = at::full({n, 3, 8, 8}, 0.5);
  for (const double p : {1.0, 0.5}) {
    auto rng = at::make_generator<at::CPUGeneratorImpl>(11);
    const auto y = aug::ada_pipeline(grey, p, rng);
    // Still grey and constant: the channels equal each other and every pixel the first.
    EXPECT_LT((y - y.select(1, 0).unsqueeze(1)).abs().max().item<double>(), 1e-5) << "p " << p;
    EXPECT_LT((y - y.narrow(2, 0, 1).narrow(3, 0, 1)).abs().max().item<double>(), 1e-5) << "p " << p;
    const double negative = (y.select(1, 0).select(1, 0).select(1, 0) < 0).to(at::kDouble).mean().item<double>();
    const double expected = p / 2;  // about 0.6% more from a brightness below -0.5: within the bounds
    EXPECT_NEAR(negative, expected, 0.04) << "p " << p;
  }
}

TEST(Ada, PFollowsTheSignOfDRealByItsClosedForm) {
  aug::Ada ada({.target = 0.6, .interval = 4, .kimg = 1});
  const auto sure = at::full({16}, 2.0), unsure = at::tensor({1.0, -1.0, 1.0, -1.0});
  // Overfitting (every sign +1 > 0.6): +64 / 1000 per adjustment, one every 4 steps.
  for (int i = 0; i < 8; ++i) ada.observe(sure);
  EXPECT_NEAR(ada.probability(), 2 * 64.0 / 1000, 1e-15);
  EXPECT_DOUBLE_EQ(ada.heuristic(), 1.0);
  for (int i = 0; i < 3; ++i) ada.observe(sure);
  EXPECT_NEAR(ada.probability(), 0.128, 1e-15);  // no adjustment between intervals
  ada.observe(sure);
  EXPECT_NEAR(ada.probability(), 0.192, 1e-15);
  // A discriminator that is not sure (r_t = 0 < 0.6): p falls by 16 / 1000 each time, to 0.
  for (int i = 0; i < 4 * 20; ++i) ada.observe(unsure);
  EXPECT_EQ(ada.probability(), 0);
  EXPECT_DOUBLE_EQ(ada.heuristic(), 0.0);
  // p = 0 augments nothing.
  auto rng = at::make_generator<at::CPUGeneratorImpl>(1);
  const auto x = at::rand({2, 3, 8, 8});
  EXPECT_TRUE(at::equal(ada(x, rng), x));
}

// --- in the trainer -----------------------------------------------------------------------

gan::NetworkSpec spec() { return gan::NetworkSpec().image_size(16).num_classes(2).z_dim(8).g_width(8).d_width(8); }

/// Records what the discriminator is given.
struct Recorder {
  std::shared_ptr<int> calls = std::make_shared<int>(0);
  at::Tensor operator()(const at::Tensor& x, at::Generator&) const {
    ++*calls;
    return x;
  }
};

TEST(Augmentation, EveryDiscriminatorCallIsAugmented) {
  // WGAN-GP, 2 critic steps: per critic step D(real), D(fake) and D(interpolates); then D(fake)
  // in the generator step: 2 * 3 + 1 = 7 calls a step.
  using T = gan::presets::ConditionalWganGp::WithAugmentation<Recorder>;
  Recorder r;
  T t(spec(), gan::TrainerOptions().n_critic(2), {}, {}, gan::regularizer::GradientPenalty(10), {}, r);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(2);
  auto [x, y] = gan::data::quadrant_batch(8, 16, gen);
  t.step(x, y.remainder(2));
  EXPECT_EQ(*r.calls, 7);
}

using AdaGan = gan::presets::ConditionalGan::WithAugmentation<aug::Ada>;

TEST(Ada, PRisesWhenDOverfitsATinySet) {
  // Eight images, seen again and again: D grows sure of them and p rises from 0.
  AdaGan t(spec(), gan::TrainerOptions().seed(1), {}, {}, {}, {}, aug::Ada({.interval = 2, .kimg = 0.05}));
  auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
  auto [x, y] = gan::data::quadrant_batch(8, 16, gen);
  y = y.remainder(2);
  double most = 0;
  for (int i = 0; i < 80; ++i) {
    const auto s = t.step(x, y);
    ASSERT_TRUE(s.finite);
    EXPECT_EQ(s.augment_p, t.augmentation().probability());
    most = std::max(most, s.augment_p);
  }
  EXPECT_GT(most, 0.2) << "p stayed at " << t.augmentation().probability();
}

TEST(Ada, ResumeIsExact) {
  const auto dir = fs::temp_directory_path() / "gan_ada_resume_test";
  fs::remove_all(dir);
  const aug::Ada ada({.interval = 3, .kimg = 0.05, .initial_p = 0.3});
  const auto opts = gan::TrainerOptions().seed(5).ema_decay(0.9);
  auto batch = [](int64_t i) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(100 + i);
    auto [x, y] = gan::data::quadrant_batch(8, 16, gen);
    return std::pair{x, y.remainder(2)};
  };
  AdaGan straight(spec(), opts, {}, {}, {}, {}, ada);
  for (int64_t i = 0; i < 8; ++i) straight.step(batch(i).first, batch(i).second);
  {
    AdaGan first(spec(), opts, {}, {}, {}, {}, ada);
    for (int64_t i = 0; i < 4; ++i) first.step(batch(i).first, batch(i).second);  // mid-interval
    first.save(dir / "ckpt.pt");
  }
  AdaGan resumed(spec(), opts, {}, {}, {}, {}, aug::Ada({.interval = 3, .kimg = 0.05}));
  resumed.load(dir / "ckpt.pt");
  for (int64_t i = 4; i < 8; ++i) resumed.step(batch(i).first, batch(i).second);
  EXPECT_EQ(resumed.augmentation().probability(), straight.augmentation().probability());
  EXPECT_NE(straight.augmentation().probability(), 0.3);  // p moved
  for (const auto& p : straight.generator()->named_parameters())
    EXPECT_TRUE(at::equal(p.value(), resumed.generator()->named_parameters()[p.key()])) << p.key();
  const auto labels = at::tensor({0, 1}, at::kLong);
  EXPECT_TRUE(at::equal(straight.sample(labels), resumed.sample(labels)));
  fs::remove_all(dir);
}

TEST(Augmentation, ChosenAtRunTime) {
  using T = gan::presets::ConditionalGan::WithAugmentation<aug::Dynamic>;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(2);
  auto [x, y] = gan::data::quadrant_batch(8, 16, gen);
  y = y.remainder(2);
  // "none" trains exactly as the trainer without augmentation.
  gan::presets::ConditionalGan plain(spec(), gan::TrainerOptions().seed(3));
  T none(spec(), gan::TrainerOptions().seed(3), {}, {}, {}, {}, aug::Dynamic::none());
  T diff(spec(), gan::TrainerOptions().seed(3), {}, {}, {}, {}, aug::Dynamic::diffaugment("color,translation,cutout"));
  for (int i = 0; i < 3; ++i) plain.step(x, y), none.step(x, y), diff.step(x, y);
  for (const auto& p : plain.generator()->named_parameters()) {
    EXPECT_TRUE(at::equal(p.value(), none.generator()->named_parameters()[p.key()])) << p.key();
    EXPECT_FALSE(at::equal(p.value(), diff.generator()->named_parameters()[p.key()])) << p.key();
  }
  EXPECT_TRUE(std::isnan(none.augmentation().probability()));
}

}  // namespace
