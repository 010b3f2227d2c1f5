#pragma once
/// @file
/// The paired comparisons drawn: per set and reference arm, one interval plot per metric
/// (a dot per arm at its mean difference, a bar over its interval, a line at zero), the panels
/// side by side in one image. OpenCV, no libtorch.
///
/// ```cpp
/// auto table = gan::experiment::ComparisonTable::read("evaluate/comparison.csv");
/// for (const auto& file : gan::experiment::write_comparison_plots("evaluate", table)) std::cout << file << "\n";
/// ```

#include <gan/experiment/comparison.hpp>
#include <gan/viz/intervals.hpp>
#include <gan/viz/plot.hpp>

#include <opencv2/core.hpp>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace gan::experiment {

/// The metrics the figure shows by default: recall at 0.5 and at the validation threshold,
/// average precision and ROC AUC.
inline std::vector<std::string> plotted_metrics() {
  return {"recall", "recall_at_val_threshold", "average_precision", "roc_auc"};
}

/// One image: a panel per metric (two per row) of every arm's difference to `reference` on `set`.
/// An empty image when the table has no such rows.
inline cv::Mat plot_comparison(const ComparisonTable& table, const std::string& set, const std::string& reference,
                               const std::vector<std::string>& metrics = plotted_metrics(), int panel_width = 520) {
  std::vector<cv::Mat> panels;
  for (const auto& metric : metrics) {
    std::vector<viz::Interval> rows;
    for (const auto& r : table.rows)
      if (r.set == set && r.reference == reference && r.metric == metric) rows.push_back({r.arm, r.difference, r.low, r.high});
    if (rows.empty()) continue;
    viz::IntervalOptions o;
    o.width = panel_width;
    o.title = set + ": " + metric;
    o.x_label = "arm - " + reference + " (" + std::to_string(int(std::lround(100 * table.level))) + "% interval)";
    panels.push_back(viz::interval_plot(rows, o));
  }
  if (panels.empty()) return {};
  std::vector<cv::Mat> lines;
  for (std::size_t i = 0; i < panels.size(); i += 2) {
    cv::Mat right = i + 1 < panels.size() ? panels[i + 1] : cv::Mat(panels[i].size(), panels[i].type(), cv::Scalar::all(255));
    cv::Mat line;
    cv::hconcat(panels[i], right, line);
    lines.push_back(line);
  }
  cv::Mat out;
  cv::vconcat(lines, out);
  return out;
}

/// Writes `dir`/comparison_SET.png for every set of the table against its first reference
/// (the baseline when it ran); returns the files written. Throws std::runtime_error naming the
/// file when it cannot be written.
inline std::vector<std::filesystem::path> write_comparison_plots(const std::filesystem::path& dir, const ComparisonTable& table) {
  std::vector<std::string> sets;
  std::string reference;
  for (const auto& r : table.rows) {
    if (std::find(sets.begin(), sets.end(), r.set) == sets.end()) sets.push_back(r.set);
    if (reference.empty()) reference = r.reference;
  }
  std::vector<std::filesystem::path> files;
  for (const auto& set : sets) {
    const cv::Mat image = plot_comparison(table, set, reference);
    if (image.empty()) continue;
    const auto file = dir / ("comparison_" + set + ".png");
    viz::write_png(file, image, "write_comparison_plots");
    files.push_back(file);
  }
  return files;
}

}  // namespace gan::experiment
