#pragma once
/// @file
/// Batches from an in-memory image set: shuffling, drop_last, augmentations that suit aerial
/// images (flips and 90° rotations), and a background thread that prepares the next batch.

#include <gan/data/dihedral.hpp>
#include <gan/distributed/communicator.hpp>
#include <gan/data/random.hpp>
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <functional>
#include <vector>
#include <future>

namespace gan::data {

/// Options of `Loader`.
struct LoaderOptions {
  int64_t batch_size = 64;
  bool shuffle = true;
  /// Drop the last, smaller batch of an epoch.
  bool drop_last = true;
  /// Random horizontal and vertical flips and 90° rotations (an aerial view has no "up").
  bool augment = false;
  /// Prepare the next batch on a background thread while the current one is used.
  bool prefetch = true;
  uint64_t seed = 0;
  /// Data parallel (gan/distributed): this process's rank among `world_size`. `batch_size` is
  /// then the per-rank batch: global batch i of an epoch is the permutation's entries
  /// [i·B·W, (i + 1)·B·W), and this rank takes its rows rank, rank + W, ... . Every rank uses
  /// the same seed, so the ranks' shards of an epoch are disjoint and together its permutation
  /// (`shard`). The flips and turns of a row are drawn for the global batch, so they too are
  /// the single process's.
  int64_t rank = 0;
  int64_t world_size = 1;
};

using distributed::shard;

/// One batch: images as float in [-1, 1], [B, 3, S, S], and labels, [B].
struct Batch {
  at::Tensor images;
  at::Tensor labels;
};

/// Iterates over a set of uint8 images ([N, C, S, S]) and labels ([N]). The order and the
/// augmentations of epoch e depend only on (seed, e), so a resumed run sees the same batches.
class Loader {
 public:
  Loader(at::Tensor images, at::Tensor labels, LoaderOptions options)
      : images_(std::move(images)), labels_(std::move(labels)), options_(options) {
    TORCH_CHECK_VALUE(images_.dim() == 4 && images_.scalar_type() == at::kByte,
                      "Loader: expected uint8 images [N, C, S, S], got ", images_.sizes(), " ",
                      images_.scalar_type());
    TORCH_CHECK_VALUE(labels_.dim() == 1 && labels_.size(0) == images_.size(0), "Loader: ",
                      images_.size(0), " images but labels of shape ", labels_.sizes());
    TORCH_CHECK_VALUE(options_.batch_size > 0, "Loader: batch_size must be > 0, got ",
                      options_.batch_size);
    TORCH_CHECK_VALUE(options_.world_size >= 1 && options_.rank >= 0 && options_.rank < options_.world_size,
                      "Loader: rank ", options_.rank, " is outside [0, world_size ", options_.world_size, ")");
    TORCH_CHECK_VALUE(!options_.drop_last || images_.size(0) >= global_batch(), "Loader: ", images_.size(0),
                      " images are fewer than one batch of ", global_batch(),
                      options_.world_size > 1 ? " (the per-rank batch times the world size)" : "",
                      " (lower the batch size, or set LoaderOptions::drop_last = false)");
  }

  int64_t size() const { return images_.size(0); }
  /// The per-rank batch times the world size.
  int64_t global_batch() const { return options_.batch_size * options_.world_size; }
  int64_t batches_per_epoch() const {
    const int64_t n = size(), b = global_batch();
    return options_.drop_last ? n / b : (n + b - 1) / b;
  }

  /// This rank's indices of `epoch`, batch after batch (the whole permutation when alone).
  at::Tensor shard_of_epoch(int64_t epoch) const {
    const auto order = permutation(epoch).slice(0, 0, options_.drop_last ? batches_per_epoch() * global_batch() : size());
    std::vector<at::Tensor> parts;
    for (int64_t i = 0; i < batches_per_epoch(); ++i)
      parts.push_back(shard(order.slice(0, i * global_batch(), (i + 1) * global_batch()), options_.rank, options_.world_size));
    return at::cat(parts);
  }

  /// Batch `index` of `epoch`.
  Batch batch(int64_t epoch, int64_t index) const {
    TORCH_CHECK_VALUE(index >= 0 && index < batches_per_epoch(), "Loader: batch ", index,
                      " is out of range [0, ", batches_per_epoch(), ")");
    const auto order = permutation(epoch);
    const int64_t b = global_batch(), from = index * b, to = std::min(size(), from + b);
    const auto idx = shard(order.slice(0, from, to), options_.rank, options_.world_size);
    auto x = images_.index_select(0, idx).to(at::kFloat).div_(127.5).sub_(1.0);
    if (options_.augment) x = augment(x, epoch, index, to - from);
    return {x, labels_.index_select(0, idx)};
  }

  /// Calls `fn(index, batch)` for every batch of `epoch`, in order, from batch `first` on;
  /// with prefetch the next batch is made while `fn` runs.
  void for_each(int64_t epoch, const std::function<void(int64_t, Batch&)>& fn,
                int64_t first = 0) const {
    const int64_t n = batches_per_epoch();
    if (first >= n) return;
    if (!options_.prefetch) {
      for (int64_t i = first; i < n; ++i) {
        auto b = batch(epoch, i);
        fn(i, b);
      }
      return;
    }
    auto next = std::async(std::launch::async, [this, epoch, first] { return batch(epoch, first); });
    for (int64_t i = first; i < n; ++i) {
      auto current = next.get();
      if (i + 1 < n)
        next = std::async(std::launch::async, [this, epoch, i] { return batch(epoch, i + 1); });
      fn(i, current);
    }
  }

 private:
  static uint64_t mix(uint64_t a, uint64_t b) {
    return splitmix64_finalize(a * 0x9E3779B97F4A7C15ull + b + 0x632BE59BD9B4E019ull);
  }
  at::Tensor permutation(int64_t epoch) const {
    if (!options_.shuffle) return at::arange(size(), at::kLong);
    auto gen = at::make_generator<at::CPUGeneratorImpl>(mix(options_.seed, uint64_t(epoch)));
    return at::randperm(size(), gen, at::TensorOptions(at::kLong));
  }
  at::Tensor augment(const at::Tensor& x, int64_t epoch, int64_t index, int64_t global_rows) const {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(
        mix(mix(options_.seed ^ 0xA5A5A5A5ull, uint64_t(epoch)), uint64_t(index)));
    auto choice = shard(at::randint(8, {global_rows}, gen, at::TensorOptions(at::kLong)), options_.rank, options_.world_size).contiguous();
    auto c = choice.accessor<int64_t, 1>();
    std::vector<at::Tensor> out;
    out.reserve(size_t(x.size(0)));
    for (int64_t i = 0; i < x.size(0); ++i) {
      out.push_back(dihedral(x[i], c[i]));
    }
    return at::stack(out).contiguous();
  }

  at::Tensor images_, labels_;
  LoaderOptions options_;
};

}  // namespace gan::data
