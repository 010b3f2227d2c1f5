#pragma once
/// @file
/// Conditioning of the generator by conditional batch norm (de Vries et al., 2017).

#include <gan/conditioning/conditioning.hpp>

namespace gan::conditioning {

/// Every batch norm of the generator's hidden blocks takes a gain and a bias per class. The
/// discriminator is not conditioned by this policy alone: combine it with `Projection`.
struct ConditionalBatchNorm : Base {
  nn::Norm generator_norm() const { return nn::Norm::conditional_batch; }
};

}  // namespace gan::conditioning
