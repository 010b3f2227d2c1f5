#pragma once
/// @file
/// The auxiliary-classifier GAN of Odena, Olah, Shlens (2017), "Conditional Image Synthesis
/// with Auxiliary Classifier GANs".

#include <gan/conditioning/one_hot_concat.hpp>
#include <gan/nn/layers.hpp>

#include <ATen/ATen.h>

namespace gan::conditioning {

/// The term: a second head of `num_classes` logits on the last block's features, with the
/// adversarial head's geometry (`CriticOutput::class_logits`).
class AuxiliaryHeadImpl : public nn::DiscriminatorTermImpl {
 public:
  explicit AuxiliaryHeadImpl(const nn::TermShape& s) {
    TORCH_CHECK_VALUE(s.num_classes > 0, "AuxiliaryClassifier: needs num_classes > 0, got ", s.num_classes);
    classifier = nn::conv2d(torch::nn::Conv2dOptions(s.channels, s.num_classes, s.head.kernel)
                                .stride(s.head.stride)
                                .padding(s.head.padding),
                            s.spectral_norm);
    register_module("classifier", classifier.ptr());
  }
  void apply(const torch::Tensor& features, const torch::Tensor&, nn::CriticOutput& out) override {
    out.class_logits = classifier.forward(features).flatten(1);
  }
  torch::nn::AnyModule classifier;
};

/// The auxiliary classifier as a discriminator term, named "aux_classifier".
inline nn::DiscriminatorTerm auxiliary_head() {
  return {"aux_classifier", [](const nn::TermShape& s) { return std::make_shared<AuxiliaryHeadImpl>(s); }};
}

/// The generator gets the one-hot label on z; the discriminator sees the image alone and has
/// a second head that predicts the class. Both networks add `weight` times that head's
/// cross-entropy to their losses (the discriminator on real and generated images).
struct AuxiliaryClassifier : Base {
  explicit AuxiliaryClassifier(double weight = 1.0) : weight(weight) {}
  void configure(NetworkSpec& spec) {
    Base::configure(spec);
    spec.g_condition_dim(num_classes);
  }
  std::vector<nn::DiscriminatorTerm> discriminator_terms() const { return {auxiliary_head()}; }
  at::Tensor generator_input(const at::Tensor& z, const at::Tensor& labels) const {
    return at::cat({z, detail::one_hot(labels, num_classes, z.options())}, 1);
  }
  at::Tensor discriminator_extra_loss(const nn::CriticOutput& real, const nn::CriticOutput& fake,
                                      const at::Tensor& labels) const {
    return weight * (at::cross_entropy_loss(real.class_logits, labels) +
                     at::cross_entropy_loss(fake.class_logits, labels));
  }
  at::Tensor generator_extra_loss(const nn::CriticOutput& fake, const at::Tensor& labels) const {
    return weight * at::cross_entropy_loss(fake.class_logits, labels);
  }
  double weight;
};

}  // namespace gan::conditioning
