#pragma once
/// @file
/// `reuse_large_allocations`: keeps the C library's allocator from handing large blocks back to
/// the kernel, so that a training step's large tensors reuse memory already mapped instead of
/// faulting fresh pages in on every allocation.
///
/// glibc serves a block above its mmap threshold (at most 32 MiB, raised as blocks are freed) with
/// a fresh mmap, and unmaps it when freed; every page of the next such block is then faulted in
/// and zeroed by the kernel again. A batch of 64 at 96×96 has several tensors above 32 MiB (the
/// generator's 64×64×47×47 block, the critic's 64×64×48×48 one: 36-38 MB), allocated and freed
/// several times a step. On the 2-core VM of docs/performance.md a fault costs about 2.6 ms per
/// MB, 95 ms for one such tensor, and the paper's step went from 3.4-4.5 s to about 2 s with
/// this setting (Python's too, given the same setting through MALLOC_MMAP_THRESHOLD_).
/// PyTorch's CPU tuning guide recommends jemalloc or tcmalloc for the same reason; this needs
/// neither.
///
/// Process-wide: call it once at the start of a program (the aerogan tool and the benchmarks do),
/// before threads start. The price: memory that large tensors used stays with the process (its
/// peak resident size) until it exits. A no-op returning false where the C library is not glibc.
///
/// ```cpp
/// int main() { gan::reuse_large_allocations(); ... }
/// ```

#include <cstddef>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace gan {

/// Serves blocks up to `max_bytes` from the heap and never trims it (glibc's M_MMAP_THRESHOLD
/// and M_TRIM_THRESHOLD). True when the C library took both settings.
inline bool reuse_large_allocations(std::size_t max_bytes = std::size_t{1} << 30) {
#if defined(__GLIBC__)
  const int limit = max_bytes > static_cast<std::size_t>(1) << 30 ? 1 << 30 : static_cast<int>(max_bytes);
  const bool mmap_ok = mallopt(M_MMAP_THRESHOLD, limit) == 1;
  const bool trim_ok = mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1;
  return mmap_ok && trim_ok;
#else
  (void)max_bytes;
  return false;
#endif
}

}  // namespace gan
