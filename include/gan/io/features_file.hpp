#pragma once
/// @file
/// A features file: one row of features per image, with its file name and label. Written by
/// `aerogan classify`, read by `aerogan cluster`.

#include <gan/io/archive.hpp>
#include <gan/io/string_tensor.hpp>

#include <ATen/ATen.h>
#include <torch/serialize/archive.h>

#include <filesystem>
#include <stdexcept>

namespace gan::io {

struct Features {
  /// [N, D], float32.
  at::Tensor values;
  /// [N], int64.
  at::Tensor labels;
  std::vector<std::string> filenames;
  /// The layer the features come from.
  std::string layer;
};

inline void save_features(const std::filesystem::path& path, const Features& f) {
  if (f.values.dim() != 2 || f.labels.dim() != 1 || f.values.size(0) != f.labels.size(0) ||
      f.values.size(0) != int64_t(f.filenames.size()))
    throw std::invalid_argument("save_features: " + std::to_string(f.filenames.size()) +
                                " file names for features of shape " + c10::str(f.values.sizes()));
  torch::serialize::OutputArchive a;
  a.write("features", f.values.to(at::kFloat).contiguous(), true);
  a.write("labels", f.labels.to(at::kLong), true);
  a.write("filenames", string_tensor(f.filenames), true);
  a.write("layer", string_tensor({f.layer}), true);
  save_archive(path, a);
}

inline Features load_features(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path))
    throw std::invalid_argument("features file " + path.string() + " does not exist");
  Features f;
  try {
    torch::serialize::InputArchive a;
    load_archive(path, a);
    at::Tensor names, layer;
    a.read("features", f.values, true);
    a.read("labels", f.labels, true);
    a.read("filenames", names, true);
    a.read("layer", layer, true);
    f.filenames = tensor_strings(names);
    const auto l = tensor_strings(layer);
    f.layer = l.empty() ? "" : l[0];
  } catch (const ChecksumError&) {
    throw;
  } catch (const gan::Error& e) {
    std::string why = e.what();
    if (why.rfind(path.string() + ": ", 0) == 0) why = why.substr(path.string().size() + 2);
    throw std::invalid_argument("cannot read features file " + path.string() + ": " + why);
  } catch (const c10::Error& e) {
    throw std::invalid_argument("cannot read features file " + path.string() + ": " +
                                e.what_without_backtrace());
  }
  if (f.values.dim() != 2 || f.values.size(0) != int64_t(f.filenames.size()) ||
      f.labels.size(0) != f.values.size(0))
    throw std::invalid_argument("features file " + path.string() + ": " +
                                std::to_string(f.filenames.size()) + " file names for features of shape " +
                                c10::str(f.values.sizes()));
  return f;
}

}  // namespace gan::io
