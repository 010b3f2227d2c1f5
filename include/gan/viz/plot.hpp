#pragma once
/// @file
/// Line plots (loss curves, gradient norms) drawn with OpenCV only: no libtorch, so a tool
/// that includes this header compiles in a second or two.
///
/// ```cpp
/// gan::viz::Series d{"D loss", steps, d_losses}, g{"G loss", steps, g_losses};
/// gan::viz::PlotOptions options;
/// options.title = "Losses";
/// options.x_label = "iteration";
/// options.smooth = 50;
/// gan::viz::write_plot("runs/losses.png", {d, g}, options);
/// ```

#include <gan/io/atomic_file.hpp>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace gan::viz {

/// One line of a plot: the points (x[i], y[i]) joined in order. Points where x or y is NaN
/// or infinite are skipped and break the line.
struct Series {
  std::string name;  ///< shown in the legend (a series without a name gets no legend entry)
  std::vector<double> x;
  std::vector<double> y;
};

/// How plot_lines draws: labels, size in pixels, and optional log scale and smoothing.
struct PlotOptions {
  std::string title, x_label, y_label;
  int width = 800, height = 500;  ///< image size in pixels; at least 200 × 150
  bool log_y = false;             ///< log10 y axis; points with y <= 0 are skipped
  /// Window (points) of a centred moving average drawn as a bold line over a faint raw line;
  /// 0 or 1 draws the raw line only. With log_y the average is taken of log10(y).
  int smooth = 0;
};

namespace detail {

/// The colour of series `i` (BGR): matplotlib's tab10 palette, repeating after ten.
inline cv::Scalar series_colour(std::size_t i) {
  static const std::array<cv::Scalar, 10> tab10 = {
      cv::Scalar(180, 119, 31),  cv::Scalar(14, 127, 255),  cv::Scalar(44, 160, 44),
      cv::Scalar(40, 39, 214),   cv::Scalar(189, 103, 148), cv::Scalar(75, 86, 140),
      cv::Scalar(194, 119, 227), cv::Scalar(127, 127, 127), cv::Scalar(34, 189, 188),
      cv::Scalar(207, 190, 23)};
  return tab10[i % tab10.size()];
}

/// The smallest step of the form 1, 2 or 5 × 10^k that is at least `raw` (> 0).
inline double nice_step(double raw) {
  const double exponent = std::floor(std::log10(raw));
  const double magnitude = std::pow(10.0, exponent);
  const double fraction = raw / magnitude;
  const double tolerance = 1 + 1e-9;
  const double mantissa = fraction <= 1 * tolerance   ? 1
                          : fraction <= 2 * tolerance ? 2
                          : fraction <= 5 * tolerance ? 5
                                                      : 10;
  return mantissa * magnitude;
}

/// i · step, computed so that decimal steps give the closest double to the decimal tick
/// (0.6, not 0.6000000000000001), and never -0.
inline double tick_value(long long i, double step) {
  const double exponent = std::floor(std::log10(step) + 1e-9);
  const double mantissa = std::round(step / std::pow(10.0, exponent));
  const double v = exponent < 0 ? double(i) * mantissa / std::pow(10.0, -exponent)
                                : double(i) * mantissa * std::pow(10.0, exponent);
  return v == 0 ? 0.0 : v;
}

/// The next smaller step of the form 1, 2 or 5 × 10^k: 5 -> 2 -> 1 -> 0.5.
inline double smaller_nice_step(double step) {
  const double magnitude = std::pow(10.0, std::floor(std::log10(step) + 1e-9));
  const double mantissa = std::round(step / magnitude);
  return mantissa >= 5 ? 2 * magnitude : mantissa >= 2 ? magnitude : magnitude / 2;
}

/// Tick values for an axis from `lo` to `hi`: every multiple of a step of the form
/// 1, 2 or 5 × 10^k that lies in [lo, hi], with the step the smallest such that is at least
/// (hi - lo) / target_count, or the largest smaller one that gives two ticks when that one
/// gives only one. So [0, 1] with 5 gives 0, 0.2, 0.4, 0.6, 0.8, 1, and the first and last
/// ticks lie less than one step from the ends. A range that is empty or not finite gives
/// the finite ends alone.
inline std::vector<double> nice_ticks(double lo, double hi, int target_count) {
  if (lo > hi) std::swap(lo, hi);
  if (!std::isfinite(lo) || !std::isfinite(hi) || !std::isfinite(hi - lo) || hi - lo <= 0) {
    std::vector<double> ends;
    if (std::isfinite(lo)) ends.push_back(lo);
    if (std::isfinite(hi) && hi != lo) ends.push_back(hi);
    return ends;
  }
  double step = nice_step((hi - lo) / std::max(1, target_count));
  const double slack = 1e-9;  // lets a tick that equals an end by rounding count
  double first = std::ceil(lo / step - slack), last = std::floor(hi / step + slack);
  while (last - first < 1) {
    step = smaller_nice_step(step);
    first = std::ceil(lo / step - slack), last = std::floor(hi / step + slack);
  }
  std::vector<double> ticks;
  // Precision lost (lo and hi nearly equal, or huge in units of the step): the ends alone.
  if (!(last - first < 10000) || std::abs(first) > 1e15 || std::abs(last) > 1e15) return {lo, hi};
  for (auto i = static_cast<long long>(first); i <= static_cast<long long>(last); ++i)
    ticks.push_back(tick_value(i, step));
  return ticks;
}

/// A tick label: integers without decimals ("1", not "1.0"), others with as many decimals as
/// `step` needs (0.25 with step 0.05 is "0.25", 0.2 with step 0.05 is "0.20"), and "2.5e+05"-style
/// only for magnitudes from 1e5 or below 1e-3.
inline std::string format_tick(double value, double step) {
  if (value == 0) return "0";
  const double largest = std::max(std::abs(value), std::abs(step));
  char buffer[64];
  if (largest >= 1e5 || largest < 1e-3) {
    const int digits = std::clamp(
        int(std::floor(std::log10(std::abs(value)))) - int(std::floor(std::log10(step) + 1e-9)), 0,
        12);
    std::snprintf(buffer, sizeof buffer, "%.*e", digits, value);
    std::string text = buffer;
    const auto e = text.find('e');
    std::string mantissa = text.substr(0, e);
    if (mantissa.find('.') != std::string::npos) {
      mantissa.erase(mantissa.find_last_not_of('0') + 1);
      if (mantissa.back() == '.') mantissa.pop_back();
    }
    return mantissa + text.substr(e);
  }
  const int decimals =
      value == std::round(value) ? 0 : std::clamp(-int(std::floor(std::log10(step) + 1e-9)), 0, 12);
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

/// An axis in plotted coordinates (log10(y) on a log axis): its range, ticks and labels.
struct Axis {
  double lo = 0, hi = 1;
  std::vector<double> ticks;
  std::vector<std::string> labels;
};

/// Linear ticks and labels for [lo, hi].
inline Axis linear_axis(double lo, double hi, int target_count) {
  Axis axis{lo, hi, nice_ticks(lo, hi, target_count), {}};
  const double step = axis.ticks.size() > 1 ? axis.ticks[1] - axis.ticks[0] : std::abs(hi - lo);
  for (double t : axis.ticks) axis.labels.push_back(format_tick(t, step > 0 ? step : 1));
  return axis;
}

/// Ticks for a log10 axis whose range [lo, hi] is in decades: whole powers of ten (every
/// 1, 2, 5, ... decades) when at least two fit, else 1/2/5 ticks of the values themselves.
inline Axis log_axis(double lo, double hi, int target_count) {
  Axis axis{lo, hi, {}, {}};
  const double first = std::ceil(lo - 1e-9), last = std::floor(hi + 1e-9);
  if (last - first >= 1) {
    const double stride = std::max(1.0, nice_step((last - first) / std::max(1, target_count)));
    for (double k = std::ceil(first / stride) * stride; k <= last + 1e-9; k += stride) {
      axis.ticks.push_back(k);
      const double value = std::pow(10.0, k);
      axis.labels.push_back(format_tick(value, value));
    }
    return axis;
  }
  const double vlo = std::pow(10.0, lo), vhi = std::pow(10.0, hi);
  const auto values = nice_ticks(vlo, vhi, target_count);
  const double step = values.size() > 1 ? values[1] - values[0] : vhi - vlo;
  for (double v : values) {
    if (v <= 0) continue;
    axis.ticks.push_back(std::log10(v));
    axis.labels.push_back(format_tick(v, step > 0 ? step : v));
  }
  return axis;
}

/// The y values as plotted: log10(y) on a log axis, NaN where a point is skipped.
inline std::vector<double> plotted_y(const std::vector<double>& y, bool log_y) {
  std::vector<double> out(y.size());
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (std::size_t i = 0; i < y.size(); ++i) {
    const double v = log_y ? (y[i] > 0 ? std::log10(y[i]) : nan) : y[i];
    out[i] = std::isfinite(v) ? v : nan;
  }
  return out;
}

/// Centred moving average over `window` points of the finite values around each finite
/// point; non-finite points stay NaN so the line breaks where the raw line does.
inline std::vector<double> moving_average(const std::vector<double>& y, int window) {
  const std::size_t n = y.size();
  std::vector<double> sum(n + 1, 0.0), count(n + 1, 0.0), out(n);
  for (std::size_t i = 0; i < n; ++i) {
    const bool ok = std::isfinite(y[i]);
    sum[i + 1] = sum[i] + (ok ? y[i] : 0.0);
    count[i + 1] = count[i] + (ok ? 1.0 : 0.0);
  }
  const auto before = std::size_t(window / 2), after = std::size_t(window - 1 - window / 2);
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(y[i])) {
      out[i] = y[i];
      continue;
    }
    const std::size_t a = i >= before ? i - before : 0, b = std::min(n, i + after + 1);
    out[i] = (sum[b] - sum[a]) / (count[b] - count[a]);
  }
  return out;
}

/// The range [lo, hi] of `columns[s][i]` over the points where both it and `other[s][i]` are
/// finite, widened by `margin` of its span each side; a single value is padded by 10% of its
/// size (by 1 if it is 0, by half a decade on a log axis). False when there is no such point.
inline bool data_range(const std::vector<const std::vector<double>*>& columns,
                       const std::vector<const std::vector<double>*>& other, double margin,
                       bool log_axis, double& lo, double& hi) {
  lo = std::numeric_limits<double>::infinity();
  hi = -lo;
  for (std::size_t s = 0; s < columns.size(); ++s)
    for (std::size_t i = 0; i < columns[s]->size(); ++i) {
      const double v = (*columns[s])[i], w = (*other[s])[i];
      if (!std::isfinite(v) || !std::isfinite(w)) continue;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  if (!(lo <= hi)) return false;
  if (!(hi - lo > std::max(std::abs(lo), std::abs(hi)) * 1e-12) || !std::isfinite(hi - lo)) {
    const double pad = log_axis ? 0.5 : (lo == 0 ? 1.0 : std::abs(lo) * 0.1);
    lo -= pad;
    hi += pad;
  } else {
    const double span = hi - lo;
    lo -= margin * span;
    hi += margin * span;
  }
  return true;
}

/// Sizes of the text used in a plot, scaled with the image.
struct Fonts {
  double tick, label, title;  ///< putText scales
  int thickness;
  int face = cv::FONT_HERSHEY_SIMPLEX;
};

inline cv::Size text_size(const std::string& text, double scale, const Fonts& fonts,
                          int* baseline = nullptr) {
  int base = 0;
  const auto size = cv::getTextSize(text, fonts.face, scale, fonts.thickness, &base);
  if (baseline) *baseline = base;
  return size;
}

/// `scale`, shrunk in steps of 10% (down to 0.3) until `text` is at most `max_width` wide.
inline double fitting_scale(const std::string& text, double scale, int max_width,
                            const Fonts& fonts) {
  while (scale > 0.3 && text_size(text, scale, fonts).width > max_width) scale *= 0.9;
  return scale;
}

/// Draws `text` with its top-left corner at `top_left` (putText wants the baseline).
inline void put_text(cv::Mat& image, const std::string& text, cv::Point top_left, double scale,
                     const Fonts& fonts, cv::Scalar colour) {
  const auto size = text_size(text, scale, fonts);
  cv::putText(image, text, {top_left.x, top_left.y + size.height}, fonts.face, scale, colour,
              fonts.thickness, cv::LINE_AA);
}

/// Draws `text` turned 90° anticlockwise (reading bottom to top), centred vertically on
/// `centre_y`, with its left edge at `left`.
inline void put_vertical_text(cv::Mat& image, const std::string& text, int left, int centre_y,
                              double scale, const Fonts& fonts, cv::Scalar colour) {
  int baseline = 0;
  const auto size = text_size(text, scale, fonts, &baseline);
  cv::Mat strip(size.height + baseline + 2, size.width + 2, image.type(), cv::Scalar::all(255));
  cv::putText(strip, text, {1, size.height + 1}, fonts.face, scale, colour, fonts.thickness,
              cv::LINE_AA);
  cv::Mat turned;
  cv::rotate(strip, turned, cv::ROTATE_90_COUNTERCLOCKWISE);
  cv::Rect target(left, centre_y - turned.rows / 2, turned.cols, turned.rows);
  const cv::Rect clipped = target & cv::Rect(0, 0, image.cols, image.rows);
  if (clipped.empty()) return;
  turned(cv::Rect(clipped.x - target.x, clipped.y - target.y, clipped.width, clipped.height))
      .copyTo(image(clipped));
}

/// Whether labels of the given extents (along the axis) centred at `positions` leave at
/// least `gap` pixels between neighbours.
inline bool labels_fit(const std::vector<double>& positions, const std::vector<int>& extents,
                       int gap) {
  for (std::size_t i = 1; i < positions.size(); ++i)
    if (std::abs(positions[i] - positions[i - 1]) < (extents[i] + extents[i - 1]) / 2.0 + gap)
      return false;
  return true;
}

/// The linear x axis over [lo, hi] with the most ticks (about one per `spacing` pixels) whose
/// labels fit between `left` and `left + plot_w` without coming closer than `gap` pixels.
inline Axis fit_x_axis(double lo, double hi, int left, int plot_w, const Fonts& fonts, int spacing,
                       int gap) {
  Axis axis;
  for (int target = std::max(2, plot_w / spacing); target >= 2; --target) {
    axis = linear_axis(lo, hi, target);
    std::vector<double> positions;
    std::vector<int> extents;
    for (std::size_t i = 0; i < axis.ticks.size(); ++i) {
      positions.push_back(left + (plot_w - 1) * (axis.ticks[i] - axis.lo) / (axis.hi - axis.lo));
      extents.push_back(text_size(axis.labels[i], fonts.tick, fonts).width);
    }
    if (labels_fit(positions, extents, gap)) break;
  }
  return axis;
}

/// The y axis with as many ticks as fit between `top` and `top + plot_h` (labels `text_h`
/// high, at least `gap` apart; about one tick per `spacing` pixels at most); log-scaled with
/// `log`. Also returns the width of its widest label.
inline std::pair<Axis, int> fit_y_axis(double lo, double hi, bool log, int top, int plot_h, const Fonts& fonts,
                                       int text_h, int spacing, int gap) {
  Axis axis;
  for (int target = std::max(2, plot_h / spacing); target >= 2; --target) {
    axis = log ? log_axis(lo, hi, target) : linear_axis(lo, hi, target);
    std::vector<double> positions;
    for (double t : axis.ticks) positions.push_back(top + (plot_h - 1) * (1 - (t - axis.lo) / (axis.hi - axis.lo)));
    if (labels_fit(positions, std::vector<int>(positions.size(), text_h), gap)) break;
  }
  int width = 0;
  for (const auto& l : axis.labels) width = std::max(width, text_size(l, fonts.tick, fonts).width);
  return {axis, width};
}

/// Draws the grid lines, the ticks and the tick labels of both axes around `plot` (the axes'
/// rectangle in `image`): labels `pad / 2` from ticks `tick_length` long.
inline void draw_ticks(cv::Mat& image, const cv::Rect& plot, const Axis& x_axis, const Axis& y_axis,
                       const Fonts& fonts, int pad, int tick_length, cv::Scalar grid, cv::Scalar tick,
                       cv::Scalar text) {
  const int left = plot.x, top = plot.y, plot_w = plot.width, plot_h = plot.height;
  for (std::size_t i = 0; i < y_axis.ticks.size(); ++i) {
    const double v = y_axis.ticks[i];
    const int y = int(std::lround(top + (plot_h - 1) * (1 - (v - y_axis.lo) / (y_axis.hi - y_axis.lo))));
    cv::line(image, {left, y}, {left + plot_w - 1, y}, grid, 1);
    cv::line(image, {left - tick_length, y}, {left - 1, y}, tick, 1);
    const auto size = text_size(y_axis.labels[i], fonts.tick, fonts);
    const int ty = std::clamp(y - size.height / 2, 0, image.rows - size.height - 1);
    put_text(image, y_axis.labels[i], {left - tick_length - pad / 2 - size.width, ty}, fonts.tick, fonts, text);
  }
  for (std::size_t i = 0; i < x_axis.ticks.size(); ++i) {
    const double v = x_axis.ticks[i];
    const int x = int(std::lround(left + (plot_w - 1) * (v - x_axis.lo) / (x_axis.hi - x_axis.lo)));
    cv::line(image, {x, top}, {x, top + plot_h - 1}, grid, 1);
    cv::line(image, {x, top + plot_h}, {x, top + plot_h + tick_length - 1}, tick, 1);
    const auto size = text_size(x_axis.labels[i], fonts.tick, fonts);
    const int tx = std::clamp(x - size.width / 2, 0, image.cols - size.width - 1);
    put_text(image, x_axis.labels[i], {tx, top + plot_h + tick_length + pad / 2}, fonts.tick, fonts, text);
  }
}

/// The frame around the axes `plot`, "no data" in it when there is none, the x label (fitted
/// to `x_label_fit` pixels, centred under the axes, at `x_label_y`), the vertical y label, and
/// the title (centred on the axes, as matplotlib does, unless it overflows).
inline void draw_frame_and_labels(cv::Mat& image, const cv::Rect& plot, bool has_data, const std::string& x_label,
                                  int x_label_fit, int x_label_y, const std::string& y_label,
                                  const std::string& title, int title_y, const Fonts& fonts, int pad, int frame,
                                  cv::Scalar black, cv::Scalar text) {
  const int left = plot.x, top = plot.y, plot_w = plot.width, plot_h = plot.height, width = image.cols;
  cv::rectangle(image, {left - frame, top - frame}, {left + plot_w - 1 + frame, top + plot_h - 1 + frame}, black,
                frame);
  if (!has_data) {
    const auto size = text_size("no data", fonts.label, fonts);
    put_text(image, "no data", {left + (plot_w - size.width) / 2, top + (plot_h - size.height) / 2}, fonts.label,
             fonts, cv::Scalar(120, 120, 120));
  }
  const auto centred = [&](int text_width) {
    return std::clamp(left + (plot_w - text_width) / 2, pad, std::max(pad, width - pad - text_width));
  };
  if (!x_label.empty()) {
    const double scale = fitting_scale(x_label, fonts.label, x_label_fit, fonts);
    put_text(image, x_label, {centred(text_size(x_label, scale, fonts).width), x_label_y}, scale, fonts, text);
  }
  if (!y_label.empty())
    put_vertical_text(image, y_label, pad, top + plot_h / 2, fitting_scale(y_label, fonts.label, plot_h, fonts),
                      fonts, text);
  if (!title.empty()) {
    const double scale = fitting_scale(title, fonts.title, width - 2 * pad, fonts);
    put_text(image, title, {centred(text_size(title, scale, fonts).width), title_y}, scale, fonts, black);
  }
}

/// Where a plot's axes go: margins from the text around them (title, tick labels, axis
/// labels), the y axis fitted to the height left, the x axis to the width left of `right`.
/// `f` scales every pixel size (px(v) = round(v f)). The one layout of line and scatter plots.
struct FrameLayout {
  int tick_length = 0, pad = 0, top = 0, left = 0, plot_w = 0, plot_h = 0;
  Axis x_axis, y_axis;
  cv::Rect rect() const { return {left, top, plot_w, plot_h}; }
};

inline FrameLayout frame_layout(int width, int height, double f, const Fonts& fonts, const std::string& title,
                                const std::string& x_label, const std::string& y_label, double x_lo, double x_hi,
                                double y_lo, double y_hi, bool log_y, int right) {
  const auto px = [&](double v) { return int(std::lround(v * f)); };
  FrameLayout l;
  l.tick_length = px(5), l.pad = px(8);
  const int tick_text_h = text_size("0123456789", fonts.tick, fonts).height;
  const int label_h = text_size("Xxgy", fonts.label, fonts).height;
  const int title_h = text_size("Xxgy", fonts.title, fonts).height;
  l.top = title.empty() ? px(16) : title_h + 2 * l.pad + px(4);
  const int bottom = l.tick_length + l.pad / 2 + tick_text_h + l.pad + (x_label.empty() ? 0 : label_h + l.pad + px(4));
  l.plot_h = std::max(20, height - l.top - bottom);
  // y ticks: as many as fit with room between labels.
  const auto [y_axis, y_label_w] = fit_y_axis(y_lo, y_hi, log_y, l.top, l.plot_h, fonts, tick_text_h, px(55), px(8));
  l.y_axis = y_axis;
  l.left = l.pad + (y_label.empty() ? 0 : label_h + l.pad + px(4)) + y_label_w + l.pad / 2 + l.tick_length;
  l.plot_w = std::max(20, width - l.left - right);
  l.x_axis = fit_x_axis(x_lo, x_hi, l.left, l.plot_w, fonts, px(80), px(14));
  return l;
}

}  // namespace detail

/// Draws the series as lines on one axes and returns the BGR image (options.width ×
/// options.height): white background, a frame, ticks at 1/2/5 × 10^k steps with labels on
/// both axes, light grid lines, axis labels, a centred title, and a legend (a colour swatch
/// and the name of each named series) in the corner of the axes that covers the least data,
/// top-right first. Series take matplotlib's tab10 colours in order
/// (detail::series_colour). Axis ranges are the finite data's with 5% margin each side;
/// a single value or a single point is padded. Non-finite points are skipped and break the
/// line; an isolated point is drawn as a dot. With no data at all (no series, all empty,
/// all skipped), the axes are drawn over [0, 1] with the note "no data".
///
/// Throws std::invalid_argument when a series' x and y differ in size (naming the series),
/// when the size is below 200 × 150, or when options.smooth is negative.
inline cv::Mat plot_lines(const std::vector<Series>& series, const PlotOptions& options) {
  using detail::Axis;
  if (options.width < 200 || options.height < 150)
    throw std::invalid_argument("plot_lines: the image must be at least 200 x 150 pixels, got " +
                                std::to_string(options.width) + " x " +
                                std::to_string(options.height));
  if (options.smooth < 0)
    throw std::invalid_argument("plot_lines: options.smooth must be >= 0, got " +
                                std::to_string(options.smooth));
  for (const auto& s : series)
    if (s.x.size() != s.y.size())
      throw std::invalid_argument("plot_lines: series '" + s.name + "' has " +
                                  std::to_string(s.x.size()) + " x values but " +
                                  std::to_string(s.y.size()) + " y values");

  const int width = options.width, height = options.height;
  const double f = std::clamp(std::min(width / 800.0, height / 500.0), 0.6, 3.0);
  const detail::Fonts fonts{0.45 * f, 0.52 * f, 0.65 * f, f >= 1.8 ? 2 : 1};
  const cv::Scalar black(0, 0, 0), text_colour(30, 30, 30), grid_colour(225, 225, 225);
  const auto px = [&](double v) { return int(std::lround(v * f)); };

  // Data in plotted coordinates, and the ranges.
  std::vector<std::vector<double>> ys, smoothed;
  std::vector<const std::vector<double>*> xs_ref, ys_ref;
  for (const auto& s : series) ys.push_back(detail::plotted_y(s.y, options.log_y));
  for (std::size_t s = 0; s < series.size(); ++s) {
    xs_ref.push_back(&series[s].x);
    ys_ref.push_back(&ys[s]);
    if (options.smooth > 1) smoothed.push_back(detail::moving_average(ys[s], options.smooth));
  }
  double x_lo = 0, x_hi = 1, y_lo = 0, y_hi = 1;
  const bool has_data = detail::data_range(xs_ref, ys_ref, 0.05, false, x_lo, x_hi) &&
                        detail::data_range(ys_ref, xs_ref, 0.05, options.log_y, y_lo, y_hi);
  if (!has_data) {
    x_lo = -0.05, x_hi = 1.05;
    y_lo = options.log_y ? -1.1 : -0.05, y_hi = options.log_y ? 1.1 : 1.05;
  }

  // Layout: margins around the axes from the text that goes there.
  const auto layout = detail::frame_layout(width, height, f, fonts, options.title, options.x_label, options.y_label, x_lo,
                                           x_hi, y_lo, y_hi, options.log_y, px(24));
  const int tick_length = layout.tick_length, pad = layout.pad, top = layout.top, left = layout.left;
  const int plot_w = layout.plot_w, plot_h = layout.plot_h;
  const Axis &x_axis = layout.x_axis, &y_axis = layout.y_axis;
  const int tick_text_h = detail::text_size("0123456789", fonts.tick, fonts).height;

  cv::Mat image(height, width, CV_8UC3, cv::Scalar::all(255));
  const cv::Rect plot_rect = layout.rect();
  detail::draw_ticks(image, plot_rect, x_axis, y_axis, fonts, pad, tick_length, grid_colour, black, text_colour);

  // Data, clipped to the axes by drawing into a view of them; `ink` records where data is
  // drawn so that the legend can avoid it.
  cv::Mat plot = image(plot_rect);
  cv::Mat ink(plot.size(), CV_8UC1, cv::Scalar(0));
  constexpr int shift = 4;  // sub-pixel coordinates: 1/16 pixel
  const auto to_point = [&](double x, double y) {
    const double fx = (x - x_axis.lo) / (x_axis.hi - x_axis.lo) * (plot_w - 1);
    const double fy = (1 - (y - y_axis.lo) / (y_axis.hi - y_axis.lo)) * (plot_h - 1);
    const auto fixed = [](double v) {
      return int(std::lround(std::clamp(v, -1e5, 1e5) * (1 << shift)));
    };
    return cv::Point(fixed(fx), fixed(fy));
  };
  const auto draw_line = [&](cv::Mat& target, const std::vector<double>& x,
                             const std::vector<double>& y, cv::Scalar colour, int thickness) {
    std::vector<std::vector<cv::Point>> runs(1);
    const auto flush = [&] {
      auto& run = runs.back();
      if (run.size() == 1) {
        cv::circle(target, run[0], std::max(2, thickness + 1) << shift, colour, cv::FILLED,
                   cv::LINE_AA, shift);
        cv::circle(ink, run[0], std::max(2, thickness + 1) << shift, 255, cv::FILLED, cv::LINE_8,
                   shift);
      } else if (run.size() > 1) {
        cv::polylines(target, run, false, colour, thickness, cv::LINE_AA, shift);
        cv::polylines(ink, run, false, 255, thickness, cv::LINE_8, shift);
      }
      if (!run.empty()) runs.emplace_back();
    };
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (std::isfinite(x[i]) && std::isfinite(y[i]))
        runs.back().push_back(to_point(x[i], y[i]));
      else
        flush();
    }
    flush();
  };
  // Dense raw curves (more points than half the pixels across) are drawn thin, else they
  // merge into a band; smoothed curves and sparse ones are drawn bold.
  std::size_t most_points = 0;
  for (const auto& s : series) most_points = std::max(most_points, s.x.size());
  const int thin = std::max(1, px(1)), bold = std::max(1, px(2));
  const int raw_thickness =
      options.smooth > 1 || most_points > std::size_t(plot_w / 2) ? thin : bold;
  if (options.smooth > 1) {
    // Every raw line at 30% opacity first, then every average over them.
    for (std::size_t s = 0; s < series.size(); ++s) {
      cv::Mat faint = plot.clone();
      draw_line(faint, series[s].x, ys[s], detail::series_colour(s), raw_thickness);
      cv::addWeighted(faint, 0.3, plot, 0.7, 0, plot);
    }
    for (std::size_t s = 0; s < series.size(); ++s)
      draw_line(plot, series[s].x, smoothed[s], detail::series_colour(s), bold);
  } else {
    for (std::size_t s = 0; s < series.size(); ++s)
      draw_line(plot, series[s].x, ys[s], detail::series_colour(s), raw_thickness);
  }
  detail::draw_frame_and_labels(image, plot_rect, has_data, options.x_label, width - 2 * pad,
                                top + plot_h + tick_length + pad / 2 + tick_text_h + pad + px(2), options.y_label,
                                options.title, pad + px(2), fonts, pad, std::max(1, px(1)), black, text_colour);

  // Legend: in the corner of the axes with the least data under it.
  std::vector<std::size_t> named;
  for (std::size_t s = 0; s < series.size(); ++s)
    if (!series[s].name.empty()) named.push_back(s);
  if (!named.empty()) {
    const int row_h = tick_text_h + px(9), swatch = px(22), inner = px(7), gap = px(8);
    int text_w = 0;
    for (auto s : named)
      text_w = std::max(text_w, detail::text_size(series[s].name, fonts.tick, fonts).width);
    const int box_w = std::min(plot_w - 2 * gap, inner + swatch + px(6) + text_w + inner);
    const int box_h = std::min(plot_h - 2 * gap, int(named.size()) * row_h + 2 * inner - px(4));
    const std::array<cv::Point, 4> corners = {cv::Point(plot_w - gap - box_w, gap),
                                              cv::Point(gap, gap),
                                              cv::Point(plot_w - gap - box_w, plot_h - gap - box_h),
                                              cv::Point(gap, plot_h - gap - box_h)};
    cv::Rect best;
    int best_ink = std::numeric_limits<int>::max();
    for (const auto& corner : corners) {
      const cv::Rect r = cv::Rect(corner, cv::Size(box_w, box_h)) & cv::Rect({}, plot.size());
      if (r.empty()) continue;
      const int covered = cv::countNonZero(ink(r));
      if (covered < best_ink) best_ink = covered, best = r;
    }
    if (!best.empty()) {
      cv::Mat box = plot(best);
      box.setTo(cv::Scalar::all(255));
      cv::rectangle(box, {0, 0}, {box.cols - 1, box.rows - 1}, cv::Scalar(190, 190, 190), 1);
      for (std::size_t row = 0; row < named.size(); ++row) {
        const int cy = inner - px(2) + int(row) * row_h + row_h / 2;
        if (cy + tick_text_h / 2 >= box.rows) break;
        const auto colour = detail::series_colour(named[row]);
        cv::line(box, {inner, cy}, {inner + swatch, cy}, colour, std::max(2, px(2)), cv::LINE_AA);
        detail::put_text(box, series[named[row]].name,
                         {inner + swatch + px(6), cy - tick_text_h / 2}, fonts.tick, fonts,
                         text_colour);
      }
    }
  }
  return image;
}

/// Writes a BGR figure as PNG to `path` (whatever its extension), creating parent folders. The
/// file is written beside `path` and renamed over it, so a viewer that reloads it never sees
/// half a file. Throws std::runtime_error, starting with `who`, naming the path when it cannot
/// be encoded or written. The one PNG writer of the figures (plots, scatter plots, grids).
inline void write_png(const std::filesystem::path& path, const cv::Mat& image, const std::string& who = "write_png") {
  std::vector<uchar> png;
  if (!cv::imencode(".png", image, png, {cv::IMWRITE_PNG_COMPRESSION, 6}))
    throw std::runtime_error(who + ": cannot encode the plot for " + path.string());
  io::write_file_atomically(path, std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
}

/// plot_lines, then write_png.
inline void write_plot(const std::filesystem::path& path, const std::vector<Series>& series,
                       const PlotOptions& options) {
  write_png(path, plot_lines(series, options), "write_plot");
}

}  // namespace gan::viz
