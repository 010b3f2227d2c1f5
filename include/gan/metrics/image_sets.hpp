#pragma once
/// @file
/// The two sides of a distance between image sets (FID, KID, the Fréchet distance in a
/// classifier's features), as the method compares them: a side is a folder of images or a
/// labels CSV; `n` images a side are drawn with a fixed seed, and per cluster when the real
/// side's clusters are given; the features of each side are cached on disk, keyed by the
/// feature space and the files' paths, sizes and times, and reused while none changes. The
/// result is a `DistanceTable` (fid.csv), written and read by the same struct.
///
/// ```cpp
/// auto real = gan::metrics::list_image_set("split/train.csv", "data", /*cls=*/1);
/// auto fake = gan::metrics::list_image_set("gans/vanilla/generated");
/// auto pairs = gan::metrics::draw_pairs(real, fake, 512);
/// gan::metrics::FeatureCache cache("fid-cache");
/// auto xr = cache.features(real.files, "inception|...", extract);   // [n, d], computed once
/// ```

#include <gan/data/csv.hpp>
#include <gan/data/random.hpp>
#include <gan/io/atomic_file.hpp>
#include <gan/io/features_file.hpp>
#include <gan/io/hash.hpp>
#include <gan/image/read.hpp>
#include <gan/io/table.hpp>
#include <gan/metrics/fid.hpp>

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <numeric>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace gan::metrics {

/// True for the image files a folder side holds (.png, .jpg, .jpeg, .tif, .tiff, .bmp).
inline bool is_image_file(const std::filesystem::path& p) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char ch) { return char(std::tolower(ch)); });
  return e == ".png" || e == ".jpg" || e == ".jpeg" || e == ".tif" || e == ".tiff" || e == ".bmp";
}

/// The image files of one side, with their names as the CSV writes them (the key of the real
/// side's clusters) and their labels (-1 when the side has none).
struct ImageSet {
  std::vector<std::filesystem::path> files;
  std::vector<std::string> names;
  std::vector<int64_t> labels;
  size_t size() const { return files.size(); }
};

/// A side: a folder (its labels.csv when it has one, as `aerogan generate` writes; else every
/// image under it, sorted) or a labels CSV (its rows, those of class `cls` when cls >= 0), whose
/// file names are relative to `data_dir` (default: the CSV's folder). Throws
/// std::invalid_argument, with `what` and the path, for anything else or fewer than 2 images.
inline ImageSet list_image_set(const std::string& side, std::string data_dir = {}, int64_t cls = -1,
                               const std::string& what = "the set") {
  namespace fs = std::filesystem;
  ImageSet s;
  fs::path csv;
  if (fs::is_directory(side) && fs::is_regular_file(fs::path(side) / "labels.csv")) {
    csv = fs::path(side) / "labels.csv";
  } else if (fs::is_directory(side)) {
    for (const auto& e : fs::recursive_directory_iterator(side))
      if (e.is_regular_file() && is_image_file(e.path())) s.files.push_back(e.path());
    std::sort(s.files.begin(), s.files.end());
    for (const auto& f : s.files) s.names.push_back(f.string()), s.labels.push_back(-1);
  } else if (fs::is_regular_file(side) && fs::path(side).extension() == ".csv") {
    csv = side;
  } else {
    throw std::invalid_argument(what + " '" + side + "' is neither a folder of images nor a labels CSV");
  }
  if (!csv.empty()) {
    if (data_dir.empty() || (csv.filename() == "labels.csv" && fs::is_directory(side))) data_dir = csv.parent_path().string();
    for (const auto& r : data::read_labels_csv(csv))
      if (cls < 0 || r.label == cls) {
        s.files.push_back(fs::path(data_dir) / r.filename);
        s.names.push_back(r.filename);
        s.labels.push_back(r.label);
      }
  }
  if (s.files.size() < 2)
    throw std::invalid_argument(what + " '" + side + "' has fewer than 2 images" + (cls >= 0 ? " of class " + std::to_string(cls) : ""));
  return s;
}

/// What one distance compares: indices into the real and the fake side ("all", or a cluster id).
struct SetPair {
  std::string cluster;
  std::vector<size_t> real, fake;
};

/// The pairs of a comparison: `n` of each side (all when n is 0 or the side is smaller), drawn
/// with a fixed seed, as "all"; then, when `real_cluster_of` maps the real side's names to
/// clusters, one pair per label of the fake side: that cluster's real members against the
/// fakes of that label (n at most a side). A label with fewer than 2 images on a side gets no
/// pair and is passed to `on_skip`. Throws std::invalid_argument when clusters are given and the
/// fakes have no labels.
inline std::vector<SetPair> draw_pairs(const ImageSet& real, const ImageSet& fake, int64_t n,
                                       const std::map<std::string, int64_t>& real_cluster_of = {},
                                       const std::function<void(int64_t)>& on_skip = {}) {
  auto draw = [n](std::vector<size_t> pool) { return data::draw_without_replacement(std::move(pool), n, 0); };
  auto all = [](const ImageSet& s) {
    std::vector<size_t> v(s.size());
    std::iota(v.begin(), v.end(), size_t{0});
    return v;
  };
  std::vector<SetPair> pairs{{"all", draw(all(real)), draw(all(fake))}};
  if (real_cluster_of.empty()) return pairs;
  std::map<int64_t, std::vector<size_t>> real_in, fake_in;
  for (size_t i = 0; i < real.names.size(); ++i)
    if (auto it = real_cluster_of.find(real.names[i]); it != real_cluster_of.end()) real_in[it->second].push_back(i);
  for (size_t i = 0; i < fake.labels.size(); ++i)
    if (fake.labels[i] >= 0) fake_in[fake.labels[i]].push_back(i);
  if (fake_in.empty())
    throw std::invalid_argument("per-cluster distances need the fakes' labels: give the fake side as a labels CSV or a folder with labels.csv");
  for (const auto& [c, idx] : fake_in) {
    const auto r = real_in.find(c);
    if (r == real_in.end() || r->second.size() < 2 || idx.size() < 2) {
      if (on_skip) on_skip(c);
      continue;
    }
    pairs.push_back({std::to_string(c), draw(r->second), draw(idx)});
  }
  return pairs;
}

/// The indices of a side that some pair uses, in increasing order.
inline std::vector<size_t> used_indices(const std::vector<SetPair>& pairs, bool real) {
  std::set<size_t> used;
  for (const auto& p : pairs)
    for (auto i : real ? p.real : p.fake) used.insert(i);
  return {used.begin(), used.end()};
}

/// "ABSOLUTE_PATH:SIZE:MTIME" of a file: what identifies its content for a cache.
inline std::string file_stamp(const std::filesystem::path& p) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(p, ec);
  const auto time = std::filesystem::last_write_time(p, ec).time_since_epoch().count();
  return std::filesystem::absolute(p).string() + ':' + std::to_string(ec ? -1 : int64_t(size)) + ':' +
         std::to_string(ec ? 0 : time);
}

/// Calls fn(uint8 [N, 3, H, W]) on batches of at most `batch` consecutive files of the same
/// size: each file decoded at `first` (0: its own size), then resized to `size` (0: kept;
/// area interpolation when shrinking, bilinear when growing).
template <class Fn>
void for_each_image_batch(const std::vector<std::filesystem::path>& files, int64_t first, int64_t size, int64_t batch, Fn&& fn) {
  std::vector<at::Tensor> run;
  auto flush = [&] {
    if (!run.empty()) fn(at::stack(run));
    run.clear();
  };
  for (const auto& f : files) {
    cv::Mat m = image::read_image_rgb(f, first);
    if (size > 0 && (m.rows != size || m.cols != size))
      cv::resize(m, m, cv::Size(int(size), int(size)), 0, 0, m.rows * m.cols > size * size ? cv::INTER_AREA : cv::INTER_LINEAR);
    auto t = at::from_blob(m.data, {m.rows, m.cols, 3}, at::kByte).permute({2, 0, 1}).clone();
    if (!run.empty() && (run.front().sizes() != t.sizes() || int64_t(run.size()) == batch)) flush();
    run.push_back(t);
  }
  flush();
}

/// Features of file lists, cached as features files under one folder. The key of a list is
/// `space` (what identifies the feature space: network, weights file, layer, input size) and
/// every file's stamp; a damaged (checksum) or unreadable cache file is computed again.
class FeatureCache {
 public:
  explicit FeatureCache(std::filesystem::path dir) : dir_(std::move(dir)) {}

  /// The features [files, d] of `files` in `space`: from the cache, or `extract(files)` (then
  /// stored). `from_cache` says which; `problem`, why a cache file that was there was not used
  /// (damaged or unreadable; empty otherwise).
  at::Tensor features(const std::vector<std::filesystem::path>& files, const std::string& space,
                      const std::function<at::Tensor(const std::vector<std::filesystem::path>&)>& extract,
                      bool* from_cache = nullptr, std::string* problem = nullptr) const {
    std::string key = space;
    for (const auto& f : files) key += '|' + file_stamp(f);
    const auto file = path_of(key);
    if (from_cache) *from_cache = false;
    if (std::filesystem::exists(file)) {
      try {
        auto f = io::load_features(file);
        if (f.layer == key && f.values.size(0) == int64_t(files.size())) {
          if (from_cache) *from_cache = true;
          return f.values;
        }
      } catch (const std::exception& e) {
        if (problem) *problem = e.what();  // a damaged or unreadable cache file is made again
      }
    }
    auto values = extract(files);
    std::vector<std::string> names;
    for (const auto& f : files) names.push_back(f.string());
    io::save_features(file, {values, at::zeros({values.size(0)}, at::kLong), names, key});
    return values;
  }
  /// The cache file of a key.
  std::filesystem::path path_of(const std::string& key) const { return dir_ / (io::hex64(io::fnv1a(key)) + ".pt"); }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

/// One row of fid.csv: a distance between the real and the generated set ("all"), or between a
/// cluster's real members and the fakes of its label; KID on "all" only (NaN elsewhere).
/// Precision, recall, density and coverage (metrics/prdc.hpp, k neighbours) in the same
/// features; NaN where a side has no more than k images.
struct DistanceRow {
  std::string real, fake, features;
  int64_t n_real = 0, n_fake = 0;
  double fid = NAN, kid_mean = NAN, kid_std = NAN;
  std::string cluster = "all";
  double precision = NAN, recall = NAN, density = NAN, coverage = NAN;
  int64_t k = 0;
};

/// fid.csv: real,fake,features,n_real,n_fake,fid,kid_mean,kid_std,cluster,precision,recall,
/// density,coverage,k ("all" first; an empty cell: not measured).
struct DistanceTable {
  std::vector<DistanceRow> rows;

  /// The row of `cluster` (nullptr when there is none).
  const DistanceRow* find(const std::string& cluster) const {
    for (const auto& r : rows)
      if (r.cluster == cluster) return &r;
    return nullptr;
  }
  std::string text() const {
    std::ostringstream o;
    o << std::setprecision(8)
      << "real,fake,features,n_real,n_fake,fid,kid_mean,kid_std,cluster,precision,recall,density,coverage,k\n";
    const auto cell = [&](double v) -> std::ostream& { return std::isnan(v) ? o : o << v; };
    for (const auto& r : rows) {
      o << r.real << ',' << r.fake << ',' << r.features << ',' << r.n_real << ',' << r.n_fake << ',' << r.fid << ',';
      if (r.cluster == "all") o << r.kid_mean << ',' << r.kid_std;
      else o << ',';
      o << ',' << r.cluster;
      for (double v : {r.precision, r.recall, r.density, r.coverage}) {
        o << ',';
        cell(v);
      }
      o << ',' << r.k << '\n';
    }
    return o.str();
  }
  void write(const std::filesystem::path& file) const { io::write_file_atomically(file, text()); }
  static DistanceTable read(const std::filesystem::path& file) {
    DistanceTable t;
    const auto table = io::read_table(file, {"real", "fake", "features", "n_real", "n_fake", "fid", "kid_mean", "kid_std"});
    for (const auto& row : table.rows)
      t.rows.push_back({row["real"], row["fake"], row["features"], row.integer("n_real"), row.integer("n_fake"),
                        row.number("fid"), row.number_or("kid_mean", NAN), row.number_or("kid_std", NAN),
                        table.has("cluster") ? row["cluster"] : std::string("all"),
                        // Tables of older versions have no sample-quality columns.
                        table.has("precision") ? row.number_or("precision", NAN) : NAN,
                        table.has("recall") ? row.number_or("recall", NAN) : NAN,
                        table.has("density") ? row.number_or("density", NAN) : NAN,
                        table.has("coverage") ? row.number_or("coverage", NAN) : NAN,
                        table.has("k") ? row.integer("k") : 0});
    return t;
  }
};

}  // namespace gan::metrics
