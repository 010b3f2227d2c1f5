#pragma once
/// @file
/// Scatter plots of 2-D points (a t-SNE embedding, say) coloured by cluster with a marker
/// shape per class, and grids of example images per cluster. OpenCV only (no libtorch).
///
/// ```cpp
/// std::vector<std::array<double, 2>> points = ...;  // e.g. rows of gan::cluster::tsne(...)
/// std::vector<int> cluster = ..., cls = ...;          // one each per point
/// gan::viz::ScatterOptions options;
/// options.title = "t-SNE of the features";
/// options.class_names = {"real", "generated"};
/// gan::viz::write_scatter("runs/tsne.png", points, cluster, cls, options);
/// ```

#include <gan/io/atomic_file.hpp>
#include <gan/viz/plot.hpp>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace gan::viz {

/// How scatter_plot draws.
struct ScatterOptions {
  std::string title, x_label, y_label;
  int width = 900, height = 700;  ///< image size in pixels; at least 300 × 200
  double marker_size = 4;         ///< marker radius in pixels at 800 × 500 (scaled with the image)
  double opacity = 0.8;           ///< of the markers, in (0, 1]: overlaps show density
  /// Legend names of cluster ids 0, 1, ... ("cluster i" when missing) and class ids.
  std::vector<std::string> cluster_names, class_names;
  std::string cluster_heading = "cluster", class_heading = "class";  ///< legend headings
};

/// Marker shapes, one per class id in this order, repeating after six.
enum class Marker { circle, triangle, square, cross, diamond, plus };

namespace detail {

inline Marker marker_of(int cls) { return Marker(((cls % 6) + 6) % 6); }

/// The colour of cluster `c` (BGR): tab10 (series_colour), grey for negative ids (noise).
inline cv::Scalar cluster_colour(int c) {
  return c < 0 ? cv::Scalar(150, 150, 150) : series_colour(std::size_t(c));
}

/// Draws a marker centred at `centre` (pixels) of radius `r`.
inline void draw_marker(cv::Mat& image, cv::Point2d centre, double r, Marker marker,
                        cv::Scalar colour) {
  constexpr int shift = 4;
  const auto fixed = [](double x, double y) {
    return cv::Point(int(std::lround(x * (1 << shift))), int(std::lround(y * (1 << shift))));
  };
  const double x = centre.x, y = centre.y;
  const auto polygon = [&](std::vector<cv::Point> corners) {
    cv::fillPoly(image, std::vector<std::vector<cv::Point>>{corners}, colour, cv::LINE_AA, shift);
  };
  const int thickness = std::max(1, int(std::lround(r / 2.5)));
  switch (marker) {
    case Marker::circle:
      cv::circle(image, fixed(x, y), int(std::lround(r * (1 << shift))), colour, cv::FILLED,
                 cv::LINE_AA, shift);
      break;
    case Marker::triangle:
      polygon({fixed(x, y - 1.25 * r), fixed(x + 1.1 * r, y + 0.75 * r),
               fixed(x - 1.1 * r, y + 0.75 * r)});
      break;
    case Marker::square:
      polygon({fixed(x - 0.9 * r, y - 0.9 * r), fixed(x + 0.9 * r, y - 0.9 * r),
               fixed(x + 0.9 * r, y + 0.9 * r), fixed(x - 0.9 * r, y + 0.9 * r)});
      break;
    case Marker::diamond:
      polygon({fixed(x, y - 1.25 * r), fixed(x + 0.9 * r, y), fixed(x, y + 1.25 * r),
               fixed(x - 0.9 * r, y)});
      break;
    case Marker::cross:
      cv::line(image, fixed(x - r, y - r), fixed(x + r, y + r), colour, thickness, cv::LINE_AA,
               shift);
      cv::line(image, fixed(x - r, y + r), fixed(x + r, y - r), colour, thickness, cv::LINE_AA,
               shift);
      break;
    case Marker::plus:
      cv::line(image, fixed(x - 1.2 * r, y), fixed(x + 1.2 * r, y), colour, thickness,
               cv::LINE_AA, shift);
      cv::line(image, fixed(x, y - 1.2 * r), fixed(x, y + 1.2 * r), colour, thickness,
               cv::LINE_AA, shift);
      break;
  }
}

/// The distinct values of `ids` in increasing order ({0} when `ids` is empty).
inline std::vector<int> distinct_ids(const std::vector<int>& ids) {
  std::vector<int> out(ids);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  if (out.empty()) out.push_back(0);
  return out;
}

inline std::string id_name(int id, const std::vector<std::string>& names, const std::string& heading) {
  if (id < 0) return "none";
  if (std::size_t(id) < names.size() && !names[std::size_t(id)].empty()) return names[std::size_t(id)];
  return heading + " " + std::to_string(id);
}

}  // namespace detail

/// Draws the points as markers on one axes and returns the BGR image (options.width ×
/// options.height): white background, a frame with 1/2/5 × 10^k ticks and labels (plot.hpp's
/// helpers), light grid lines, axis labels and a centred title, and a legend to the right of
/// the axes listing the clusters (a filled circle of each colour) and, when there is more
/// than one class, the classes (each marker shape in dark grey). Cluster ids take tab10
/// colours (detail::series_colour, repeating after ten; negative ids are grey, "none");
/// class ids take circle, triangle, square, cross, diamond, plus, repeating after six.
/// `cluster` or `cls` may be empty (all 0). Points with a non-finite coordinate are
/// skipped. Axis ranges are the finite points' with 5% margin; with none, [0, 1] and the
/// note "no data". A legend with more entries than fit is cut with "...".
///
/// Throws std::invalid_argument when `cluster` or `cls` is neither empty nor as long as
/// `points`, or the size is below 300 × 200, or opacity is not in (0, 1].
inline cv::Mat scatter_plot(const std::vector<std::array<double, 2>>& points,
                            const std::vector<int>& cluster, const std::vector<int>& cls,
                            const ScatterOptions& options = {}) {
  using detail::Axis;
  const std::size_t n = points.size();
  if (!cluster.empty() && cluster.size() != n)
    throw std::invalid_argument("scatter_plot: " + std::to_string(n) + " points but " +
                                std::to_string(cluster.size()) + " cluster ids");
  if (!cls.empty() && cls.size() != n)
    throw std::invalid_argument("scatter_plot: " + std::to_string(n) + " points but " +
                                std::to_string(cls.size()) + " class ids");
  if (options.width < 300 || options.height < 200)
    throw std::invalid_argument("scatter_plot: the image must be at least 300 x 200 pixels, got " +
                                std::to_string(options.width) + " x " +
                                std::to_string(options.height));
  if (!(options.opacity > 0 && options.opacity <= 1))
    throw std::invalid_argument("scatter_plot: opacity must be in (0, 1], got " +
                                std::to_string(options.opacity));
  const int width = options.width, height = options.height;
  const double f = std::max(0.6, std::min(width / 800.0, height / 500.0));
  const detail::Fonts fonts{0.45 * f, 0.52 * f, 0.65 * f, f >= 1.8 ? 2 : 1};
  const cv::Scalar black(0, 0, 0), text_colour(30, 30, 30), grid_colour(225, 225, 225);
  const auto px = [&](double v) { return int(std::lround(v * f)); };

  // Ranges.
  double x_lo = std::numeric_limits<double>::infinity(), x_hi = -x_lo, y_lo = x_lo, y_hi = -x_lo;
  for (const auto& p : points) {
    if (!std::isfinite(p[0]) || !std::isfinite(p[1])) continue;
    x_lo = std::min(x_lo, p[0]), x_hi = std::max(x_hi, p[0]);
    y_lo = std::min(y_lo, p[1]), y_hi = std::max(y_hi, p[1]);
  }
  const bool has_data = x_lo <= x_hi;
  const auto widen = [](double& lo, double& hi) {
    if (!(hi - lo > std::max(std::abs(lo), std::abs(hi)) * 1e-12) || !std::isfinite(hi - lo)) {
      const double pad = lo == 0 ? 1.0 : std::abs(lo) * 0.1;
      lo -= pad, hi += pad;
    } else {
      const double span = hi - lo;
      lo -= 0.05 * span, hi += 0.05 * span;
    }
  };
  if (has_data) {
    widen(x_lo, x_hi);
    widen(y_lo, y_hi);
  } else {
    x_lo = y_lo = -0.05, x_hi = y_hi = 1.05;
  }

  // Legend entries and their width (to the right of the axes).
  const std::vector<int> cluster_ids = detail::distinct_ids(cluster), class_ids = detail::distinct_ids(cls);
  const bool show_classes = class_ids.size() > 1;
  const int tick_text_h = detail::text_size("0123456789", fonts.tick, fonts).height;
  const int row_h = tick_text_h + px(10), swatch = px(14), inner = px(8);
  int legend_text_w = detail::text_size(options.cluster_heading, fonts.label, fonts).width;
  for (int c : cluster_ids)
    legend_text_w = std::max(legend_text_w, swatch + px(6) + detail::text_size(detail::id_name(c, options.cluster_names, options.cluster_heading), fonts.tick, fonts).width);
  if (show_classes) {
    legend_text_w = std::max(legend_text_w, detail::text_size(options.class_heading, fonts.label, fonts).width);
    for (int c : class_ids)
      legend_text_w = std::max(legend_text_w, swatch + px(6) + detail::text_size(detail::id_name(c, options.class_names, options.class_heading), fonts.tick, fonts).width);
  }
  const int legend_w = std::min(width / 3, legend_text_w + 2 * inner);

  // Layout as plot_lines.
  const auto layout = detail::frame_layout(width, height, f, fonts, options.title, options.x_label, options.y_label, x_lo,
                                           x_hi, y_lo, y_hi, false, legend_w + 2 * px(8) + px(6));
  const int tick_length = layout.tick_length, pad = layout.pad, top = layout.top, left = layout.left;
  const int plot_w = layout.plot_w, plot_h = layout.plot_h;
  const Axis &x_axis = layout.x_axis, &y_axis = layout.y_axis;

  cv::Mat image(height, width, CV_8UC3, cv::Scalar::all(255));
  detail::draw_ticks(image, cv::Rect(left, top, plot_w, plot_h), x_axis, y_axis, fonts, pad, tick_length,
                     grid_colour, black, text_colour);

  // Markers, drawn into a view of the axes (clipped there), then blended for opacity.
  cv::Mat plot = image(cv::Rect(left, top, plot_w, plot_h));
  cv::Mat layer = plot.clone();
  const double radius = std::max(1.5, options.marker_size * f);
  for (std::size_t i = 0; i < n; ++i) {
    const auto& p = points[i];
    if (!std::isfinite(p[0]) || !std::isfinite(p[1])) continue;
    const double fx = (p[0] - x_axis.lo) / (x_axis.hi - x_axis.lo) * (plot_w - 1);
    const double fy = (1 - (p[1] - y_axis.lo) / (y_axis.hi - y_axis.lo)) * (plot_h - 1);
    const Marker marker = detail::marker_of(cls.empty() ? 0 : cls[i]);
    // A white edge, as matplotlib's edgecolor="white", keeps overlapping markers apart.
    if (radius >= 3 && marker != Marker::cross && marker != Marker::plus)
      detail::draw_marker(layer, {fx, fy}, radius + std::max(1.0, f * 0.8), marker,
                          cv::Scalar::all(255));
    detail::draw_marker(layer, {fx, fy}, radius, marker,
                        detail::cluster_colour(cluster.empty() ? 0 : cluster[i]));
  }
  cv::addWeighted(layer, options.opacity, plot, 1 - options.opacity, 0, plot);
  detail::draw_frame_and_labels(image, cv::Rect(left, top, plot_w, plot_h), has_data, options.x_label, plot_w,
                                top + plot_h + tick_length + pad / 2 + tick_text_h + pad + px(2), options.y_label,
                                options.title, pad + px(2), fonts, pad, std::max(1, px(1)), black, text_colour);

  // Legend, right of the axes: clusters, then classes.
  {
    const int lx = left + plot_w + pad + px(6), ly = top;
    const int max_y = top + plot_h;
    struct Entry {
      std::string text;
      bool heading;
      int id;
    };
    std::vector<Entry> entries;
    entries.push_back({options.cluster_heading, true, 0});
    for (int c : cluster_ids)
      entries.push_back({detail::id_name(c, options.cluster_names, options.cluster_heading), false, c});
    const std::size_t first_class = entries.size();
    if (show_classes) {
      entries.push_back({options.class_heading, true, 0});
      for (int c : class_ids)
        entries.push_back({detail::id_name(c, options.class_names, options.class_heading), false, c});
    }
    const int rows_fit = std::max(1, (max_y - ly - 2 * inner) / row_h);
    const bool cut = int(entries.size()) > rows_fit;
    const int shown = cut ? rows_fit - 1 : int(entries.size());
    const int box_h = (shown + (cut ? 1 : 0)) * row_h + 2 * inner - px(4);
    cv::rectangle(image, {lx, ly}, {lx + legend_w - 1, std::min(max_y, ly + box_h)},
                  cv::Scalar(190, 190, 190), 1);
    for (int r = 0; r < shown; ++r) {
      const Entry& e = entries[std::size_t(r)];
      const int cy = ly + inner - px(2) + r * row_h + row_h / 2;
      const int text_x = e.heading ? lx + inner : lx + inner + swatch + px(6);
      const double scale = detail::fitting_scale(e.text, e.heading ? fonts.label : fonts.tick,
                                                 lx + legend_w - inner - text_x, fonts);
      if (e.heading) {
        detail::put_text(image, e.text, {text_x, cy - tick_text_h / 2 - px(1)}, scale, fonts, black);
        continue;
      }
      const cv::Point2d centre(lx + inner + swatch / 2.0, cy);
      if (std::size_t(r) < first_class)
        detail::draw_marker(image, centre, swatch * 0.42, Marker::circle,
                            detail::cluster_colour(e.id));
      else
        detail::draw_marker(image, centre, swatch * 0.36, detail::marker_of(e.id),
                            cv::Scalar(70, 70, 70));
      detail::put_text(image, e.text, {text_x, cy - tick_text_h / 2}, scale, fonts, text_colour);
    }
    if (cut)
      detail::put_text(image, "...", {lx + inner, ly + inner - px(2) + shown * row_h + px(2)},
                       fonts.tick, fonts, text_colour);
  }
  return image;
}

/// scatter_plot, then writes the image as PNG to `path` (whatever its extension), creating
/// parent folders, atomically (write_file_atomically). Throws std::runtime_error naming the
/// path when it cannot be written.
inline void write_scatter(const std::filesystem::path& path,
                          const std::vector<std::array<double, 2>>& points,
                          const std::vector<int>& cluster, const std::vector<int>& cls,
                          const ScatterOptions& options = {}) {
  write_png(path, scatter_plot(points, cluster, cls, options), "write_scatter");
}

}  // namespace gan::viz
