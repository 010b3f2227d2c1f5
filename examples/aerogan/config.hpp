#pragma once
// aerogan's mapping from options to the library: a GAN's TrainOptions to its networks and
// trainer, a classifier's flags to its VGG and ClassifierOptions, and the labelled sets.
#include "options.hpp"

#include <gan/augment/dynamic.hpp>
#include <gan/data/image_folder.hpp>
#include <gan/nn/vgg.hpp>
#include <gan/presets.hpp>
#include <gan/train/classifier.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

namespace aerogan {

/// The variants the tool trains: the library's one list.
inline const std::vector<std::string>& variants() {
  static const std::vector<std::string> v = gan::presets::variant_names();
  return v;
}

/// "vanilla (what it is) | wgan (...) | ...", from the library's list.
inline const std::string& variant_help() {
  static const std::string text = std::apply(
      [](const auto&... v) {
        std::string out;
        ((out += (out.empty() ? "" : " | ") + std::string(v.name) + " (" + std::string(v.description) + ")"), ...);
        return out;
      },
      gan::presets::variants);
  return text;
}

/// Turns "--model_name" into "--model-name" (the paper's spellings), leaving values alone.
inline std::vector<std::string> normalise_args(int argc, char** argv, int first) {
  std::vector<std::string> out;
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) == 0) {
      const auto eq = a.find('=');
      for (size_t k = 2; k < std::min(eq, a.size()); ++k)
        if (a[k] == '_') a[k] = '-';
    }
    out.push_back(a);
  }
  return out;
}

/// The VGG of `c` for `classes` classes: ImageNet weights loaded, head replaced, convs frozen.
inline gan::nn::Vgg make_classifier(const ClassifierFlags& c, int64_t classes) {
  return gan::make_vgg_classifier(gan::nn::VggOptions(c.depth).batch_norm(c.batch_norm).width(c.width).hidden(c.hidden).pool(c.pool),
                                  classes, c.weights, c.freeze);
}

/// "cuda" is the process's own GPU under torchrun's variables (cuda:LOCAL_RANK), GPU 0 alone.
inline torch::Device to_device(const std::string& device) {
  if (device != "cuda") return torch::Device(torch::kCPU);
  const char* local = std::getenv("LOCAL_RANK");
  const char* world = std::getenv("WORLD_SIZE");
  const bool group = local && world && std::atoi(world) > 1;
  return torch::Device(torch::kCUDA, group ? c10::DeviceIndex(std::atoi(local)) : c10::DeviceIndex(0));
}

inline gan::ClassifierOptions classifier_options(const ClassifierFlags& c, uint64_t seed) {
  return gan::ClassifierOptions()
      .epochs(c.epochs)
      .batch_size(c.batch)
      .lr(c.lr)
      .augment(c.augment)
      .seed(seed)
      .device(to_device(c.device))
      .imagenet_normalize(!c.weights.empty());
}

/// The networks' spec of a configuration (n_classes resolved).
inline gan::NetworkSpec network_spec(const TrainOptions& c) {
  const bool paper = c.arch == "paper96" || (c.arch == "auto" && c.img_size == 96);
  auto s = gan::NetworkSpec()
               .image_size(c.img_size)
               .num_classes(c.n_classes)
               .z_dim(c.z_dim)
               .layout(paper ? gan::Layout::paper96 : gan::Layout::family)
               .g_width(c.g_width)
               .d_width(c.d_width)
               .d_output_dim(c.d_output_dim);
  // Attention: per network, then both, then --attention (model R's block), else the variant's.
  auto blocks = [](const std::string& v, const char* what) {
    return v == "none" ? std::vector<int64_t>{} : parse_list(v, what);
  };
  std::optional<std::vector<int64_t>> g_at, d_at;
  if (!c.attention_at.empty()) g_at = d_at = blocks(c.attention_at, "attention-at");
  else if (c.attention && c.variant.rfind("sagan", 0) != 0) g_at = std::vector<int64_t>{2};
  if (!c.g_attention_at.empty()) g_at = blocks(c.g_attention_at, "g-attention-at");
  if (!c.d_attention_at.empty()) d_at = blocks(c.d_attention_at, "d-attention-at");
  if (g_at) s.g_attention_at(*g_at);
  if (d_at) s.d_attention_at(*d_at);
  return s;
}

inline gan::TrainerOptions trainer_options(const TrainOptions& c) {
  auto opt = gan::OptimizerOptions()
                 .kind(c.optimizer == "rmsprop" ? gan::OptimizerOptions::Kind::rmsprop
                                                : gan::OptimizerOptions::Kind::adam)
                 .lr(c.lr)
                 .beta1(c.b1)
                 .beta2(c.b2);
  return gan::TrainerOptions()
      .n_critic(c.disc_repeats)
      .g_optimizer(opt)
      .d_optimizer(opt)
      .ema_decay(c.ema)
      .seed(c.seed)
      .reuse_fakes(c.reuse_fakes)
      .precision(c.precision == "bf16" ? gan::Precision::bf16 : gan::Precision::fp32)
      .channels_last(c.memory_format == "channels-last")
      .init(c.init == "dcgan" ? gan::WeightInit::dcgan
                              : c.init == "pytorch" ? gan::WeightInit::pytorch : gan::WeightInit::paper)
      .device(to_device(c.device));
}

/// The augmentation of the discriminator's input the configuration asks for.
inline gan::augment::Dynamic augmentation(const TrainOptions& c) {
  if (c.ada)
    return gan::augment::Dynamic::ada({.target = c.ada_target, .interval = c.ada_interval, .kimg = c.ada_kimg});
  if (!c.diffaugment.empty()) return gan::augment::Dynamic::diffaugment(c.diffaugment);
  return gan::augment::Dynamic::none();
}

/// Makes the trainer of the configuration's variant, with its augmentation, and calls fn(trainer).
template <class Fn>
auto with_trainer(const TrainOptions& c, Fn&& fn) {
  const auto spec = network_spec(c);
  const auto opts = trainer_options(c);
  return gan::presets::visit(c.variant, [&](auto tag) {
    using T = typename decltype(tag)::type::template WithAugmentation<gan::augment::Dynamic>;
    return fn(gan::presets::make<T>(spec, opts, {.clip_value = c.clip_value, .gp_weight = c.gp_weight}, augmentation(c)));
  });
}

/// A labelled folder at the classifier's size, cached under `cache_dir`.
inline gan::data::ImageFolder load_set(const std::string& labels, std::string data_dir, int64_t img_size,
                                       const std::string& on_bad, const fs::path& cache_dir, int64_t classes = 0) {
  if (data_dir.empty()) data_dir = fs::path(labels).parent_path().string();
  gan::data::ImageFolderOptions d;
  d.data_dir = data_dir;
  d.labels = labels;
  d.image_size = img_size;
  d.num_classes = classes;
  d.on_bad = on_bad == "skip" ? gan::data::OnBad::skip : gan::data::OnBad::error;
  d.cache_dir = cache_dir;
  if (!cache_dir.empty()) gan::io::remove_stale_temporaries(cache_dir);
  auto set = gan::data::load_image_folder(d);
  if (!set.cache_problem.empty())
    std::cerr << "warning: the dataset cache was not used (" << set.cache_problem << "); decoded again\n";
  return set;
}

/// The fields of a run that its checkpoints record (gan::Identity) beside the trainer's own:
/// every option of config.ini that shapes the networks, the losses, the optimizers or the data
/// order ("option.NAME"), and the dataset's fingerprint. What only steers the run (epochs,
/// checkpoint and sample intervals, folders, device, cache, memory format) is left out: a resume
/// may change it.
inline gan::Identity run_identity(const TrainOptions& c, const gan::data::ImageFolder& data) {
  static const std::set<std::string> steering{"n-epochs", "model-name", "save-nr", "checkpoint-nr", "checkpoint-start", "out",
                                              "device", "cache", "grid-columns", "labels", "data-dir", "on-bad-image",
                                              "nproc", "dist-timeout", "master-port", "log-every", "memory-format"};
  gan::Identity id;
  std::istringstream in(c.ini());
  for (std::string line; std::getline(in, line);) {
    const bool unset = line.rfind("# ", 0) == 0;  // an empty string option: "# name = "
    const auto eq = line.find(" = ");
    if (eq == std::string::npos || (line[0] == '#' && !unset)) continue;
    const std::string key = line.substr(unset ? 2 : 0, eq - (unset ? 2 : 0)), value = line.substr(eq + 3);
    if (!steering.count(key)) id.emplace_back("option." + key, value);
  }
  id.emplace_back("dataset", gan::data::fingerprint(data));
  return id;
}

/// The options a checkpoint of aerogan train was trained with, from its identity (nullopt for
/// a checkpoint written before identities were): generate builds its network from them.
inline std::optional<TrainOptions> options_of_checkpoint(const fs::path& checkpoint) {
  std::vector<std::string> args;
  for (const auto& [key, value] : gan::read_identity(checkpoint))
    if (key.rfind("option.", 0) == 0 && !value.empty()) args.insert(args.end(), {"--" + key.substr(7), value});
  if (args.empty()) return std::nullopt;
  args.insert(args.end(), {"--labels", "(from the checkpoint)"});
  return parse<TrainOptions>(args, false);
}

/// Rows `idx` of a set's images and labels.
inline std::pair<at::Tensor, at::Tensor> subset(const gan::data::ImageFolder& d, const std::vector<int64_t>& idx) {
  auto i = at::tensor(idx, at::kLong);
  return {d.images.index_select(0, i), d.labels.index_select(0, i)};
}

}  // namespace aerogan
