#pragma once
/// @file
/// Batch norm in training mode with a fused double backward on the CPU, for the gradient
/// penalty. WGAN-GP differentiates the critic's input gradient, so every batch norm in the critic
/// runs twice backward. libtorch 1.13 writes the second one (`batchnorm_double_backward`) as some
/// forty tensor operations, a dozen of them full-size sums, and several put a per-channel
/// [1, C, 1, 1] operand first, which sends a channels-last tensor through the contiguous
/// iteration order: on the paper's 96×96 critic at batch 64 (2 cores, channels-last) it took
/// 0.6 s of a 2.3 s step, nearly all of it on the first block's 64×64×48×48 activations
/// (docs/performance.md). Here it is one pass that reads x, the incoming gradient and the
/// gradient's gradient for five per-channel sums (in double), and one that writes both
/// full-size results, in either memory format.
///
/// The forward and first backward are libtorch's own kernels (`native_batch_norm` and
/// `native_batch_norm_backward`), so the forward values and first gradients are the same bits
/// as `torch::nn::BatchNorm2d`'s. The double backward is the same mathematics as libtorch's (the
/// batch mean and inverse standard deviation differentiated as functions of the input), so the
/// two agree to rounding (tested in float64 against libtorch and finite differences).
///
/// ```cpp
/// torch::nn::BatchNorm2d bn(64);
/// auto y = gan::nn::batch_norm(*bn, x);   // == bn(x), with the fused double backward
/// ```

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>
#include <torch/autograd.h>
#include <torch/nn/modules/batchnorm.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace gan::nn {

namespace detail {

/// x: [N, C, ...]; the layout the fused kernels read: channels-last (rows of C) or contiguous
/// (planes of the spatial size).
inline bool bn_rows_of_channels(const at::Tensor& x) {
  return x.dim() == 4 && x.suggest_memory_format() == at::MemoryFormat::ChannelsLast;
}

/// The double backward of training-mode batch norm y = gamma (x - mu) sigma + beta, with mu and
/// sigma = (var + eps)^-1/2 the batch's: given the first backward's incoming gradient gO and the
/// gradients ggI, ggG, ggB of its three results (grad input, grad gamma, grad beta; any may be
/// undefined for zero), returns the gradients with respect to x, gamma and gO (undefined where
/// `mask` says not needed). `gamma` undefined means 1 (no affine).
///
/// With M values a channel, x^ = (x - mu) sigma and the per-channel means a = <gO>, q = <ggI>,
/// b = <gO x^>, r = <ggI x^>, p = <ggI gO>:
///   g_gamma = sigma M (p - a q - b r)
///   g_gO    = gamma sigma (ggI - q - x^ r) + ggG x^ + ggB
///   g_x     = sigma (g - <g> - x^ (<g x^> + gamma sigma (p - a q - b r)))
/// with g = A1 gO + A2 ggI, A1 = ggG - gamma sigma r, A2 = -gamma sigma b (the derivative of the
/// first backward's results through x^ at fixed sigma; the last term is the one through sigma).
struct BnDoubleBackward {
  at::Tensor x, gamma, ggI, ggG, ggB, gO, mean, invstd;
  std::array<bool, 3> mask;  // x, gamma, gO

  /// Per-channel coefficients, from the five sums (double, [5, C]: gO, ggI, gO (x - mu),
  /// ggI (x - mu), ggI gO).
  struct Coefficients {
    std::vector<double> k_gO, k_ggI, k_xc, k_0;  // g_x = k_gO gO + k_ggI ggI + k_xc (x - mu) + k_0
    std::vector<double> o_ggI, o_0;                // g_gO = o_ggI ggI + k_gO (x - mu) + o_0
    std::vector<double> g_gamma;
  };

  static std::vector<double> per_channel(const at::Tensor& t, int64_t c, double fill) {
    if (!t.defined()) return std::vector<double>(static_cast<std::size_t>(c), fill);
    const auto d = t.detach().to(at::kCPU, at::kDouble).contiguous();
    return std::vector<double>(d.data_ptr<double>(), d.data_ptr<double>() + c);
  }

  Coefficients coefficients(const std::vector<double>& sums, int64_t c, double m) const {
    const auto mu = per_channel(mean, c, 0), sigma = per_channel(invstd, c, 1), g = per_channel(gamma, c, 1),
               gg_g = per_channel(ggG, c, 0), gg_b = per_channel(ggB, c, 0);
    Coefficients k;
    for (auto* v : {&k.k_gO, &k.k_ggI, &k.k_xc, &k.k_0, &k.o_ggI, &k.o_0, &k.g_gamma}) v->resize(std::size_t(c));
    for (int64_t j = 0; j < c; ++j) {
      const auto i = std::size_t(j);
      const double s = sigma[i], gs = g[i] * s;
      const double a = sums[i] / m, q = sums[c + i] / m, b = s * sums[2 * c + i] / m, r = s * sums[3 * c + i] / m,
                   p = sums[4 * c + i] / m;
      const double a1 = gg_g[i] - gs * r, a2 = -gs * b;
      const double mean_g = a1 * a + a2 * q, mean_gx = a1 * b + a2 * r, cross = p - a * q - b * r;
      k.k_gO[i] = s * a1;
      k.k_ggI[i] = s * a2;
      k.k_xc[i] = -s * s * (mean_gx + gs * cross);
      k.k_0[i] = -s * mean_g;
      k.o_ggI[i] = gs;
      k.o_0[i] = gg_b[i] - gs * q;
      k.g_gamma[i] = s * m * cross;
    }
    return k;
  }

  /// The five per-channel sums over x, gO and ggI (all in `format`), each a fixed block of the
  /// data summed in double and the blocks added in order: the same result on any thread count.
  template <class T>
  static std::vector<double> sums(const T* xp, const T* gp, const T* qp, const std::vector<double>& mu, int64_t n,
                                  int64_t c, int64_t s, bool rows) {
    const auto cu = std::size_t(c);
    if (rows) {  // [n * s rows, c]
      const int64_t total = n * s, block = std::max<int64_t>(1, 8192 / c);
      const int64_t blocks = (total + block - 1) / block;
      std::vector<double> part(std::size_t(blocks) * 5 * cu, 0.0);
      at::parallel_for(0, blocks, 1, [&](int64_t b0, int64_t b1) {
        for (int64_t bl = b0; bl < b1; ++bl) {
          double* acc = part.data() + std::size_t(bl) * 5 * cu;
          const int64_t r1 = std::min(total, (bl + 1) * block);
          for (int64_t r = bl * block; r < r1; ++r) {
            const T *x = xp + r * c, *g = gp + r * c, *q = qp + r * c;
            for (int64_t j = 0; j < c; ++j) {
              const double xc = double(x[j]) - mu[std::size_t(j)], gj = double(g[j]), qj = double(q[j]);
              acc[j] += gj;
              acc[c + j] += qj;
              acc[2 * c + j] += gj * xc;
              acc[3 * c + j] += qj * xc;
              acc[4 * c + j] += qj * gj;
            }
          }
        }
      });
      std::vector<double> out(5 * cu, 0.0);
      for (int64_t bl = 0; bl < blocks; ++bl)
        for (std::size_t i = 0; i < 5 * cu; ++i) out[i] += part[std::size_t(bl) * 5 * cu + i];
      return out;
    }
    // [n, c, s]: one plane of s values per (sample, channel)
    std::vector<double> part(std::size_t(n) * cu * 5, 0.0);
    at::parallel_for(0, n * c, 1, [&](int64_t p0, int64_t p1) {
      for (int64_t pl = p0; pl < p1; ++pl) {
        const int64_t j = pl % c;
        const T *x = xp + pl * s, *g = gp + pl * s, *q = qp + pl * s;
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0;
        const double m = mu[std::size_t(j)];
        for (int64_t i = 0; i < s; ++i) {
          const double xc = double(x[i]) - m, gi = double(g[i]), qi = double(q[i]);
          s0 += gi, s1 += qi, s2 += gi * xc, s3 += qi * xc, s4 += qi * gi;
        }
        double* acc = part.data() + std::size_t(pl) * 5;
        acc[0] = s0, acc[1] = s1, acc[2] = s2, acc[3] = s3, acc[4] = s4;
      }
    });
    std::vector<double> out(5 * cu, 0.0);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < c; ++j)
        for (int64_t k = 0; k < 5; ++k) out[std::size_t(k * c + j)] += part[std::size_t((i * c + j) * 5 + k)];
    return out;
  }

  /// g_x and g_gO in one pass (either may be skipped), a segment at a time: a row of c values,
  /// one a channel (channels-last), or a plane of s values of one channel (contiguous).
  template <class T>
  static void apply(const T* xp, const T* gp, const T* qp, T* gx, T* ggo, const Coefficients& k,
                    const std::vector<double>& mu, int64_t n, int64_t c, int64_t s, bool rows) {
    const auto cast = [](const std::vector<double>& v) { return std::vector<T>(v.begin(), v.end()); };
    const auto kg = cast(k.k_gO), kq = cast(k.k_ggI), kx = cast(k.k_xc), k0 = cast(k.k_0), oq = cast(k.o_ggI),
               o0 = cast(k.o_0), m = cast(mu);
    const int64_t segments = rows ? n * s : n * c, length = rows ? c : s;
    const auto segment = [&](auto per_value, int64_t at, std::size_t channel) {
      const T *x = xp + at * length, *g = gp + at * length, *q = qp + at * length;
      const auto ch = [&](int64_t i) { return per_value ? std::size_t(i) : channel; };
      if (gx)
        for (int64_t i = 0, o = at * length; i < length; ++i)
          gx[o + i] = kg[ch(i)] * g[i] + kq[ch(i)] * q[i] + kx[ch(i)] * (x[i] - m[ch(i)]) + k0[ch(i)];
      if (ggo)
        for (int64_t i = 0, o = at * length; i < length; ++i)
          ggo[o + i] = oq[ch(i)] * q[i] + kg[ch(i)] * (x[i] - m[ch(i)]) + o0[ch(i)];
    };
    at::parallel_for(0, segments, std::max<int64_t>(1, 32768 / std::max<int64_t>(length, 1)), [&](int64_t a, int64_t b) {
      for (int64_t i = a; i < b; ++i) {
        if (rows) segment(std::true_type{}, i, 0);
        else segment(std::false_type{}, i, std::size_t(i % c));
      }
    });
  }

  /// The fused route: float or double on the CPU, 4-d, ggI defined, no graph to record.
  bool fused() const {
    return x.device().is_cpu() && x.dim() == 4 && (x.scalar_type() == at::kFloat || x.scalar_type() == at::kDouble) &&
           ggI.defined() && gO.defined() && !at::GradMode::is_enabled();
  }

  std::array<at::Tensor, 3> run() const {
    const int64_t n = x.size(0), c = x.size(1);
    const int64_t s = c == 0 || n == 0 ? 0 : x.numel() / (n * c);
    const double m = double(n * s);
    if (!fused()) return composite(m);
    const auto format = bn_rows_of_channels(x) ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous;
    const bool rows = format == at::MemoryFormat::ChannelsLast;
    const auto xs = x.contiguous(format), gs = gO.to(x.scalar_type()).contiguous(format),
               qs = ggI.to(x.scalar_type()).contiguous(format);
    const auto mu = per_channel(mean, c, 0);
    std::array<at::Tensor, 3> out;
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "gan::nn::batch_norm_double_backward", [&] {
      const auto sum = sums<scalar_t>(xs.data_ptr<scalar_t>(), gs.data_ptr<scalar_t>(), qs.data_ptr<scalar_t>(), mu,
                                      n, c, s, rows);
      const auto k = coefficients(sum, c, m);
      if (mask[0]) out[0] = at::empty_like(xs, xs.options(), format);
      if (mask[2]) out[2] = at::empty_like(xs, xs.options(), format);
      apply<scalar_t>(xs.data_ptr<scalar_t>(), gs.data_ptr<scalar_t>(), qs.data_ptr<scalar_t>(),
                      mask[0] ? out[0].data_ptr<scalar_t>() : nullptr, mask[2] ? out[2].data_ptr<scalar_t>() : nullptr,
                      k, mu, n, c, s, rows);
      if (mask[1] && gamma.defined())
        out[1] = at::tensor(k.g_gamma, at::TensorOptions().dtype(at::kDouble)).to(gamma.options());
    });
    return out;
  }

  /// The same formulas in tensor operations (recorded by autograd when the graph is being built,
  /// for a third derivative; any dtype and device), the full-size operand first in each.
  std::array<at::Tensor, 3> composite(double m) const {
    const int64_t c = x.size(1);
    std::vector<int64_t> dims{0}, shape(std::size_t(x.dim()), 1);
    for (int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
    shape[1] = c;
    const auto opts = x.options();
    const auto col = [&](const at::Tensor& t, double fill) {
      return t.defined() ? t.to(x.scalar_type()).reshape(shape) : at::full(shape, fill, opts);
    };
    const auto mu = col(mean, 0), sigma = col(invstd, 1), g = col(gamma, 1), gg_g = col(ggG, 0),
               gg_b = col(ggB, 0);
    const auto xc = x - mu;
    const auto zero = at::zeros(shape, opts);
    const auto mean_of = [&](const at::Tensor& t) { return t.defined() ? t.sum(dims, true) / m : zero; };
    const auto gs = g * sigma;
    const auto a = mean_of(gO), q = mean_of(ggI);
    const auto b = gO.defined() ? mean_of(gO * xc) * sigma : zero;
    const auto r = ggI.defined() ? mean_of(ggI * xc) * sigma : zero;
    const auto p = gO.defined() && ggI.defined() ? mean_of(ggI * gO) : zero;
    const auto a1 = gg_g - gs * r, a2 = -gs * b;
    const auto mean_g = a1 * a + a2 * q, mean_gx = a1 * b + a2 * r, cross = p - a * q - b * r;
    std::array<at::Tensor, 3> out;
    if (mask[0]) {
      auto gx = xc * (-sigma * sigma * (mean_gx + gs * cross)) - sigma * mean_g;
      if (gO.defined()) gx = gx + gO * (sigma * a1);
      if (ggI.defined()) gx = gx + ggI * (sigma * a2);
      out[0] = gx;
    }
    if (mask[1] && gamma.defined()) out[1] = (sigma * m * cross).reshape({c}).to(gamma.scalar_type());
    if (mask[2]) {
      auto ggo = xc * (sigma * a1) + (gg_b - gs * q);
      if (ggI.defined()) ggo = ggo + ggI * gs;
      out[2] = ggo;
    }
    return out;
  }
};

/// The first backward of training-mode batch norm as an autograd function of (gO, x, gamma), so
/// that its own backward (the double backward above) is ours. mean and invstd are the forward's
/// batch statistics, constants here: the double backward differentiates through them itself.
struct BatchNormBackwardFunction : torch::autograd::Function<BatchNormBackwardFunction> {
  static torch::autograd::variable_list forward(torch::autograd::AutogradContext* ctx, const at::Tensor& grad_out,
                                                const at::Tensor& x, const c10::optional<at::Tensor>& gamma,
                                                const at::Tensor& mean, const at::Tensor& invstd, double eps) {
    // Every result, needed or not: an autograd function's outputs must be defined (libtorch
    // 1.13), and the kernel's per-channel sums for gamma and beta are the ones grad input needs.
    auto [gi, gg, gb] = at::native_batch_norm_backward(grad_out, x, gamma, c10::nullopt, c10::nullopt, mean, invstd,
                                                       true, eps, {true, gamma.has_value(), gamma.has_value()});
    ctx->save_for_backward({grad_out, x, gamma.value_or(at::Tensor())});
    ctx->saved_data["mean"] = mean;
    ctx->saved_data["invstd"] = invstd;
    ctx->set_materialize_grads(false);  // an unused result's gradient stays undefined, not zeros
    if (!gamma) return {gi};
    return {gi, gg, gb};
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    BnDoubleBackward d{saved[1],
                       saved[2],
                       grads[0],
                       grads.size() > 1 ? grads[1] : at::Tensor(),
                       grads.size() > 2 ? grads[2] : at::Tensor(),
                       saved[0],
                       ctx->saved_data["mean"].toTensor(),
                       ctx->saved_data["invstd"].toTensor(),
                       {ctx->needs_input_grad(1), saved[2].defined() && ctx->needs_input_grad(2),
                        ctx->needs_input_grad(0)}};
    const auto out = d.run();
    return {out[2], out[0], out[1], {}, {}, {}};
  }
};

/// Training-mode batch norm of x with libtorch's forward kernel (running statistics, when given,
/// updated in place with `momentum`), whose backward is BatchNormBackwardFunction.
struct BatchNormFunction : torch::autograd::Function<BatchNormFunction> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x,
                            const c10::optional<at::Tensor>& gamma, const c10::optional<at::Tensor>& beta,
                            const c10::optional<at::Tensor>& running_mean, const c10::optional<at::Tensor>& running_var,
                            double momentum, double eps) {
    auto [y, mean, invstd] = at::native_batch_norm(x, gamma, beta, running_mean, running_var, true, momentum, eps);
    ctx->save_for_backward({x, gamma.value_or(at::Tensor())});
    ctx->saved_data["mean"] = mean;
    ctx->saved_data["invstd"] = invstd;
    ctx->saved_data["eps"] = eps;
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const bool affine = saved[1].defined();
    const auto g = BatchNormBackwardFunction::apply(
        grads[0], saved[0], affine ? c10::optional<at::Tensor>(saved[1]) : c10::nullopt,
        ctx->saved_data["mean"].toTensor(), ctx->saved_data["invstd"].toTensor(), ctx->saved_data["eps"].toDouble());
    return {g[0], affine ? g[1] : at::Tensor(), affine ? g[2] : at::Tensor(), {}, {}, {}, {}};
  }
};

}  // namespace detail

/// Whether batch_norm() takes its own route (training mode, float or double on the CPU, 4-d
/// input, autocast off); otherwise it is the module's forward.
inline bool fused_batch_norm(const torch::nn::BatchNorm2dImpl& bn, const at::Tensor& x) {
  return bn.is_training() && x.device().is_cpu() && !at::autocast::is_cpu_enabled() && x.dim() == 4 &&
         (x.scalar_type() == at::kFloat || x.scalar_type() == at::kDouble) &&
         (!bn.options.affine() || bn.weight.scalar_type() == x.scalar_type());
}

/// `bn.forward(x)`, the same forward values, running statistics and first gradients, with the
/// fused double backward of this file in training mode on the CPU (see fused_batch_norm()).
inline at::Tensor batch_norm(torch::nn::BatchNorm2dImpl& bn, const at::Tensor& x) {
  if (!fused_batch_norm(bn, x)) return bn.forward(x);
  const auto& o = bn.options;
  TORCH_CHECK_VALUE(x.size(1) == o.num_features(), "batch_norm: expected ", o.num_features(),
                    " channels, got input of shape ", x.sizes());
  TORCH_CHECK_VALUE(x.numel() / x.size(1) > 1, "Expected more than 1 value per channel when training, got input size ",
                    x.sizes());
  double factor = o.momentum().value_or(0.0);
  if (o.track_running_stats() && bn.num_batches_tracked.defined()) {
    bn.num_batches_tracked += 1;  // as BatchNormImplBase::forward
    if (!o.momentum()) factor = 1.0 / bn.num_batches_tracked.item<double>();
  }
  const auto opt = [](bool has, const at::Tensor& t) { return has ? c10::optional<at::Tensor>(t) : c10::nullopt; };
  const bool stats = o.track_running_stats();
  return detail::BatchNormFunction::apply(x, opt(o.affine(), bn.weight), opt(o.affine(), bn.bias),
                                          opt(stats, bn.running_mean), opt(stats, bn.running_var), factor, o.eps());
}

}  // namespace gan::nn
