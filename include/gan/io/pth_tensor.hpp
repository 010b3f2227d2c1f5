#pragma once
/// @file
/// libtorch side of `gan/io/pth_reader.hpp`: `.pth` files (torchvision's ImageNet weights,
/// pytorch-fid's Inception, any `torch.save(model.state_dict(), ...)`) as `torch::Tensor`s, and
/// copied into a `torch::nn::Module` by name, as Python's `load_state_dict` does.
///
/// Example:
/// @code
///   auto vgg = gan::nn::VGG(...);
///   gan::io::load_into(*vgg, "vgg16-397923af.pth");          // strict: names must match
///   auto tensors = gan::io::load_pth("pt_inception-2015-12-05-6726825d.pth");
/// @endcode

#include <gan/io/pth_reader.hpp>

#include <torch/nn/module.h>
#include <torch/types.h>
#include <torch/utils.h>

#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace gan::io {

/// The torch dtype of a RawTensor::dtype name; throws std::runtime_error for an unknown one.
inline torch::Dtype to_torch_dtype(const std::string& dtype) {
  static const std::map<std::string, torch::Dtype> types = {
      {"float32", torch::kFloat32},     {"float64", torch::kFloat64},  {"float16", torch::kFloat16},
      {"bfloat16", torch::kBFloat16},   {"int64", torch::kInt64},      {"int32", torch::kInt32},
      {"int16", torch::kInt16},         {"int8", torch::kInt8},        {"uint8", torch::kUInt8},
      {"bool", torch::kBool},           {"complex64", torch::kComplexFloat},
      {"complex128", torch::kComplexDouble}};
  auto it = types.find(dtype);
  if (it == types.end()) throw std::runtime_error("unsupported dtype '" + dtype + "'");
  return it->second;
}

/// A CPU tensor viewing `t`'s storage with its shape, strides and offset (no copy: the tensor
/// keeps the storage alive; tensors that shared a storage in the file share it here too).
inline torch::Tensor to_tensor(const RawTensor& t) {
  const torch::Dtype dtype = to_torch_dtype(t.dtype);
  const std::size_t es = dtype_size(t.dtype);
  const int64_t have = t.storage ? static_cast<int64_t>(t.storage->size() / es) : 0;
  if (t.numel() > 0 && required_storage_elements(t) > have)
    throw std::runtime_error("tensor view reaches past the end of its storage");
  if (t.numel() == 0) return torch::empty(t.shape, torch::TensorOptions().dtype(dtype));
  auto keep = t.storage;
  return torch::from_blob(t.storage->data() + t.offset * static_cast<int64_t>(es), t.shape, t.stride,
                          [keep](void*) mutable { keep.reset(); }, torch::TensorOptions().dtype(dtype));
}

/// Reads `path` (see read_state_dict: both formats, nested dicts flattened to dotted names).
inline std::map<std::string, torch::Tensor> load_pth(const std::filesystem::path& path) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& [name, t] : read_state_dict(path)) {
    try {
      out.emplace(name, to_tensor(t));
    } catch (const std::exception& e) {
      throw gan::Error(path.string(), 0, name + ": " + e.what());
    }
  }
  return out;
}

/// What `load_into` did not match: names in the model but not in the file, and the reverse.
struct LoadReport {
  std::vector<std::string> missing, unexpected;
};

namespace detail::pth {
inline std::string shape_str(c10::IntArrayRef s) {
  std::ostringstream o;
  o << '[';
  for (std::size_t k = 0; k < s.size(); ++k) o << (k ? ", " : "") << s[k];
  o << ']';
  return o.str();
}
inline std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}
}  // namespace detail::pth

/// Copies the tensors of `path` into `module`'s parameters and buffers (recursively, by their
/// dotted names), converting the dtype where it differs (float64 file into a float32 model).
/// Everything is checked before anything is copied, so on a throw the module is unchanged.
///
/// Throws `gan::Error` naming the file and: a tensor whose shape differs
/// ("features.0.weight: the file has [64, 3, 3, 3], the model [32, 3, 3, 3]"); with `strict`,
/// the names missing from the file and the names the model does not have. Without `strict`
/// those are only returned.
inline LoadReport load_into(torch::nn::Module& module, const std::filesystem::path& path, bool strict = true) {
  const auto file = load_pth(path);
  std::map<std::string, torch::Tensor> model;
  for (const auto& item : module.named_parameters(/*recurse=*/true)) model.emplace(item.key(), item.value());
  for (const auto& item : module.named_buffers(/*recurse=*/true)) model.emplace(item.key(), item.value());

  LoadReport report;
  for (const auto& [name, t] : model)
    if (!file.count(name)) report.missing.push_back(name);
  for (const auto& [name, t] : file)
    if (!model.count(name)) report.unexpected.push_back(name);
  for (const auto& [name, dst] : model) {
    auto it = file.find(name);
    if (it != file.end() && it->second.sizes() != dst.sizes())
      throw gan::Error(path.string(), 0,
                            name + ": the file has " + detail::pth::shape_str(it->second.sizes()) +
                                ", the model " + detail::pth::shape_str(dst.sizes()));
  }
  if (strict && (!report.missing.empty() || !report.unexpected.empty())) {
    std::string msg = "the file does not match the model:";
    if (!report.missing.empty()) msg += " missing from the file: " + detail::pth::join(report.missing) + ";";
    if (!report.unexpected.empty())
      msg += " unexpected in the file (not in the model): " + detail::pth::join(report.unexpected) + ";";
    msg.pop_back();
    throw gan::Error(path.string(), 0, msg);
  }
  torch::NoGradGuard no_grad;
  for (auto& [name, dst] : model) {
    auto it = file.find(name);
    if (it != file.end()) dst.copy_(it->second);
  }
  return report;
}

}  // namespace gan::io
