#pragma once
/// @file
/// The auxiliary-classifier GAN of Odena, Olah, Shlens (2017), "Conditional Image Synthesis
/// with Auxiliary Classifier GANs".

#include <gan/conditioning/one_hot_concat.hpp>

#include <ATen/ATen.h>

namespace gan::conditioning {

/// The generator gets the one-hot label on z; the discriminator sees the image alone and has
/// a second head that predicts the class. Both networks add `weight` times that head's
/// cross-entropy to their losses (the discriminator on real and generated images).
struct AuxiliaryClassifier : Base {
  explicit AuxiliaryClassifier(double weight = 1.0) : weight(weight) {}
  void configure(NetworkSpec& spec) {
    Base::configure(spec);
    spec.g_condition_dim(num_classes).aux_classifier(true);
  }
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
