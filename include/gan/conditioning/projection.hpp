#pragma once
/// @file
/// The projection discriminator of Miyato & Koyama (2018), "cGANs with Projection
/// Discriminator".

#include <gan/conditioning/conditioning.hpp>
#include <gan/nn/layers.hpp>

#include <cmath>

namespace gan::conditioning {

/// The term: ⟨embed(y), φ(x)⟩ added to every score, φ(x) the last block's features flattened.
/// The embedding is scaled like the head (a linear map of the same features), not N(0, 1) as
/// Embedding's default: with that, the projection term swamps the score at the start.
class ProjectionTermImpl : public nn::DiscriminatorTermImpl {
 public:
  explicit ProjectionTermImpl(const nn::TermShape& s) {
    TORCH_CHECK_VALUE(s.num_classes > 0, "Projection: needs num_classes > 0, got ", s.num_classes);
    const int64_t dim = s.channels * s.size * s.size;
    embed = nn::embedding(torch::nn::EmbeddingOptions(s.num_classes, dim), s.spectral_norm);
    register_module("embed", embed.ptr());
    torch::NoGradGuard no_grad;
    const double bound = 1.0 / std::sqrt(double(dim));
    embed.ptr()->named_parameters()[s.spectral_norm ? "module.weight" : "weight"].uniform_(-bound, bound);
  }
  void apply(const torch::Tensor& features, const torch::Tensor& labels, nn::CriticOutput& out) override {
    TORCH_CHECK_VALUE(labels.defined() && labels.dim() == 1 && labels.size(0) == features.size(0),
                      "Discriminator: the projection needs one label per sample");
    out.score = out.score + (embed.forward(labels) * features.flatten(1)).sum(1, true);
  }
  torch::nn::AnyModule embed;
};

/// The projection as a discriminator term (`DiscriminatorOptions::terms`), named "projection".
inline nn::DiscriminatorTerm projection_term() {
  return {"projection", [](const nn::TermShape& s) { return std::make_shared<ProjectionTermImpl>(s); }};
}

/// The discriminator adds ⟨embed(y), φ(x)⟩ to its score, with φ its last features. The
/// generator is not conditioned by this policy alone: combine it with `ConditionalBatchNorm`
/// (`Combine<ConditionalBatchNorm, Projection>`, the SNGAN/BigGAN set-up).
struct Projection : Base {
  std::vector<nn::DiscriminatorTerm> discriminator_terms() const { return {projection_term()}; }
};

}  // namespace gan::conditioning
