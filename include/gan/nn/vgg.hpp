#pragma once
/// @file
/// VGG classifiers (Simonyan & Zisserman, 2015) as torchvision defines them: VGG11 and VGG16,
/// with or without batch norm. Parameter names equal torchvision's state-dict keys
/// (`features.0.weight`, `classifier.6.bias`, ...), so its ImageNet weights load name for name.

#include <torch/nn/cloneable.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/pooling.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace gan::nn {



/// Options of `Vgg`.
struct VggOptions {
  /* implicit */ VggOptions(int64_t depth = 11) : depth_(depth) {}
  /// 11 or 16 (torchvision's configurations "A" and "D").
  TORCH_ARG(int64_t, depth);
  TORCH_ARG(bool, batch_norm) = false;
  /// Outputs of the head (torchvision: 1000; a binary task: 2).
  TORCH_ARG(int64_t, num_classes) = 1000;
  TORCH_ARG(double, dropout) = 0.5;
  /// Channels of every conv times this (torchvision: 1; e.g. 0.25 gives 16..128 channels, a
  /// small classifier for small tiles on a CPU). Pretrained weights need 1.
  TORCH_ARG(double, width) = 1.0;
  /// Width of the two hidden linear layers (torchvision: 4096).
  TORCH_ARG(int64_t, hidden) = 4096;
  /// Side of the adaptive average pool before the classifier (torchvision: 7).
  TORCH_ARG(int64_t, pool) = 7;
};

/// features (convs 3×3 + [BN] + ReLU, max pools) → adaptive average pool to 7×7 → classifier
/// (Linear 25088→4096, ReLU, Dropout, Linear 4096→4096, ReLU, Dropout, Linear 4096→classes).
/// Any input of at least 32×32 works. `width`, `hidden` and `pool` scale it down (same names,
/// smaller shapes) for small tiles.
///
/// ```cpp
/// gan::nn::Vgg vgg(gan::nn::VggOptions(11).batch_norm(true).num_classes(2));
/// vgg->freeze_convs(4);                       // the paper: VGG11's first 4 convs frozen
/// auto logits = vgg(images);                  // [N, 2]
/// auto feats = vgg->conv_features(images);    // [N, 512·h·w], the last conv block, flattened
/// ```
class VggImpl : public torch::nn::Cloneable<VggImpl> {
 public:
  explicit VggImpl(VggOptions options = {}) : options(options) { reset(); }

  /// Channels per conv, 0 for a max pool.
  static std::vector<int64_t> config(int64_t depth) {
    if (depth == 11) return {64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0};
    if (depth == 16)
      return {64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0};
    TORCH_CHECK_VALUE(false, "Vgg: depth must be 11 or 16, got ", depth);
  }

  void reset() override {
    TORCH_CHECK_VALUE(options.num_classes() > 0, "Vgg: num_classes must be > 0, got ",
                      options.num_classes());
    TORCH_CHECK_VALUE(options.width() > 0 && options.width() <= 4, "Vgg: width must be in (0, 4], got ",
                      options.width());
    TORCH_CHECK_VALUE(options.hidden() > 0, "Vgg: hidden must be > 0, got ", options.hidden());
    TORCH_CHECK_VALUE(options.pool() > 0, "Vgg: pool must be > 0, got ", options.pool());
    features = torch::nn::Sequential();
    int64_t in = 3;
    convs_.clear();
    for (int64_t full : config(options.depth())) {
      const int64_t c = full == 0 ? 0 : channels(full);
      if (c == 0) {
        features->push_back(torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2).stride(2)));
        continue;
      }
      torch::nn::Conv2d conv(torch::nn::Conv2dOptions(in, c, 3).padding(1));
      convs_.push_back(features->size());
      features->push_back(conv);
      if (options.batch_norm()) features->push_back(torch::nn::BatchNorm2d(c));
      features->push_back(torch::nn::ReLU(torch::nn::ReLUOptions(true)));
      in = c;
    }
    register_module("features", features);
    const int64_t p = options.pool(), h = options.hidden();
    avgpool = register_module("avgpool", torch::nn::AdaptiveAvgPool2d(p));
    classifier = torch::nn::Sequential(
        torch::nn::Linear(in * p * p, h), torch::nn::ReLU(torch::nn::ReLUOptions(true)),
        torch::nn::Dropout(options.dropout()), torch::nn::Linear(h, h),
        torch::nn::ReLU(torch::nn::ReLUOptions(true)), torch::nn::Dropout(options.dropout()),
        torch::nn::Linear(h, options.num_classes()));
    register_module("classifier", classifier);
    // torchvision's initialisation: Kaiming normal (fan_out) for convs, N(0, 0.01) for linears.
    torch::NoGradGuard no_grad;
    for (auto& m : modules(false)) {
      if (auto* conv = m->as<torch::nn::Conv2dImpl>()) {
        torch::nn::init::kaiming_normal_(conv->weight, 0, torch::kFanOut, torch::kReLU);
        conv->bias.zero_();
      } else if (auto* lin = m->as<torch::nn::LinearImpl>()) {
        lin->weight.normal_(0, 0.01);
        lin->bias.zero_();
      }
    }
  }

  /// The channels of a conv that has `full` channels in torchvision's network.
  int64_t channels(int64_t full) const {
    return std::max<int64_t>(1, int64_t(std::lround(double(full) * options.width())));
  }

  torch::Tensor forward(const torch::Tensor& x) {
    check_input(x);
    return classifier->forward(torch::flatten(avgpool->forward(features->forward(x)), 1));
  }

  /// The output of the last conv block (after its max pool), flattened: the paper's features.
  /// The layer that Fréchet distances in this classifier's space compare: the spatial mean of
  /// the last conv block's pre-activation (its batch norm's output, or its conv's without batch
  /// norm), "features.N:mean". After the ReLU, images off the training distribution (a young
  /// GAN's) leave nearly every unit at 0, so their features are constant and the distance
  /// measures only the real side; before it they keep their differences.
  std::string fid_layer() const {
    int64_t last = -1;
    for (size_t i = 0; i < features->size(); ++i)
      if (features->ptr(i)->as<torch::nn::Conv2dImpl>() || features->ptr(i)->as<torch::nn::BatchNorm2dImpl>())
        last = int64_t(i);
    return "features." + std::to_string(last) + ":mean";
  }

  torch::Tensor conv_features(const torch::Tensor& x) {
    check_input(x);
    return torch::flatten(features->forward(x), 1);
  }

  /// The flattened output of a named layer: "features" (the last conv block, as
  /// `conv_features`), "avgpool", or "classifier.N" (the output of the classifier's N-th
  /// module, e.g. classifier.1 for the first 4096-d layer after its ReLU).
  torch::Tensor layer_output(const torch::Tensor& x, const std::string& name) {
    check_input(x);
    // "features.N" (the output of features module N, before any in-place ReLU after it),
    // with ":mean" its spatial mean (C values per image, as Inception's pool3).
    const bool mean = name.size() > 5 && name.compare(name.size() - 5, 5, ":mean") == 0;
    const std::string layer = mean ? name.substr(0, name.size() - 5) : name;
    if (layer.rfind("features.", 0) == 0) {
      size_t used = 0;
      int64_t last = -1;
      try {
        last = std::stoll(layer.substr(9), &used);
      } catch (const std::exception&) {
      }
      TORCH_CHECK_VALUE(last >= 0 && last < int64_t(features->size()) && used == layer.size() - 9,
                        "Vgg: unknown layer '", name, "' (expected features.0 .. features.",
                        features->size() - 1, ", optionally with :mean)");
      auto h = x;
      for (int64_t i = 0; i <= last; ++i) {
        const auto m = features->ptr(size_t(i));
        if (m->as<torch::nn::ReLUImpl>())
          h = torch::relu(h);  // not in place: the layer before may be the one asked for
        else if (auto* conv = m->as<torch::nn::Conv2dImpl>())
          h = conv->forward(h);
        else if (auto* bn = m->as<torch::nn::BatchNorm2dImpl>())
          h = bn->forward(h);
        else if (auto* pool = m->as<torch::nn::MaxPool2dImpl>())
          h = pool->forward(h);
      }
      return mean ? h.mean({2, 3}) : torch::flatten(h, 1);
    }
    TORCH_CHECK_VALUE(!mean, "Vgg: ':mean' goes with a features.N layer, got '", name, "'");
    auto h = features->forward(x);
    if (layer == "features") return torch::flatten(h, 1);
    h = torch::flatten(avgpool->forward(h), 1);
    if (layer == "avgpool") return h;
    const std::string prefix = "classifier.";
    size_t used = 0;
    int64_t last = -1;
    if (layer.rfind(prefix, 0) == 0) {
      try {
        last = std::stoll(layer.substr(prefix.size()), &used);
      } catch (const std::exception&) {
      }
    }
    TORCH_CHECK_VALUE(last >= 0 && last < int64_t(classifier->size()) &&
                          used == layer.size() - prefix.size(),
                      "Vgg: unknown layer '", layer,
                      "' (expected features, avgpool or classifier.0 .. classifier.",
                      classifier->size() - 1, ")");
    for (int64_t i = 0; i <= last; ++i) {
      const auto m = classifier->ptr(size_t(i));
      if (auto* lin = m->as<torch::nn::LinearImpl>())
        h = lin->forward(h);
      else if (auto* relu = m->as<torch::nn::ReLUImpl>())
        h = relu->forward(h);
      else if (auto* drop = m->as<torch::nn::DropoutImpl>())
        h = drop->forward(h);
    }
    return h;
  }

  /// A new last layer with `num_classes` outputs (fine-tuning to another task).
  void replace_head(int64_t num_classes) {
    TORCH_CHECK_VALUE(num_classes > 0, "Vgg: num_classes must be > 0, got ", num_classes);
    options.num_classes(num_classes);
    auto head = torch::nn::Linear(options.hidden(), num_classes);
    {
      torch::NoGradGuard no_grad;
      head->weight.normal_(0, 0.01);
      head->bias.zero_();
    }
    auto p = classifier->parameters().front();
    head->to(p.device(), p.scalar_type());
    // A Sequential cannot swap one of its modules: rebuild it around the same first six.
    using namespace torch::nn;
    Sequential rebuilt(Linear(classifier->ptr<LinearImpl>(0)), ReLU(classifier->ptr<ReLUImpl>(1)),
                       Dropout(classifier->ptr<DropoutImpl>(2)), Linear(classifier->ptr<LinearImpl>(3)),
                       ReLU(classifier->ptr<ReLUImpl>(4)), Dropout(classifier->ptr<DropoutImpl>(5)),
                       head);
    classifier = replace_module("classifier", rebuilt);
  }

  /// Freezes the first `k` conv layers (and their batch norms): no gradient, and their batch
  /// norms keep their running statistics (eval mode) even when the model trains.
  void freeze_convs(int64_t k) {
    TORCH_CHECK_VALUE(k >= 0 && k <= int64_t(convs_.size()), "Vgg: can freeze 0..",
                      convs_.size(), " convs, not ", k);
    frozen_ = k;
    const size_t end = k == int64_t(convs_.size()) ? features->size() : convs_[size_t(k)];
    for (size_t i = 0; i < end; ++i)
      for (auto& p : features[i]->parameters()) p.requires_grad_(false);
    train(is_training());
  }
  int64_t frozen_convs() const { return frozen_; }
  int64_t num_convs() const { return int64_t(convs_.size()); }

  void train(bool on = true) override {
    torch::nn::Module::train(on);
    if (frozen_ == 0) return;
    const size_t end = frozen_ == int64_t(convs_.size()) ? features->size() : convs_[size_t(frozen_)];
    for (size_t i = 0; i < end; ++i) features[i]->eval();
  }

  VggOptions options;
  torch::nn::Sequential features{nullptr}, classifier{nullptr};
  torch::nn::AdaptiveAvgPool2d avgpool{nullptr};

 private:
  void check_input(const torch::Tensor& x) const {
    TORCH_CHECK_VALUE(x.dim() == 4 && x.size(1) == 3 && x.size(2) >= 32 && x.size(3) >= 32,
                      "Vgg: expected images of shape [N, 3, H, W] with H, W >= 32, got ", x.sizes());
  }
  std::vector<size_t> convs_;  // indices of the convs in `features`
  int64_t frozen_ = 0;
};
TORCH_MODULE(Vgg);

}  // namespace gan::nn
