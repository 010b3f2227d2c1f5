#pragma once
/// @file
/// A labelled grid of example images (a row per cluster, its colour swatch and label first),
/// drawn with the plots' fonts and colours.

#include <gan/viz/scatter.hpp>

namespace gan::viz {

/// How example_grid lays out its tiles.
struct ExampleGridOptions {
  int tile = 64;       ///< each example is resized to tile × tile pixels
  int per_row = 8;     ///< at most this many examples a row
  int padding = 4;     ///< pixels between and around tiles
  int label_width = 0; ///< width of the label column; 0: fitted to the longest label
};

/// A grid of example images: row r shows label `labels[r]` (after a swatch of cluster r's
/// colour, as in scatter_plot) and then the first options.per_row images of `rows[r]`,
/// each resized to options.tile pixels square (INTER_AREA) on a white background. Tiles
/// may be 8-bit (grey, BGR or BGRA) or floating point in [0, 1] (grey or BGR); empty tiles are
/// left blank. Returns a BGR image. `labels` may be shorter than `rows` ("cluster r").
///
/// Throws std::invalid_argument when there are no rows, or tile < 4, per_row < 1, padding < 0.
inline cv::Mat example_grid(const std::vector<std::vector<cv::Mat>>& rows,
                            const std::vector<std::string>& labels = {},
                            const ExampleGridOptions& options = {}) {
  if (rows.empty()) throw std::invalid_argument("example_grid: no rows");
  if (options.tile < 4 || options.per_row < 1 || options.padding < 0)
    throw std::invalid_argument("example_grid: need tile >= 4, per_row >= 1, padding >= 0; got " +
                                std::to_string(options.tile) + ", " +
                                std::to_string(options.per_row) + ", " +
                                std::to_string(options.padding));
  const double f = std::max(0.6, options.tile / 64.0);
  const detail::Fonts fonts{0.45 * f, 0.5 * f, 0.6 * f, 1};
  const int swatch = int(std::lround(12 * f)), gap = int(std::lround(6 * f));
  const auto label = [&](std::size_t r) {
    return r < labels.size() ? labels[r] : "cluster " + std::to_string(r);
  };
  int label_w = options.label_width;
  if (label_w <= 0) {
    for (std::size_t r = 0; r < rows.size(); ++r)
      label_w = std::max(label_w, detail::text_size(label(r), fonts.label, fonts).width);
    label_w += swatch + 3 * gap;
  }
  std::size_t columns = 1;
  for (const auto& row : rows)
    columns = std::max(columns, std::min(row.size(), std::size_t(options.per_row)));
  const int t = options.tile, p = options.padding;
  const int width = label_w + int(columns) * (t + p) + p;
  const int height = int(rows.size()) * (t + p) + p;
  cv::Mat image(height, width, CV_8UC3, cv::Scalar::all(255));
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const int y = p + int(r) * (t + p);
    const int cy = y + t / 2;
    detail::draw_marker(image, {gap + swatch / 2.0, double(cy)}, swatch * 0.45, Marker::circle,
                        detail::series_colour(r));
    const double scale = detail::fitting_scale(label(r), fonts.label,
                                               std::max(1, label_w - swatch - 3 * gap), fonts);
    const auto size = detail::text_size(label(r), scale, fonts);
    detail::put_text(image, label(r), {gap + swatch + gap, cy - size.height / 2}, scale, fonts,
                     cv::Scalar(30, 30, 30));
    for (std::size_t c = 0; c < std::min(rows[r].size(), columns); ++c) {
      const cv::Mat& source = rows[r][c];
      if (source.empty()) continue;
      cv::Mat bytes = source;
      if (source.depth() != CV_8U) source.convertTo(bytes, CV_8U, 255.0);
      cv::Mat bgr;
      if (bytes.channels() == 1)
        cv::cvtColor(bytes, bgr, cv::COLOR_GRAY2BGR);
      else if (bytes.channels() == 4)
        cv::cvtColor(bytes, bgr, cv::COLOR_BGRA2BGR);
      else
        bgr = bytes;
      cv::Mat resized;
      cv::resize(bgr, resized, {t, t}, 0, 0,
                 bgr.cols >= t && bgr.rows >= t ? cv::INTER_AREA : cv::INTER_NEAREST);
      resized.copyTo(image(cv::Rect(label_w + int(c) * (t + p), y, t, t)));
    }
  }
  return image;
}

}  // namespace gan::viz
