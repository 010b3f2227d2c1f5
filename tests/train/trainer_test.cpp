// The trainer: every preset learns a conditional toy problem; determinism; exact resume;
// atomic checkpoints; bad input; non-finite losses.
#include <gan/data/toy.hpp>
#include <gan/gan.hpp>

#include <gtest/gtest.h>

#include "common/errors.hpp"
#include "common/temp_dir.hpp"

#include <filesystem>
#include <fstream>
#include <set>

namespace {

namespace fs = std::filesystem;

// --- a conditional toy problem: 4 classes of 16×16 images, class k has quadrant k bright ---

constexpr int64_t kSize = 16, kClasses = 4;

std::pair<at::Tensor, at::Tensor> toy_batch(int64_t n, at::Generator& gen) {
  return gan::data::quadrant_batch(n, kSize, gen);
}
at::Tensor recognise(const at::Tensor& images) { return gan::data::quadrant_class(images); }

gan::NetworkSpec toy_spec() {
  return gan::NetworkSpec().image_size(kSize).num_classes(kClasses).z_dim(16).g_width(16).d_width(16);
}

// Per-preset settings for the toy problem.
template <class T>
struct Toy {
  static gan::TrainerOptions options() { return gan::TrainerOptions().init(gan::WeightInit::dcgan); }
  static T make() { return T(toy_spec(), options()); }
  static constexpr int steps = 300;
};
template <>
struct Toy<gan::presets::ConditionalWganGp> {
  using T = gan::presets::ConditionalWganGp;
  static T make() {
    auto o = gan::TrainerOptions().init(gan::WeightInit::dcgan).n_critic(2);
    o.g_optimizer().beta1(0.0).beta2(0.9).lr(5e-4);
    o.d_optimizer().beta1(0.0).beta2(0.9).lr(5e-4);
    return T(toy_spec(), o);
  }
  static constexpr int steps = 300;
};
template <>
struct Toy<gan::presets::ConditionalWganClip> {
  using T = gan::presets::ConditionalWganClip;
  static T make() {
    auto o = gan::TrainerOptions().init(gan::WeightInit::dcgan).n_critic(2);
    o.g_optimizer().kind(gan::OptimizerOptions::Kind::rmsprop).lr(1e-3);
    o.d_optimizer().kind(gan::OptimizerOptions::Kind::rmsprop).lr(1e-3);
    return T(toy_spec(), o, {}, {}, gan::regularizer::WeightClipping(0.05));
  }
  static constexpr int steps = 300;
};

template <class T>
class PresetLearns : public ::testing::Test {};
using Presets = gan::presets::VariantTypes<::testing::Types>;  // the one list of named variants
TYPED_TEST_SUITE(PresetLearns, Presets);

TYPED_TEST(PresetLearns, ConditionalToyProblem) {
  torch::manual_seed(0);
  auto trainer = Toy<TypeParam>::make();
  auto data = at::make_generator<at::CPUGeneratorImpl>(1);
  for (int i = 0; i < Toy<TypeParam>::steps; ++i) {
    auto [x, y] = toy_batch(32, data);
    auto s = trainer.step(x, y);
    ASSERT_TRUE(s.finite) << "step " << i << ": " << s.diverged;
  }
  auto labels = torch::arange(kClasses).repeat(50);
  auto images = trainer.sample(labels);
  const double acc = (recognise(images) == labels).to(torch::kDouble).mean().template item<double>();
  EXPECT_GE(acc, 0.9) << "only " << acc * 100 << "% of the samples show their class";
}

// --- the other conditioning strategies learn too -----------------------------------------

template <class T>
class ConditioningLearns : public ::testing::Test {};
using Conditionings = ::testing::Types<
    gan::Trainer<gan::arch::Dcgan, gan::loss::NonSaturating, gan::regularizer::None,
                 gan::conditioning::Combine<gan::conditioning::ConditionalBatchNorm,
                                            gan::conditioning::OneHotConcat>>,
    gan::Trainer<gan::arch::Dcgan, gan::loss::NonSaturating, gan::regularizer::None,
                 gan::conditioning::Combine<gan::conditioning::OneHotConcat,
                                            gan::conditioning::Projection>>,
    gan::Trainer<gan::arch::Dcgan, gan::loss::NonSaturating, gan::regularizer::None,
                 gan::conditioning::AuxiliaryClassifier>,
    gan::Trainer<gan::arch::Dcgan, gan::loss::LeastSquares, gan::regularizer::None,
                 gan::conditioning::OneHotConcat>>;
TYPED_TEST_SUITE(ConditioningLearns, Conditionings);

TYPED_TEST(ConditioningLearns, ConditionalToyProblem) {
  torch::manual_seed(0);
  TypeParam trainer(toy_spec(), gan::TrainerOptions().init(gan::WeightInit::dcgan));
  auto data = at::make_generator<at::CPUGeneratorImpl>(1);
  for (int i = 0; i < 300; ++i) {
    auto [x, y] = toy_batch(32, data);
    ASSERT_TRUE(trainer.step(x, y).finite);
  }
  auto labels = torch::arange(kClasses).repeat(50);
  const double acc =
      (recognise(trainer.sample(labels)) == labels).to(torch::kDouble).mean().template item<double>();
  EXPECT_GE(acc, 0.9);
}

// --- determinism and resume -----------------------------------------------------------------

using Gp = gan::presets::ConditionalWganGp;

gan::TrainerOptions resume_options() {
  return gan::TrainerOptions().seed(42).n_critic(2).ema_decay(0.9);
}

void train(Gp& t, int64_t from, int64_t to) {
  for (int64_t i = from; i < to; ++i) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(1000 + i);
    auto [x, y] = toy_batch(8, gen);
    t.step(x, y);
  }
}

void expect_identical(torch::nn::Module& a, torch::nn::Module& b) {
  auto pa = a.named_parameters(), pb = b.named_parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (const auto& p : pa) EXPECT_TRUE(torch::equal(p.value(), pb[p.key()])) << p.key();
  auto ba = a.named_buffers(), bb = b.named_buffers();
  for (const auto& p : ba) EXPECT_TRUE(torch::equal(p.value(), bb[p.key()])) << p.key();
}

TEST(Trainer, SameSeedSameWeightsBitForBit) {
  Gp a(toy_spec(), resume_options()), b(toy_spec(), resume_options());
  train(a, 0, 3);
  train(b, 0, 3);
  expect_identical(*a.generator(), *b.generator());
  expect_identical(*a.discriminator(), *b.discriminator());
  Gp c(toy_spec(), resume_options().seed(43));
  EXPECT_FALSE(torch::equal(c.generator()->parameters()[0], a.generator()->parameters()[0]));
}

TEST(Trainer, ResumeIsExact) {
  const auto dir = fs::temp_directory_path() / "gan_resume_test";
  fs::remove_all(dir);
  Gp straight(toy_spec(), resume_options());
  train(straight, 0, 4);
  {
    Gp first(toy_spec(), resume_options());
    train(first, 0, 2);
    first.save(dir / "ckpt.pt");
  }
  Gp resumed(toy_spec(), resume_options().seed(7));  // a different seed: the checkpoint wins
  resumed.load(dir / "ckpt.pt");
  EXPECT_EQ(resumed.steps(), 2);
  train(resumed, 2, 4);
  EXPECT_EQ(resumed.steps(), 4);
  expect_identical(*straight.generator(), *resumed.generator());
  expect_identical(*straight.discriminator(), *resumed.discriminator());
  auto labels = torch::tensor({0, 1, 2, 3});
  EXPECT_TRUE(torch::equal(straight.sample(labels), resumed.sample(labels)));  // EMA and RNG
  fs::remove_all(dir);
}

TEST(Trainer, CheckpointsAreWrittenAtomically) {
  const auto dir = fs::temp_directory_path() / "gan_atomic_test";
  fs::remove_all(dir);
  Gp t(toy_spec(), resume_options());
  const auto path = dir / "ckpt.pt";
  t.save(path);
  const auto size = fs::file_size(path);
  train(t, 0, 1);
  // Make the temporary file impossible to write: the old checkpoint must survive intact.
  fs::create_directories(path.string() + ".tmp." + std::to_string(::getpid()));
  EXPECT_ANY_THROW(t.save(path));
  EXPECT_EQ(fs::file_size(path), size);
  Gp back(toy_spec(), resume_options());
  back.load(path);
  EXPECT_EQ(back.steps(), 0);
  fs::remove_all(dir);
}

TEST(Trainer, LoadRejectsMissingAndMismatchedCheckpoints) {
  const auto dir = fs::temp_directory_path() / "gan_mismatch_test";
  fs::remove_all(dir);
  Gp t(toy_spec(), resume_options());
  try {
    t.load(dir / "nope.pt");
    FAIL();
  } catch (const c10::ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("nope.pt"), std::string::npos);
  }
  Gp other(toy_spec().g_width(8), resume_options());
  other.save(dir / "other.pt");
  try {
    t.load(dir / "other.pt", /*force=*/true);  // no force loads other shapes
    FAIL();
  } catch (const gan::IdentityMismatch& e) {
    EXPECT_NE(std::string(e.what()).find("other.pt"), std::string::npos) << e.what();
    EXPECT_FALSE(e.forceable());
  }
  std::ofstream(dir / "garbage.pt") << "not a checkpoint";
  EXPECT_THROW(t.load(dir / "garbage.pt"), gan::Error);
  fs::remove_all(dir);
}

TEST(Trainer, ACheckpointRecordsWhatItWasMadeWithAndLoadNamesEachDifference) {
  gan::test::TempDir dir("gan_identity");
  const auto path = dir.path() / "ckpt.pt";
  Gp t(toy_spec(), resume_options());
  t.set_identity({{"dataset", "100 images"}, {"option.lr", "0.0002"}});
  t.save(path);
  // What it records: every parameter's shape, the policies, the optimizers, the caller's fields.
  const auto id = gan::read_identity(path);
  auto value = [&](const std::string& key) {
    for (const auto& [k, v] : id)
      if (k == key) return v;
    return std::string("(absent)");
  };
  const auto w0 = t.generator()->named_parameters().begin()->value();
  EXPECT_EQ(value("generator." + t.generator()->named_parameters().begin()->key()),
            std::to_string(w0.size(0)) + "x" + std::to_string(w0.size(1)) + (w0.dim() > 2 ? "x" + std::to_string(w0.size(2)) : "") +
                (w0.dim() > 3 ? "x" + std::to_string(w0.size(3)) : ""));
  EXPECT_EQ(value("dataset"), "100 images");
  EXPECT_EQ(value("g_optimizer"), "adam");
  EXPECT_TRUE(gan::test::contains(value("policy.loss"), "Wasserstein")) << value("policy.loss");

  // The same settings load.
  Gp same(toy_spec(), resume_options());
  same.set_identity({{"dataset", "100 images"}, {"option.lr", "0.0002"}});
  same.load(path);
  // Other data: refused, naming the field old against new; forced, loaded.
  Gp changed(toy_spec(), resume_options());
  changed.set_identity({{"dataset", "40 images"}, {"option.lr", "0.0002"}, {"option.new", "1"}});
  try {
    changed.load(path);
    FAIL();
  } catch (const gan::IdentityMismatch& e) {
    ASSERT_EQ(e.differences().size(), 2u) << e.what();
    EXPECT_EQ(e.differences()[0], "dataset: '100 images' in the checkpoint, '40 images' now");
    EXPECT_EQ(e.differences()[1], "option.new: not in the checkpoint, '1' now");
    EXPECT_TRUE(e.forceable());
    EXPECT_TRUE(gan::test::contains(e.what(), path.string()));
  }
  changed.load(path, /*force=*/true);
  EXPECT_EQ(changed.steps(), t.steps());
  // Another optimizer: refused even forced, naming it (libtorch would fail inside its own assert).
  Gp rms(toy_spec(), resume_options().g_optimizer(gan::OptimizerOptions().kind(gan::OptimizerOptions::Kind::rmsprop)));
  rms.set_identity({{"dataset", "100 images"}, {"option.lr", "0.0002"}});
  const auto e = gan::test::error_of<gan::IdentityMismatch>([&] { rms.load(path, true); });
  EXPECT_TRUE(gan::test::contains(e, "g_optimizer: 'adam' in the checkpoint, 'rmsprop' now")) << e;
  // Another loss with the same networks: refused, naming the policy.
  gan::presets::ConditionalGan bce(toy_spec(), resume_options());
  bce.set_identity({{"dataset", "100 images"}, {"option.lr", "0.0002"}});
  const auto l = gan::test::error_of<gan::IdentityMismatch>([&] { bce.load(path); });
  EXPECT_TRUE(gan::test::contains(l, "policy.loss: '")) << l;
}

TEST(Trainer, ADamagedCheckpointIsRefused) {
  gan::test::TempDir dir("gan_identity");
  const auto path = dir.path() / "ckpt.pt";
  Gp t(toy_spec(), resume_options());
  t.save(path);
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(std::streamoff(fs::file_size(path) / 2));
  f.write("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 10);
  f.close();
  Gp back(toy_spec(), resume_options());
  const auto e = gan::test::error_of<gan::io::ChecksumError>([&] { back.load(path); });
  EXPECT_TRUE(gan::test::contains(e, "is damaged")) << e;
}

// --- bad input ---------------------------------------------------------------------------

TEST(Trainer, RejectsBadInput) {
  Gp t(toy_spec(), resume_options());
  auto x = torch::zeros({4, 3, kSize, kSize});
  auto y = torch::tensor({0, 1, 2, 3});
  auto message = [&](const at::Tensor& xi, const at::Tensor& yi) {
    return gan::test::error_of<c10::ValueError>([&] { t.step(xi, yi); });
  };
  EXPECT_NE(message(torch::zeros({4, 3, 32, 32}), y).find("[4, 3, 32, 32]"), std::string::npos);
  EXPECT_NE(message(torch::zeros({4, 1, kSize, kSize}), y).find("expected real images"), std::string::npos);
  EXPECT_NE(message(x, torch::tensor({0, 1, 2, 4})).find("label 4 is out of range [0, 4)"),
            std::string::npos);
  EXPECT_NE(message(x, torch::tensor({0, -1, 2, 3})).find("label -1"), std::string::npos);
  EXPECT_NE(message(x, torch::tensor({0, 1, 2})).find("4 images but 3 labels"), std::string::npos);
  EXPECT_NE(message(x, torch::zeros({4})).find("integer labels"), std::string::npos);
  EXPECT_THROW(Gp(toy_spec().num_classes(0)), c10::ValueError);
  EXPECT_THROW(Gp(toy_spec(), gan::TrainerOptions().n_critic(0)), c10::ValueError);
  EXPECT_THROW(t.sample(torch::tensor({5})), c10::ValueError);
  EXPECT_EQ(t.steps(), 0);
}

TEST(Trainer, NonFiniteLossIsReportedAndNotApplied) {
  Gp t(toy_spec(), resume_options());
  auto before = t.discriminator()->parameters()[0].clone();
  auto x = torch::zeros({4, 3, kSize, kSize});
  x[0][0][0][0] = std::numeric_limits<float>::quiet_NaN();
  auto s = t.step(x, torch::tensor({0, 1, 2, 3}));
  EXPECT_FALSE(s.finite);
  EXPECT_EQ(s.diverged, "discriminator");
  EXPECT_EQ(t.steps(), 0);
  EXPECT_TRUE(torch::equal(before, t.discriminator()->parameters()[0]));
}

TEST(Trainer, StepReportsItsFigures) {
  auto data = at::make_generator<at::CPUGeneratorImpl>(3);
  auto [x, y] = toy_batch(8, data);
  Gp gp(toy_spec(), resume_options());
  auto s = gp.step(x, y);
  EXPECT_EQ(s.step, 1);
  EXPECT_TRUE(std::isfinite(s.penalty) && s.penalty >= 0);
  EXPECT_TRUE(std::isfinite(s.grad_norm) && s.grad_norm > 0);
  EXPECT_TRUE(std::isfinite(s.wasserstein));
  EXPECT_NEAR(s.d_loss, -s.wasserstein, 1e-5);  // the critic's Wasserstein loss
  gan::presets::ConditionalGan bce(toy_spec());
  auto b = bce.step(x, y);
  EXPECT_TRUE(std::isnan(b.penalty) && std::isnan(b.grad_norm) && std::isnan(b.wasserstein));
  EXPECT_GT(b.d_loss, 0);
  EXPECT_GT(b.g_loss, 0);
}

TEST(Trainer, WeightClippingBoundsHoldAfterEveryStep) {
  gan::presets::ConditionalWganClip t(toy_spec(), gan::TrainerOptions().n_critic(2), {}, {},
                                      gan::regularizer::WeightClipping(0.02));
  auto data = at::make_generator<at::CPUGeneratorImpl>(4);
  for (int i = 0; i < 3; ++i) {
    auto [x, y] = toy_batch(8, data);
    t.step(x, y);
    for (auto& p : t.discriminator()->parameters())
      ASSERT_LE(p.abs().max().item<double>(), 0.02 + 1e-9);
  }
}

TEST(Trainer, TruncatedNoiseStaysWithinPsi) {
  Gp t(toy_spec());
  auto z = t.noise(500, 0.5);
  EXPECT_LE(z.abs().max().item<float>(), 0.5f);
  EXPECT_GT(t.noise(500).abs().max().item<float>(), 1.0f);
}

// --- the paper's weight init and generator step ---------------------------------------------

// Mean and standard deviation of the values of `ts`, in float64.
std::pair<double, double> moments(const std::vector<at::Tensor>& ts) {
  auto v = at::cat([&] {
    std::vector<at::Tensor> flat;
    for (const auto& t : ts) flat.push_back(t.detach().flatten().to(at::kDouble));
    return flat;
  }());
  return {v.mean().item<double>(), v.std().item<double>()};
}

TEST(Trainer, PaperInitIsTrainPyWeightsInit) {
  // train.py:120-125: conv and transposed-conv weights N(0, 0.02), BatchNorm weights
  // N(1, 0.02), biases 0; the attention blocks' spectrally normalised 1x1 convs are never
  // touched, so they keep PyTorch's default (kaiming-uniform, a = sqrt(5): std 1/sqrt(3 fan_in)).
  gan::presets::ConditionalSaganS t(
      gan::NetworkSpec().image_size(32).num_classes(3).g_width(32).d_width(32),
      gan::TrainerOptions().seed(1));
  std::vector<at::Tensor> conv, bn_w, bn_b;
  std::vector<std::pair<at::Tensor, int64_t>> attention;  // weight, fan-in
  for (auto* net : {static_cast<torch::nn::Module*>(t.generator().get()),
                    static_cast<torch::nn::Module*>(t.discriminator().get())}) {
    std::set<const torch::nn::Module*> in_attention;
    for (const auto& m : net->modules()) {
      if (!dynamic_cast<gan::nn::SelfAttentionImpl*>(m.get())) continue;
      for (const auto& sub : m->modules()) in_attention.insert(sub.get());
      for (const auto& p : m->named_parameters())
        if (p.value().dim() == 4) attention.emplace_back(p.value(), p.value()[0].numel());
    }
    for (const auto& m : net->modules()) {
      if (in_attention.count(m.get())) continue;
      if (auto* c = dynamic_cast<torch::nn::Conv2dImpl*>(m.get())) conv.push_back(c->weight);
      if (auto* c = dynamic_cast<torch::nn::ConvTranspose2dImpl*>(m.get())) conv.push_back(c->weight);
      if (auto* b = dynamic_cast<torch::nn::BatchNorm2dImpl*>(m.get())) {
        bn_w.push_back(b->weight);
        bn_b.push_back(b->bias);
      }
    }
  }
  ASSERT_FALSE(conv.empty());
  ASSERT_FALSE(bn_w.empty());
  ASSERT_EQ(attention.size(), 8u);  // model S: one block in G, one in D, four convs each
  const auto [cm, cs] = moments(conv);
  EXPECT_NEAR(cm, 0.0, 0.002);
  EXPECT_NEAR(cs, 0.02, 0.001);
  const auto [wm, ws] = moments(bn_w);
  EXPECT_NEAR(wm, 1.0, 0.005) << "BatchNorm weights start near 1, as train.py:124";
  EXPECT_NEAR(ws, 0.02, 0.004);
  for (const auto& b : bn_b) EXPECT_EQ(b.abs().max().item<double>(), 0.0);
  for (const auto& [w, fan_in] : attention) {
    const double expected = 1.0 / std::sqrt(3.0 * double(fan_in));
    EXPECT_NEAR(moments({w}).second, expected, 0.25 * expected) << "an attention conv was re-drawn";
  }
}

// Attention blocks in a network, and how many of them are spectrally normalised (each of
// their four convs holds the power iteration's `weight_u`).
std::pair<int, int> attention_blocks(torch::nn::Module& net) {
  int blocks = 0, normalised = 0;
  for (const auto& m : net.modules())
    if (dynamic_cast<gan::nn::SelfAttentionImpl*>(m.get())) {
      ++blocks;
      int u = 0;
      for (const auto& b : m->named_buffers())
        if (b.key().size() >= 8 && b.key().compare(b.key().size() - 8, 8, "weight_u") == 0) ++u;
      normalised += u == 4;  // theta, phi, g, o: as models.py:12-15
    }
  return {blocks, normalised};
}

TEST(Presets, OneListOfNamedVariants) {
  EXPECT_EQ(gan::presets::variant_names(),
            (std::vector<std::string>{"vanilla", "wgan", "wgan-clip", "wgan-gp", "sagan", "sagan-s", "sagan-hinge"}));
  EXPECT_EQ(gan::presets::name_of<gan::presets::ConditionalWganClip>(), "wgan-clip");
  EXPECT_EQ(gan::presets::name_of<gan::presets::ConditionalSaganHinge>(), "sagan-hinge");
  const auto spec = gan::NetworkSpec().image_size(16).num_classes(2).g_width(8).d_width(8);
  // visit finds the preset by name; make gives it the run-time constraint options.
  const double c = gan::presets::visit("wgan-clip", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, gan::presets::ConditionalWganClip>)
      return gan::presets::make<T>(spec, {}, {.clip_value = 0.03}).constraint().clip_value;
    else
      return -1.0;
  });
  EXPECT_EQ(c, 0.03);
  const double w = gan::presets::visit("wgan-gp", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<typename T::Constraint, gan::regularizer::GradientPenalty>)
      return gan::presets::make<T>(spec, {}, {.gp_weight = 12}).constraint().weight;
    else
      return -1.0;
  });
  EXPECT_EQ(w, 12);
  try {
    gan::presets::visit("gan9", [](auto) { return 0; });
    ADD_FAILURE() << "no throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("unknown variant 'gan9' (one of: vanilla, wgan,"), std::string::npos) << e.what();
  }
}

TEST(Presets, ModelRHasOneAttentionBlockAndModelSTwo) {
  const auto spec = gan::NetworkSpec().image_size(32).num_classes(3).g_width(32).d_width(32);
  gan::presets::ConditionalSagan r(spec);
  gan::presets::ConditionalSaganS s(spec);
  EXPECT_EQ(attention_blocks(*r.generator()), std::make_pair(1, 1));
  EXPECT_EQ(attention_blocks(*r.discriminator()), std::make_pair(0, 0));
  EXPECT_EQ(attention_blocks(*s.generator()), std::make_pair(1, 1));
  EXPECT_EQ(attention_blocks(*s.discriminator()), std::make_pair(1, 1));
  // The paper's 96x96 networks take the same blocks (G's block 2 is 10x10, D's 24x24).
  const auto paper = gan::NetworkSpec().image_size(96).num_classes(6).layout(gan::Layout::paper96);
  gan::presets::ConditionalSaganS s96(paper);
  EXPECT_EQ(attention_blocks(*s96.generator()), std::make_pair(1, 1));
  EXPECT_EQ(attention_blocks(*s96.discriminator()), std::make_pair(1, 1));
  EXPECT_EQ(s96.sample(torch::tensor({0, 5})).sizes(), (std::vector<int64_t>{2, 3, 96, 96}));
  // Per network, as the spec says.
  gan::presets::ConditionalSagan d_only(gan::NetworkSpec(spec).g_attention_at(std::vector<int64_t>{}).d_attention_at(std::vector<int64_t>{1}));
  EXPECT_EQ(attention_blocks(*d_only.generator()).first, 0);
  EXPECT_EQ(attention_blocks(*d_only.discriminator()).first, 1);
}

// D's scores of G(z) and of `real`: G as it was before the step, D as the step left it.
template <class T>
std::pair<at::Tensor, at::Tensor> scores_on(T& before, T& after, const at::Tensor& z, const at::Tensor& real,
                                            const at::Tensor& y) {
  torch::NoGradGuard no_grad;
  before.generator()->train();
  after.discriminator()->train();
  const auto one_hot = torch::nn::functional::one_hot(y, kClasses).to(at::kFloat);
  const auto planes = one_hot.view({-1, kClasses, 1, 1}).expand({-1, kClasses, kSize, kSize});
  const auto fake = before.generator()->forward(at::cat({z, one_hot}, 1), y);
  return {after.discriminator()->forward(at::cat({fake, planes}, 1), y).score,
          after.discriminator()->forward(at::cat({real, planes}, 1), y).score};
}

// G's loss on the noise `z` (BCE against ones).
double generator_loss_on(gan::presets::ConditionalGan& before, gan::presets::ConditionalGan& after,
                         const at::Tensor& z, const at::Tensor& y) {
  const auto real = torch::zeros({y.size(0), 3, kSize, kSize});
  return at::softplus(-scores_on(before, after, z, real, y).first).mean().item<double>();
}

// RaGAN (Jolicoeur-Martineau 2019), written as a user writes a loss: one struct, no trainer
// edit. Its generator term reads D(real).
struct RelativisticAverageBce {
  at::Tensor discriminator_loss(const at::Tensor& real, const at::Tensor& fake) const {
    return (at::softplus(-(real - fake.mean())).mean() + at::softplus(fake - real.mean()).mean()) * 0.5;
  }
  at::Tensor generator_loss(const at::Tensor& fake, const at::Tensor& real) const {
    return (at::softplus(-(fake - real.mean())).mean() + at::softplus(real - fake.mean()).mean()) * 0.5;
  }
};
static_assert(gan::loss::RelativisticLoss<RelativisticAverageBce>);
static_assert(!gan::loss::RelativisticLoss<gan::loss::NonSaturating>);

TEST(Trainer, ARelativisticLossSeesDRealInTheGeneratorStep) {
  using Ragan = gan::Trainer<gan::arch::Dcgan, RelativisticAverageBce, gan::regularizer::None,
                             gan::conditioning::OneHotConcat>;
  const auto o = gan::TrainerOptions().seed(8);
  Ragan before(toy_spec(), o), stepped(toy_spec(), o);
  auto data = at::make_generator<at::CPUGeneratorImpl>(4);
  auto [x, y] = toy_batch(8, data);
  const double g_loss = stepped.step(x, y).g_loss;
  auto rng = at::make_generator<at::CPUGeneratorImpl>(8);
  at::randn({8, 16}, rng, at::TensorOptions(at::kFloat));  // the critic step's draw
  const auto z2 = at::randn({8, 16}, rng, at::TensorOptions(at::kFloat));
  const auto [fake, real] = scores_on(before, stepped, z2, x, y);
  // The closed form, written out: the fakes must look more real than the average real.
  const double expected = 0.5 * (at::softplus(-(fake - real.mean())).mean().item<double>() +
                                 at::softplus(real - fake.mean()).mean().item<double>());
  EXPECT_NEAR(g_loss, expected, 1e-5);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(stepped.step(x, y).finite);
}

// A new attention, written as a user writes one: a module and a factory, no trainer or
// network edit. A learnable gate on the block's input.
struct GatedIdentityImpl : torch::nn::Cloneable<GatedIdentityImpl> {
  explicit GatedIdentityImpl(int64_t channels) : channels(channels) { reset(); }
  void reset() override { gate = register_parameter("gate", torch::zeros({1, channels, 1, 1})); }
  torch::Tensor forward(const torch::Tensor& x) { return x * (2 * torch::sigmoid(gate)); }
  int64_t channels;
  torch::Tensor gate;
};
TORCH_MODULE(GatedIdentity);

TEST(Trainer, AttentionIsAnOption) {
  auto count = [](torch::nn::Module& net, auto* type) {
    int n = 0;
    for (const auto& m : net.modules()) n += dynamic_cast<std::remove_pointer_t<decltype(type)>*>(m.get()) != nullptr;
    return n;
  };
  auto spec = toy_spec().g_attention_at(std::vector<int64_t>{1}).d_attention_at(std::vector<int64_t>{1});
  gan::presets::ConditionalSagan se(gan::NetworkSpec(spec).attention(gan::nn::channel_attention(4)));
  EXPECT_EQ(count(*se.generator(), (gan::nn::ChannelAttentionImpl*)nullptr), 1);
  EXPECT_EQ(count(*se.discriminator(), (gan::nn::ChannelAttentionImpl*)nullptr), 1);
  EXPECT_EQ(count(*se.generator(), (gan::nn::SelfAttentionImpl*)nullptr), 0);
  gan::presets::ConditionalSagan mine(gan::NetworkSpec(spec).attention(
      [](int64_t channels, bool) { return torch::nn::AnyModule(GatedIdentity(channels)); }));
  EXPECT_EQ(count(*mine.generator(), (GatedIdentityImpl*)nullptr), 1);
  auto data = at::make_generator<at::CPUGeneratorImpl>(2);
  auto [x, y] = toy_batch(8, data);
  const auto before = mine.generator()->named_parameters()["blocks.1.gate"].clone();
  for (auto* t : {&se, &mine}) ASSERT_TRUE(t->step(x, y).finite);
  EXPECT_FALSE(torch::equal(before, mine.generator()->named_parameters()["blocks.1.gate"])) << "the gate learns";
}

// A new conditioning with its own network part, written as a user writes one: a term of the
// discriminator (a learned bias per class added to the score) and a policy that brings it. No
// trainer, architecture or network edit.
struct ClassBiasTermImpl : gan::nn::DiscriminatorTermImpl {
  explicit ClassBiasTermImpl(const gan::nn::TermShape& s) { bias = register_parameter("bias", torch::zeros({s.num_classes})); }
  void apply(const torch::Tensor&, const torch::Tensor& labels, gan::nn::CriticOutput& out) override {
    out.score = out.score + bias.index_select(0, labels).unsqueeze(1);
  }
  torch::Tensor bias;
};
struct ClassBias : gan::conditioning::Base {
  std::vector<gan::nn::DiscriminatorTerm> discriminator_terms() const {
    return {{"class_bias", [](const gan::nn::TermShape& s) { return std::make_shared<ClassBiasTermImpl>(s); }}};
  }
};
static_assert(gan::conditioning::HasDiscriminatorTerms<ClassBias>);
static_assert(!gan::conditioning::HasDiscriminatorTerms<gan::conditioning::OneHotConcat>);
// An architecture without the hooks' overloads: the trainer refuses it for ClassBias at compile
// time (a static_assert in the trainer), rather than training a discriminator without the term.
struct PlainOnly {
  gan::nn::Generator make_generator(const gan::NetworkSpec& s) const { return gan::arch::Dcgan().make_generator(s); }
  gan::nn::Discriminator make_discriminator(const gan::NetworkSpec& s) const { return gan::arch::Dcgan().make_discriminator(s); }
};
static_assert(gan::Architecture<PlainOnly> && !gan::TakesDiscriminatorHooks<PlainOnly>);
static_assert(gan::TakesDiscriminatorHooks<gan::arch::Dcgan> && gan::TakesGeneratorHooks<gan::arch::Sagan>);

TEST(Trainer, AConditioningBringsItsOwnDiscriminatorTerm) {
  gan::Trainer<gan::arch::Dcgan, gan::loss::NonSaturating, gan::regularizer::None, ClassBias> t(toy_spec());
  auto d = t.discriminator();
  auto params = d->named_parameters();
  ASSERT_TRUE(params.contains("class_bias.bias"));
  {
    torch::NoGradGuard no_grad;
    params["class_bias.bias"].copy_(torch::arange(double(kClasses)).to(torch::kFloat) * 0.5);
  }
  const auto before = params["class_bias.bias"].clone();
  d->eval();
  auto data = at::make_generator<at::CPUGeneratorImpl>(6);
  auto [x, y] = toy_batch(4, data);
  const auto y0 = torch::zeros({4}, torch::kLong), y1 = torch::ones({4}, torch::kLong);
  torch::Tensor diff;
  {
    torch::NoGradGuard no_grad;
    diff = d->forward(x.to(torch::kFloat), y1).score - d->forward(x.to(torch::kFloat), y0).score;
  }
  // Same image, another label: the score moves by exactly b[1] - b[0].
  EXPECT_TRUE(torch::allclose(diff, torch::full_like(diff, 0.5), 1e-6, 1e-6));
  d->train();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(t.step(x, y).finite);
  EXPECT_FALSE(torch::equal(before, d->named_parameters()["class_bias.bias"])) << "the term's parameters are D's: optimised";
}

// An architecture that owns its weight init: the trainer calls it and nothing else.
struct ConstantInitDcgan : gan::arch::Dcgan {
  void init_weights(torch::nn::Module& net, gan::WeightInit) const {
    torch::NoGradGuard no_grad;
    for (auto& p : net.parameters()) p.fill_(0.01);
  }
};

TEST(Trainer, TheArchitectureOwnsItsWeightInit) {
  gan::Trainer<ConstantInitDcgan, gan::loss::NonSaturating, gan::regularizer::None, gan::conditioning::OneHotConcat> t(
      toy_spec());
  for (auto* net : {static_cast<torch::nn::Module*>(t.generator().get()),
                    static_cast<torch::nn::Module*>(t.discriminator().get())})
    for (const auto& p : net->named_parameters()) EXPECT_TRUE((p.value() == 0.01f).all().item<bool>()) << p.key();
}

TEST(Trainer, GeneratorStepDrawsFreshNoiseAsThePaperOrReusesTheCriticFakes) {
  for (const bool reuse : {false, true}) {
    const auto o = gan::TrainerOptions().seed(5).reuse_fakes(reuse);
    gan::presets::ConditionalGan before(toy_spec(), o), stepped(toy_spec(), o);
    auto data = at::make_generator<at::CPUGeneratorImpl>(3);
    auto [x, y] = toy_batch(8, data);
    const double g_loss = stepped.step(x, y).g_loss;
    // The trainer's noise stream: the critic step's draw first, then the generator step's.
    auto rng = at::make_generator<at::CPUGeneratorImpl>(5);
    const auto z1 = at::randn({8, 16}, rng, at::TensorOptions(at::kFloat));
    const auto z2 = at::randn({8, 16}, rng, at::TensorOptions(at::kFloat));
    const double on_z1 = generator_loss_on(before, stepped, z1, y);
    const double on_z2 = generator_loss_on(before, stepped, z2, y);
    ASSERT_GT(std::abs(on_z1 - on_z2), 1e-4);
    EXPECT_NEAR(g_loss, reuse ? on_z1 : on_z2, 1e-5) << "reuse_fakes " << reuse;
  }
}

}  // namespace
