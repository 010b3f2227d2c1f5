#pragma once
/// @file
/// The Inception-v3 of the Fréchet Inception Distance (Heusel et al., 2017, "GANs trained by a
/// two time-scale update rule converge to a local Nash equilibrium"), as pytorch-fid builds it
/// (mseitzer/pytorch-fid, src/pytorch_fid/inception.py, `fid_inception_v3()`): torchvision's
/// Inception3 (Szegedy et al., 2016) with 1008 classes, no auxiliary logits, no input transform,
/// and the blocks patched to match TensorFlow's 2015 graph. Parameter and buffer names equal
/// torchvision's (`Conv2d_1a_3x3.conv.weight`, `Mixed_5b.branch_pool.bn.running_var`, `fc.weight`),
/// so pytorch-fid's `pt_inception-2015-12-05-6726825d.pth` loads name for name (see
/// `gan::metrics::load_fid_inception`).

#include <torch/nn/cloneable.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <ATen/ATen.h>

#include <string>
#include <utility>
#include <vector>

namespace gan::nn {

namespace detail::inception {

/// torchvision's BasicConv2d: Conv2d without bias, BatchNorm2d(eps = 0.001), ReLU (in place).
class BasicConv2dImpl : public torch::nn::Cloneable<BasicConv2dImpl> {
 public:
  /// `options` gives the convolution; its bias is always off.
  explicit BasicConv2dImpl(torch::nn::Conv2dOptions options) : options(std::move(options)) {
    reset();
  }

  void reset() override {
    conv = register_module("conv", torch::nn::Conv2d(options.bias(false)));
    bn = register_module(
        "bn",
        torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(options.out_channels()).eps(0.001)));
  }

  at::Tensor forward(const at::Tensor& x) { return bn->forward(conv->forward(x)).relu_(); }

  torch::nn::Conv2dOptions options;
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
};
TORCH_MODULE(BasicConv2d);

/// A BasicConv2d with a kernel of kh × kw, stride 1 and padding (ph, pw).
inline BasicConv2d basic_conv(int64_t in, int64_t out, int64_t kh, int64_t kw, int64_t ph = 0,
                              int64_t pw = 0) {
  return BasicConv2d(
      torch::nn::Conv2dOptions(in, out, {kh, kw}).padding(torch::ExpandingArray<2>({ph, pw})));
}

/// TensorFlow's 3×3 average pool of the patched blocks: stride 1, padding 1, the padding not
/// counted in the average.
inline at::Tensor tf_avg_pool(const at::Tensor& x) {
  return at::avg_pool2d(x, {3, 3}, {1, 1}, {1, 1}, /*ceil_mode=*/false,
                        /*count_include_pad=*/false);
}

/// pytorch-fid's FIDInceptionA (Mixed_5b, 5c, 5d): torchvision's InceptionA with tf_avg_pool.
class InceptionAImpl : public torch::nn::Cloneable<InceptionAImpl> {
 public:
  InceptionAImpl(int64_t in, int64_t pool_features) : in(in), pool_features(pool_features) {
    reset();
  }

  void reset() override {
    branch1x1 = register_module("branch1x1", basic_conv(in, 64, 1, 1));
    branch5x5_1 = register_module("branch5x5_1", basic_conv(in, 48, 1, 1));
    branch5x5_2 = register_module("branch5x5_2", basic_conv(48, 64, 5, 5, 2, 2));
    branch3x3dbl_1 = register_module("branch3x3dbl_1", basic_conv(in, 64, 1, 1));
    branch3x3dbl_2 = register_module("branch3x3dbl_2", basic_conv(64, 96, 3, 3, 1, 1));
    branch3x3dbl_3 = register_module("branch3x3dbl_3", basic_conv(96, 96, 3, 3, 1, 1));
    branch_pool = register_module("branch_pool", basic_conv(in, pool_features, 1, 1));
  }

  at::Tensor forward(const at::Tensor& x) {
    return at::cat({branch1x1(x), branch5x5_2(branch5x5_1(x)),
                    branch3x3dbl_3(branch3x3dbl_2(branch3x3dbl_1(x))), branch_pool(tf_avg_pool(x))},
                   1);
  }

  int64_t in, pool_features;
  BasicConv2d branch1x1{nullptr}, branch5x5_1{nullptr}, branch5x5_2{nullptr},
      branch3x3dbl_1{nullptr}, branch3x3dbl_2{nullptr}, branch3x3dbl_3{nullptr},
      branch_pool{nullptr};
};
TORCH_MODULE(InceptionA);

/// torchvision's InceptionB (Mixed_6a), unchanged: 35×35 → 17×17.
class InceptionBImpl : public torch::nn::Cloneable<InceptionBImpl> {
 public:
  explicit InceptionBImpl(int64_t in) : in(in) { reset(); }

  void reset() override {
    branch3x3 =
        register_module("branch3x3", BasicConv2d(torch::nn::Conv2dOptions(in, 384, 3).stride(2)));
    branch3x3dbl_1 = register_module("branch3x3dbl_1", basic_conv(in, 64, 1, 1));
    branch3x3dbl_2 = register_module("branch3x3dbl_2", basic_conv(64, 96, 3, 3, 1, 1));
    branch3x3dbl_3 = register_module("branch3x3dbl_3",
                                     BasicConv2d(torch::nn::Conv2dOptions(96, 96, 3).stride(2)));
  }

  at::Tensor forward(const at::Tensor& x) {
    return at::cat({branch3x3(x), branch3x3dbl_3(branch3x3dbl_2(branch3x3dbl_1(x))),
                    at::max_pool2d(x, {3, 3}, {2, 2})},
                   1);
  }

  int64_t in;
  BasicConv2d branch3x3{nullptr}, branch3x3dbl_1{nullptr}, branch3x3dbl_2{nullptr},
      branch3x3dbl_3{nullptr};
};
TORCH_MODULE(InceptionB);

/// pytorch-fid's FIDInceptionC (Mixed_6b .. 6e): torchvision's InceptionC with tf_avg_pool.
class InceptionCImpl : public torch::nn::Cloneable<InceptionCImpl> {
 public:
  InceptionCImpl(int64_t in, int64_t channels_7x7) : in(in), c7(channels_7x7) { reset(); }

  void reset() override {
    branch1x1 = register_module("branch1x1", basic_conv(in, 192, 1, 1));
    branch7x7_1 = register_module("branch7x7_1", basic_conv(in, c7, 1, 1));
    branch7x7_2 = register_module("branch7x7_2", basic_conv(c7, c7, 1, 7, 0, 3));
    branch7x7_3 = register_module("branch7x7_3", basic_conv(c7, 192, 7, 1, 3, 0));
    branch7x7dbl_1 = register_module("branch7x7dbl_1", basic_conv(in, c7, 1, 1));
    branch7x7dbl_2 = register_module("branch7x7dbl_2", basic_conv(c7, c7, 7, 1, 3, 0));
    branch7x7dbl_3 = register_module("branch7x7dbl_3", basic_conv(c7, c7, 1, 7, 0, 3));
    branch7x7dbl_4 = register_module("branch7x7dbl_4", basic_conv(c7, c7, 7, 1, 3, 0));
    branch7x7dbl_5 = register_module("branch7x7dbl_5", basic_conv(c7, 192, 1, 7, 0, 3));
    branch_pool = register_module("branch_pool", basic_conv(in, 192, 1, 1));
  }

  at::Tensor forward(const at::Tensor& x) {
    auto dbl = branch7x7dbl_3(branch7x7dbl_2(branch7x7dbl_1(x)));
    return at::cat({branch1x1(x), branch7x7_3(branch7x7_2(branch7x7_1(x))),
                    branch7x7dbl_5(branch7x7dbl_4(dbl)), branch_pool(tf_avg_pool(x))},
                   1);
  }

  int64_t in, c7;
  BasicConv2d branch1x1{nullptr}, branch7x7_1{nullptr}, branch7x7_2{nullptr}, branch7x7_3{nullptr},
      branch7x7dbl_1{nullptr}, branch7x7dbl_2{nullptr}, branch7x7dbl_3{nullptr},
      branch7x7dbl_4{nullptr}, branch7x7dbl_5{nullptr}, branch_pool{nullptr};
};
TORCH_MODULE(InceptionC);

/// torchvision's InceptionD (Mixed_7a), unchanged: 17×17 → 8×8.
class InceptionDImpl : public torch::nn::Cloneable<InceptionDImpl> {
 public:
  explicit InceptionDImpl(int64_t in) : in(in) { reset(); }

  void reset() override {
    branch3x3_1 = register_module("branch3x3_1", basic_conv(in, 192, 1, 1));
    branch3x3_2 = register_module("branch3x3_2",
                                  BasicConv2d(torch::nn::Conv2dOptions(192, 320, 3).stride(2)));
    branch7x7x3_1 = register_module("branch7x7x3_1", basic_conv(in, 192, 1, 1));
    branch7x7x3_2 = register_module("branch7x7x3_2", basic_conv(192, 192, 1, 7, 0, 3));
    branch7x7x3_3 = register_module("branch7x7x3_3", basic_conv(192, 192, 7, 1, 3, 0));
    branch7x7x3_4 = register_module("branch7x7x3_4",
                                    BasicConv2d(torch::nn::Conv2dOptions(192, 192, 3).stride(2)));
  }

  at::Tensor forward(const at::Tensor& x) {
    return at::cat(
        {branch3x3_2(branch3x3_1(x)), branch7x7x3_4(branch7x7x3_3(branch7x7x3_2(branch7x7x3_1(x)))),
         at::max_pool2d(x, {3, 3}, {2, 2})},
        1);
  }

  int64_t in;
  BasicConv2d branch3x3_1{nullptr}, branch3x3_2{nullptr}, branch7x7x3_1{nullptr},
      branch7x7x3_2{nullptr}, branch7x7x3_3{nullptr}, branch7x7x3_4{nullptr};
};
TORCH_MODULE(InceptionD);

/// pytorch-fid's FIDInceptionE_1 (Mixed_7b: tf_avg_pool) and FIDInceptionE_2 (Mixed_7c: a 3×3
/// max pool, stride 1, padding 1, in the pool branch, as TensorFlow's graph has it).
class InceptionEImpl : public torch::nn::Cloneable<InceptionEImpl> {
 public:
  InceptionEImpl(int64_t in, bool max_pool) : in(in), max_pool(max_pool) { reset(); }

  void reset() override {
    branch1x1 = register_module("branch1x1", basic_conv(in, 320, 1, 1));
    branch3x3_1 = register_module("branch3x3_1", basic_conv(in, 384, 1, 1));
    branch3x3_2a = register_module("branch3x3_2a", basic_conv(384, 384, 1, 3, 0, 1));
    branch3x3_2b = register_module("branch3x3_2b", basic_conv(384, 384, 3, 1, 1, 0));
    branch3x3dbl_1 = register_module("branch3x3dbl_1", basic_conv(in, 448, 1, 1));
    branch3x3dbl_2 = register_module("branch3x3dbl_2", basic_conv(448, 384, 3, 3, 1, 1));
    branch3x3dbl_3a = register_module("branch3x3dbl_3a", basic_conv(384, 384, 1, 3, 0, 1));
    branch3x3dbl_3b = register_module("branch3x3dbl_3b", basic_conv(384, 384, 3, 1, 1, 0));
    branch_pool = register_module("branch_pool", basic_conv(in, 192, 1, 1));
  }

  at::Tensor forward(const at::Tensor& x) {
    auto b3 = branch3x3_1(x);
    auto dbl = branch3x3dbl_2(branch3x3dbl_1(x));
    auto pool = max_pool ? at::max_pool2d(x, {3, 3}, {1, 1}, {1, 1}) : tf_avg_pool(x);
    return at::cat({branch1x1(x), branch3x3_2a(b3), branch3x3_2b(b3), branch3x3dbl_3a(dbl),
                    branch3x3dbl_3b(dbl), branch_pool(pool)},
                   1);
  }

  int64_t in;
  bool max_pool;
  BasicConv2d branch1x1{nullptr}, branch3x3_1{nullptr}, branch3x3_2a{nullptr},
      branch3x3_2b{nullptr}, branch3x3dbl_1{nullptr}, branch3x3dbl_2{nullptr},
      branch3x3dbl_3a{nullptr}, branch3x3dbl_3b{nullptr}, branch_pool{nullptr};
};
TORCH_MODULE(InceptionE);

}  // namespace detail::inception

/// pytorch-fid's FID Inception-v3. The input is what pytorch-fid's `InceptionV3` feeds its blocks
/// (resize_input=True, normalize_input=True): RGB images resized to 299×299 and scaled to [-1, 1]
/// (`gan::metrics::fid_inception_input` does that); any size of at least 75×75 runs. The output is
/// the 2048 "pool3" features of FID: Mixed_7c averaged over space. The 1008-way `fc` layer is
/// never applied; it exists only so that the weight file loads strictly.
///
/// The network has nothing to configure: it is fixed by the weight file it must load.
///
/// ```cpp
/// auto net = gan::metrics::load_fid_inception(gan::metrics::find_fid_weights());
/// torch::NoGradGuard no_grad;
/// auto feats = net(gan::metrics::fid_inception_input(images01));   // [N, 2048]
/// for (auto& [name, t] : net->forward_layers(x)) std::cout << name << ' ' << t.sizes() << '\n';
/// ```
class FidInceptionImpl : public torch::nn::Cloneable<FidInceptionImpl> {
 public:
  FidInceptionImpl() { reset(); }

  void reset() override {
    using namespace detail::inception;
    using torch::nn::Conv2dOptions;
    // Registration order = torchvision's, so named_parameters() lists its state-dict keys in order.
    Conv2d_1a_3x3 =
        register_module("Conv2d_1a_3x3", BasicConv2d(Conv2dOptions(3, 32, 3).stride(2)));
    Conv2d_2a_3x3 = register_module("Conv2d_2a_3x3", BasicConv2d(Conv2dOptions(32, 32, 3)));
    Conv2d_2b_3x3 =
        register_module("Conv2d_2b_3x3", BasicConv2d(Conv2dOptions(32, 64, 3).padding(1)));
    Conv2d_3b_1x1 = register_module("Conv2d_3b_1x1", BasicConv2d(Conv2dOptions(64, 80, 1)));
    Conv2d_4a_3x3 = register_module("Conv2d_4a_3x3", BasicConv2d(Conv2dOptions(80, 192, 3)));
    Mixed_5b = register_module("Mixed_5b", InceptionA(192, 32));
    Mixed_5c = register_module("Mixed_5c", InceptionA(256, 64));
    Mixed_5d = register_module("Mixed_5d", InceptionA(288, 64));
    Mixed_6a = register_module("Mixed_6a", InceptionB(288));
    Mixed_6b = register_module("Mixed_6b", InceptionC(768, 128));
    Mixed_6c = register_module("Mixed_6c", InceptionC(768, 160));
    Mixed_6d = register_module("Mixed_6d", InceptionC(768, 160));
    Mixed_6e = register_module("Mixed_6e", InceptionC(768, 192));
    Mixed_7a = register_module("Mixed_7a", InceptionD(768));
    Mixed_7b = register_module("Mixed_7b", InceptionE(1280, /*max_pool=*/false));
    Mixed_7c = register_module("Mixed_7c", InceptionE(2048, /*max_pool=*/true));
    fc = register_module("fc", torch::nn::Linear(2048, 1008));
  }

  /// pool3 features [N, 2048] of images [N, 3, H, W] in [-1, 1] (H, W >= 75; FID uses 299).
  at::Tensor forward(const at::Tensor& x) {
    return run(x, [](const char*, const at::Tensor&) {});
  }

  /// Every stage's output, in order: Conv2d_1a_3x3, Conv2d_2a_3x3, Conv2d_2b_3x3, maxpool1,
  /// Conv2d_3b_1x1, Conv2d_4a_3x3, maxpool2, Mixed_5b .. Mixed_5d, Mixed_6a .. Mixed_6e,
  /// Mixed_7a .. Mixed_7c, pool3 ([N, 2048], the output of `forward`).
  std::vector<std::pair<std::string, at::Tensor>> forward_layers(const at::Tensor& x) {
    std::vector<std::pair<std::string, at::Tensor>> out;
    out.reserve(19);
    run(x, [&](const char* name, const at::Tensor& t) { out.emplace_back(name, t); });
    return out;
  }

  detail::inception::BasicConv2d Conv2d_1a_3x3{nullptr}, Conv2d_2a_3x3{nullptr},
      Conv2d_2b_3x3{nullptr}, Conv2d_3b_1x1{nullptr}, Conv2d_4a_3x3{nullptr};
  detail::inception::InceptionA Mixed_5b{nullptr}, Mixed_5c{nullptr}, Mixed_5d{nullptr};
  detail::inception::InceptionB Mixed_6a{nullptr};
  detail::inception::InceptionC Mixed_6b{nullptr}, Mixed_6c{nullptr}, Mixed_6d{nullptr},
      Mixed_6e{nullptr};
  detail::inception::InceptionD Mixed_7a{nullptr};
  detail::inception::InceptionE Mixed_7b{nullptr}, Mixed_7c{nullptr};
  torch::nn::Linear fc{nullptr};

 private:
  // The one forward path; `emit(name, output)` sees each stage (no copies: no later stage
  // writes into an earlier one's output, the in-place ReLUs act on fresh batch-norm outputs).
  template <class Emit>
  at::Tensor run(const at::Tensor& input, Emit&& emit) {
    TORCH_CHECK_VALUE(
        input.dim() == 4 && input.size(1) == 3 && input.size(2) >= 75 && input.size(3) >= 75,
        "FidInception: expected images of shape [N, 3, H, W] with H, W >= 75 (FID: 299), got ",
        input.sizes());
    auto step = [&](const char* name, at::Tensor t) {
      emit(name, t);
      return t;
    };
    auto x = step("Conv2d_1a_3x3", Conv2d_1a_3x3(input));
    x = step("Conv2d_2a_3x3", Conv2d_2a_3x3(x));
    x = step("Conv2d_2b_3x3", Conv2d_2b_3x3(x));
    x = step("maxpool1", at::max_pool2d(x, {3, 3}, {2, 2}));
    x = step("Conv2d_3b_1x1", Conv2d_3b_1x1(x));
    x = step("Conv2d_4a_3x3", Conv2d_4a_3x3(x));
    x = step("maxpool2", at::max_pool2d(x, {3, 3}, {2, 2}));
    x = step("Mixed_5b", Mixed_5b(x));
    x = step("Mixed_5c", Mixed_5c(x));
    x = step("Mixed_5d", Mixed_5d(x));
    x = step("Mixed_6a", Mixed_6a(x));
    x = step("Mixed_6b", Mixed_6b(x));
    x = step("Mixed_6c", Mixed_6c(x));
    x = step("Mixed_6d", Mixed_6d(x));
    x = step("Mixed_6e", Mixed_6e(x));
    x = step("Mixed_7a", Mixed_7a(x));
    x = step("Mixed_7b", Mixed_7b(x));
    x = step("Mixed_7c", Mixed_7c(x));
    return step("pool3", at::adaptive_avg_pool2d(x, {1, 1}).flatten(1));
  }
};
TORCH_MODULE(FidInception);

}  // namespace gan::nn
