#pragma once
/// @file
/// Inception features for the Fréchet Inception Distance, as pytorch-fid computes them: finding
/// and loading its weight file, preparing images exactly as its `InceptionV3` does, and the
/// 2048 pool3 features of a uint8 image set.
///
/// ```cpp
/// auto net = gan::metrics::load_fid_inception(gan::metrics::find_fid_weights());
/// auto real = gan::metrics::inception_features(net, folder.images, 50, torch::kCUDA);  // [N,
/// 2048]
/// // Generator output in [-1, 1], seen as it would be once saved as PNG and read back:
/// auto fake01 = gan::metrics::quantize_like_png(generator(z));
/// ```

#include <gan/error.hpp>
#include <gan/io/pth_tensor.hpp>
#include <gan/nn/inception.hpp>

#include <ATen/ATen.h>
#include <torch/types.h>
#include <torch/utils.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace gan::metrics {

/// The file pytorch-fid downloads (its FID_WEIGHTS_URL).
inline constexpr const char* kFidWeightsName = "pt_inception-2015-12-05-6726825d.pth";
inline constexpr const char* kFidWeightsUrl =
    "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/"
    "pt_inception-2015-12-05-6726825d.pth";

/// The network input of images in [0, 1] ([N, 3, H, W], float): a bilinear resize to 299×299
/// (align_corners = false, no antialias; skipped when already 299×299), then 2x − 1. This is
/// pytorch-fid's `InceptionV3` with resize_input=True and normalize_input=True.
inline at::Tensor fid_inception_input(const at::Tensor& x01) {
  TORCH_CHECK_VALUE(x01.dim() == 4 && x01.size(1) == 3 && x01.is_floating_point(),
                    "fid_inception_input: expected float images [N, 3, H, W] in [0, 1], got ",
                    x01.sizes(), " of ", x01.scalar_type());
  at::Tensor x = x01;
  if (x.size(2) != 299 || x.size(3) != 299)
    x = at::upsample_bilinear2d(x, {299, 299}, /*align_corners=*/false);
  return x.mul(2).sub_(1);  // 2x - 1, as pytorch-fid (one temporary)
}

namespace detail {
/// uint8 images to float in [0, 1], as torchvision's ToTensor: x / 255.
inline at::Tensor bytes_to_unit(const at::Tensor& u8) {
  return u8.to(at::kFloat).div_(255);
}
}  // namespace detail

/// Generator output in [-1, 1] to float [0, 1] exactly as writing it to an 8-bit PNG and reading
/// it back gives: the byte of `gan::image::to_mat` (include/gan/io/image_file.hpp),
/// round((clamp(x, −1, 1) + 1) · 127.5) with torch's round (half to even), then / 255.
/// Stays on `x_m11`'s device.
inline at::Tensor quantize_like_png(const at::Tensor& x_m11) {
  TORCH_CHECK_VALUE(x_m11.is_floating_point(), "quantize_like_png: expected a float tensor, got ",
                    x_m11.scalar_type());
  auto bytes = ((x_m11.detach().to(at::kFloat).clamp(-1, 1) + 1) * 127.5).round().to(at::kByte);
  return detail::bytes_to_unit(bytes);
}

/// Where the FID weights are: `explicit_path` if given (it must exist), else $GAN_FID_WEIGHTS,
/// else where pytorch-fid downloads them (torch.hub's cache:
/// $TORCH_HOME/hub/checkpoints, $XDG_CACHE_HOME/torch/hub/checkpoints or
/// ~/.cache/torch/hub/checkpoints). Throws std::runtime_error listing the places it looked and
/// where to download the file.
inline std::filesystem::path find_fid_weights(const std::string& explicit_path = "") {
  namespace fs = std::filesystem;
  const std::string help =
      std::string("download ") + kFidWeightsUrl +
      " (pytorch-fid's weights, 92 MB) and give its path, set GAN_FID_WEIGHTS to it, "
      "or put it in torch's hub cache; `--features classifier` needs no download";
  auto env = [](const char* name) {
    const char* v = std::getenv(name);
    return std::string(v ? v : "");
  };
  if (!explicit_path.empty()) {
    if (fs::is_regular_file(explicit_path)) return explicit_path;
    throw std::runtime_error("FID Inception weights: no file '" + explicit_path + "'; " + help);
  }
  std::vector<fs::path> candidates;
  if (auto p = env("GAN_FID_WEIGHTS"); !p.empty()) candidates.emplace_back(p);
  fs::path torch_home;
  if (auto p = env("TORCH_HOME"); !p.empty())
    torch_home = p;
  else if (auto x = env("XDG_CACHE_HOME"); !x.empty())
    torch_home = fs::path(x) / "torch";
  else if (auto h = env("HOME"); !h.empty())
    torch_home = fs::path(h) / ".cache" / "torch";
  if (!torch_home.empty())
    candidates.push_back(torch_home / "hub" / "checkpoints" / kFidWeightsName);
  std::string looked;
  for (const auto& c : candidates) {
    if (fs::is_regular_file(c)) return c;
    looked += (looked.empty() ? "" : ", ") + c.string();
  }
  throw std::runtime_error(
      "FID Inception weights not found (looked at: " +
      (looked.empty() ? std::string("nowhere: GAN_FID_WEIGHTS, TORCH_HOME and HOME are unset")
                      : looked) +
      "); " + help);
}

/// pytorch-fid's Inception with the weights of `weights` (its pt_inception-2015-12-05-6726825d.pth
/// or a file of the same keys), in eval mode, on the CPU. Every parameter and running statistic
/// must be in the file with its shape; the only names allowed to differ are BatchNorm's
/// `num_batches_tracked` counters (absent from pytorch-fid's file, and unused in eval mode).
/// Throws gan::Error naming the file, and the tensor on a shape mismatch.
inline nn::FidInception load_fid_inception(const std::filesystem::path& weights) {
  nn::FidInception net;
  const auto report = io::load_into(*net, weights, /*strict=*/false);
  auto is_counter = [](const std::string& name) {
    const std::string suffix = ".num_batches_tracked";
    return name.size() >= suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  std::vector<std::string> missing, unexpected;
  for (const auto& n : report.missing)
    if (!is_counter(n)) missing.push_back(n);
  for (const auto& n : report.unexpected)
    if (!is_counter(n)) unexpected.push_back(n);
  // The first 10 names of a list: a wrong file has hundreds.
  auto some = [](const std::vector<std::string>& names) {
    const size_t k = std::min<size_t>(10, names.size());
    std::vector<std::string> head(names.begin(), names.begin() + std::ptrdiff_t(k));
    return "(" + std::to_string(names.size()) + " names): " + io::detail::pth::join(head) +
           (k < names.size() ? " and " + std::to_string(names.size() - k) + " more" : "");
  };
  if (!missing.empty() || !unexpected.empty()) {
    std::string msg = "not pytorch-fid's Inception weights:";
    if (!missing.empty()) msg += " missing from the file " + some(missing) + ";";
    if (!unexpected.empty()) msg += " unexpected in the file " + some(unexpected) + ";";
    msg.pop_back();
    throw gan::Error(weights.string(), 0, msg);
  }
  net->eval();
  return net;
}

/// pool3 features [N, 2048] (float32, CPU) of uint8 images [N, 3, H, W] (the layout of
/// `gan::data::ImageFolder::images`): /255, `fid_inception_input`, the network; `batch_size`
/// images at a time on `device` (the network is moved there), without autograd, in eval mode.
inline at::Tensor inception_features(nn::FidInception& net, const at::Tensor& images_uint8,
                                     int64_t batch_size, torch::Device device) {
  TORCH_CHECK_VALUE(images_uint8.dim() == 4 && images_uint8.size(1) == 3 &&
                        images_uint8.scalar_type() == at::kByte,
                    "inception_features: expected uint8 images [N, 3, H, W], got ",
                    images_uint8.sizes(), " of ", images_uint8.scalar_type());
  TORCH_CHECK_VALUE(batch_size > 0, "inception_features: batch_size must be > 0, got ", batch_size);
  torch::NoGradGuard no_grad;
  net->eval();
  net->to(device);
  const int64_t n = images_uint8.size(0);
  auto out = at::empty({n, 2048}, at::kFloat);
  for (int64_t i = 0; i < n; i += batch_size) {
    const int64_t end = std::min(n, i + batch_size);
    auto x = detail::bytes_to_unit(images_uint8.slice(0, i, end).to(device));
    out.slice(0, i, end).copy_(net->forward(fid_inception_input(x)));
  }
  return out;
}

}  // namespace gan::metrics
