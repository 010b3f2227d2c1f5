#pragma once
/// @file
/// The GAN variants of the paper (and SAGAN as its authors define it), as type aliases of the
/// one `Trainer`. A variant is its policies; nothing else differs.

#include <gan/conditioning/one_hot_concat.hpp>
#include <gan/loss/hinge.hpp>
#include <gan/loss/non_saturating.hpp>
#include <gan/loss/wasserstein.hpp>
#include <gan/regularizer/gradient_penalty.hpp>
#include <gan/regularizer/weight_clipping.hpp>
#include <gan/train/trainer.hpp>

namespace gan::presets {

/// Conditional vanilla GAN (BCE), one-hot conditioning: the paper's models A-E.
using ConditionalGan =
    Trainer<arch::Dcgan, loss::NonSaturating, regularizer::None, conditioning::OneHotConcat>;
/// Conditional WGAN with no Lipschitz constraint (the paper's model H).
using ConditionalWgan =
    Trainer<arch::Dcgan, loss::Wasserstein, regularizer::None, conditioning::OneHotConcat>;
/// Conditional WGAN with weight clipping (the paper's best, model M: c = 0.01).
using ConditionalWganClip =
    Trainer<arch::Dcgan, loss::Wasserstein, regularizer::WeightClipping, conditioning::OneHotConcat>;
/// Conditional WGAN with a per-sample gradient penalty (the paper's models I-L).
using ConditionalWganGp =
    Trainer<arch::Dcgan, loss::Wasserstein, regularizer::GradientPenalty, conditioning::OneHotConcat>;
/// Conditional SAGAN as Zhang et al. define it: attention, spectral norm, hinge loss.
using ConditionalSagan =
    Trainer<arch::Sagan, loss::Hinge, regularizer::None, conditioning::OneHotConcat>;
/// The paper's conditional SAGAN (model R): one attention block (in G, after block 2), batch
/// norm, BCE.
using ConditionalSaganBce =
    Trainer<arch::Attention, loss::NonSaturating, regularizer::None, conditioning::OneHotConcat>;
/// The paper's model S: as model R with a second attention block, in D after block 2.
using ConditionalSaganBceS =
    Trainer<arch::Attention2, loss::NonSaturating, regularizer::None, conditioning::OneHotConcat>;

}  // namespace gan::presets
