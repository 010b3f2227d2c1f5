#pragma once
/// @file
/// Small helpers that build a layer with or without spectral normalisation, so that every
/// network can switch it on or off at run time.

#include <gan/nn/spectral_norm.hpp>

#include <torch/nn/modules/container/any.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>

namespace gan::nn {

/// A Conv2d, spectrally normalised when `spectral_norm` is true.
inline torch::nn::AnyModule conv2d(const torch::nn::Conv2dOptions& o, bool spectral_norm) {
  if (spectral_norm) return torch::nn::AnyModule(SpectralNorm<torch::nn::Conv2d>(o));
  return torch::nn::AnyModule(torch::nn::Conv2d(o));
}

/// A ConvTranspose2d, spectrally normalised when `spectral_norm` is true.
inline torch::nn::AnyModule conv_transpose2d(const torch::nn::ConvTranspose2dOptions& o,
                                             bool spectral_norm) {
  if (spectral_norm) return torch::nn::AnyModule(SpectralNorm<torch::nn::ConvTranspose2d>(o));
  return torch::nn::AnyModule(torch::nn::ConvTranspose2d(o));
}

/// A Linear layer, spectrally normalised when `spectral_norm` is true.
inline torch::nn::AnyModule linear(const torch::nn::LinearOptions& o, bool spectral_norm) {
  if (spectral_norm) return torch::nn::AnyModule(SpectralNorm<torch::nn::Linear>(o));
  return torch::nn::AnyModule(torch::nn::Linear(o));
}

/// An Embedding, spectrally normalised when `spectral_norm` is true.
inline torch::nn::AnyModule embedding(const torch::nn::EmbeddingOptions& o, bool spectral_norm) {
  if (spectral_norm) return torch::nn::AnyModule(SpectralNorm<torch::nn::Embedding>(o));
  return torch::nn::AnyModule(torch::nn::Embedding(o));
}

}  // namespace gan::nn
