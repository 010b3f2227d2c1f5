#pragma once
/// @file
/// Training and evaluating an image classifier (the paper's VGG), with the same loader as the
/// GANs: used to extract features for clustering and by the oversampling experiment.

#include <gan/data/loader.hpp>
#include <gan/metrics/classification.hpp>

#include <torch/nn/functional/loss.h>
#include <torch/nn/module.h>
#include <torch/optim/adam.h>

#include <functional>

namespace gan {

/// Options of `train_classifier` and `evaluate_classifier`.
struct ClassifierOptions {
  TORCH_ARG(int64_t, epochs) = 10;
  TORCH_ARG(int64_t, batch_size) = 32;
  TORCH_ARG(double, lr) = 1e-4;
  TORCH_ARG(double, weight_decay) = 0.0;
  TORCH_ARG(bool, augment) = true;
  TORCH_ARG(uint64_t, seed) = 0;
  TORCH_ARG(torch::Device, device) = torch::kCPU;
  /// Per-class weights of the cross-entropy (a class-weighted loss); empty for none.
  TORCH_ARG(std::vector<double>, class_weights) = {};
  /// Normalise inputs as torchvision's ImageNet models expect (mean/std per channel).
  TORCH_ARG(bool, imagenet_normalize) = false;
};

namespace detail {
/// Images in [-1, 1] → the network's input.
inline at::Tensor classifier_input(const at::Tensor& x, const ClassifierOptions& o) {
  if (!o.imagenet_normalize()) return x;
  const auto mean = at::tensor({0.485f, 0.456f, 0.406f}, x.options()).view({1, 3, 1, 1});
  const auto std = at::tensor({0.229f, 0.224f, 0.225f}, x.options()).view({1, 3, 1, 1});
  return ((x + 1) * 0.5 - mean) / std;
}
}  // namespace detail

/// Trains `net` (a module holder whose forward maps [N, 3, S, S] to logits) with Adam and
/// cross-entropy on uint8 `images` and `labels`; only parameters that require grad are
/// optimised (frozen layers stay). Calls `on_epoch(epoch, mean_loss)` after each epoch.
template <class Net>
void train_classifier(Net& net, const at::Tensor& images, const at::Tensor& labels,
                      const ClassifierOptions& o,
                      const std::function<void(int64_t, double)>& on_epoch = {}) {
  std::vector<at::Tensor> params;
  for (auto& p : net->parameters())
    if (p.requires_grad()) params.push_back(p);
  TORCH_CHECK_VALUE(!params.empty(), "train_classifier: every parameter is frozen");
  torch::optim::Adam opt(params, torch::optim::AdamOptions(o.lr()).weight_decay(o.weight_decay()));
  data::Loader loader(images, labels,
                      {.batch_size = o.batch_size(), .shuffle = true,
                       .drop_last = images.size(0) >= o.batch_size(), .augment = o.augment(),
                       .prefetch = true, .seed = o.seed()});
  at::Tensor weight;
  if (!o.class_weights().empty())
    weight = at::tensor(o.class_weights(), at::kFloat).to(o.device());
  net->to(o.device());
  for (int64_t e = 0; e < o.epochs(); ++e) {
    net->train();
    double sum = 0;
    int64_t n = 0;
    loader.for_each(e, [&](int64_t, data::Batch& b) {
      auto x = detail::classifier_input(b.images.to(o.device()), o);
      auto loss = torch::nn::functional::cross_entropy(
          net->forward(x), b.labels.to(o.device()),
          torch::nn::functional::CrossEntropyFuncOptions().weight(weight));
      opt.zero_grad();
      loss.backward();
      opt.step();
      sum += loss.template item<double>();
      ++n;
    });
    if (on_epoch) on_epoch(e, n ? sum / double(n) : 0.0);
  }
}

/// Applies `fn(first_index, batch_input)` to `images` (uint8) in order, batch by batch, with
/// the network in eval mode and no gradient.
template <class Net>
void for_each_eval_batch(Net& net, const at::Tensor& images, const ClassifierOptions& o,
                         const std::function<void(int64_t, const at::Tensor&)>& fn) {
  torch::NoGradGuard no_grad;
  net->eval();
  for (int64_t from = 0; from < images.size(0); from += o.batch_size()) {
    const int64_t to = std::min(images.size(0), from + o.batch_size());
    auto x = images.slice(0, from, to).to(at::kFloat).div(127.5).sub(1.0).to(o.device());
    fn(from, detail::classifier_input(x, o));
  }
}

/// The confusion matrix of `net` on uint8 `images` with `labels`.
template <class Net>
metrics::ConfusionMatrix evaluate_classifier(Net& net, const at::Tensor& images,
                                             const at::Tensor& labels, int64_t num_classes,
                                             const ClassifierOptions& o) {
  metrics::ConfusionMatrix m(num_classes);
  const auto truth = labels.to(at::kLong).contiguous();
  for_each_eval_batch(net, images, o, [&](int64_t from, const at::Tensor& x) {
    const auto pred = net->forward(x).argmax(1).cpu();
    for (int64_t i = 0; i < pred.size(0); ++i)
      m.add(truth[from + i].template item<int64_t>(), pred[i].template item<int64_t>());
  });
  return m;
}

/// Trains as `train_classifier` and, after every epoch, scores `net` on a validation set by
/// balanced accuracy; `net` ends with the weights (parameters and buffers) of the best epoch,
/// the first of ties (model selection on the validation split). Calls
/// `on_epoch(epoch, mean_loss, val_balanced_accuracy)`. Returns the chosen epoch (0-based).
template <class Net>
int64_t train_classifier_best(Net& net, const at::Tensor& images, const at::Tensor& labels,
                              const at::Tensor& val_images, const at::Tensor& val_labels, int64_t num_classes,
                              const ClassifierOptions& o,
                              const std::function<void(int64_t, double, double)>& on_epoch = {}) {
  TORCH_CHECK_VALUE(val_images.size(0) > 0, "train_classifier_best: the validation set is empty");
  std::vector<at::Tensor> best;
  double best_score = -1;
  int64_t best_epoch = -1;
  auto state = [&] {
    std::vector<at::Tensor> s;
    for (const auto& p : net->parameters()) s.push_back(p);
    for (const auto& b : net->buffers()) s.push_back(b);
    return s;
  };
  train_classifier(net, images, labels, o, [&](int64_t e, double loss) {
    const double score = metrics::report(evaluate_classifier(net, val_images, val_labels, num_classes, o)).balanced_accuracy;
    if (score > best_score) {
      best_score = score;
      best_epoch = e;
      best.clear();
      for (const auto& t : state()) best.push_back(t.detach().clone());
    }
    if (on_epoch) on_epoch(e, loss, score);
  });
  if (best_epoch >= 0) {
    torch::NoGradGuard no_grad;
    auto now = state();
    for (size_t i = 0; i < now.size(); ++i) now[i].copy_(best[i]);
  }
  return best_epoch;
}

}  // namespace gan
