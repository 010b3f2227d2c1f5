#pragma once
/// @file
/// Training and evaluating an image classifier (the paper's VGG), with the same loader as the
/// GANs: used to extract features for clustering and by the oversampling experiment.

#include <gan/data/loader.hpp>
#include <gan/distributed/communicator.hpp>
#include <gan/error.hpp>
#include <gan/io/archive.hpp>
#include <gan/io/ini.hpp>
#include <gan/io/pth_tensor.hpp>
#include <gan/io/table.hpp>
#include <gan/metrics/classification.hpp>
#include <gan/nn/vgg.hpp>

#include <torch/nn/functional/loss.h>
#include <torch/nn/module.h>
#include <torch/optim/adam.h>

#include <functional>
#include <iomanip>
#include <sstream>

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
  /// Data parallel over the ranks of a group (gan/distributed): `batch_size` per rank, rank 0's
  /// weights to every rank first, gradients averaged, batch norm synchronised, the epoch's
  /// loss the ranks' mean. Null: alone.
  TORCH_ARG(std::shared_ptr<distributed::Communicator>, communicator) = nullptr;
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
  const auto& comm = o.communicator();
  const int64_t rank = comm ? comm->rank() : 0, world = comm ? comm->world_size() : 1;
  TORCH_CHECK_VALUE(world == 1 || images.size(0) >= o.batch_size() * world, "train_classifier: ", images.size(0),
                    " images are fewer than one batch of ", o.batch_size(), " on each of ", world, " processes");
  if (comm) distributed::broadcast_module(*comm, *net);
  torch::optim::Adam opt(params, torch::optim::AdamOptions(o.lr()).weight_decay(o.weight_decay()));
  data::Loader loader(images, labels,
                      {.batch_size = o.batch_size(), .shuffle = true,
                       .drop_last = images.size(0) >= o.batch_size() * world, .augment = o.augment(),
                       .prefetch = true, .seed = o.seed(), .rank = rank, .world_size = world});
  at::Tensor weight;
  if (!o.class_weights().empty())
    weight = at::tensor(o.class_weights(), at::kFloat).to(o.device());
  net->to(o.device());
  for (int64_t e = 0; e < o.epochs(); ++e) {
    net->train();
    double sum = 0;
    int64_t n = 0;
    loader.for_each(e, [&](int64_t, data::Batch& b) {
      const distributed::Scope data_parallel(comm.get(), {});  // nothing when alone
      auto x = detail::classifier_input(b.images.to(o.device()), o);
      auto loss = torch::nn::functional::cross_entropy(
          net->forward(x), b.labels.to(o.device()),
          torch::nn::functional::CrossEntropyFuncOptions().weight(weight));
      opt.zero_grad();
      loss.backward();
      if (comm) distributed::average_gradients(*comm, params, distributed::DataParallelOptions().bucket_bytes());
      opt.step();
      sum += distributed::mean_over_ranks(loss).template item<double>();
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

/// What a classifier says about each image: the class of its largest output and its softmax
/// probabilities, on the CPU.
struct ClassifierOutputs {
  at::Tensor predicted;      ///< int64 [N]
  at::Tensor probabilities;  ///< float [N, classes]
};

/// `net`'s outputs on uint8 `images`, in order.
template <class Net>
ClassifierOutputs predict_classifier(Net& net, const at::Tensor& images, const ClassifierOptions& o) {
  std::vector<at::Tensor> pred, prob;
  for_each_eval_batch(net, images, o, [&](int64_t, const at::Tensor& x) {
    const auto logits = net->forward(x);
    pred.push_back(logits.argmax(1).cpu());
    prob.push_back(logits.softmax(1).to(at::kFloat).cpu());
  });
  if (pred.empty()) return {at::empty({0}, at::kLong), at::empty({0, 0}, at::kFloat)};
  return {at::cat(pred), at::cat(prob)};
}

/// The confusion matrix of `net` on uint8 `images` with `labels`.
template <class Net>
metrics::ConfusionMatrix evaluate_classifier(Net& net, const at::Tensor& images,
                                             const at::Tensor& labels, int64_t num_classes,
                                             const ClassifierOptions& o) {
  metrics::ConfusionMatrix m(num_classes);
  const auto truth = labels.to(at::kLong).contiguous();
  const auto pred = predict_classifier(net, images, o).predicted.contiguous();
  for (int64_t i = 0; i < pred.size(0); ++i)
    m.add(truth[i].template item<int64_t>(), pred[i].template item<int64_t>());
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

// --- a classifier on disk ----------------------------------------------------------------------

/// What rebuilds a saved classifier: the VGG's shape (its head's classes included), the input
/// size it was trained at and whether its input is normalised as ImageNet models expect.
struct ClassifierShape {
  nn::VggOptions vgg{11};
  int64_t image_size = 64;
  bool imagenet_normalize = false;
};

/// A VGG for `classes` classes: built with torchvision's 1000-class head, `imagenet_weights`
/// (torchvision's .pth, e.g. vgg11-8a719358.pth, which needs torchvision's shapes) loaded into
/// it when given, the head then replaced by a fresh one for `classes`, and the first `freeze`
/// convs frozen (-1: 4 with weights, as the paper, else 0).
inline nn::Vgg make_vgg_classifier(nn::VggOptions shape, int64_t classes, const std::filesystem::path& imagenet_weights = {},
                                   int64_t freeze = -1) {
  nn::Vgg vgg(shape.num_classes(1000));
  if (!imagenet_weights.empty()) {
    TORCH_CHECK_VALUE(shape.width() == 1.0 && shape.hidden() == 4096 && shape.pool() == 7,
                      "ImageNet weights need torchvision's shapes: width 1, hidden 4096, pool 7");
    io::load_into(*vgg, imagenet_weights, /*strict=*/true);
  }
  vgg->replace_head(classes);
  vgg->freeze_convs(freeze >= 0 ? freeze : (imagenet_weights.empty() ? 0 : 4));
  return vgg;
}

/// Writes `dir`/classifier.pt (the weights) and `dir`/classifier.ini (the shape), each
/// atomically.
inline void save_classifier(const std::filesystem::path& dir, const nn::Vgg& net, const ClassifierShape& shape) {
  torch::serialize::OutputArchive a;
  net->save(a);
  io::save_archive(dir / "classifier.pt", a);
  std::ostringstream o;
  o << std::setprecision(17) << "# the shape of classifier.pt\nimg-size = " << shape.image_size
    << "\ndepth = " << shape.vgg.depth() << "\nbatch-norm = " << shape.vgg.batch_norm() << "\nwidth = " << shape.vgg.width()
    << "\nhidden = " << shape.vgg.hidden() << "\npool = " << shape.vgg.pool() << "\nclasses = " << net->options.num_classes()
    << "\nimagenet-normalize = " << shape.imagenet_normalize << "\n";
  io::write_file_atomically(dir / "classifier.ini", o.str());
}

/// A classifier read back by `load_classifier`: the network in eval mode on `options.device()`,
/// its shape, and the options that prepare its input.
struct TrainedClassifier {
  nn::Vgg net{nullptr};
  ClassifierShape shape;
  ClassifierOptions options;
};

/// Reads what `save_classifier` wrote to `dir`. Throws `gan::Error` naming the file when one is
/// missing, a value is malformed or the weights do not fit the shape.
inline TrainedClassifier load_classifier(const std::filesystem::path& dir, torch::Device device = torch::kCPU) {
  const auto ini_file = dir / "classifier.ini", weights = dir / "classifier.pt";
  for (const auto& f : {ini_file, weights})
    if (!std::filesystem::exists(f)) throw Error(f.string(), 0, "not found: is " + dir.string() + " a folder made by aerogan classify?");
  const auto ini = io::read_ini(ini_file);
  auto value = [&](const std::string& key, const std::string& fallback) -> double {
    const auto* e = ini.find("", key);
    const std::string v = e ? e->value : fallback;
    const auto x = io::to_number(v);
    if (!x || !std::isfinite(*x)) throw Error(ini_file.string(), e ? e->line : 0, key + " = '" + v + "' is not a number");
    return *x;
  };
  TrainedClassifier t;
  t.shape.image_size = int64_t(value("img-size", ""));
  t.shape.vgg = nn::VggOptions(int64_t(value("depth", "")))
                    .batch_norm(value("batch-norm", "0") != 0)
                    .width(value("width", "1"))
                    .hidden(int64_t(value("hidden", "4096")))
                    .pool(int64_t(value("pool", "7")))
                    .num_classes(int64_t(value("classes", "2")));
  t.shape.imagenet_normalize = value("imagenet-normalize", "0") != 0;
  if (t.shape.vgg.depth() != 11 && t.shape.vgg.depth() != 16) throw Error(ini_file.string(), 0, "depth must be 11 or 16");
  t.net = nn::Vgg(t.shape.vgg);
  // libtorch's load replaces a tensor whatever its shape: the shapes are checked here.
  std::vector<std::pair<std::string, std::vector<int64_t>>> shapes;
  for (const auto& p : t.net->named_parameters()) shapes.emplace_back(p.key(), p.value().sizes().vec());
  for (const auto& b : t.net->named_buffers()) shapes.emplace_back(b.key(), b.value().sizes().vec());
  try {
    torch::serialize::InputArchive a;
    io::load_archive(weights, a);
    t.net->load(a);
  } catch (const c10::Error& e) {
    throw Error(weights.string(), 0, std::string("cannot load the weights of the shape in classifier.ini: ") + e.what_without_backtrace());
  }
  auto loaded = t.net->named_parameters();
  auto buffers = t.net->named_buffers();
  for (const auto& [name, expected] : shapes) {
    const auto* v = loaded.find(name) ? loaded.find(name) : buffers.find(name);
    if (v && v->sizes().vec() != expected)
      throw Error(weights.string(), 0, "cannot load the weights of the shape in classifier.ini: " + name + " has shape " +
                                           c10::str(v->sizes()) + ", the shape needs " + c10::str(c10::IntArrayRef(expected)));
  }
  t.net->eval();
  t.options = ClassifierOptions().device(device).imagenet_normalize(t.shape.imagenet_normalize);
  t.net->to(device);
  return t;
}

/// metrics.csv of a trained classifier: one row per evaluated split (val, test).
struct ClassifierMetrics {
  struct Row {
    std::string split;
    metrics::ClassificationReport report;
  };
  std::vector<Row> rows;

  void write(const std::filesystem::path& file) const { io::write_file_atomically(file, text()); }
  std::string text() const {
    std::ostringstream o;
    o << std::fixed << std::setprecision(4) << "split,accuracy,precision,recall,f1,balanced_accuracy,support\n";
    for (const auto& [split, r] : rows)
      o << split << ',' << r.accuracy << ',' << r.precision << ',' << r.recall << ',' << r.f1 << ',' << r.balanced_accuracy
        << ',' << r.support << '\n';
    return o.str();
  }
  static ClassifierMetrics read(const std::filesystem::path& file) {
    ClassifierMetrics m;
    for (const auto& row : io::read_table(file, {"split", "accuracy", "precision", "recall", "f1", "balanced_accuracy", "support"}).rows) {
      metrics::ClassificationReport r;
      r.accuracy = row.number("accuracy");
      r.precision = row.number("precision");
      r.recall = row.number("recall");
      r.f1 = row.number("f1");
      r.balanced_accuracy = row.number("balanced_accuracy");
      r.support = row.integer("support");
      m.rows.push_back({row["split"], r});
    }
    return m;
  }
};

}  // namespace gan
