// VGG classifiers: torchvision's names and shapes, any input size, frozen convs, a new head.
#include <gan/nn/vgg.hpp>

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace {

// "key d0 d1 ..." per line, from tests/fixtures/make_vgg_fixtures.py (torchvision).
std::vector<std::pair<std::string, std::vector<int64_t>>> torchvision_keys(const std::string& name) {
  std::ifstream in(std::string(GAN_TEST_FIXTURES) + "/vgg/" + name + ".txt");
  EXPECT_TRUE(in) << name;
  std::vector<std::pair<std::string, std::vector<int64_t>>> out;
  for (std::string line; std::getline(in, line);) {
    std::istringstream s(line);
    std::string key;
    s >> key;
    std::vector<int64_t> shape;
    for (int64_t d; s >> d;) shape.push_back(d);
    out.push_back({key, shape});
  }
  return out;
}

std::vector<std::pair<std::string, std::vector<int64_t>>> our_keys(gan::nn::Vgg& m) {
  std::vector<std::pair<std::string, std::vector<int64_t>>> out;
  // torchvision's state dict lists each module's parameters, then its buffers.
  for (const auto& item : m->named_modules("", false)) {
    for (const auto& p : item.value()->named_parameters(false))
      out.push_back({item.key() + "." + p.key(), p.value().sizes().vec()});
    for (const auto& b : item.value()->named_buffers(false))
      out.push_back({item.key() + "." + b.key(), b.value().sizes().vec()});
  }
  return out;
}

TEST(Vgg, NamesAndShapesEqualTorchvision) {
  for (auto [depth, bn, name] : {std::tuple{11, false, "vgg11"}, std::tuple{11, true, "vgg11_bn"},
                                 std::tuple{16, false, "vgg16"}, std::tuple{16, true, "vgg16_bn"}}) {
    gan::nn::Vgg m(gan::nn::VggOptions(depth).batch_norm(bn));
    auto ours = our_keys(m);
    auto theirs = torchvision_keys(name);
    // Our BatchNorm2d has num_batches_tracked too; the key sets and shapes must agree.
    std::sort(ours.begin(), ours.end());
    std::sort(theirs.begin(), theirs.end());
    EXPECT_EQ(ours, theirs) << name;
  }
}

TEST(Vgg, AnyInputSizeFrozenConvsAndANewHead) {
  torch::manual_seed(0);
  gan::nn::Vgg m(gan::nn::VggOptions(11).batch_norm(true).num_classes(2).dropout(0.0));
  EXPECT_EQ(m->num_convs(), 8);
  for (int64_t s : {32, 96, 101})
    EXPECT_EQ(m(torch::randn({2, 3, s, s})).sizes(), (std::vector<int64_t>{2, 2})) << s;
  EXPECT_EQ(m->conv_features(torch::randn({2, 3, 96, 96})).sizes(), (std::vector<int64_t>{2, 512 * 3 * 3}));

  m->freeze_convs(4);
  m->train();
  auto named = m->named_parameters();
  // features: conv0 bn1 relu2 pool3 conv4 bn5 relu6 pool7 conv8 bn9 relu10 conv11 bn12 relu13 pool14 conv15
  EXPECT_FALSE(named["features.0.weight"].requires_grad());
  EXPECT_FALSE(named["features.12.weight"].requires_grad());
  EXPECT_TRUE(named["features.15.weight"].requires_grad());
  EXPECT_TRUE(named["classifier.6.weight"].requires_grad());
  auto frozen_w = named["features.11.weight"].clone();
  auto frozen_mean = m->named_buffers()["features.12.running_mean"].clone();
  auto live_mean = m->named_buffers()["features.16.running_mean"].clone();
  std::vector<torch::Tensor> trainable;
  for (auto& p : m->parameters())
    if (p.requires_grad()) trainable.push_back(p);
  torch::optim::SGD opt(trainable, 0.1);
  auto loss = torch::nn::functional::cross_entropy(m(torch::randn({4, 3, 32, 32})), torch::tensor({0, 1, 0, 1}));
  loss.backward();
  opt.step();
  EXPECT_TRUE(torch::equal(frozen_w, m->named_parameters()["features.11.weight"]));
  EXPECT_TRUE(torch::equal(frozen_mean, m->named_buffers()["features.12.running_mean"]));
  EXPECT_FALSE(torch::equal(live_mean, m->named_buffers()["features.16.running_mean"]));

  m->replace_head(5);
  EXPECT_EQ(m(torch::randn({1, 3, 32, 32})).sizes(), (std::vector<int64_t>{1, 5}));
  EXPECT_EQ(m->named_parameters()["classifier.6.weight"].sizes(), (std::vector<int64_t>{5, 4096}));
  EXPECT_TRUE(torch::equal(m->named_parameters()["classifier.0.weight"], m->classifier->ptr<torch::nn::LinearImpl>(0)->weight));
}

TEST(Vgg, NamedLayers) {
  gan::nn::Vgg m(gan::nn::VggOptions(11).num_classes(3));
  m->eval();
  auto x = torch::randn({2, 3, 64, 64});
  EXPECT_TRUE(torch::equal(m->layer_output(x, "features"), m->conv_features(x)));
  EXPECT_EQ(m->layer_output(x, "avgpool").sizes(), (std::vector<int64_t>{2, 512 * 7 * 7}));
  auto fc = m->layer_output(x, "classifier.1");
  EXPECT_EQ(fc.sizes(), (std::vector<int64_t>{2, 4096}));
  EXPECT_GE(fc.min().item<float>(), 0.0f);  // after the ReLU
  EXPECT_TRUE(torch::allclose(m->layer_output(x, "classifier.6"), m(x)));
  EXPECT_THROW(m->layer_output(x, "classifier.7"), c10::ValueError);
  EXPECT_THROW(m->layer_output(x, "conv9"), c10::ValueError);
}

TEST(Vgg, ScaledDownKeepsTheNamesWithSmallerShapes) {
  // VGG11 at a quarter width, 64-d hidden layers, a 1x1 pool: the demo's classifier.
  gan::nn::Vgg m(gan::nn::VggOptions(11).batch_norm(true).num_classes(2).width(0.25).hidden(64).pool(1));
  auto named = m->named_parameters();
  EXPECT_EQ(named["features.0.weight"].sizes(), (std::vector<int64_t>{16, 3, 3, 3}));
  EXPECT_EQ(named["features.25.weight"].sizes(), (std::vector<int64_t>{128, 128, 3, 3}));
  EXPECT_EQ(named["classifier.0.weight"].sizes(), (std::vector<int64_t>{64, 128}));
  EXPECT_EQ(named["classifier.3.weight"].sizes(), (std::vector<int64_t>{64, 64}));
  // Parameters by hand: convs 3-16-32-64-64-128-128-128-128 (weights, biases, BN scale and
  // shift), then 128->64, 64->64, 64->2.
  const std::vector<int64_t> ch{3, 16, 32, 64, 64, 128, 128, 128, 128};
  int64_t expected = 0;
  for (size_t i = 1; i < ch.size(); ++i) expected += ch[i - 1] * ch[i] * 9 + ch[i] + 2 * ch[i];
  expected += 128 * 64 + 64 + 64 * 64 + 64 + 64 * 2 + 2;
  int64_t count = 0;
  for (const auto& p : m->parameters()) count += p.numel();
  EXPECT_EQ(count, expected);
  EXPECT_EQ(m(torch::randn({3, 3, 32, 32})).sizes(), (std::vector<int64_t>{3, 2}));
  m->replace_head(4);
  EXPECT_EQ(m->named_parameters()["classifier.6.weight"].sizes(), (std::vector<int64_t>{4, 64}));
  EXPECT_THROW(gan::nn::Vgg(gan::nn::VggOptions(11).width(0)), c10::ValueError);
  EXPECT_THROW(gan::nn::Vgg(gan::nn::VggOptions(11).pool(0)), c10::ValueError);
}

TEST(Vgg, RejectsBadInput) {
  EXPECT_THROW(gan::nn::Vgg(gan::nn::VggOptions(13)), c10::ValueError);
  gan::nn::Vgg m(gan::nn::VggOptions(11).num_classes(2));
  EXPECT_THROW(m(torch::randn({1, 3, 16, 16})), c10::ValueError);
  EXPECT_THROW(m(torch::randn({1, 1, 32, 32})), c10::ValueError);
  EXPECT_THROW(m->freeze_convs(9), c10::ValueError);
}

}  // namespace
