#pragma once
/// @file
/// The projection discriminator of Miyato & Koyama (2018), "cGANs with Projection
/// Discriminator".

#include <gan/conditioning/conditioning.hpp>

namespace gan::conditioning {

/// The discriminator adds ⟨embed(y), φ(x)⟩ to its score, with φ its last features. The
/// generator is not conditioned by this policy alone: combine it with `ConditionalBatchNorm`
/// (`Combine<ConditionalBatchNorm, Projection>`, the SNGAN/BigGAN set-up).
struct Projection : Base {
  void configure(NetworkSpec& spec) {
    Base::configure(spec);
    spec.projection(true);
  }
};

}  // namespace gan::conditioning
