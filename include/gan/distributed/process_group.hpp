#pragma once
/// @file
/// A `Communicator` on PyTorch's own distributed engine, c10d: a TCPStore rendezvous and a Gloo
/// process group (NCCL where the libtorch has it and the tensors are on CUDA), made from
/// torchrun's environment (`RANK`, `WORLD_SIZE`, `LOCAL_RANK`, `MASTER_ADDR`, `MASTER_PORT`) or
/// from explicit options. Needs the c10d headers with Gloo (`USE_C10D_GLOO`, which the CMake
/// option `GAN_DISTRIBUTED` defines when it finds them).
///
/// A process that does not join, dies or stops answering makes every collective of the others
/// throw `gan::Error` within the time-out, naming this rank and, where it can be known, the
/// other one; nothing waits for ever.
///
/// ```cpp
/// auto group = gan::distributed::ProcessGroup::create(gan::distributed::ProcessGroupOptions::from_environment());
/// trainer.set_communicator(group);
/// if (group->rank() == 0) trainer.save("ckpt.pt");
/// ```

#include <gan/distributed/communicator.hpp>
#include <gan/error.hpp>

#ifndef USE_C10D_GLOO
#error "gan/distributed/process_group.hpp needs c10d with Gloo: build with GAN_DISTRIBUTED=ON (defines USE_C10D_GLOO)"
#endif

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace gan::distributed {

/// Who this process is in its group, and where the group meets.
struct ProcessGroupOptions {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  /// How long a rendezvous or a collective may wait for the others.
  std::chrono::milliseconds timeout{std::chrono::seconds(120)};
  /// "auto" (NCCL for CUDA tensors where built, else Gloo), "gloo" or "nccl".
  std::string backend = "auto";

  /// torchrun's contract: RANK, WORLD_SIZE, LOCAL_RANK (default RANK), MASTER_ADDR (default
  /// 127.0.0.1), MASTER_PORT (default 29500). Without RANK and WORLD_SIZE: one process alone.
  /// A malformed or inconsistent value throws gan::Error naming the variable.
  static ProcessGroupOptions from_environment(std::chrono::milliseconds timeout = std::chrono::seconds(120)) {
    ProcessGroupOptions o;
    o.timeout = timeout;
    const auto number = [](const char* name, int lo, int hi, int fallback) {
      const char* v = std::getenv(name);
      if (!v || !*v) return fallback;
      char* end = nullptr;
      const long x = std::strtol(v, &end, 10);
      if (*end != '\0' || x < lo || x > hi)
        throw Error(name, 0, std::string("expected an integer in [") + std::to_string(lo) + ", " + std::to_string(hi) +
                                 "], got '" + v + "'");
      return int(x);
    };
    const bool has_rank = std::getenv("RANK") != nullptr, has_world = std::getenv("WORLD_SIZE") != nullptr;
    if (has_rank != has_world)
      throw Error(has_rank ? "WORLD_SIZE" : "RANK", 0,
                  std::string("is not set, but ") + (has_rank ? "RANK" : "WORLD_SIZE") + " is: set both, as torchrun does");
    o.world_size = number("WORLD_SIZE", 1, 1 << 16, 1);
    o.rank = number("RANK", 0, o.world_size - 1, 0);
    o.local_rank = number("LOCAL_RANK", 0, 1 << 16, o.rank);
    o.master_port = number("MASTER_PORT", 1, 65535, 29500);
    if (const char* a = std::getenv("MASTER_ADDR"); a && *a) o.master_addr = a;
    return o;
  }
};

/// What a group's collectives moved and cost on this rank, since it was made.
struct Traffic {
  int64_t calls = 0;    ///< collectives (one per dtype and device of a call)
  int64_t bytes = 0;    ///< bytes of the tensors handed to them
  double seconds = 0;   ///< wall time inside them, waiting for the others included
};

/// A c10d process group as a `Communicator`.
class ProcessGroup : public Communicator {
 public:
  /// Joins the group (every rank calls it): rank 0 hosts the TCPStore on master_port and waits
  /// for the others; each waits at most `timeout`. Throws gan::Error when the port is in use,
  /// the master cannot be reached or not every rank joins in time. A group of one makes no
  /// store and no sockets.
  static std::shared_ptr<ProcessGroup> create(const ProcessGroupOptions& o) {
    if (o.world_size < 1 || o.rank < 0 || o.rank >= o.world_size)
      throw Error("RANK", 0, "rank " + std::to_string(o.rank) + " is outside [0, " + std::to_string(o.world_size) + ")");
    if (o.backend != "auto" && o.backend != "gloo" && o.backend != "nccl")
      throw Error("backend", 0, "expected auto, gloo or nccl, got '" + o.backend + "'");
    auto g = std::shared_ptr<ProcessGroup>(new ProcessGroup(o));
    if (o.world_size == 1) return g;
    try {
      c10d::TCPStoreOptions so;
      so.port = uint16_t(o.master_port);
      so.isServer = o.rank == 0;
      so.numWorkers = size_t(o.world_size);
      so.waitWorkers = true;
      so.timeout = o.timeout;
      g->store_ = c10::make_intrusive<c10d::TCPStore>(o.master_addr, so);
    } catch (const std::exception& e) {
      const std::string m = e.what();
      if (m.find("ddress already in use") != std::string::npos)
        throw Error(g->where(), 0, g->who() + ": port " + std::to_string(o.master_port) +
                                       " is in use (choose another MASTER_PORT, or --master-port)");
      throw Error(g->where(), 0, g->who() + ": " + g->not_joined() + " (" + first_line(m) + ")");
    }
    g->make_backend();
    return g;
  }

  int rank() const override { return o_.rank; }
  int world_size() const override { return o_.world_size; }
  int local_rank() const { return o_.local_rank; }
  const ProcessGroupOptions& options() const { return o_; }
  const Traffic& traffic() const { return traffic_; }

  void all_reduce_sum(std::vector<at::Tensor>& tensors) override {
    if (o_.world_size == 1 || tensors.empty()) return;
    run_flat("all-reduce", tensors, [&](std::vector<at::Tensor>& one) {
      c10d::AllreduceOptions opt;
      opt.reduceOp = c10d::ReduceOp::SUM;
      opt.timeout = o_.timeout;
      return group_for(one[0])->allreduce(one, opt);
    });
  }
  void broadcast(std::vector<at::Tensor>& tensors, int root) override {
    if (o_.world_size == 1 || tensors.empty()) return;
    run_flat("broadcast", tensors, [&](std::vector<at::Tensor>& one) {
      c10d::BroadcastOptions opt;
      opt.rootRank = root;
      opt.timeout = o_.timeout;
      return group_for(one[0])->broadcast(one, opt);
    });
  }
  void barrier() override {
    if (o_.world_size == 1) return;
    std::vector<at::Tensor> one{at::zeros({1})};
    all_reduce_sum(one);
  }

 private:
  explicit ProcessGroup(ProcessGroupOptions o) : o_(std::move(o)) {}

  static std::string seconds(std::chrono::milliseconds t) {
    char b[32];
    std::snprintf(b, sizeof b, "%g s", double(t.count()) / 1000.0);
    return b;
  }
  static std::string first_line(const std::string& m) { return m.substr(0, m.find('\n')); }
  /// After a failed collective: the ranks that do not say they are alive, through the store.
  /// Every rank that sees the failure closes its connections (the group is unusable after it),
  /// writes "alive/RANK" and waits a little (at most 10 s or the time-out) for the others'
  /// keys; a rank without one is named. When the store itself is gone, rank 0, which holds it,
  /// is.
  std::string silent_ranks() {
    if (o_.world_size == 2) return "rank " + std::to_string(1 - o_.rank);
    // Close this rank's connections first, so that the ranks still waiting on it fail now too,
    // while the store (rank 0's) is still there to answer them.
    gloo_.reset();
    try {
      store_->setTimeout(std::chrono::seconds(5));
      store_->set("alive/" + std::to_string(o_.rank), std::vector<uint8_t>{1});
      const auto end = std::chrono::steady_clock::now() + std::min<std::chrono::milliseconds>(o_.timeout, std::chrono::seconds(10));
      std::vector<int> silent;
      do {
        silent.clear();
        for (int r = 0; r < o_.world_size; ++r)
          if (r != o_.rank && !store_->check({"alive/" + std::to_string(r)})) silent.push_back(r);
        if (silent.empty()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      } while (std::chrono::steady_clock::now() < end);
      if (silent.empty()) return "a rank";
      std::string names = silent.size() == 1 ? "rank " : "ranks ";
      for (size_t i = 0; i < silent.size(); ++i) names += (i ? ", " : "") + std::to_string(silent[i]);
      return names;
    } catch (const std::exception&) {
      return "rank 0 (which holds the group's store)";
    }
  }

  std::string not_joined() const {
    return "the group did not form within " + seconds(o_.timeout) + ": not every one of the " +
           std::to_string(o_.world_size) + " processes joined" +
           (o_.rank == 0 ? "" : ", or rank 0 is not listening at " + where());
  }
  /// Where the group meets: MASTER_ADDR:MASTER_PORT, the file part of its errors.
  std::string where() const { return o_.master_addr + ":" + std::to_string(o_.master_port); }
  std::string who() const { return "rank " + std::to_string(o_.rank) + " of " + std::to_string(o_.world_size); }

  void make_backend() {
    try {
      auto opts = c10d::ProcessGroupGloo::Options::create(o_.timeout);
      opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(o_.master_addr));
      gloo_ = c10::make_intrusive<c10d::ProcessGroupGloo>(store_, o_.rank, o_.world_size, opts);
#ifdef USE_C10D_NCCL
      if (o_.backend != "gloo") {
        auto nopts = c10d::ProcessGroupNCCL::Options::create();
        nopts->timeout = o_.timeout;
        nccl_ = c10::make_intrusive<c10d::ProcessGroupNCCL>(c10::make_intrusive<c10d::PrefixStore>("nccl", store_),
                                                           o_.rank, o_.world_size, nopts);
      }
#else
      if (o_.backend == "nccl") throw Error("backend", 0, "nccl: this libtorch was built without NCCL");
#endif
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {
      throw Error(where(), 0, who() + ": " + not_joined() + " (" + first_line(e.what()) + ")");
    }
  }

  c10d::ProcessGroup* group_for(const at::Tensor& t) {
#ifdef USE_C10D_NCCL
    if (t.is_cuda() && nccl_) return nccl_.get();
#endif
    TORCH_CHECK_VALUE(!t.is_cuda() || o_.backend != "nccl", "NCCL was asked for but is not available");
    if (!gloo_) throw Error(where(), 0, who() + ": the group failed before and is closed");
    return gloo_.get();
  }

  /// Runs `op` on one flat buffer per dtype and device of `tensors` (c10d's Gloo takes a list of
  /// same-shaped tensors as per-device copies, not as a batch), then copies the result back.
  template <class Op>
  void run_flat(const char* what, std::vector<at::Tensor>& tensors, Op&& op) {
    std::map<std::pair<int, std::string>, std::vector<size_t>> groups;
    for (size_t i = 0; i < tensors.size(); ++i)
      groups[{int(tensors[i].scalar_type()), tensors[i].device().str()}].push_back(i);
    for (auto& [key, idx] : groups) {
      std::vector<at::Tensor> parts;
      for (auto i : idx) parts.push_back(tensors[i].detach().reshape({-1}));
      std::vector<at::Tensor> one{idx.size() == 1 && tensors[idx[0]].is_contiguous()
                                      ? tensors[idx[0]].detach().view({-1})
                                      : at::cat(parts)};
      const auto t0 = std::chrono::steady_clock::now();
      try {
        op(one)->wait(o_.timeout);
        ++traffic_.calls;
        traffic_.bytes += one[0].numel() * int64_t(one[0].element_size());
        traffic_.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      } catch (const std::exception& e) {
        throw Error(where(), 0,
                    who() + ": the " + what + " failed: " + silent_ranks() + " stopped or did not answer within " +
                        seconds(o_.timeout) + " (" + first_line(e.what()) + ")");
      }
      if (one[0].data_ptr() == tensors[idx[0]].data_ptr()) continue;
      int64_t offset = 0;
      at::NoGradGuard no_grad;
      for (auto i : idx) {
        auto& t = tensors[i];
        t.detach().copy_(one[0].narrow(0, offset, t.numel()).view_as(t));
        offset += t.numel();
      }
    }
  }

  ProcessGroupOptions o_;
  Traffic traffic_;
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo_;
#ifdef USE_C10D_NCCL
  c10::intrusive_ptr<c10d::ProcessGroupNCCL> nccl_;
#endif
};

}  // namespace gan::distributed
