#pragma once
/// @file
/// Which of the GAN's conditioning labels are positives. The GAN is conditioned on clusters of
/// the classifier's features; the images it adds to the rare class are drawn from the clusters
/// mostly made of that class (after the paper's repair a cluster holds one class), in the
/// shares of the real positives among them.

#include <gan/data/csv.hpp>

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace gan::experiment {

/// A conditioning label and how many real positives it holds.
struct PositiveCluster {
  int64_t cluster = 0;
  int64_t positives = 0;
};

/// The clusters of `clusters` (filename → cluster) in which the rows of class `positive` of
/// `classes` (filename → class) outnumber the others, in increasing cluster order, each with its
/// count of positives. Files of `clusters` missing from `classes` are not counted. Throws
/// std::runtime_error when no cluster is mostly positive.
inline std::vector<PositiveCluster> positive_clusters(const std::vector<data::LabelRow>& classes,
                                                      const std::vector<data::LabelRow>& clusters, int64_t positive = 1) {
  std::map<std::string, int64_t> class_of;
  for (const auto& r : classes) class_of[r.filename] = r.label;
  std::map<int64_t, std::pair<int64_t, int64_t>> votes;  // cluster -> (others, positives)
  for (const auto& r : clusters) {
    const auto it = class_of.find(r.filename);
    if (it == class_of.end()) continue;
    (it->second == positive ? votes[r.label].second : votes[r.label].first)++;
  }
  std::vector<PositiveCluster> out;
  for (const auto& [c, v] : votes)
    if (v.second > v.first) out.push_back({c, v.second});
  if (out.empty()) throw std::runtime_error("no cluster is mostly of class " + std::to_string(positive) + "; nothing to generate");
  return out;
}

}  // namespace gan::experiment
