#pragma once
// Pixel counts of rendered figures, for tests of plots.
#include <opencv2/core.hpp>

namespace gan::test {

/// A mask of the pixels within `tolerance` (each channel) of the BGR `colour`.
inline cv::Mat pixels_of(const cv::Mat& image, cv::Scalar colour, int tolerance = 10) {
  cv::Mat mask;
  cv::inRange(image, colour - cv::Scalar::all(tolerance), colour + cv::Scalar::all(tolerance), mask);
  return mask;
}

/// The number of pixels within `tolerance` of `colour`.
inline int count_colour(const cv::Mat& image, cv::Scalar colour, int tolerance = 10) {
  return cv::countNonZero(pixels_of(image, colour, tolerance));
}

}  // namespace gan::test
