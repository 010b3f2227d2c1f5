#pragma once
/// @file
/// `HostReads`: counts, on this thread, the operators that make the host wait for a tensor's
/// values: `item()` and every scalar read (aten::_local_scalar_dense, which `item`, `any()` in
/// an `if`, `equal` and `is_nonzero` go through), copies from a device to the CPU, and nonzero
/// (its output's size depends on the values). On CUDA each is a pipeline stall; on the CPU the
/// same calls are counted, so a test on the CPU says what a CUDA run would wait for.
///
/// ```cpp
/// gan::HostReads reads;
/// trainer.step_deferred(x, y);
/// assert(reads.count() == 0);
/// ```

#include <ATen/record_function.h>

#include <cstdint>
#include <cstring>
#include <memory>

namespace gan {

class HostReads {
 public:
  HostReads() : start_(counter()) {
    handle_ = at::addThreadLocalCallback(at::RecordFunctionCallback(&on_start).needsInputs(true));
  }
  ~HostReads() { at::removeCallback(handle_); }
  HostReads(const HostReads&) = delete;
  HostReads& operator=(const HostReads&) = delete;

  /// Reads since this counter was made.
  int64_t count() const { return counter() - start_; }

 private:
  static int64_t& counter() {
    static thread_local int64_t n = 0;
    return n;
  }
  static std::unique_ptr<at::ObserverContext> on_start(const at::RecordFunction& fn) {
    const char* name = fn.name();
    if (std::strcmp(name, "aten::_local_scalar_dense") == 0 || std::strcmp(name, "aten::nonzero") == 0) {
      ++counter();
    } else if (std::strcmp(name, "aten::copy_") == 0) {  // copy_(self = destination, src)
      const auto in = fn.inputs();
      if (in.size() >= 2 && in[0].isTensor() && in[1].isTensor() && in[0].toTensor().is_cpu() && !in[1].toTensor().is_cpu())
        ++counter();
    }
    return nullptr;
  }
  int64_t start_;
  at::CallbackHandle handle_;
};

}  // namespace gan
