// aerogan cluster: clusters a features file (from aerogan classify) with k-means or
// hierarchical clustering, scores the result (silhouette, Calinski-Harabasz, Davies-Bouldin),
// can sweep k and methods as the paper's Table 1, tabulates cluster x class, applies the
// paper's repair (a cluster that mixes the classes is split by class), can omit a cluster,
// and writes clusters.csv (filename,cluster), which aerogan train reads as its labels.
// The method is gan/cluster/method.hpp; this file reads, calls it and prints.
#include "config.hpp"

#include <gan/cluster/method.hpp>
#include <gan/cluster/tsne.hpp>
#include <gan/io/features_file.hpp>
#include <gan/image/read.hpp>
#include <gan/viz/example_grid.hpp>
#include <gan/viz/scatter.hpp>

#include <iomanip>

namespace aerogan {

namespace {
/// The methods of the sweep (the chosen one when none are named).
std::vector<gan::cluster::Method> methods_of_sweep(const ClusterOptions& o) {
  if (o.sweep_methods.empty()) return {gan::cluster::parse_method(o.method, o.metric)};
  std::vector<gan::cluster::Method> methods;
  std::stringstream s(o.sweep_methods);
  for (std::string item; std::getline(s, item, ',');)
    methods.push_back(gan::cluster::parse_method(item, item == "kmeans" || item == "ward" ? "euclidean" : o.metric));
  return methods;
}
}  // namespace

void ClusterOptions::validate() {
  if (features.empty()) throw std::invalid_argument("give --features FILE (from aerogan classify)");
  gan::cluster::parse_method(method, metric);
  methods_of_sweep(*this);
  sweep_k_list = sweep_k.empty() ? std::vector<int64_t>{} : parse_list(sweep_k, "sweep-k");
  for (auto kk : sweep_k_list)
    if (kk < 2) throw std::invalid_argument("--sweep-k: " + std::to_string(kk) + " is below 2");
  if (k < 1) throw std::invalid_argument("--k must be >= 1, got " + std::to_string(k));
  if (n_init < 1) throw std::invalid_argument("--n-init must be >= 1, got " + std::to_string(n_init));
  if (!(repair >= 0 && repair <= 1)) throw std::invalid_argument("--repair must be in [0, 1], got " + format_number(repair));
  if (omit < -1) throw std::invalid_argument("--omit must be >= -1, got " + std::to_string(omit));
  if (!(perplexity > 0)) throw std::invalid_argument("--perplexity must be > 0, got " + format_number(perplexity));
  if (examples < 1) throw std::invalid_argument("--examples must be >= 1, got " + std::to_string(examples));
}

int run(const ClusterOptions& o) {
  const auto m = gan::cluster::parse_method(o.method, o.metric);
  const auto f = gan::io::load_features(o.features);
  const int64_t n = f.values.size(0), d = f.values.size(1);
  if (o.k > n) throw std::invalid_argument("--k " + std::to_string(o.k) + " is out of range [1, " + std::to_string(n) + "]");
  for (auto kk : o.sweep_k_list)
    if (kk > n) throw std::invalid_argument("--sweep-k: " + std::to_string(kk) + " is out of range [2, " + std::to_string(n) + "]");
  const auto values = f.values.to(at::kFloat).contiguous();
  gan::cluster::Features x = Eigen::Map<const gan::cluster::Features>(values.data_ptr<float>(), n, d);
  const fs::path dir = o.out.empty() ? fs::path(o.features).parent_path() / "clusters" : fs::path(o.out);
  std::cout << "features: " << n << " x " << d << " from " << o.features << "\n";

  // Scores: the sweep, then the chosen method and k.
  gan::cluster::ScoreTable scores;
  auto add_score = [&](const gan::cluster::Method& mm, int kk, const gan::cluster::Labels& labels) {
    const auto& r = scores.rows.emplace_back(gan::cluster::score(x, mm, kk, labels));
    std::cout << std::setprecision(6) << std::left << std::setw(20) << r.method << " k=" << std::setw(3) << kk << " silhouette "
              << std::setw(10) << r.silhouette << " CH " << std::setw(10) << r.calinski_harabasz << " DB " << r.davies_bouldin
              << std::right << "\n";
  };
  if (!o.sweep_k_list.empty())
    for (const auto& mm : methods_of_sweep(o))
      for (auto kk : o.sweep_k_list) add_score(mm, int(kk), gan::cluster::cluster_with(x, mm, int(kk), o.seed, o.n_init));
  const auto labels = gan::cluster::cluster_with(x, m, o.k, o.seed, o.n_init);
  add_score(m, o.k, labels);

  // Cluster x class, the repair, the omission.
  const auto class_tensor = f.labels.to(at::kLong).contiguous();
  const std::vector<int64_t> classes(class_tensor.data_ptr<int64_t>(), class_tensor.data_ptr<int64_t>() + n);
  const int64_t num_classes = class_tensor.max().item<int64_t>() + 1;
  std::vector<std::array<int64_t, 3>> repaired;
  const auto mapped = gan::cluster::repair_by_class(labels, classes, num_classes, o.repair, &repaired);
  for (const auto& [c, smallest, total] : repaired)
    std::cout << "repair: cluster " << c << " mixes the classes (" << smallest << " of " << total << "); split by class\n";
  const auto table = gan::cluster::crosstab(mapped, classes, num_classes);
  std::cout << "cluster x class:\n";
  for (const auto& [c, row] : table.counts) {
    int64_t total = 0;
    std::cout << "  cluster " << c << ":";
    for (auto v : row) std::cout << ' ' << std::setw(6) << v, total += v;
    std::cout << "  (" << total << ")\n";
  }
  const int clusters = *std::max_element(mapped.begin(), mapped.end()) + 1;
  const auto kept = gan::cluster::omit_cluster(mapped, o.omit);
  std::string csv = "filename,cluster\n";
  for (int64_t i = 0; i < n; ++i)
    if (kept[size_t(i)] >= 0) csv += f.filenames[size_t(i)] + "," + std::to_string(kept[size_t(i)]) + "\n";

  if (o.tsne && n >= 4) {
    gan::cluster::TsneOptions to;
    to.perplexity = std::min(o.perplexity, double(n - 1) / 3.0);
    to.seed = o.seed;
    const auto r = gan::cluster::tsne(x, to);
    std::vector<std::array<double, 2>> points(static_cast<size_t>(n));
    std::vector<int> cls(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      points[size_t(i)] = {r.embedding(i, 0), r.embedding(i, 1)};
      cls[size_t(i)] = int(classes[size_t(i)]);
    }
    gan::viz::ScatterOptions so;
    so.title = "t-SNE of the features: " + m.label() + ", k = " + std::to_string(o.k) + (o.repair > 0 ? " (repaired)" : "");
    so.x_label = "t-SNE 1";
    so.y_label = "t-SNE 2";
    gan::viz::write_scatter(dir / "tsne.png", points, mapped, cls, so);
    std::cout << "t-SNE: KL divergence " << r.kl_divergence << " after " << r.iterations << " iterations\n";
  }
  if (!o.data_dir.empty()) {
    std::vector<std::vector<cv::Mat>> rows(static_cast<size_t>(clusters));
    for (int64_t i = 0; i < n; ++i) {
      auto& row = rows[size_t(mapped[size_t(i)])];
      if (int(row.size()) >= o.examples) continue;
      cv::Mat rgb = gan::image::read_image_rgb(fs::path(o.data_dir) / f.filenames[size_t(i)], 64), bgr;
      cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
      row.push_back(bgr);
    }
    gan::viz::ExampleGridOptions go;
    go.per_row = o.examples;
    const cv::Mat grid = gan::viz::example_grid(rows, {}, go);
    gan::viz::write_png(dir / "examples.png", grid, "cluster");
  }
  gan::io::write_file_atomically(dir / "clusters.csv", csv);
  scores.write(dir / "scores.csv");
  table.write(dir / "cluster_class.csv");
  std::cout << "wrote " << (dir / "clusters.csv").string() << " (" << clusters - (o.omit >= 0 ? 1 : 0)
            << " clusters), scores.csv and cluster_class.csv in " << dir.string() << "\n";
  return 0;
}

}  // namespace aerogan
