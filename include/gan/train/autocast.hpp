#pragma once
/// @file
/// `Autocast`: libtorch's autocast for a scope (torch.autocast in Python), on the CPU or CUDA.

#include <gan/train/options.hpp>

#include <ATen/autocast_mode.h>
#include <c10/core/Device.h>
#include <torch/version.h>

namespace gan {

/// Turns autocast on for `device`'s kind at `precision` (bf16; nothing for fp32 and fp64) until the end of the
/// scope, then restores what was there. Use it around forward passes and losses only, as
/// PyTorch advises: the backward pass runs in the dtypes the forward pass chose.
class Autocast {
 public:
  Autocast(Precision precision, c10::Device device) : on_(precision == Precision::bf16), type_(device.type()) {
    if (!on_) return;
    was_enabled_ = enabled();
    was_dtype_ = dtype();
    set(true, at::kBFloat16);
    at::autocast::increment_nesting();
  }
  ~Autocast() {
    if (!on_) return;
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    set(was_enabled_, was_dtype_);
  }
  Autocast(const Autocast&) = delete;
  Autocast& operator=(const Autocast&) = delete;

 private:
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
  bool enabled() const { return at::autocast::is_autocast_enabled(type_); }
  at::ScalarType dtype() const { return at::autocast::get_autocast_dtype(type_); }
  void set(bool on, at::ScalarType t) const {
    at::autocast::set_autocast_enabled(type_, on);
    at::autocast::set_autocast_dtype(type_, t);
  }
#else
  bool enabled() const { return type_ == c10::DeviceType::CUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled(); }
  at::ScalarType dtype() const {
    return type_ == c10::DeviceType::CUDA ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
  }
  void set(bool on, at::ScalarType t) const {
    if (type_ == c10::DeviceType::CUDA) {
      at::autocast::set_enabled(on);
      at::autocast::set_autocast_gpu_dtype(t);
    } else {
      at::autocast::set_cpu_enabled(on);
      at::autocast::set_autocast_cpu_dtype(t);
    }
  }
#endif
  bool on_;
  c10::DeviceType type_;
  bool was_enabled_ = false;
  at::ScalarType was_dtype_ = at::kFloat;
};

}  // namespace gan
