#pragma once
/// @file
/// The core of the library: networks, losses, regularizers, conditioning, the trainer and the presets
/// (libtorch; no OpenCV). Every other area has its own umbrella header: gan/cluster.hpp,
/// gan/data.hpp, gan/experiment.hpp, gan/image.hpp, gan/io.hpp, gan/linalg.hpp, gan/metrics.hpp,
/// gan/report.hpp, gan/viz.hpp.

#include <gan/augment/ada.hpp>
#include <gan/augment/augmentation.hpp>
#include <gan/augment/diffaugment.hpp>
#include <gan/augment/dynamic.hpp>
#include <gan/conditioning/auxiliary_classifier.hpp>
#include <gan/conditioning/combine.hpp>
#include <gan/conditioning/conditional_batch_norm.hpp>
#include <gan/conditioning/conditioning.hpp>
#include <gan/conditioning/one_hot_concat.hpp>
#include <gan/conditioning/projection.hpp>
#include <gan/error.hpp>
#include <gan/loss/adversarial_loss.hpp>
#include <gan/loss/hinge.hpp>
#include <gan/loss/least_squares.hpp>
#include <gan/loss/non_saturating.hpp>
#include <gan/loss/wasserstein.hpp>
#include <gan/nn/architecture.hpp>
#include <gan/nn/attention.hpp>
#include <gan/nn/blocks.hpp>
#include <gan/nn/conditional_batch_norm.hpp>
#include <gan/nn/discriminator.hpp>
#include <gan/nn/generator.hpp>
#include <gan/nn/inception.hpp>
#include <gan/nn/init.hpp>
#include <gan/nn/layers.hpp>
#include <gan/nn/network_spec.hpp>
#include <gan/nn/self_attention.hpp>
#include <gan/nn/spectral_norm.hpp>
#include <gan/nn/vgg.hpp>
#include <gan/presets.hpp>
#include <gan/regularizer/gradient_penalty.hpp>
#include <gan/regularizer/lipschitz_constraint.hpp>
#include <gan/regularizer/weight_clipping.hpp>
#include <gan/train/allocator.hpp>
#include <gan/train/autocast.hpp>
#include <gan/train/classifier.hpp>
#include <gan/train/ema.hpp>
#include <gan/train/host_reads.hpp>
#include <gan/train/options.hpp>
#include <gan/train/trainer.hpp>
#include <gan/train/trainer_impl.hpp>
