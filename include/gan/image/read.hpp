#pragma once
/// @file
/// Reading any image OpenCV decodes (PNG, JPEG, TIFF; 8 or 16 bit; grey, RGB or RGBA) as
/// 8-bit RGB at a chosen size.

#include <gan/error.hpp>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>

namespace gan::image {

/// Reads `path` and returns it as CV_8UC3 in RGB order, resized to size × size (area
/// interpolation when shrinking, bilinear when enlarging; `size` 0 keeps the file's size). 16-bit images are scaled to 8
/// bits; grey is replicated; alpha is dropped. Throws `gan::Error` naming the file when
/// it is missing or cannot be decoded.
inline cv::Mat read_image_rgb(const std::filesystem::path& path, int64_t size) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw gan::Error(path.string(), 0, std::filesystem::is_directory(path, ec) ? "is a folder, not an image file" : "image file not found");
  cv::Mat m = cv::imread(path.string(), cv::IMREAD_UNCHANGED | cv::IMREAD_ANYDEPTH);
  if (m.empty()) throw gan::Error(path.string(), 0, "cannot decode the image (corrupt or not an image)");
  if (m.depth() == CV_16U) {
    m.convertTo(m, CV_8U, 1.0 / 257.0);
  } else if (m.depth() == CV_32F || m.depth() == CV_64F) {
    m.convertTo(m, CV_8U, 255.0);
  } else if (m.depth() != CV_8U) {
    m.convertTo(m, CV_8U);
  }
  switch (m.channels()) {
    case 1: cv::cvtColor(m, m, cv::COLOR_GRAY2RGB); break;
    case 3: cv::cvtColor(m, m, cv::COLOR_BGR2RGB); break;
    case 4: cv::cvtColor(m, m, cv::COLOR_BGRA2RGB); break;
    default:
      throw gan::Error(path.string(), 0,
                            "unsupported number of channels: " + std::to_string(m.channels()));
  }
  if (size > 0 && (m.rows != size || m.cols != size)) {
    const bool shrink = m.rows * m.cols > size * size;
    cv::resize(m, m, cv::Size(int(size), int(size)), 0, 0, shrink ? cv::INTER_AREA : cv::INTER_LINEAR);
  }
  return m;
}

}  // namespace gan::image
