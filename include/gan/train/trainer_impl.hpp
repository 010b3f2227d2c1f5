#pragma once
/// @file
/// Definitions of `Trainer`'s members (included at the end of trainer.hpp).

#include <gan/nn/conv_transpose.hpp>
#include <gan/train/autocast.hpp>
#include <gan/train/trainer.hpp>

#include <torch/utils.h>

#include <cmath>
#include <functional>
#include <typeinfo>

namespace gan {

namespace detail {
/// A generator of random numbers on `device`, seeded with `seed`: the CPU's mt19937, or a copy
/// of the device's default generator (CUDA's Philox) reseeded, so that nothing needs the CUDA
/// headers here.
inline at::Generator make_generator(const c10::Device& device, uint64_t seed) {
  if (device.is_cpu()) return at::make_generator<at::CPUGeneratorImpl>(seed);
  auto g = at::globalContext().defaultGenerator(device).clone();
  g.set_current_seed(seed);
  return g;
}
}  // namespace detail

template <Architecture A, loss::AdversarialLoss L, regularizer::LipschitzConstraint R,
          conditioning::Conditioning C, augment::Augmentation G>
Trainer<A, L, R, C, G>::Trainer(NetworkSpec spec, TrainerOptions options, A architecture, L loss,
                                R constraint, C conditioning, G augmentation)
    : spec_(std::move(spec)),
      options_(std::move(options)),
      arch_(std::move(architecture)),
      loss_(std::move(loss)),
      constraint_(std::move(constraint)),
      conditioning_(std::move(conditioning)),
      augment_(std::move(augmentation)),
      rng_(detail::make_generator(options_.device(), options_.seed())) {
  TORCH_CHECK_VALUE(options_.n_critic() >= 1, "Trainer: n_critic must be >= 1, got ",
                    options_.n_critic());
  TORCH_CHECK_VALUE(options_.ema_decay() >= 0 && options_.ema_decay() < 1,
                    "Trainer: ema_decay must lie in [0, 1), got ", options_.ema_decay());
  spec_.validate();
  conditioning_.configure(spec_);
  torch::manual_seed(options_.seed());
  // The network parts the conditioning brings, found through `requires`: an architecture that
  // cannot take them is refused here, at compile time, rather than silently ignoring them.
  const auto hooks = conditioning::network_hooks(conditioning_);
  if constexpr (conditioning::HasGeneratorNorm<C>) {
    static_assert(TakesGeneratorHooks<A>,
                  "the conditioning sets the generator's norm: the architecture needs make_generator(spec, hooks)");
    g_ = arch_.make_generator(spec_, hooks);
  } else {
    g_ = arch_.make_generator(spec_);
  }
  if constexpr (conditioning::HasDiscriminatorTerms<C>) {
    static_assert(TakesDiscriminatorHooks<A>,
                  "the conditioning brings discriminator terms: the architecture needs make_discriminator(spec, hooks)");
    d_ = arch_.make_discriminator(spec_, hooks);
  } else {
    d_ = arch_.make_discriminator(spec_);
  }
  init_weights();
  place_networks();
  opt_g_ = options_.g_optimizer().make(g_->parameters());
  opt_d_ = options_.d_optimizer().make(d_->parameters());
  if (options_.ema_decay() > 0) ema_ = Ema(*g_);
}

template <Architecture A, loss::AdversarialLoss L, regularizer::LipschitzConstraint R,
          conditioning::Conditioning C, augment::Augmentation G>
void Trainer<A, L, R, C, G>::init_weights() {
  for (auto* net : {static_cast<torch::nn::Module*>(g_.get()),
                    static_cast<torch::nn::Module*>(d_.get())}) {
    if constexpr (requires { arch_.init_weights(*net, options_.init()); })
      arch_.init_weights(*net, options_.init());
    else
      nn::init_weights(*net, options_.init());
  }
}

template <Architecture A, loss::AdversarialLoss L, regularizer::LipschitzConstraint R,
          conditioning::Conditioning C, augment::Augmentation G>
void Trainer<A, L, R, C, G>::place_networks() {
  torch::NoGradGuard no_grad;
  for (auto* net : {static_cast<torch::nn::Module*>(g_.get()), static_cast<torch::nn::Module*>(d_.get())}) {
    net->to(options_.device());
    // Floating-point tensors only (Module::to(dtype) would turn batch norm's step counter too).
    for (const auto& tensors : {net->parameters(), net->buffers()})
      for (auto t : tensors)
        if (t.is_floating_point() && t.scalar_type() != dtype()) t.set_data(t.to(dtype()));
    if (options_.channels_last()) nn::to_channels_last(*net);
  }
}

template <Architecture A, loss::AdversarialLoss L, regularizer::LipschitzConstraint R,
          conditioning::Conditioning C, augment::Augmentation G>
void Trainer<A, L, R, C, G>::check_batch(const torch::Tensor& real, const torch::Tensor& labels) const {
  const int64_t s = spec_.image_size(), c = spec_.channels();
  TORCH_CHECK_VALUE(real.defined() && real.dim() == 4 && real.size(1) == c && real.size(2) == s &&
                        real.size(3) == s && real.is_floating_point(),
                    "Trainer: expected real images of shape [N, ", c, ", ", s, ", ", s,
                    "] (floating point), got ",
                    real.defined() ? c10::str(real.sizes(), " ", real.scalar_type())
                                   : std::string("an undefined tensor"));
  TORCH_CHECK_VALUE(real.size(0) > 0, "Trainer: the batch is empty");
  TORCH_CHECK_VALUE(labels.defined() && labels.dim() == 1 && !labels.is_floating_point(),
                    "Trainer: expected integer labels of shape [N], got ",
                    labels.defined() ? c10::str(labels.sizes(), " ", labels.scalar_type())
                                     : std::string("an undefined tensor"));
  TORCH_CHECK_VALUE(labels.size(0) == real.size(0), "Trainer: ", real.size(0), " images but ",
                    labels.size(0), " labels");
}

template <Architecture A, loss::AdversarialLoss L, regularizer::LipschitzConstraint R,
          conditioning::Conditioning C, augment::Augmentation G>
void Trainer<A, L, R, C, G>::check_labels(const torch::Tensor& labels) const {
  if (labels.numel() == 0) return;
  const auto range = at::stack({labels.min(), labels.max()}).to(at::kCPU, at::kLong);
  const auto lo = range[0].item<int64_t>(), hi = range[1].item<int64_t>();
  TORCH_CHECK_VALUE(lo >= 0 && hi < spec_.num_classes(), "Trainer: label ",
                    lo < 0 ? lo : hi, " is out of range [0, ", spec_.num_classes(), ")");
}

template <Architecture A, loss::AdversarialLoss L, regularizer::LipschitzConstraint R,
          conditioning::Conditioning C, augment::Augmentation G>
int64_t Trainer<A, L, R, C, G>::diverged_step() const {
  return diverged_at_.defined() ? diverged_at_.item<int64_t>() : -1;
}

template <Architecture A, loss::AdversarialLoss L, regularizer::LipschitzConstraint R,
          conditioning::Conditioning C, augment::Augmentation G>
nn::CriticOutput Trainer<A, L, R, C, G>::critic(const torch::Tensor& images,
                                             const torch::Tensor& labels) {
  // Every discriminator call sees the augmented images (the identity without augmentation).
  // The scores are float (double at fp64) whatever the precision of the forward pass: the losses are too.
  auto out = d_->forward(conditioning_.discriminator_input(augment_(images, rng_), labels), labels);
  out.score = out.score.to(dtype());
  if (out.class_logits.defined()) out.class_logits = out.class_logits.to(dtype());
  return out;
}

template <Architecture A, loss::AdversarialLoss L, regularizer::LipschitzConstraint R,
          conditioning::Conditioning C, augment::Augmentation G>
torch::Tensor Trainer<A, L, R, C, G>::noise(int64_t n, double truncation) {
  const auto on = at::TensorOptions(rng_.device());
  // In a data-parallel step: this rank's rows of the global batch's noise.
  return distributed::draw_rows(n, [&](int64_t m) {
    if (truncation <= 0) return at::randn({m, spec_.z_dim()}, rng_, on.dtype(dtype())).to(options_.device());
    // N(0, 1) conditioned on |z| <= ψ, by the inverse of its CDF: z = √2 erf⁻¹(erf(ψ/√2)(2u − 1))
    // for u ~ U[0, 1), in double, in one pass on the device (no redraw loop, no read).
    const auto u = at::rand({m, spec_.z_dim()}, rng_, on.dtype(at::kDouble));
    const auto z = at::erfinv((2 * u - 1) * std::erf(truncation / std::sqrt(2.0))) * std::sqrt(2.0);
    return z.to(dtype()).clamp(-truncation, truncation).to(options_.device());
  });
}

template <Architecture A, loss::AdversarialLoss L, regularizer::LipschitzConstraint R,
          conditioning::Conditioning C, augment::Augmentation G>
torch::Tensor Trainer<A, L, R, C, G>::generate(const torch::Tensor& z, const torch::Tensor& labels) {
  return g_->forward(conditioning_.generator_input(z, labels), labels).to(dtype());
}

namespace detail {
inline double to_double(const torch::Tensor& t) {
  return t.defined() ? t.item<double>() : std::numeric_limits<double>::quiet_NaN();
}
inline torch::Tensor detached(const torch::Tensor& t) { return t.defined() ? t.detach() : t; }
inline torch::Tensor plus(const torch::Tensor& a, const torch::Tensor& b) {
  return b.defined() ? a + b : a;
}
}  // namespace detail

template <Architecture A, loss::AdversarialLoss L, regularizer::LipschitzConstraint R,
          conditioning::Conditioning C, augment::Augmentation G>
StepStats Trainer<A, L, R, C, G>::step(const torch::Tensor& real, const torch::Tensor& labels) {
  check_batch(real, labels);
  check_labels(labels);
  return run_step<false>(real, labels);
}

template <Architecture A, loss::AdversarialLoss L, regularizer::LipschitzConstraint R,
          conditioning::Conditioning C, augment::Augmentation G>
DeferredStats Trainer<A, L, R, C, G>::step_deferred(const torch::Tensor& real, const torch::Tensor& labels) {
  check_batch(real, labels);
  return run_step<true>(real, labels);
}

// One body for both steps: `Deferred` only decides whether the losses are read to the host
// (and a non-finite one stops the update) or left on the device.
template <Architecture A, loss::AdversarialLoss L, regularizer::LipschitzConstraint R,
          conditioning::Conditioning C, augment::Augmentation G>
template <bool Deferred>
std::conditional_t<Deferred, DeferredStats, StepStats> Trainer<A, L, R, C, G>::run_step(
    const torch::Tensor& real_in, const torch::Tensor& labels_in) {
  const auto device = options_.device();
  const auto real = options_.channels_last()
                        ? real_in.to(device, dtype()).contiguous(at::MemoryFormat::ChannelsLast)
                        : real_in.to(device, dtype());
  const auto labels = labels_in.to(device, torch::kLong);
  const int64_t n = real.size(0);
  g_->train();
  d_->train();
  const distributed::Scope data_parallel(comm_.get(), data_parallel_);  // nothing when alone
  const auto average = [&](torch::nn::Module& net) {
    if (comm_) distributed::average_gradients(*comm_, net.parameters(), data_parallel_.bucket_bytes());
  };
  using distributed::mean_over_ranks;
  std::conditional_t<Deferred, DeferredStats, StepStats> s;
  // A loss that is not finite: reported, and its update not applied.
  auto diverged = [&](const char* which) {
    if constexpr (!Deferred) {
      s.finite = false;
      s.diverged = which;
      s.step = step_;
    }
    return s;
  };

  // With reuse_fakes the last critic step's fakes are made with the graph kept and the
  // generator step reuses them (PyTorch's DCGAN example): one generator forward less. Without
  // it the generator step draws fresh noise and runs G again, as the paper's code does.
  const bool reuse = options_.reuse_fakes();
  torch::Tensor fake_for_g;
  for (int64_t k = 0; k < options_.n_critic(); ++k) {
    const bool last = k + 1 == options_.n_critic();
    torch::Tensor total;
    {
      Autocast autocast(options_.precision(), device);
      torch::Tensor fake;
      {
        torch::AutoGradMode keep_graph(reuse && last);
        fake = generate(noise(n), labels);
      }
      if (reuse && last) fake_for_g = fake;
      fake = fake.detach();
      auto out_real = critic(real, labels);
      auto out_fake = critic(fake, labels);
      if constexpr (augment::ObservesDiscriminator<G>) augment_.observe(out_real.score.detach());
      auto d_loss = detail::plus(loss_.discriminator_loss(out_real.score, out_fake.score),
                                 conditioning_.discriminator_extra_loss(out_real, out_fake, labels));
      auto pen = constraint_.penalty(
          [&](const torch::Tensor& x) { return critic(x, labels).score; }, real, fake, rng_);
      total = detail::plus(d_loss, pen.value);
      // Under data parallel every value is the ranks' mean, so that every rank logs and decides alike.
      if constexpr (Deferred) {
        s.d_loss = mean_over_ranks(d_loss.detach());
        s.penalty = mean_over_ranks(detail::detached(pen.value));
        s.grad_norm = mean_over_ranks(pen.grad_norm);
        if constexpr (loss::reports_wasserstein<L>())
          s.wasserstein = mean_over_ranks((out_real.score.mean() - out_fake.score.mean()).detach());
        const auto ok = at::isfinite(mean_over_ranks(total.detach()));
        s.d_finite = s.d_finite.defined() ? s.d_finite.logical_and(ok) : ok;
      } else {
        s.d_loss = detail::to_double(mean_over_ranks(d_loss));
        s.penalty = detail::to_double(mean_over_ranks(pen.value));
        s.grad_norm = detail::to_double(mean_over_ranks(pen.grad_norm));
        if constexpr (loss::reports_wasserstein<L>())
          s.wasserstein = detail::to_double(mean_over_ranks(out_real.score.mean() - out_fake.score.mean()));
        if (!std::isfinite(detail::to_double(mean_over_ranks(total)))) return diverged("discriminator");
      }
    }
    opt_d_->zero_grad();
    total.backward();
    average(*d_);
    opt_d_->step();
    constraint_.after_discriminator_step(*d_);
  }

  // The discriminator's weights need no gradient in the generator's step: freezing them
  // skips their weight-gradient kernels (the paper's code computes and discards them).
  struct Freeze {
    std::vector<torch::Tensor> params;
    explicit Freeze(const std::vector<torch::Tensor>& all) {
      for (const auto& t : all)  // weights a user froze stay frozen afterwards
        if (t.requires_grad()) params.push_back(t.requires_grad_(false));
    }
    ~Freeze() {
      for (auto& t : params) t.requires_grad_(true);
    }
  } freeze_d(d_->parameters());
  torch::Tensor g_loss;
  {
    Autocast autocast(options_.precision(), device);
    if (!reuse) fake_for_g = generate(noise(n), labels);
    auto out_fake = critic(fake_for_g, labels);
    torch::Tensor adversarial;
    if constexpr (loss::RelativisticLoss<L>)  // the loss compares with D(real) in G's step too
      adversarial = loss_.generator_loss(out_fake.score, critic(real, labels).score);
    else
      adversarial = loss_.generator_loss(out_fake.score);
    g_loss = detail::plus(adversarial, conditioning_.generator_extra_loss(out_fake, labels));
  }
  if constexpr (Deferred) {
    s.g_loss = mean_over_ranks(g_loss.detach());
    s.g_finite = at::isfinite(s.g_loss);
  } else {
    s.g_loss = detail::to_double(mean_over_ranks(g_loss));
    if (!std::isfinite(s.g_loss)) return diverged("generator");
  }
  opt_g_->zero_grad();
  g_loss.backward();
  average(*g_);
  opt_g_->step();
  ++step_;
  if constexpr (augment::HasProbability<G>) s.augment_p = augment_.probability();
  if (ema_.enabled())
    ema_.update(*g_, step_ <= options_.ema_start() ? 0.0 : options_.ema_decay());
  s.step = step_;
  if constexpr (Deferred) {  // the first step that diverged, kept on the device
    const auto bad = s.d_finite.logical_and(s.g_finite).logical_not();
    const auto here = at::scalar_tensor(step_, at::TensorOptions(at::kLong).device(device));
    if (!diverged_at_.defined()) diverged_at_ = at::scalar_tensor(-1, at::TensorOptions(at::kLong).device(device));
    diverged_at_ = at::where(bad.logical_and(diverged_at_ < 0), here, diverged_at_);
  }
  return s;
}

template <Architecture A, loss::AdversarialLoss L, regularizer::LipschitzConstraint R,
          conditioning::Conditioning C, augment::Augmentation G>
void Trainer<A, L, R, C, G>::set_communicator(std::shared_ptr<distributed::Communicator> comm,
                                              distributed::DataParallelOptions options) {
  comm_ = std::move(comm);
  data_parallel_ = options;
  if (!comm_ || comm_->world_size() <= 1) return;
  distributed::broadcast_module(*comm_, *g_);
  distributed::broadcast_module(*comm_, *d_);
  if (ema_.enabled() && step_ == 0) ema_ = Ema(*g_);
}

template <Architecture A, loss::AdversarialLoss L, regularizer::LipschitzConstraint R,
          conditioning::Conditioning C, augment::Augmentation G>
torch::Tensor Trainer<A, L, R, C, G>::sample(const torch::Tensor& labels, const SampleOptions& o) {
  TORCH_CHECK_VALUE(labels.defined() && labels.dim() == 1 && labels.size(0) > 0,
                    "Trainer::sample: expected a non-empty [N] tensor of labels");
  return sample(labels, noise(labels.size(0), o.truncation()), o);
}

template <Architecture A, loss::AdversarialLoss L, regularizer::LipschitzConstraint R,
          conditioning::Conditioning C, augment::Augmentation G>
torch::Tensor Trainer<A, L, R, C, G>::sample(const torch::Tensor& labels_in, const torch::Tensor& z,
                                          const SampleOptions& o) {
  TORCH_CHECK_VALUE(labels_in.defined() && labels_in.dim() == 1 && labels_in.size(0) > 0,
                    "Trainer::sample: expected a non-empty [N] tensor of labels");
  TORCH_CHECK_VALUE(z.dim() == 2 && z.size(0) == labels_in.size(0) && z.size(1) == spec_.z_dim(),
                    "Trainer::sample: expected z of shape [", labels_in.size(0), ", ",
                    spec_.z_dim(), "], got ", z.sizes());
  check_labels(labels_in);
  const auto labels = labels_in.to(options_.device(), torch::kLong);
  torch::NoGradGuard no_grad;
  const bool was_training = g_->is_training();
  const bool swap = o.use_ema() && ema_.enabled();
  if (swap) ema_.swap(*g_);
  g_->train(o.batch_stats());
  struct Restore {
    std::function<void()> fn;
    ~Restore() { fn(); }
  } restore{[&] {
    if (swap) ema_.swap(*g_);
    g_->train(was_training);
  }};
  return generate(z.to(options_.device(), dtype()), labels);
}

template <Architecture A, loss::AdversarialLoss L, regularizer::LipschitzConstraint R,
          conditioning::Conditioning C, augment::Augmentation G>
void Trainer<A, L, R, C, G>::save(const std::filesystem::path& path) const {
  if (const auto bad = diverged_step(); bad >= 0)
    throw Error(path.string(), 0, "not written: the loss was not finite at step " + std::to_string(bad) +
                                      ", so the networks hold what a diverged update left");
  torch::serialize::OutputArchive root, g, d, og, od, ema;
  g_->save(g);
  d_->save(d);
  opt_g_->save(og);
  opt_d_->save(od);
  root.write("format", torch::tensor(int64_t{1}), true);
  {
    std::vector<std::string> keys, values;
    for (const auto& [k, v] : identity()) keys.push_back(k), values.push_back(v);
    root.write("identity_keys", io::string_tensor(keys), true);
    root.write("identity_values", io::string_tensor(values), true);
  }
  root.write("step", torch::tensor(step_), true);
  root.write("rng", rng_.get_state(), true);
  root.write("rng_device", io::string_tensor({c10::DeviceTypeName(rng_.device().type(), true)}), true);
  root.write("generator", g);
  root.write("discriminator", d);
  root.write("g_optimizer", og);
  root.write("d_optimizer", od);
  if (ema_.enabled()) {
    ema_.save(ema);
    root.write("generator_ema", ema);
  }
  if constexpr (augment::HasAugmentState<G>) {
    torch::serialize::OutputArchive a;
    augment_.save(a);
    root.write("augmentation", a);
  }
  io::save_archive(path, root);
}

template <Architecture A, loss::AdversarialLoss L, regularizer::LipschitzConstraint R,
          conditioning::Conditioning C, augment::Augmentation G>
Identity Trainer<A, L, R, C, G>::identity() const {
  Identity id;
  auto shape = [](const torch::Tensor& t) {
    std::string s;
    for (auto d : t.sizes()) s += (s.empty() ? "" : "x") + std::to_string(d);
    return s.empty() ? std::string("scalar") : s;
  };
  for (const auto& [net, module] : {std::pair<std::string, const torch::nn::Module*>{"generator", g_.get()},
                                    std::pair<std::string, const torch::nn::Module*>{"discriminator", d_.get()}}) {
    for (const auto& p : module->named_parameters()) id.emplace_back(net + "." + p.key(), shape(p.value()));
    for (const auto& b : module->named_buffers()) id.emplace_back(net + "." + b.key(), shape(b.value()));
  }
  id.emplace_back("policy.architecture", c10::demangle(typeid(A).name()));
  id.emplace_back("policy.loss", c10::demangle(typeid(L).name()));
  id.emplace_back("policy.constraint", c10::demangle(typeid(R).name()));
  id.emplace_back("policy.conditioning", c10::demangle(typeid(C).name()));
  id.emplace_back("policy.augmentation", c10::demangle(typeid(G).name()));
  for (const auto& [name, o] : {std::pair{"g_optimizer", options_.g_optimizer()}, std::pair{"d_optimizer", options_.d_optimizer()}})
    id.emplace_back(name, o.kind() == OptimizerOptions::Kind::adam ? "adam" : "rmsprop");
  id.emplace_back("ema", ema_.enabled() ? "on" : "off");
  for (const auto& f : extra_identity_) id.push_back(f);
  return id;
}

template <Architecture A, loss::AdversarialLoss L, regularizer::LipschitzConstraint R,
          conditioning::Conditioning C, augment::Augmentation G>
void Trainer<A, L, R, C, G>::load(const std::filesystem::path& path, bool force) {
  TORCH_CHECK_VALUE(std::filesystem::exists(path), "checkpoint ", path.string(),
                    " does not exist");
  torch::serialize::InputArchive root;
  io::load_archive(path, root, options_.device());
  // The random state is the generator's own: a CPU state does not fit CUDA's generator, so the
  // device kind it was made on is compared as one more field of the identity.
  std::string saved_rng = "cpu";  // checkpoints before rng_device were written on the CPU
  if (torch::Tensor t; root.try_read("rng_device", t))
    if (const auto v = io::tensor_strings(t.cpu()); !v.empty()) saved_rng = v.front();
  const std::string rng_now = c10::DeviceTypeName(rng_.device().type(), true);
  auto saved = detail::archive_identity(root, path);
  auto now = saved.empty() ? Identity{} : identity();  // a checkpoint without one: nothing to compare
  saved.emplace_back("rng_device", saved_rng);
  now.emplace_back("rng_device", rng_now);
  if (auto diff = identity_differences(saved, now); !diff.empty()) {
    // The networks' shapes, the optimizers' kinds and the EMA decide what the file holds: no
    // force loads them into another trainer.
    bool structural = false;
    for (const auto& line : diff)
      for (const char* field : {"generator.", "discriminator.", "g_optimizer:", "d_optimizer:", "ema:"})
        structural = structural || line.rfind(field, 0) == 0;
    if (structural || !force) throw IdentityMismatch(path.string(), std::move(diff), !structural);
  }
  try {
    torch::serialize::InputArchive g, d, og, od, ema;
    torch::Tensor step, rng;
    root.read("step", step, true);
    root.read("rng", rng, true);
    root.read("generator", g);
    root.read("discriminator", d);
    root.read("g_optimizer", og);
    root.read("d_optimizer", od);
    g_->load(g);
    d_->load(d);
    place_networks();  // the archive's tensors replace the weights, in the layout they were saved in
    opt_g_->load(og);
    opt_d_->load(od);
    if (ema_.enabled()) {
      TORCH_CHECK_VALUE(root.try_read("generator_ema", ema),
                        "the checkpoint has no EMA weights, but this trainer keeps an EMA");
      ema_.load(ema);
    }
    if constexpr (augment::HasAugmentState<G>) {
      torch::serialize::InputArchive a;
      if (root.try_read("augmentation", a)) augment_.load(a);
    }
    step_ = step.item<int64_t>();
    if (saved_rng == rng_now) rng_.set_state(rng.cpu());
    else rng_.set_current_seed(options_.seed() ^ (0x9E3779B97F4A7C15ull * uint64_t(step_ + 1)));  // forced
    diverged_at_ = torch::Tensor();
  } catch (const c10::Error& e) {
    TORCH_CHECK_VALUE(false, "cannot load checkpoint ", path.string(), ": ", e.what_without_backtrace());
  }
}

}  // namespace gan
