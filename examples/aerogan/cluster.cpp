// aerogan cluster: clusters a features file (from aerogan classify) with k-means or
// hierarchical clustering, scores the result (silhouette, Calinski-Harabasz, Davies-Bouldin),
// can sweep k and methods as the paper's Table 1, tabulates cluster x class, applies the
// paper's repair (a cluster that mixes the classes is split by class), can omit a cluster,
// and writes clusters.csv (filename,cluster), which aerogan train reads as its labels.
#include "config.hpp"

#include <gan/cluster/hierarchical.hpp>
#include <gan/cluster/kmeans.hpp>
#include <gan/cluster/scores.hpp>
#include <gan/cluster/tsne.hpp>
#include <gan/io/features_file.hpp>
#include <gan/io/image_reader.hpp>
#include <gan/io/scatter.hpp>

#include <iomanip>
#include <map>
#include <set>

namespace aerogan {

namespace {

struct Method {
  std::string name;
  gan::cluster::Metric metric = gan::cluster::Metric::euclidean;
};

Method parse_method(const std::string& s, const std::string& metric) {
  static const std::vector<std::string> ok{"kmeans", "ward", "complete", "average", "single"};
  if (std::find(ok.begin(), ok.end(), s) == ok.end())
    throw std::invalid_argument("--method '" + s + "' is not one of: kmeans, ward, complete, average, single");
  if (metric != "euclidean" && metric != "cosine")
    throw std::invalid_argument("--metric '" + metric + "' is not euclidean or cosine");
  if ((s == "kmeans" || s == "ward") && metric == "cosine")
    throw std::invalid_argument("--method " + s + " needs --metric euclidean");
  return {s, metric == "cosine" ? gan::cluster::Metric::cosine : gan::cluster::Metric::euclidean};
}

gan::cluster::Labels run(const gan::cluster::Features& x, const Method& m, int k, uint64_t seed, int n_init) {
  if (m.name == "kmeans")
    return gan::cluster::kmeans(x, gan::cluster::KMeansOptions(k).n_init(n_init).seed(seed)).labels;
  const auto linkage = m.name == "ward"       ? gan::cluster::Linkage::ward
                       : m.name == "complete" ? gan::cluster::Linkage::complete
                       : m.name == "average"  ? gan::cluster::Linkage::average
                                              : gan::cluster::Linkage::single;
  return gan::cluster::agglomerative<float>(x, k, gan::cluster::HierarchicalOptions().linkage(linkage).metric(m.metric))
      .labels;
}

std::string method_label(const Method& m) {
  return m.name + (m.name == "kmeans" || m.name == "ward" ? "" : m.metric == gan::cluster::Metric::cosine ? "/cosine" : "/euclidean");
}

}  // namespace

int run_cluster(const std::vector<std::string>& args) {
  std::string features_path, out, method = "kmeans", metric = "euclidean", sweep_k, sweep_methods,
      data_dir;
  int k = 5, n_init = 10, omit = -1, examples = 8;
  double repair = 0, perplexity = 30;
  bool tsne = true;
  uint64_t seed = 0;
  po::options_description desc("aerogan cluster: cluster classifier features into conditioning labels");
  desc.add_options()("help,h", "this help")
      ("features", po::value(&features_path), "features file from aerogan classify (features.pt)")
      ("out", po::value(&out), "output folder (default: FEATURES_DIR/clusters)")
      ("method", po::value(&method)->default_value(method), "kmeans | ward | complete | average | single")
      ("metric", po::value(&metric)->default_value(metric), "euclidean | cosine (complete, average, single)")
      ("k", po::value(&k)->default_value(k), "number of clusters")
      ("n-init", po::value(&n_init)->default_value(n_init), "k-means restarts")
      ("seed", po::value(&seed)->default_value(seed), "seed")
      ("sweep-k", po::value(&sweep_k), "also score these k, e.g. 2,3,4,5,6 (the paper's Table 1)")
      ("sweep-methods", po::value(&sweep_methods), "methods of the sweep, e.g. kmeans,ward,average (default: --method)")
      ("repair", po::value(&repair)->default_value(repair), "split every cluster whose smaller class share is at least this into one cluster per class (the paper: 5 -> 6 clusters); 0: off")
      ("omit", po::value(&omit)->default_value(omit), "leave this cluster (after repair) out of clusters.csv; -1: none")
      ("tsne", po::value(&tsne)->default_value(tsne), "draw a t-SNE of the features (tsne.png): colour by cluster, marker by class")
      ("perplexity", po::value(&perplexity)->default_value(perplexity), "t-SNE perplexity")
      ("data-dir", po::value(&data_dir), "folder of the images, for a grid of examples per cluster (examples.png)")
      ("examples", po::value(&examples)->default_value(examples), "examples per cluster in examples.png");
  po::variables_map vm;
  if (!parse_or_help(args, desc, vm)) return 0;
  if (features_path.empty()) throw std::invalid_argument("give --features FILE (from aerogan classify)");
  const auto m = parse_method(method, metric);
  const auto f = gan::io::load_features(features_path);
  const int64_t n = f.values.size(0), d = f.values.size(1);
  if (k < 1 || k > n)
    throw std::invalid_argument("--k " + std::to_string(k) + " is out of range [1, " + std::to_string(n) + "]");
  const auto values = f.values.to(at::kFloat).contiguous();
  gan::cluster::Features x = Eigen::Map<const gan::cluster::Features>(values.data_ptr<float>(), n, d);
  const fs::path dir = out.empty() ? fs::path(features_path).parent_path() / "clusters" : fs::path(out);
  std::cout << "features: " << n << " x " << d << " from " << features_path << "\n";

  // Scores table: the chosen method and k, plus the sweep.
  std::ostringstream table;
  table << std::setprecision(6) << "method,k,silhouette,calinski_harabasz,davies_bouldin\n";
  auto score_row = [&](const Method& mm, int kk, const gan::cluster::Labels& labels) {
    const bool one = std::set<int>(labels.begin(), labels.end()).size() < 2;
    const double s = one ? NAN : gan::cluster::silhouette_score(x, labels);
    const double ch = one ? NAN : gan::cluster::calinski_harabasz_score(x, labels);
    const double db = one ? NAN : gan::cluster::davies_bouldin_score(x, labels);
    table << method_label(mm) << ',' << kk << ',' << s << ',' << ch << ',' << db << '\n';
    std::cout << std::left << std::setw(20) << method_label(mm) << " k=" << std::setw(3) << kk
              << " silhouette " << std::setw(10) << s << " CH " << std::setw(10) << ch << " DB " << db << "\n";
  };
  if (!sweep_k.empty()) {
    std::vector<Method> methods;
    if (sweep_methods.empty()) {
      methods.push_back(m);
    } else {
      std::stringstream s(sweep_methods);
      for (std::string item; std::getline(s, item, ',');) methods.push_back(parse_method(item, item == "kmeans" || item == "ward" ? "euclidean" : metric));
    }
    for (const auto& mm : methods)
      for (auto kk : parse_list(sweep_k, "sweep-k")) {
        if (kk < 2 || kk > n) throw std::invalid_argument("--sweep-k: " + std::to_string(kk) + " is out of range [2, " + std::to_string(n) + "]");
        score_row(mm, int(kk), run(x, mm, int(kk), seed, n_init));
      }
  }
  auto labels = run(x, m, k, seed, n_init);
  score_row(m, k, labels);

  // Cluster x class, then the repair and the omission.
  const int64_t classes = f.labels.max().item<int64_t>() + 1;
  auto crosstab = [&](const gan::cluster::Labels& lab) {
    std::map<int, std::vector<int64_t>> t;
    for (int64_t i = 0; i < n; ++i) {
      auto& row = t[lab[size_t(i)]];
      row.resize(size_t(classes));
      ++row[size_t(f.labels[i].item<int64_t>())];
    }
    return t;
  };
  std::vector<int> mapped(static_cast<size_t>(n));
  {
    int next = 0;
    std::map<std::pair<int, int64_t>, int> ids;
    for (const auto& [c, row] : crosstab(labels)) {
      int64_t total = 0, smallest = INT64_MAX;
      for (auto v : row) total += v;
      for (auto v : row) smallest = std::min(smallest, v);
      const bool split = repair > 0 && double(smallest) / double(total) >= repair;
      for (int64_t cls = 0; cls < classes; ++cls)
        if (row[size_t(cls)] > 0) ids[{c, split ? cls : -1}] = -1;
      if (split) std::cout << "repair: cluster " << c << " mixes the classes (" << smallest << " of " << total << "); split by class\n";
    }
    for (auto& [key, id] : ids) id = next++;
    for (int64_t i = 0; i < n; ++i) {
      const int c = labels[size_t(i)];
      const int64_t cls = f.labels[i].item<int64_t>();
      auto it = ids.find({c, cls});
      mapped[size_t(i)] = it != ids.end() ? it->second : ids.at({c, -1});
    }
  }
  std::ostringstream ct;
  ct << "cluster";
  for (int64_t c = 0; c < classes; ++c) ct << ",class_" << c;
  ct << ",total\n";
  std::cout << "cluster x class:\n";
  for (const auto& [c, row] : crosstab(mapped)) {
    int64_t total = 0;
    ct << c;
    std::cout << "  cluster " << c << ":";
    for (auto v : row) {
      ct << ',' << v;
      std::cout << ' ' << std::setw(6) << v;
      total += v;
    }
    ct << ',' << total << '\n';
    std::cout << "  (" << total << ")\n";
  }
  const int clusters = *std::max_element(mapped.begin(), mapped.end()) + 1;
  if (omit >= clusters) throw std::invalid_argument("--omit " + std::to_string(omit) + ": there are only " + std::to_string(clusters) + " clusters");
  std::string csv = "filename,cluster\n";
  for (int64_t i = 0; i < n; ++i) {
    int c = mapped[size_t(i)];
    if (c == omit) continue;
    if (omit >= 0 && c > omit) --c;  // keep the ids consecutive
    csv += f.filenames[size_t(i)] + "," + std::to_string(c) + "\n";
  }
  if (tsne && n >= 4) {
    gan::cluster::TsneOptions to;
    to.perplexity = std::min(perplexity, double(n - 1) / 3.0);
    to.seed = seed;
    const auto r = gan::cluster::tsne(x, to);
    std::vector<std::array<double, 2>> points(static_cast<size_t>(n));
    std::vector<int> cls(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      points[size_t(i)] = {r.embedding(i, 0), r.embedding(i, 1)};
      cls[size_t(i)] = int(f.labels[i].item<int64_t>());
    }
    gan::io::ScatterOptions so;
    so.title = "t-SNE of the features: " + method_label(m) + ", k = " + std::to_string(k) +
               (repair > 0 ? " (repaired)" : "");
    so.x_label = "t-SNE 1";
    so.y_label = "t-SNE 2";
    gan::io::write_scatter(dir / "tsne.png", points, mapped, cls, so);
    std::cout << "t-SNE: KL divergence " << r.kl_divergence << " after " << r.iterations << " iterations\n";
  }
  if (!data_dir.empty()) {
    std::vector<std::vector<cv::Mat>> rows(size_t(*std::max_element(mapped.begin(), mapped.end()) + 1));
    for (int64_t i = 0; i < n; ++i) {
      auto& row = rows[size_t(mapped[size_t(i)])];
      if (int(row.size()) >= examples) continue;
      cv::Mat rgb = gan::io::read_image_rgb(fs::path(data_dir) / f.filenames[size_t(i)], 64), bgr;
      cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
      row.push_back(bgr);
    }
    gan::io::ExampleGridOptions go;
    go.per_row = examples;
    const cv::Mat grid = gan::io::example_grid(rows, {}, go);
    std::vector<uchar> png;
    cv::imencode(".png", grid, png);
    gan::io::write_file_atomically(dir / "examples.png", std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
  }
  gan::io::write_file_atomically(dir / "clusters.csv", csv);
  gan::io::write_file_atomically(dir / "scores.csv", table.str());
  gan::io::write_file_atomically(dir / "cluster_class.csv", ct.str());
  std::cout << "wrote " << (dir / "clusters.csv").string() << " (" << clusters - (omit >= 0 ? 1 : 0)
            << " clusters), scores.csv and cluster_class.csv in " << dir.string() << "\n";
  return 0;
}

}  // namespace aerogan
