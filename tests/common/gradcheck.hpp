#pragma once
// A generic gradient check (as dlib's test_layer): autograd against central finite
// differences, in float64.
#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace gan::test {

/// Compares d f / d x for every x in `wrt` (float64 leaves that require grad) with central
/// differences on up to `max_checks` entries of each. Returns "" on success, else a report.
inline std::string gradcheck(const std::function<at::Tensor()>& f, std::vector<at::Tensor> wrt,
                             double eps = 1e-6, double atol = 1e-6, double rtol = 1e-4,
                             int64_t max_checks = 24) {
  std::ostringstream report;
  for (auto& x : wrt) {
    if (x.scalar_type() != at::kDouble) return "gradcheck: a tensor is not float64";
    x.requires_grad_(true);
  }
  auto y = f();
  auto grads = torch::autograd::grad({y}, wrt, {}, false, false, /*allow_unused=*/true);
  for (auto& g : grads)
    if (g.defined()) g = g.detach();
  // f runs with grad mode on (a gradient penalty differentiates inside it); entries are
  // changed in place without recording that.
  auto set = [](const at::Tensor& flat, int64_t j, double value) {
    torch::NoGradGuard no_grad;
    flat[j] = value;
  };
  for (size_t i = 0; i < wrt.size(); ++i) {
    auto flat = wrt[i].view(-1);
    auto g = grads[i].defined() ? grads[i].reshape(-1) : at::zeros_like(flat);
    const int64_t n = flat.numel(), stride = std::max<int64_t>(1, n / max_checks);
    for (int64_t j = 0; j < n; j += stride) {
      const double orig = flat[j].item<double>();
      set(flat, j, orig + eps);
      const double up = f().item<double>();
      set(flat, j, orig - eps);
      const double down = f().item<double>();
      set(flat, j, orig);
      const double numeric = (up - down) / (2 * eps), analytic = g[j].item<double>();
      if (std::abs(numeric - analytic) > atol + rtol * std::abs(numeric))
        report << "input " << i << " entry " << j << ": autograd " << analytic
               << " vs finite difference " << numeric << "\n";
    }
  }
  return report.str();
}

/// A scalar view of any output: the sum of out * R with a fixed random R.
inline at::Tensor project(const at::Tensor& out, uint64_t seed = 7) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  return (out * at::randn(out.sizes(), gen, out.options().requires_grad(false))).sum();
}

/// The module's parameters, for `gradcheck`.
template <class M>
std::vector<at::Tensor> params(M& m) {
  return m->parameters();
}

}  // namespace gan::test
