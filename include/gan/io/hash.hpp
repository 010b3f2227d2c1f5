#pragma once
/// @file
/// The 64-bit FNV-1a hash of bytes, and its 16-digit hex form: the keys of the caches and of
/// the pipeline's stage stamps (not a checksum against tampering).

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace gan::io {

/// FNV-1a's 64-bit offset basis. (The project's first caches used 1469598103934665603, a digit
/// short of it: their keys change once, and those caches are made again.)
inline constexpr uint64_t kFnv1aBasis = 0xcbf29ce484222325ull;  // 14695981039346656037

/// FNV-1a of `bytes`, continuing from `h` (the basis for a new hash).
inline uint64_t fnv1a(std::string_view bytes, uint64_t h = kFnv1aBasis) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

/// `h` as 16 lower-case hex digits.
inline std::string hex64(uint64_t h) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

}  // namespace gan::io
