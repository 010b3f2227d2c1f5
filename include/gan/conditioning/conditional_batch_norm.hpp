#pragma once
/// @file
/// Conditioning of the generator by conditional batch norm (de Vries et al., 2017).

#include <gan/conditioning/conditioning.hpp>

namespace gan::conditioning {

/// Every batch norm of the generator's hidden blocks takes a gain and a bias per class. The
/// discriminator is not conditioned by this policy alone: combine it with `Projection`.
struct ConditionalBatchNorm : Base {
  void configure(NetworkSpec& spec) {
    Base::configure(spec);
    spec.conditional_bn(true);
  }
};

}  // namespace gan::conditioning
