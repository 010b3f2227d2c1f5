// Tests of the libtorch adapter of the .pth reader: load_pth and load_into on the fixtures of
// tests/fixtures/make_pth_fixtures.py, whose state dict is that of `Small` below.
#include <gan/io/pth_tensor.hpp>

#include <gtest/gtest.h>

#include "common/errors.hpp"
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace {

namespace fs = std::filesystem;
using gan::test::error_of;
const fs::path kDir = fs::path(GAN_TEST_FIXTURES) / "pth";

/// The buffers of the fixture's `Extra` module, zero-filled, with its shapes and dtypes.
struct ExtraImpl : torch::nn::Module {
  ExtraImpl() {
    register_buffer("transposed", torch::zeros({3, 5}));
    register_buffer("float64", torch::zeros({2, 3}, torch::kFloat64));
    register_buffer("uint8", torch::zeros({7}, torch::kUInt8));
    register_buffer("int32", torch::zeros({2, 2}, torch::kInt32));
    register_buffer("float16", torch::zeros({3}, torch::kFloat16));
    register_buffer("boolean", torch::zeros({3}, torch::kBool));
    register_buffer("base", torch::zeros({4, 6}));
    register_buffer("view", torch::zeros({2, 3}));
    register_buffer("scalar", torch::zeros({}));
    register_buffer("empty", torch::zeros({0, 4}));
  }
};

/// The fixture's `Small`: conv, bn, fc and extra; `fc_in` = 8 matches the file.
struct SmallImpl : torch::nn::Module {
  explicit SmallImpl(int64_t fc_in = 8, bool with_extra = true) {
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 4, 3)));
    bn = register_module("bn", torch::nn::BatchNorm2d(4));
    fc = register_module("fc", torch::nn::Linear(fc_in, 5));
    if (with_extra) register_module("extra", std::make_shared<ExtraImpl>());
  }
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
  torch::nn::Linear fc{nullptr};
};

/// name -> torch's contiguous bytes, from small.index.txt and small.raw.
std::map<std::string, std::string> read_dump() {
  std::ifstream idx(kDir / "small.index.txt");
  std::ifstream raw(kDir / "small.raw", std::ios::binary);
  const std::string all((std::istreambuf_iterator<char>(raw)), std::istreambuf_iterator<char>());
  std::map<std::string, std::string> out;
  std::string line;
  while (std::getline(idx, line)) {
    std::istringstream ls(line);
    std::string name, dtype;
    int ndim = 0;
    ls >> name >> dtype >> ndim;
    int64_t s = 0;
    for (int k = 0; k < ndim; ++k) ls >> s;
    std::size_t offset = 0, n = 0;
    ls >> offset >> n;
    out[name] = all.substr(offset, n);
  }
  return out;
}

std::string bytes_of(const torch::Tensor& t) {
  auto c = t.contiguous();
  return std::string(static_cast<const char*>(c.data_ptr()), c.numel() * c.element_size());
}

}  // namespace

TEST(PthTensor, LoadIntoFillsEveryParameterAndBufferBitForBit) {
  const auto dump = read_dump();
  for (const char* file : {"small_zip.pth", "small_legacy.pth"}) {
    SCOPED_TRACE(file);
    SmallImpl model;
    const auto report = gan::io::load_into(model, kDir / file);
    EXPECT_TRUE(report.missing.empty());
    EXPECT_TRUE(report.unexpected.empty());
    std::size_t checked = 0;
    for (const auto& p : model.named_parameters()) {
      EXPECT_EQ(bytes_of(p.value()), dump.at(p.key())) << p.key();
      EXPECT_TRUE(p.value().requires_grad()) << p.key();  // still a trainable parameter
      ++checked;
    }
    for (const auto& b : model.named_buffers()) {
      EXPECT_EQ(bytes_of(b.value()), dump.at(b.key())) << b.key();
      ++checked;
    }
    EXPECT_EQ(checked, dump.size());
    EXPECT_EQ(model.bn->num_batches_tracked.item<int64_t>(), 7);
  }
}

TEST(PthTensor, LoadPthKeepsDtypesStridesAndSharedStorage) {
  const auto m = gan::io::load_pth(kDir / "small_zip.pth");
  EXPECT_EQ(m.at("extra.float64").dtype(), torch::kFloat64);
  EXPECT_EQ(m.at("extra.uint8").dtype(), torch::kUInt8);
  EXPECT_EQ(m.at("bn.num_batches_tracked").dtype(), torch::kInt64);
  EXPECT_EQ(m.at("bn.num_batches_tracked").dim(), 0);
  EXPECT_EQ(m.at("extra.transposed").strides(), (std::vector<int64_t>{1, 3}));
  const auto& base = m.at("extra.base");
  const auto& view = m.at("extra.view");
  EXPECT_TRUE(torch::equal(view, base.slice(0, 1, 3).slice(1, 2, 5)));
  EXPECT_EQ(view.data_ptr<float>(), base.data_ptr<float>() + 8);  // one storage, as in torch
  const auto legacy = gan::io::load_pth(kDir / "small_legacy.pth");
  ASSERT_EQ(legacy.size(), m.size());
  for (const auto& [name, t] : m) EXPECT_TRUE(torch::equal(t, legacy.at(name))) << name;
}

TEST(PthTensor, ShapeMismatchNamesTheTensorAndLeavesTheModelAlone) {
  SmallImpl model(/*fc_in=*/9);
  torch::NoGradGuard no_grad;
  model.conv->weight.fill_(42);
  const std::string msg = error_of<std::runtime_error>([&] { gan::io::load_into(model, kDir / "small_zip.pth"); });
  EXPECT_NE(msg.find("small_zip.pth"), std::string::npos) << msg;
  EXPECT_NE(msg.find("fc.weight: the file has [5, 8], the model [5, 9]"), std::string::npos) << msg;
  EXPECT_TRUE(torch::all(model.conv->weight == 42).item<bool>());  // nothing copied
}

TEST(PthTensor, StrictNamesMissingAndUnexpectedKeys) {
  SmallImpl model(8, /*with_extra=*/false);
  model.register_parameter("scale", torch::ones({1}));
  const std::string msg = error_of<std::runtime_error>([&] { gan::io::load_into(model, kDir / "small_zip.pth"); });
  EXPECT_NE(msg.find("small_zip.pth"), std::string::npos) << msg;
  EXPECT_NE(msg.find("missing from the file: scale"), std::string::npos) << msg;
  EXPECT_NE(msg.find("unexpected in the file (not in the model): extra.base"), std::string::npos) << msg;
  EXPECT_NE(msg.find("extra.view"), std::string::npos) << msg;
}

TEST(PthTensor, NonStrictLoadsWhatMatchesAndReports) {
  SmallImpl model(8, /*with_extra=*/false);
  model.register_parameter("scale", torch::ones({1}));
  const auto report = gan::io::load_into(model, kDir / "small_legacy.pth", /*strict=*/false);
  EXPECT_EQ(report.missing, (std::vector<std::string>{"scale"}));
  EXPECT_EQ(report.unexpected.size(), 10u);  // the extra.* buffers
  EXPECT_EQ(bytes_of(model.conv->weight), read_dump().at("conv.weight"));
  EXPECT_EQ(model.named_parameters()["scale"].item<float>(), 1.0f);
}

TEST(PthTensor, MissingFileIsNamed) {
  SmallImpl model;
  const std::string msg = error_of<std::runtime_error>([&] { gan::io::load_into(model, kDir / "absent.pth"); });
  EXPECT_NE(msg.find("absent.pth"), std::string::npos) << msg;
  EXPECT_NE(msg.find("not found"), std::string::npos) << msg;
}
