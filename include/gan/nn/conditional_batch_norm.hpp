#pragma once
/// @file
/// Conditional batch normalisation (de Vries et al., 2017; Miyato & Koyama, 2018): batch
/// norm without its own affine part, followed by a gain and a bias chosen by the class.

#include <gan/distributed/communicator.hpp>

#include <torch/nn/cloneable.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/embedding.h>

namespace gan::nn {

/// Options of `ConditionalBatchNorm2d`.
struct ConditionalBatchNorm2dOptions {
  ConditionalBatchNorm2dOptions(int64_t num_features, int64_t num_classes)
      : num_features_(num_features), num_classes_(num_classes) {}
  TORCH_ARG(int64_t, num_features);
  TORCH_ARG(int64_t, num_classes);
  TORCH_ARG(double, eps) = 1e-5;
  TORCH_ARG(double, momentum) = 0.1;
};

/// y = γ[label] · BN(x) + β[label]; γ starts at 1 and β at 0 for every class.
class ConditionalBatchNorm2dImpl : public torch::nn::Cloneable<ConditionalBatchNorm2dImpl> {
 public:
  explicit ConditionalBatchNorm2dImpl(ConditionalBatchNorm2dOptions options) : options(options) {
    reset();
  }

  void reset() override {
    TORCH_CHECK_VALUE(options.num_features() > 0 && options.num_classes() > 0,
                      "ConditionalBatchNorm2d: num_features and num_classes must be > 0, got ",
                      options.num_features(), " and ", options.num_classes());
    bn = register_module("bn", torch::nn::BatchNorm2d(
                                   torch::nn::BatchNorm2dOptions(options.num_features())
                                       .affine(false)
                                       .eps(options.eps())
                                       .momentum(options.momentum())));
    gain = register_module("gain", torch::nn::Embedding(options.num_classes(), options.num_features()));
    bias = register_module("bias", torch::nn::Embedding(options.num_classes(), options.num_features()));
    torch::NoGradGuard no_grad;
    gain->weight.fill_(1.0);
    bias->weight.zero_();
  }

  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& labels) {
    TORCH_CHECK_VALUE(labels.dim() == 1 && labels.size(0) == x.size(0),
                      "ConditionalBatchNorm2d: expected one label per sample (", x.size(0),
                      "), got labels of shape ", labels.sizes());
    auto g = gain->forward(labels).unsqueeze(-1).unsqueeze(-1);
    auto b = bias->forward(labels).unsqueeze(-1).unsqueeze(-1);
    return distributed::batch_norm(*bn, x) * g + b;  // synchronised under data parallel
  }

  ConditionalBatchNorm2dOptions options;
  torch::nn::BatchNorm2d bn{nullptr};
  torch::nn::Embedding gain{nullptr}, bias{nullptr};
};

TORCH_MODULE(ConditionalBatchNorm2d);

}  // namespace gan::nn
