#pragma once
/// @file
/// Writing images to files with OpenCV (target gan::io).

#include <gan/io/atomic_file.hpp>

#include <ATen/ATen.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>
#include <stdexcept>

namespace gan::image {

/// A [3, H, W] or [1, H, W] image in [-1, 1] as an 8-bit OpenCV matrix (BGR or grey).
inline cv::Mat to_mat(const at::Tensor& image) {
  TORCH_CHECK_VALUE(image.dim() == 3 && (image.size(0) == 3 || image.size(0) == 1),
                    "to_mat: expected a [3, H, W] or [1, H, W] image, got ", image.sizes());
  auto u8 = ((image.detach().to(at::kCPU, at::kFloat).clamp(-1, 1) + 1) * 127.5)
                .round()
                .to(at::kByte)
                .permute({1, 2, 0})
                .contiguous();
  const int h = int(u8.size(0)), w = int(u8.size(1)), c = int(u8.size(2));
  cv::Mat mat(h, w, c == 3 ? CV_8UC3 : CV_8UC1, u8.data_ptr<uint8_t>());
  cv::Mat out = mat.clone();
  if (c == 3) cv::cvtColor(out, out, cv::COLOR_RGB2BGR);
  return out;
}

/// Writes an image in [-1, 1] ([C, H, W], RGB) to `path` (format from the extension),
/// atomically. Throws with the path when it cannot.
inline void write_image(const std::filesystem::path& path, const at::Tensor& image) {
  std::vector<uchar> bytes;
  if (!cv::imencode(path.extension().string(), to_mat(image), bytes))
    throw std::runtime_error("cannot encode an image for " + path.string());
  io::write_file_atomically(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

}  // namespace gan::image
