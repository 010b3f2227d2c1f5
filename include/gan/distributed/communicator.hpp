#pragma once
/// @file
/// Data parallelism without c10d in sight: what the trainer, the networks and the policies need
/// of a group of processes (`Communicator`), and the one convention that makes a run on W ranks
/// with per-rank batch B the same as one process with batch W·B.
///
/// The convention: row i of a global batch belongs to rank i mod W, at local row i / W (the
/// strided shards of PyTorch's DistributedSampler). Every rank holds the same random state
/// (the same seed), so a per-sample draw is made for the global batch and each rank keeps its
/// rows (`draw_rows`): the noise, the gradient penalty's ε and the augmentations' draws then
/// equal a single process's. Gradients are averaged over the ranks after each backward, and
/// batch norm may be synchronised (`batch_norm`), so the update is the single process's too.
///
/// The trainer opens a `Scope` for the length of a step; code that draws per-sample randomness
/// or normalises over the batch asks `current()` and does the single-process thing without one.
///
/// ```cpp
/// auto group = gan::distributed::ProcessGroup::from_environment();   // torchrun's variables
/// trainer.set_communicator(group, gan::distributed::DataParallelOptions().sync_batch_norm(true));
/// ```

#include <gan/nn/batch_norm.hpp>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/custom_function.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/pimpl.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace gan::distributed {

/// What a group of processes must provide. Every collective is called by every rank in the
/// same order; a failed or timed-out one throws `gan::Error` (naming the rank) on each rank
/// that sees it.
class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  /// Sums each tensor over the ranks, in place (same shapes and dtypes on every rank).
  virtual void all_reduce_sum(std::vector<at::Tensor>& tensors) = 0;
  /// Copies `root`'s tensors into every rank's, in place.
  virtual void broadcast(std::vector<at::Tensor>& tensors, int root) = 0;
  /// Returns when every rank has called it.
  virtual void barrier() = 0;
};

/// How the trainer uses a communicator.
struct DataParallelOptions {
  /// Normalise with the statistics of the global batch (all-reduced), not each rank's own.
  /// Off: each rank's batch norm sees its own B images (PyTorch DDP's default), so a run on W
  /// ranks equals one process only without batch norm.
  TORCH_ARG(bool, sync_batch_norm) = true;
  /// Gradients are flattened into buckets of at most this many bytes, one all-reduce each.
  TORCH_ARG(int64_t, bucket_bytes) = int64_t{25} << 20;
};

/// The group of the step under way on this thread, or null.
struct Active {
  Communicator* comm = nullptr;
  DataParallelOptions options;
};

namespace detail {
inline Active*& active_slot() {
  thread_local Active* active = nullptr;
  return active;
}
}  // namespace detail

/// The data-parallel group of the step running on this thread (null outside one, and for a
/// group of one).
inline const Active* current() { return detail::active_slot(); }

/// Makes `comm` current on this thread until destroyed (nothing when comm is null or alone).
class Scope {
 public:
  Scope(Communicator* comm, DataParallelOptions options) : previous_(detail::active_slot()) {
    if (comm && comm->world_size() > 1) {
      active_ = Active{comm, options};
      detail::active_slot() = &active_;
    }
  }
  ~Scope() { detail::active_slot() = previous_; }
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  Active active_;
  Active* previous_;
};

/// Rank `rank`'s rows of `rows` ([M, ...]) among `world_size`: rows rank, rank + W, ... The one
/// sharding of the library: the data loader's batches and `draw_rows` both follow it.
inline at::Tensor shard(const at::Tensor& rows, int64_t rank, int64_t world_size) {
  return world_size <= 1 ? rows : rows.slice(0, rank, rows.size(0), world_size);
}

/// This rank's `n` rows of a per-sample draw for the global batch: `draw(n · W)` made by every
/// rank alike, rows rank, rank + W, ... kept. Without a current group, `draw(n)`.
inline at::Tensor draw_rows(int64_t n, const std::function<at::Tensor(int64_t)>& draw) {
  const auto* a = current();
  if (!a) return draw(n);
  return shard(draw(n * a->comm->world_size()), a->comm->rank(), a->comm->world_size()).contiguous();
}

/// The sum over the ranks of a detached copy of `t` (t itself without a current group).
inline at::Tensor sum_over_ranks(const at::Tensor& t) {
  const auto* a = current();
  if (!a || !t.defined()) return t;
  std::vector<at::Tensor> v{t.detach().clone()};
  a->comm->all_reduce_sum(v);
  return v[0];
}

/// The mean over the ranks of a detached copy of `t` (t itself without a current group): for
/// losses that every rank logs and decides on alike.
inline at::Tensor mean_over_ranks(const at::Tensor& t) {
  const auto* a = current();
  return a && t.defined() ? sum_over_ranks(t) / double(a->comm->world_size()) : t;
}

/// Averages the gradients of `params` over the ranks of `comm`, in buckets of at most
/// `bucket_bytes` (one `all_reduce_sum` call each; a `ProcessGroup` runs one collective per
/// dtype and device of a call). A parameter without a gradient is left out, as an optimizer
/// leaves it: every rank runs the same graph, so it has none on any rank and every rank calls
/// the same collectives.
inline void average_gradients(Communicator& comm, const std::vector<at::Tensor>& params, int64_t bucket_bytes) {
  const int64_t w = comm.world_size();
  if (w <= 1) return;
  std::vector<at::Tensor> bucket;
  int64_t bytes = 0;
  const auto flush = [&] {
    if (bucket.empty()) return;
    comm.all_reduce_sum(bucket);
    for (auto& g : bucket) g.div_(double(w));
    bucket.clear(), bytes = 0;
  };
  for (const auto& p : params) {
    if (!p.requires_grad() || !p.grad().defined()) continue;
    const int64_t b = p.grad().numel() * int64_t(p.grad().element_size());
    if (!bucket.empty() && bytes + b > bucket_bytes) flush();
    bucket.push_back(p.grad());
    bytes += b;
  }
  flush();
}

/// Copies rank `root`'s parameters and buffers of `module` into every rank's.
inline void broadcast_module(Communicator& comm, torch::nn::Module& module, int root = 0) {
  if (comm.world_size() <= 1) return;
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> all;
  for (auto& p : module.parameters()) all.push_back(p);
  for (auto& b : module.buffers()) all.push_back(b);
  if (!all.empty()) comm.broadcast(all, root);
}

/// The sum over the ranks of `comm` as an autograd function: its backward sums the incoming
/// gradients over the ranks (through itself, so a double backward works too, as the gradient
/// penalty needs). Every rank must call it, forward and backward, in the same order. The
/// communicator travels in the context: a CUDA backward runs on the engine's own threads.
struct AllReduceSum : public torch::autograd::Function<AllReduceSum> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, at::Tensor x, Communicator* comm) {
    ctx->saved_data["comm"] = static_cast<int64_t>(reinterpret_cast<intptr_t>(comm));
    std::vector<at::Tensor> v{x.clone()};
    comm->all_reduce_sum(v);
    return v[0];
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad) {
    auto* comm = reinterpret_cast<Communicator*>(static_cast<intptr_t>(ctx->saved_data["comm"].toInt()));
    return {AllReduceSum::apply(grad[0], comm), at::Tensor()};
  }
};

/// Batch norm of `bn` on `x` ([N, C, ...]): with a current group that synchronises batch norm
/// and `bn` in training mode, normalised with the global batch's mean and (biased) variance,
/// the running statistics updated with the global unbiased variance, as torch's SyncBatchNorm;
/// otherwise gan::nn::batch_norm (`bn`'s own forward, with a fused double backward on the CPU).
inline at::Tensor batch_norm(torch::nn::BatchNorm2dImpl& bn, const at::Tensor& x) {
  const auto* a = current();
  if (!a || !a->options.sync_batch_norm() || !bn.is_training()) return nn::batch_norm(bn, x);
  const auto& o = bn.options;
  const int64_t c = x.size(1);
  const auto xf = x.to(at::kFloat);
  std::vector<int64_t> dims{0};
  for (int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
  const double local = double(x.numel() / c);
  // One all-reduce of [sum, sum of squares, count] per call.
  const auto stats =
      AllReduceSum::apply(at::cat({xf.sum(dims), xf.square().sum(dims), at::full({1}, local, xf.options())}), a->comm);
  const auto count = stats.narrow(0, 2 * c, 1).detach();
  const auto mean = stats.narrow(0, 0, c) / count;
  const auto var = (stats.narrow(0, c, c) / count - mean.square()).clamp_min(0);
  if (o.track_running_stats()) {
    at::NoGradGuard no_grad;
    const double m = o.momentum().value_or(0.1);  // our networks keep torch's 0.1
    bn.running_mean.mul_(1 - m).add_(mean.detach() * m);
    bn.running_var.mul_(1 - m).add_(var.detach() * (count / (count - 1).clamp_min(1)) * m);
    bn.num_batches_tracked.add_(1);
  }
  std::vector<int64_t> shape(x.dim(), 1);
  shape[1] = c;
  auto y = (xf - mean.view(shape)) * at::rsqrt(var.view(shape) + o.eps());
  if (o.affine()) y = y * bn.weight.view(shape) + bn.bias.view(shape);
  return y.to(x.scalar_type());
}

}  // namespace gan::distributed
