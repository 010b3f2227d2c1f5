#pragma once
/// @file
/// Lists of strings stored as uint8 tensors, so that archives of tensors can carry file names.

#include <ATen/ATen.h>

#include <cstring>
#include <sstream>
#include <string>
#include <vector>

namespace gan::io {

/// The strings joined by '\n', as a uint8 tensor.
inline at::Tensor string_tensor(const std::vector<std::string>& v) {
  std::string joined;
  for (const auto& s : v) joined += s + '\n';
  auto t = at::empty({int64_t(joined.size())}, at::kByte);
  if (!joined.empty()) std::memcpy(t.data_ptr<uint8_t>(), joined.data(), joined.size());
  return t;
}

/// The inverse of `string_tensor`.
inline std::vector<std::string> tensor_strings(const at::Tensor& t) {
  const auto c = t.contiguous();
  std::string joined(reinterpret_cast<const char*>(c.data_ptr<uint8_t>()), size_t(c.numel()));
  std::vector<std::string> out;
  std::istringstream in(joined);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

}  // namespace gan::io
