#pragma once
/// @file
/// The clustering step of the method, as the paper ran it: a method by name (k-means, or
/// hierarchical with ward, complete, average or single linkage), its scores (silhouette,
/// Calinski-Harabasz, Davies-Bouldin: the paper's Table 1, with a sweep over k and methods), the
/// cluster × class table, the paper's repair (a cluster that mixes the classes is split by
/// class: 5 → 6 clusters) and the omission of a cluster. The tables it writes (scores.csv,
/// cluster_class.csv) are structs with `write` and `read`.
///
/// ```cpp
/// auto m = gan::cluster::parse_method("ward");
/// auto labels = gan::cluster::cluster_with(x, m, 5, /*seed=*/0);
/// auto repaired = gan::cluster::repair_by_class(labels, classes, 0.05);   // the paper's repair
/// gan::cluster::ScoreTable scores{{gan::cluster::score(x, m, 5, labels)}};
/// ```

#include <gan/cluster/features.hpp>
#include <gan/cluster/hierarchical.hpp>
#include <gan/cluster/kmeans.hpp>
#include <gan/cluster/scores.hpp>
#include <gan/io/atomic_file.hpp>
#include <gan/io/table.hpp>

#include <algorithm>
#include <array>
#include <climits>
#include <cmath>
#include <iomanip>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace gan::cluster {

/// A clustering method: "kmeans", "ward", "complete", "average" or "single", with its metric
/// (cosine for the last three only).
struct Method {
  std::string name = "kmeans";
  Metric metric = Metric::euclidean;

  /// "kmeans", "ward", "average/cosine", ...: as the score table names it.
  std::string label() const {
    return name + (name == "kmeans" || name == "ward" ? "" : metric == Metric::cosine ? "/cosine" : "/euclidean");
  }
};

/// The names `parse_method` accepts.
inline const std::vector<std::string>& method_names() {
  static const std::vector<std::string> names{"kmeans", "ward", "complete", "average", "single"};
  return names;
}

/// The method of a name and a metric ("euclidean" or "cosine"). Throws std::invalid_argument
/// naming the bad value.
inline Method parse_method(const std::string& name, const std::string& metric = "euclidean") {
  if (std::find(method_names().begin(), method_names().end(), name) == method_names().end())
    throw std::invalid_argument("--method '" + name + "' is not one of: kmeans, ward, complete, average, single");
  if (metric != "euclidean" && metric != "cosine")
    throw std::invalid_argument("--metric '" + metric + "' is not euclidean or cosine");
  if ((name == "kmeans" || name == "ward") && metric == "cosine")
    throw std::invalid_argument("--method " + name + " needs --metric euclidean");
  return {name, metric == "cosine" ? Metric::cosine : Metric::euclidean};
}

/// Labels of `x` in `k` clusters by `m` (k-means: `n_init` restarts from `seed`).
inline Labels cluster_with(const Features& x, const Method& m, int k, uint64_t seed = 0, int n_init = 10) {
  if (m.name == "kmeans") return kmeans(x, KMeansOptions(k).n_init(n_init).seed(seed)).labels;
  const auto linkage = m.name == "ward"       ? Linkage::ward
                       : m.name == "complete" ? Linkage::complete
                       : m.name == "average"  ? Linkage::average
                                              : Linkage::single;
  return agglomerative<float>(x, k, HierarchicalOptions().linkage(linkage).metric(m.metric)).labels;
}

/// One row of scores.csv: a method and k, and the scores of its labels (NaN when the labels
/// form fewer than 2 clusters).
struct ScoreRow {
  std::string method;
  int64_t k = 0;
  double silhouette = NAN, calinski_harabasz = NAN, davies_bouldin = NAN;
};

inline ScoreRow score(const Features& x, const Method& m, int64_t k, const Labels& labels) {
  ScoreRow r{m.label(), k};
  if (std::set<int>(labels.begin(), labels.end()).size() < 2) return r;
  r.silhouette = silhouette_score(x, labels);
  r.calinski_harabasz = calinski_harabasz_score(x, labels);
  r.davies_bouldin = davies_bouldin_score(x, labels);
  return r;
}

/// scores.csv: method,k,silhouette,calinski_harabasz,davies_bouldin.
struct ScoreTable {
  std::vector<ScoreRow> rows;

  std::string text() const {
    std::ostringstream o;
    o << std::setprecision(6) << "method,k,silhouette,calinski_harabasz,davies_bouldin\n";
    for (const auto& r : rows)
      o << r.method << ',' << r.k << ',' << r.silhouette << ',' << r.calinski_harabasz << ',' << r.davies_bouldin << '\n';
    return o.str();
  }
  void write(const std::filesystem::path& file) const { io::write_file_atomically(file, text()); }
  static ScoreTable read(const std::filesystem::path& file) {
    ScoreTable t;
    for (const auto& row : io::read_table(file, {"method", "k", "silhouette", "calinski_harabasz", "davies_bouldin"}).rows)
      t.rows.push_back({row["method"], row.integer("k"), row.number("silhouette"), row.number("calinski_harabasz"),
                        row.number("davies_bouldin")});
    return t;
  }
};

/// cluster_class.csv: per cluster, how many members of each class (class_0, class_1, ...) and
/// the total.
struct ClusterClassTable {
  /// cluster → count per class.
  std::map<int64_t, std::vector<int64_t>> counts;
  int64_t classes = 0;

  std::string text() const {
    std::ostringstream o;
    o << "cluster";
    for (int64_t c = 0; c < classes; ++c) o << ",class_" << c;
    o << ",total\n";
    for (const auto& [c, row] : counts) {
      int64_t total = 0;
      o << c;
      for (auto v : row) o << ',' << v, total += v;
      o << ',' << total << '\n';
    }
    return o.str();
  }
  void write(const std::filesystem::path& file) const { io::write_file_atomically(file, text()); }
  static ClusterClassTable read(const std::filesystem::path& file) {
    const auto table = io::read_table(file, {"cluster", "total"});
    ClusterClassTable t;
    while (table.has("class_" + std::to_string(t.classes))) ++t.classes;
    for (const auto& row : table.rows) {
      auto& counts = t.counts[row.integer("cluster")];
      for (int64_t c = 0; c < t.classes; ++c) counts.push_back(row.integer("class_" + std::to_string(c)));
    }
    return t;
  }
};

/// The cluster × class counts of `labels` against `classes` (one class id per row, in
/// [0, num_classes)).
inline ClusterClassTable crosstab(const Labels& labels, const std::vector<int64_t>& classes, int64_t num_classes) {
  if (labels.size() != classes.size())
    throw std::invalid_argument("crosstab: " + std::to_string(labels.size()) + " labels for " + std::to_string(classes.size()) + " classes");
  ClusterClassTable t;
  t.classes = num_classes;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (classes[i] < 0 || classes[i] >= num_classes)
      throw std::invalid_argument("crosstab: class " + std::to_string(classes[i]) + " is out of range [0, " + std::to_string(num_classes) + ")");
    auto& row = t.counts[labels[i]];
    row.resize(size_t(num_classes));
    ++row[size_t(classes[i])];
  }
  return t;
}

/// The paper's repair: every cluster whose smallest class share is at least `threshold` is split
/// into one cluster per class (0: no repair). The ids of the result are consecutive, in the
/// order of (old cluster, class). `repaired` gets the split clusters with (smallest, total).
inline Labels repair_by_class(const Labels& labels, const std::vector<int64_t>& classes, int64_t num_classes, double threshold,
                              std::vector<std::array<int64_t, 3>>* repaired = nullptr) {
  std::map<std::pair<int, int64_t>, int> ids;
  for (const auto& [c, row] : crosstab(labels, classes, num_classes).counts) {
    int64_t total = 0, smallest = INT64_MAX;
    for (auto v : row) total += v, smallest = std::min(smallest, v);
    const bool split = threshold > 0 && double(smallest) / double(total) >= threshold;
    for (int64_t cls = 0; cls < num_classes; ++cls)
      if (row[size_t(cls)] > 0) ids[{int(c), split ? cls : -1}] = -1;
    if (split && repaired) repaired->push_back({c, smallest, total});
  }
  int next = 0;
  for (auto& [key, id] : ids) id = next++;
  Labels out(labels.size());
  for (size_t i = 0; i < labels.size(); ++i) {
    const auto it = ids.find({labels[i], classes[i]});
    out[i] = it != ids.end() ? it->second : ids.at({labels[i], -1});
  }
  return out;
}

/// `labels` without cluster `omit` (its rows become -1) and the ids above it moved down by one,
/// so that they stay consecutive. Throws std::invalid_argument when there is no such cluster.
inline Labels omit_cluster(Labels labels, int omit) {
  if (omit < 0) return labels;
  const int clusters = labels.empty() ? 0 : *std::max_element(labels.begin(), labels.end()) + 1;
  if (omit >= clusters)
    throw std::invalid_argument("--omit " + std::to_string(omit) + ": there are only " + std::to_string(clusters) + " clusters");
  for (auto& c : labels) c = c == omit ? -1 : c > omit ? c - 1 : c;
  return labels;
}

}  // namespace gan::cluster
