#pragma once
/// @file
/// An exponential moving average of a module's weights (Yazıcı et al., 2019, "The Unusual
/// Effectiveness of Averaging in GAN Training").

#include <torch/nn/module.h>
#include <torch/serialize/archive.h>

#include <string>
#include <vector>

namespace gan {

/// Shadow copies of a module's parameters (averaged) and buffers (copied).
class Ema {
 public:
  Ema() = default;
  explicit Ema(const torch::nn::Module& m) {
    torch::NoGradGuard no_grad;
    for (const auto& p : m.named_parameters()) shadow_.push_back({p.key(), p.value().detach().clone()});
    for (const auto& b : m.named_buffers()) shadow_.push_back({b.key(), b.value().detach().clone()});
    n_params_ = m.named_parameters().size();
  }

  bool enabled() const { return !shadow_.empty(); }

  /// shadow ← decay · shadow + (1 − decay) · weight for parameters; buffers are copied.
  void update(const torch::nn::Module& m, double decay) {
    torch::NoGradGuard no_grad;
    auto live = tensors(m);
    for (size_t i = 0; i < shadow_.size(); ++i) {
      if (i < n_params_ && live[i].is_floating_point())
        shadow_[i].second.lerp_(live[i], 1.0 - decay);
      else
        shadow_[i].second.copy_(live[i]);
    }
  }

  /// Swaps the shadow weights with the module's (call again to swap back).
  void swap(torch::nn::Module& m) {
    torch::NoGradGuard no_grad;
    auto live = tensors(m);
    for (size_t i = 0; i < shadow_.size(); ++i) {
      auto tmp = live[i].clone();
      live[i].copy_(shadow_[i].second);
      shadow_[i].second.copy_(tmp);
    }
  }

  void save(torch::serialize::OutputArchive& a) const {
    for (const auto& [name, t] : shadow_) a.write(name, t, /*is_buffer=*/true);
  }
  void load(torch::serialize::InputArchive& a) {
    for (auto& [name, t] : shadow_) {
      torch::Tensor read;
      a.read(name, read, /*is_buffer=*/true);
      TORCH_CHECK_VALUE(read.sizes() == t.sizes(), "EMA weight '", name, "' has shape ",
                        read.sizes(), " in the checkpoint but ", t.sizes(), " in the model");
      t.copy_(read);
    }
  }
  void to(const torch::Device& d) {
    for (auto& s : shadow_) s.second = s.second.to(d);
  }

 private:
  std::vector<torch::Tensor> tensors(const torch::nn::Module& m) const {
    std::vector<torch::Tensor> out;
    for (const auto& p : m.parameters()) out.push_back(p);
    for (const auto& b : m.buffers()) out.push_back(b);
    TORCH_CHECK(out.size() == shadow_.size(), "EMA: the module's tensors changed");
    return out;
  }
  std::vector<std::pair<std::string, torch::Tensor>> shadow_;
  size_t n_params_ = 0;
};

}  // namespace gan
