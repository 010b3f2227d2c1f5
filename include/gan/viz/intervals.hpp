#pragma once
/// @file
/// An interval plot (a "forest plot"): one row per entry, a dot at its value and a bar over its
/// interval, a line at zero. Entries whose interval excludes zero are coloured (green above,
/// red below), the others grey: a paired difference that is significant stands out. OpenCV only.
///
/// ```cpp
/// std::vector<gan::viz::Interval> rows{{"gan:vanilla", 0.04, -0.01, 0.09}, {"duplicate", 0.12, 0.05, 0.19}};
/// gan::viz::IntervalOptions options;
/// options.title = "target: recall, arm - baseline";
/// cv::Mat image = gan::viz::interval_plot(rows, options);
/// ```

#include <gan/viz/plot.hpp>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace gan::viz {

/// One row: a label, a value and its interval [low, high]. A row whose value is NaN is drawn
/// as "undefined".
struct Interval {
  std::string label;
  double value = 0, low = 0, high = 0;
};

/// How interval_plot draws.
struct IntervalOptions {
  std::string title, x_label;
  int width = 520;      ///< at least 300
  int row_height = 34;  ///< pixels a row at width 800 (scaled with the width)
};

/// The plot, width options.width, as high as its rows need (at least 150). Throws
/// std::invalid_argument for a width below 300 or an interval whose low exceeds its high.
inline cv::Mat interval_plot(const std::vector<Interval>& rows, const IntervalOptions& options = {}) {
  if (options.width < 300)
    throw std::invalid_argument("interval_plot: the width must be at least 300 pixels, got " + std::to_string(options.width));
  for (const auto& r : rows)
    if (r.low > r.high)
      throw std::invalid_argument("interval_plot: '" + r.label + "' has low " + std::to_string(r.low) + " above high " +
                                  std::to_string(r.high));
  const int width = options.width;
  const double f = std::clamp(width / 800.0, 0.6, 3.0);
  const detail::Fonts fonts{0.45 * f, 0.52 * f, 0.65 * f, f >= 1.8 ? 2 : 1};
  const auto px = [&](double v) { return int(std::lround(v * f)); };
  const cv::Scalar black(0, 0, 0), text(30, 30, 30), grid(225, 225, 225), grey(150, 150, 150);
  const cv::Scalar gain(44, 160, 44), loss(40, 39, 214);  // tab10 green and red (BGR)

  // x range: every finite end and 0, with a margin.
  double lo = 0, hi = 0;
  bool any = false;
  for (const auto& r : rows)
    for (double v : {r.value, r.low, r.high})
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v), any = true;
  if (!(hi > lo)) lo -= 1, hi += 1;
  const double span = hi - lo;
  lo -= 0.06 * span, hi += 0.06 * span;

  const int pad = px(8), tick_length = px(5);
  const int tick_h = detail::text_size("0123456789", fonts.tick, fonts).height;
  const int label_h = detail::text_size("Xxgy", fonts.label, fonts).height;
  const int title_h = detail::text_size("Xxgy", fonts.title, fonts).height;
  int label_w = 0;
  for (const auto& r : rows) label_w = std::max(label_w, detail::text_size(r.label, fonts.tick, fonts).width);
  label_w = std::min(label_w, width / 2);
  const int top = options.title.empty() ? px(16) : title_h + 2 * pad + px(4);
  const int row_h = std::max(px(options.row_height), tick_h + px(6));
  const int plot_h = std::max(px(40), int(rows.size()) * row_h);
  const int bottom = tick_length + pad / 2 + tick_h + pad + (options.x_label.empty() ? 0 : label_h + pad + px(4));
  const int height = std::max(150, top + plot_h + bottom);
  const int left = pad + label_w + pad / 2 + tick_length, plot_w = std::max(40, width - left - px(24));

  // Rows top to bottom: category ticks at 0 .. n-1 from the top.
  detail::Axis y_axis{-0.5, double(rows.size()) - 0.5, {}, {}};
  for (std::size_t i = rows.size(); i-- > 0;) {
    y_axis.ticks.push_back(double(rows.size() - 1 - i));
    y_axis.labels.push_back(rows[i].label);
  }
  const detail::Axis x_axis = detail::fit_x_axis(lo, hi, left, plot_w, fonts, px(80), px(14));
  cv::Mat image(height, width, CV_8UC3, cv::Scalar::all(255));
  const cv::Rect plot_rect(left, top, plot_w, plot_h);
  detail::draw_ticks(image, plot_rect, x_axis, y_axis, fonts, pad, tick_length, grid, black, text);

  const auto x_of = [&](double v) { return left + int(std::lround((plot_w - 1) * (v - x_axis.lo) / (x_axis.hi - x_axis.lo))); };
  const auto y_of = [&](std::size_t i) {
    const double t = double(rows.size() - 1 - i);
    return top + int(std::lround((plot_h - 1) * (1 - (t - y_axis.lo) / (y_axis.hi - y_axis.lo))));
  };
  cv::line(image, {x_of(0), top}, {x_of(0), top + plot_h - 1}, black, std::max(1, px(1.5)), cv::LINE_AA);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    const int y = y_of(i);
    if (!std::isfinite(r.value)) {
      detail::put_text(image, "undefined", {x_of(0) + pad, y - tick_h / 2}, fonts.tick, fonts, grey);
      continue;
    }
    const cv::Scalar colour = r.low > 0 ? gain : r.high < 0 ? loss : grey;
    const int cap = std::max(3, px(7)), thick = std::max(2, px(3));
    if (std::isfinite(r.low) && std::isfinite(r.high)) {
      cv::line(image, {x_of(r.low), y}, {x_of(r.high), y}, colour, thick, cv::LINE_AA);
      cv::line(image, {x_of(r.low), y - cap}, {x_of(r.low), y + cap}, colour, thick, cv::LINE_AA);
      cv::line(image, {x_of(r.high), y - cap}, {x_of(r.high), y + cap}, colour, thick, cv::LINE_AA);
    }
    cv::circle(image, {x_of(r.value), y}, std::max(3, px(7)), colour, cv::FILLED, cv::LINE_AA);
  }
  detail::draw_frame_and_labels(image, plot_rect, any, options.x_label, width - 2 * pad,
                                top + plot_h + tick_length + pad / 2 + tick_h + pad + px(2), "", options.title, pad + px(2),
                                fonts, pad, std::max(1, px(1)), black, text);
  return image;
}

}  // namespace gan::viz
