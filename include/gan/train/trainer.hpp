#pragma once
/// @file
/// `Trainer`: the one training loop that every GAN variant shares. A variant is the set of
/// policies the trainer is instantiated with (see `gan/presets.hpp`).

#include <gan/augment/augmentation.hpp>
#include <gan/conditioning/conditioning.hpp>
#include <gan/distributed/communicator.hpp>
#include <gan/loss/adversarial_loss.hpp>
#include <gan/nn/architecture.hpp>
#include <gan/regularizer/lipschitz_constraint.hpp>
#include <gan/error.hpp>
#include <gan/io/archive.hpp>
#include <gan/io/string_tensor.hpp>
#include <gan/train/ema.hpp>
#include <gan/train/options.hpp>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/optim/optimizer.h>
#include <torch/serialize/archive.h>

#include <c10/util/Type.h>

#include <filesystem>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace gan {

/// How `Trainer::sample` draws images.
struct SampleOptions {
  /// Truncation ψ of z (BigGAN's trick): entries with |z| > ψ are redrawn. ψ <= 0: none.
  TORCH_ARG(double, truncation) = 0.0;
  /// Use the EMA weights when the trainer keeps them.
  TORCH_ARG(bool, use_ema) = true;
  /// Normalise with batch statistics (train mode) instead of the running ones (eval mode).
  TORCH_ARG(bool, batch_stats) = false;
};

/// What a checkpoint was made with, field by field: (name, value). `Trainer::identity()` lists
/// the trainer's own fields (every parameter's and buffer's shape, the policies, the
/// optimizers) and then the caller's (`Trainer::set_identity`: e.g. a dataset's fingerprint).
using Identity = std::vector<std::pair<std::string, std::string>>;

/// "FIELD: 'A' in the checkpoint, 'B' now" for each field whose value differs between `saved`
/// and `now`, or that only one of them has.
inline std::vector<std::string> identity_differences(const Identity& saved, const Identity& now) {
  std::vector<std::string> out;
  auto find = [](const Identity& id, const std::string& key) -> const std::string* {
    for (const auto& [k, v] : id)
      if (k == key) return &v;
    return nullptr;
  };
  for (const auto& [k, v] : saved) {
    const auto* n = find(now, k);
    if (!n) out.push_back(k + ": '" + v + "' in the checkpoint, not set now");
    else if (*n != v) out.push_back(k + ": '" + v + "' in the checkpoint, '" + *n + "' now");
  }
  for (const auto& [k, v] : now)
    if (!find(saved, k)) out.push_back(k + ": not in the checkpoint, '" + v + "' now");
  return out;
}

/// Thrown by `Trainer::load` when a checkpoint was made with other settings than the trainer's.
class IdentityMismatch : public Error {
 public:
  IdentityMismatch(const std::string& file, std::vector<std::string> differences, bool forceable)
      : Error(file, 0, message(differences, forceable)), differences_(std::move(differences)), forceable_(forceable) {}
  /// One line per field, as `identity_differences` says it.
  const std::vector<std::string>& differences() const noexcept { return differences_; }
  /// Whether `load` with force would load it: false when the networks' shapes, the optimizers'
  /// kinds or the EMA differ, which no force makes fit.
  bool forceable() const noexcept { return forceable_; }

 private:
  static std::string message(const std::vector<std::string>& d, bool forceable) {
    std::string m = "the checkpoint was made with other settings than this run's (" + std::to_string(d.size()) +
                    (d.size() == 1 ? " difference" : " differences") + "):";
    for (size_t i = 0; i < d.size() && i < 12; ++i) m += "\n  " + d[i];
    if (d.size() > 12) m += "\n  ... and " + std::to_string(d.size() - 12) + " more";
    m += forceable ? "\nload it with force to accept the change"
                   : "\nthe networks, optimizers or EMA differ, so it cannot be loaded into this trainer";
    return m;
  }
  std::vector<std::string> differences_;
  bool forceable_;
};

/// The identity a checkpoint of `Trainer::save` records, read without building a trainer
/// (empty for a checkpoint written before identities were). Throws gan::Error naming the file
/// when it is missing, damaged or not a checkpoint.
namespace detail {
inline Identity archive_identity(torch::serialize::InputArchive& root, const std::filesystem::path& checkpoint) {
  torch::Tensor keys, values;
  if (!root.try_read("identity_keys", keys) || !root.try_read("identity_values", values)) return {};
  const auto k = io::tensor_strings(keys.cpu()), v = io::tensor_strings(values.cpu());
  if (k.size() != v.size()) throw Error(checkpoint.string(), 0, "its identity is malformed");
  Identity id;
  for (size_t i = 0; i < k.size(); ++i) id.emplace_back(k[i], v[i]);
  return id;
}
}  // namespace detail

inline Identity read_identity(const std::filesystem::path& checkpoint) {
  torch::serialize::InputArchive root;
  io::load_archive(checkpoint, root);
  return detail::archive_identity(root, checkpoint);
}

/// Trains a conditional GAN made of an architecture, an adversarial loss, a Lipschitz
/// constraint, a conditioning strategy and an augmentation of the discriminator's input.
///
/// @tparam A an `Architecture` (makes the generator and the discriminator)
/// @tparam L an `loss::AdversarialLoss`
/// @tparam R a `regularizer::LipschitzConstraint`
/// @tparam C a `conditioning::Conditioning`
/// @tparam G an `augment::Augmentation` applied before every discriminator call (none by
///         default; `augment::DiffAugment`, `augment::Ada`)
///
/// ```cpp
/// gan::presets::ConditionalWganGp t(gan::NetworkSpec().image_size(32).num_classes(6),
///                                   gan::TrainerOptions().n_critic(5));
/// auto stats = t.step(images, labels);   // images in [-1, 1], labels in [0, 6)
/// t.save("ckpt.pt");
/// ```
template <Architecture A, loss::AdversarialLoss L, regularizer::LipschitzConstraint R,
          conditioning::Conditioning C, augment::Augmentation G = augment::None>
class Trainer {
 public:
  using ArchitectureType = A;
  using Loss = L;
  using Constraint = R;
  using ConditioningType = C;
  using AugmentationType = G;
  /// The same trainer with another augmentation: `presets::ConditionalGan::WithAugmentation<augment::Ada>`.
  template <augment::Augmentation G2>
  using WithAugmentation = Trainer<A, L, R, C, G2>;
  using Generator = decltype(std::declval<const A&>().make_generator(std::declval<NetworkSpec>()));
  using Discriminator =
      decltype(std::declval<const A&>().make_discriminator(std::declval<NetworkSpec>()));

  explicit Trainer(NetworkSpec spec, TrainerOptions options = {}, A architecture = A(),
                   L loss = L(), R constraint = R(), C conditioning = C(), G augmentation = G());

  /// One generator step after `n_critic` discriminator steps on the batch `real` ([N, C, S, S]
  /// in [-1, 1]) with `labels` (integers in [0, num_classes), [N]). A non-finite loss is
  /// reported in the result and its update is not applied. Reads the losses to the host (on
  /// CUDA each read waits for the device).
  StepStats step(const torch::Tensor& real, const torch::Tensor& labels);

  /// The same step with nothing read to the host: the losses stay on the device (read them with
  /// `read_all`, e.g. once per logging interval), the labels' range is not checked (check the
  /// dataset once with `check_labels`), and the noise is drawn on the device. Its numerics are
  /// `step`'s: the same weights and losses from the same state. A non-finite loss cannot stop
  /// its update here; it is recorded on the device, `diverged_step` says where, and `save`
  /// refuses to write the networks it left.
  DeferredStats step_deferred(const torch::Tensor& real, const torch::Tensor& labels);

  /// Throws c10::ValueError unless every label lies in [0, num_classes) (one read).
  void check_labels(const torch::Tensor& labels) const;

  /// The first `step_deferred` (its `steps()` count) whose loss was not finite, or -1 (one read;
  /// -1 without deferred steps). `load` clears it.
  int64_t diverged_step() const;

  /// Generated images for `labels`, on the trainer's device, in [-1, 1].
  torch::Tensor sample(const torch::Tensor& labels, const SampleOptions& options = {});
  /// The same from the given noise `z` ([N, z_dim]; `options.truncation` is not applied), for
  /// grids that compare epochs on the same draws. The trainer's RNG is not used.
  torch::Tensor sample(const torch::Tensor& labels, const torch::Tensor& z,
                       const SampleOptions& options = {});

  /// Noise for `n` samples from the trainer's generator, truncated to |z| <= ψ when ψ > 0.
  torch::Tensor noise(int64_t n, double truncation = 0.0);

  /// Saves everything a resumed run needs: networks, optimizers, EMA, step and RNG, and the
  /// identity. Atomic and checksummed (gan/io/archive.hpp): a failed write keeps the old file.
  /// Throws gan::Error, writing nothing, when a deferred step diverged (`diverged_step`).
  void save(const std::filesystem::path& path) const;
  /// Restores what `save` wrote. A checkpoint whose identity differs from this trainer's throws
  /// `IdentityMismatch` naming each field; `force` accepts every difference but the networks'
  /// shapes, the optimizers' kinds and the EMA. A checkpoint whose random state was made on
  /// another kind of device (cpu, cuda) is such a difference ("rng_device"); forced, the noise
  /// is reseeded from the seed and the step. A damaged file throws `io::ChecksumError`.
  void load(const std::filesystem::path& path, bool force = false);

  /// Trains data-parallel over the ranks of `comm` (e.g. a `distributed::ProcessGroup`): every
  /// rank calls each step with its own rows of the global batch (`data::LoaderOptions`'s rank
  /// and world size), the per-sample draws are the rank's rows of a draw for the global batch,
  /// gradients are averaged after every backward (critic steps, the penalty's double backward,
  /// the generator step), batch norm is synchronised unless `options` says not, and the
  /// reported losses are the ranks' mean. So W ranks with batch B make the same updates as one
  /// process with batch W·B. Copies rank 0's weights (and, before the first step, its EMA) to
  /// every rank now; every rank must be built with the same options and seed. Null: alone.
  void set_communicator(std::shared_ptr<distributed::Communicator> comm, distributed::DataParallelOptions options = {});
  const std::shared_ptr<distributed::Communicator>& communicator() const { return comm_; }

  /// Fields the caller adds to the identity that checkpoints record and `load` compares: e.g. a
  /// dataset's fingerprint, or the run's options.
  void set_identity(Identity fields) { extra_identity_ = std::move(fields); }
  /// The parameters' and buffers' shapes of both networks, the policies, the optimizers, then
  /// the fields of `set_identity`.
  Identity identity() const;

  Generator& generator() { return g_; }
  Discriminator& discriminator() { return d_; }
  const NetworkSpec& spec() const { return spec_; }
  const TrainerOptions& options() const { return options_; }
  int64_t steps() const { return step_; }
  bool has_ema() const { return ema_.enabled(); }
  L& loss() { return loss_; }
  R& constraint() { return constraint_; }
  C& conditioning() { return conditioning_; }
  G& augmentation() { return augment_; }

 private:
  void check_batch(const torch::Tensor& real, const torch::Tensor& labels) const;
  template <bool Deferred>
  std::conditional_t<Deferred, DeferredStats, StepStats> run_step(const torch::Tensor& real,
                                                                  const torch::Tensor& labels);
  void init_weights();
  /// Puts both networks on the options' device, in the precision's dtype and, with channels_last,
  /// in NHWC memory.
  void place_networks();
  /// The dtype of the weights and of the step's tensors (float; double at Precision::fp64).
  c10::ScalarType dtype() const { return parameter_dtype(options_.precision()); }
  nn::CriticOutput critic(const torch::Tensor& images, const torch::Tensor& labels);
  torch::Tensor generate(const torch::Tensor& z, const torch::Tensor& labels);

  NetworkSpec spec_;
  TrainerOptions options_;
  A arch_;
  L loss_;
  R constraint_;
  C conditioning_;
  G augment_;
  Generator g_{nullptr};
  Discriminator d_{nullptr};
  std::unique_ptr<torch::optim::Optimizer> opt_g_, opt_d_;
  Ema ema_;
  at::Generator rng_;
  int64_t step_ = 0;
  torch::Tensor diverged_at_;  ///< int64 0-dim on the device: the first deferred step that diverged, or -1
  Identity extra_identity_;
  std::shared_ptr<distributed::Communicator> comm_;
  distributed::DataParallelOptions data_parallel_;
};

}  // namespace gan

#include <gan/train/trainer_impl.hpp>
