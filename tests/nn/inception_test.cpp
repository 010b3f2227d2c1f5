// pytorch-fid's FID Inception-v3 against the Python network
// (tests/fixtures/make_inception_fixtures.py: torchvision's Inception3 with pytorch-fid's patched
// blocks, seeded random weights), stage by stage; the FID input pipeline, the PNG quantisation, the
// weight loader and the weight finder.
#include <gan/metrics/fid_inception.hpp>
#include <gan/nn/inception.hpp>

#include <gtest/gtest.h>

#include "common/errors.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

namespace fs = std::filesystem;
const fs::path kInceptionDir = fs::path(GAN_TEST_FIXTURES) / "inception";
const fs::path kWeights = fs::path(GAN_TEST_BUILT_FIXTURES) / "inception/weights.pth";  // weights.tar.xz, unpacked by CMake

const std::vector<std::string> kStages = {
    "Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "maxpool1", "Conv2d_3b_1x1",
    "Conv2d_4a_3x3", "maxpool2",      "Mixed_5b",      "Mixed_5c", "Mixed_5d",
    "Mixed_6a",      "Mixed_6b",      "Mixed_6c",      "Mixed_6d", "Mixed_6e",
    "Mixed_7a",      "Mixed_7b",      "Mixed_7c",      "pool3"};

const std::map<std::string, torch::Tensor>& refs() {
  static const auto r = gan::io::load_pth(kInceptionDir / "references.pth");
  return r;
}
const torch::Tensor& reference(const std::string& key) {
  auto it = refs().find(key);
  if (it == refs().end()) throw std::runtime_error("references.pth has no " + key);
  return it->second;
}

// The network loaded once with the library's loader (every name and shape checked).
gan::nn::FidInception& net() {
  static gan::nn::FidInception n = gan::metrics::load_fid_inception(kWeights);
  return n;
}

// The fixture's layer-by-layer input: input.base tiled over [2, 3, 299, 299] (an exact copy).
torch::Tensor layer_input() {
  const auto& base = reference("input.base");
  const int64_t n = 2 * 3 * 299 * 299;
  return base.repeat({n / base.numel() + 1}).slice(0, 0, n).view({2, 3, 299, 299}).contiguous();
}

using gan::test::contains;
using gan::test::error_of;

TEST(FidInception, KeysAndShapesEqualPytorchFidInOrder) {
  gan::nn::FidInception m;
  std::vector<std::string> ours, theirs;
  // torch's state dict lists each module's parameters, then its buffers; pytorch-fid's file has
  // no num_batches_tracked, which the loader tolerates.
  for (const auto& item : m->named_modules("", false)) {
    auto add = [&](const std::string& key, const torch::Tensor& t) {
      if (contains(key, "num_batches_tracked")) return;
      std::ostringstream s;
      s << item.key() << '.' << key;
      for (auto d : t.sizes()) s << ' ' << d;
      ours.push_back(s.str());
    };
    for (const auto& p : item.value()->named_parameters(false)) add(p.key(), p.value());
    for (const auto& b : item.value()->named_buffers(false)) add(b.key(), b.value());
  }
  std::ifstream in(kInceptionDir / "keys.txt");
  ASSERT_TRUE(in);
  for (std::string line; std::getline(in, line);) theirs.push_back(line);
  EXPECT_EQ(theirs.size(), 472u);
  EXPECT_EQ(ours, theirs);

  int64_t count = 0;
  for (const auto& p : m->parameters()) count += p.numel();
  EXPECT_EQ(count, reference("num_parameters").item<int64_t>());
}

TEST(FidInception, EveryStageEqualsPython) {
  torch::NoGradGuard no_grad;
  auto& m = net();
  ASSERT_FALSE(m->is_training());
  const auto x = layer_input();
  const auto layers = m->forward_layers(x);
  ASSERT_EQ(layers.size(), kStages.size());
  // Tolerance: the rounding error of a float32 conv output (a sum of K products) is ~1e-7·sqrt(K)
  // times the size of its terms, i.e. of the layer's typical magnitude, not of the value itself
  // (a value near 0, at a ReLU's edge, carries the same absolute error as its neighbours), and
  // what earlier layers got wrong reaches a layer in proportion to its inputs' size too. So a
  // value passes when |a − b| <= 1e-4 · max(|b|, s), s = the layer's root mean square; the sums,
  // of non-negative outputs, to 1e-4 of sum |x|. (Bit-equal with Python when both run 2 threads;
  // one thread sums in another order: ~1e-5 at Mixed_6b growing to ~9e-5 of the mean |x| at 7b.)
  std::printf("%-14s %12s %12s %12s\n", "stage", "rel(sum)", "rel(sum|x|)", "rel(values)");
  for (size_t i = 0; i < layers.size(); ++i) {
    const auto& [name, t] = layers[i];
    SCOPED_TRACE(name);
    ASSERT_EQ(name, kStages[i]);
    const auto shape = reference(name + ".shape");
    ASSERT_EQ(t.sizes().vec(), std::vector<int64_t>(shape.data_ptr<int64_t>(),
                                                    shape.data_ptr<int64_t>() + shape.numel()));
    const double sum = t.to(torch::kFloat64).sum().item<double>();
    const double abssum = t.to(torch::kFloat64).abs().sum().item<double>();
    const double ref_sum = reference(name + ".sum").item<double>(),
                 ref_abssum = reference(name + ".abssum").item<double>();
    const double scale = std::sqrt(reference(name + ".sumsq").item<double>() / double(t.numel()));
    EXPECT_NEAR(sum, ref_sum, 1e-4 * ref_abssum);
    EXPECT_NEAR(abssum, ref_abssum, 1e-4 * ref_abssum);
    const auto got =
        t.reshape({-1}).index_select(0, reference(name + ".index")).to(torch::kFloat64);
    const auto want = reference(name + ".values").to(torch::kFloat64);
    const auto rel = (got - want).abs() / want.abs().clamp_min(scale);
    const double worst = rel.max().item<double>();
    EXPECT_LE(worst, 1e-4) << "at sample " << rel.argmax().item<int64_t>();
    std::printf("%-14s %12.2e %12.2e %12.2e\n", name.c_str(), std::abs(sum - ref_sum) / ref_abssum,
                std::abs(abssum - ref_abssum) / ref_abssum, worst);
  }
  // pool3 in full, element-wise to 1e-4 of its largest value; forward() is the same path.
  const auto& pool3 = layers.back().second;
  const auto& want = reference("full_pool3");
  const double tol = 1e-4 * want.abs().max().item<double>();
  EXPECT_LE((pool3 - want).abs().max().item<double>(), tol);
  std::printf("pool3 max |diff| / max |ref| = %.2e\n",
              ((pool3 - want).abs().max() / want.abs().max()).item<double>());
  // forward() is the same path (on the smallest input, to keep the test quick).
  const auto small = x.slice(2, 0, 75).slice(3, 0, 75);
  EXPECT_TRUE(torch::equal(m->forward(small), m->forward_layers(small).back().second));
}

TEST(FidInception, Uint8PipelineEqualsPython) {
  auto& m = net();
  const auto& images = reference("pipeline.images");
  ASSERT_EQ(images.scalar_type(), torch::kUInt8);
  // Two batches of one against Python's batch of two.
  const auto feats = gan::metrics::inception_features(m, images, 1, torch::kCPU);
  const auto& want = reference("pipeline.pool3");
  ASSERT_EQ(feats.sizes(), want.sizes());
  EXPECT_EQ(feats.scalar_type(), torch::kFloat32);
  const double err = ((feats - want).abs().max() / want.abs().max()).item<double>();
  std::printf("pipeline pool3 max |diff| / max |ref| = %.2e\n", err);
  EXPECT_LE(err, 1e-4);
  EXPECT_THROW(gan::metrics::inception_features(m, images, 0, torch::kCPU), c10::ValueError);
  EXPECT_THROW(gan::metrics::inception_features(m, images.to(torch::kFloat), 2, torch::kCPU),
               c10::ValueError);
}

TEST(FidInception, InputPipelineAndPngQuantisation) {
  // 299×299 is not resized: exactly 2x − 1.
  auto x = torch::rand({1, 3, 299, 299});
  EXPECT_TRUE(torch::equal(gan::metrics::fid_inception_input(x), x * 2 - 1));
  EXPECT_EQ(gan::metrics::fid_inception_input(torch::rand({2, 3, 64, 80})).sizes(),
            (std::vector<int64_t>{2, 3, 299, 299}));
  EXPECT_THROW(gan::metrics::fid_inception_input(torch::rand({3, 64, 64})), c10::ValueError);
  EXPECT_THROW(gan::metrics::fid_inception_input(torch::zeros({1, 3, 8, 8}, torch::kUInt8)),
               c10::ValueError);
  EXPECT_THROW(net()->forward(torch::rand({1, 3, 74, 299})), c10::ValueError);

  // The 8-bit round trip of gan::image::to_mat, bit for bit (ties, ±1 and out-of-range values
  // included).
  const auto q = gan::metrics::quantize_like_png(reference("png.input"));
  EXPECT_TRUE(torch::equal(q, reference("png.output")));
  EXPECT_TRUE(
      torch::equal(gan::metrics::quantize_like_png(reference("png.input").to(torch::kFloat64)), q));
}

TEST(FidInception, LoaderNamesTheWrongTensorOrTheMissingOnes) {
  const auto wrong = kWeights.parent_path() / "wrong_shape.pth";
  std::string e = error_of([&] { gan::metrics::load_fid_inception(wrong); });
  EXPECT_TRUE(contains(e, "Mixed_6b.branch7x7_2.conv.weight")) << e;
  EXPECT_TRUE(contains(e, "[128, 128, 7, 1]") && contains(e, "[128, 128, 1, 7]")) << e;
  EXPECT_TRUE(contains(e, wrong.string())) << e;
  EXPECT_THROW(gan::metrics::load_fid_inception(wrong), gan::data::DataError);

  // A file of other names (the references): missing and unexpected names listed.
  e = error_of([&] { gan::metrics::load_fid_inception(kInceptionDir / "references.pth"); });
  EXPECT_TRUE(contains(e, "missing from the file (472 names): Conv2d_1a_3x3.bn.bias,")) << e;
  EXPECT_TRUE(contains(e, "unexpected in the file (")) << e;
  EXPECT_TRUE(contains(e, "and 462 more")) << e;
  EXPECT_FALSE(contains(e, "num_batches_tracked")) << e;
}

/// Sets (or, with nullopt, unsets) an environment variable; restores it on destruction.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    value ? ::setenv(name, value->c_str(), 1) : ::unsetenv(name);
  }
  ~ScopedEnv() { old_ ? ::setenv(name_, old_->c_str(), 1) : ::unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(FidInception, FindWeightsSearchesLikePytorchFidAndSaysWhereToGetThem) {
  const std::string url = gan::metrics::kFidWeightsUrl;
  EXPECT_TRUE(contains(url, "pt_inception-2015-12-05-6726825d.pth"));
  const fs::path tmp = fs::temp_directory_path() / ("gan_fid_find_" + std::to_string(::getpid()));
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  {
    ScopedEnv a("GAN_FID_WEIGHTS", std::nullopt), b("TORCH_HOME", tmp.string()),
        c("XDG_CACHE_HOME", std::nullopt), d("HOME", tmp.string());
    std::string e = error_of([&] { gan::metrics::find_fid_weights((tmp / "nope.pth").string()); });
    EXPECT_TRUE(contains(e, (tmp / "nope.pth").string()) && contains(e, url)) << e;
    e = error_of([&] { gan::metrics::find_fid_weights(); });
    EXPECT_TRUE(contains(e, url) && contains(e, "--features classifier")) << e;
    const fs::path cached = tmp / "hub" / "checkpoints" / "pt_inception-2015-12-05-6726825d.pth";
    EXPECT_TRUE(contains(e, cached.string())) << e;

    // torch.hub's cache under TORCH_HOME, then under HOME/.cache/torch.
    fs::create_directories(cached.parent_path());
    std::ofstream(cached) << "x";
    EXPECT_EQ(gan::metrics::find_fid_weights(), cached);
    {
      ScopedEnv no_torch_home("TORCH_HOME", std::nullopt);
      e = error_of([&] { gan::metrics::find_fid_weights(); });
      EXPECT_TRUE(contains(e, (tmp / ".cache" / "torch" / "hub" / "checkpoints").string())) << e;
      const fs::path home_cached =
          tmp / ".cache" / "torch" / "hub" / "checkpoints" / cached.filename();
      fs::create_directories(home_cached.parent_path());
      std::ofstream(home_cached) << "x";
      EXPECT_EQ(gan::metrics::find_fid_weights(), home_cached);
    }
    // GAN_FID_WEIGHTS comes first, an explicit path before everything.
    const fs::path mine = tmp / "mine.pth", explicit_path = tmp / "explicit.pth";
    std::ofstream(mine) << "x";
    std::ofstream(explicit_path) << "x";
    ScopedEnv env("GAN_FID_WEIGHTS", mine.string());
    EXPECT_EQ(gan::metrics::find_fid_weights(), mine);
    EXPECT_EQ(gan::metrics::find_fid_weights(explicit_path.string()), explicit_path);
  }
  fs::remove_all(tmp);
}

}  // namespace
