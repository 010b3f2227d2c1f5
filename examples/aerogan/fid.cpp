// aerogan fid: the Fréchet distance between two image sets, in pytorch-fid's Inception space
// (the number papers report; needs pt_inception-2015-12-05-6726825d.pth) or in the feature
// space of the project's own trained classifier (no download), plus KID and precision, recall,
// density and coverage (k-NN balls, in the same features), overall and per cluster. The sets, their
// draws, the feature cache and the table are gan/metrics/image_sets.hpp; this file picks the
// feature space, calls them and prints.
#include "config.hpp"

#include <gan/metrics/fid.hpp>
#include <gan/metrics/fid_inception.hpp>
#include <gan/metrics/fid_stats.hpp>
#include <gan/metrics/image_sets.hpp>
#include <gan/metrics/prdc.hpp>

#include <chrono>
#include <iomanip>

namespace aerogan {

void FidOptions::validate() {
  if (real.empty() || fake.empty()) throw std::invalid_argument("give the two sets: aerogan fid REAL FAKE");
  one_of("features", features, {"inception", "classifier"});
  check_device(device);
  if (n < 0 || batch <= 0 || kid_subsets <= 0 || kid_size < 2 || real_size < 0 || k < 0)
    throw std::invalid_argument("--n, --real-size and --prdc-k must be >= 0, --batch and --kid-subsets > 0, --kid-subset-size >= 2");
  const bool real_npz = fs::path(real).extension() == ".npz", fake_npz = fs::path(fake).extension() == ".npz";
  if ((real_npz || fake_npz) && !real_clusters.empty())
    throw std::invalid_argument("--real-clusters needs images on both sides; a .npz side holds statistics only");
  if (real_npz && !save_stats.empty()) throw std::invalid_argument("--save-stats writes REAL's statistics, but REAL is already a .npz");
  if (!save_stats.empty() && fs::path(save_stats).extension() != ".npz")
    throw std::invalid_argument("--save-stats " + save_stats + ": give a file name ending in .npz");
  if (features == "classifier" && classifier.empty())
    throw std::invalid_argument("--features classifier needs --classifier DIR (a folder made by aerogan classify)");
}

int run(const FidOptions& o) {
  const torch::Device dev = to_device(o.device);
  namespace m = gan::metrics;
  // The feature space, and what identifies it in the cache key.
  std::string space, layer = o.layer;
  std::function<at::Tensor(const std::vector<fs::path>&, int64_t)> extract;
  gan::nn::FidInception inception{nullptr};
  gan::TrainedClassifier cls;
  if (o.features == "inception") {
    const auto w = m::find_fid_weights(o.weights);
    space = "inception|" + m::file_stamp(w);
    extract = [&, w](const std::vector<fs::path>& files, int64_t first) {
      if (!inception) inception = m::load_fid_inception(w);
      std::vector<at::Tensor> rows;
      m::for_each_image_batch(files, first, first, o.batch, [&](const at::Tensor& x) {
        rows.push_back(m::inception_features(inception, x, o.batch, dev));
      });
      return at::cat(rows);
    };
  } else {
    cls = gan::load_classifier(o.classifier, dev);
    if (layer == "auto") layer = cls.net->fid_layer();
    const int64_t size = cls.shape.image_size;
    cls.net->layer_output(at::zeros({1, 3, size, size}, at::TensorOptions().device(dev)), layer);  // a bad name is said now
    space = "classifier|" + layer + "|" + m::file_stamp(fs::path(o.classifier) / "classifier.pt");
    extract = [&, size](const std::vector<fs::path>& files, int64_t first) {
      std::vector<at::Tensor> rows;
      torch::NoGradGuard no_grad;
      m::for_each_image_batch(files, first, size, o.batch, [&](const at::Tensor& x) {
        gan::for_each_eval_batch(cls.net, x, cls.options, [&](int64_t, const at::Tensor& in) {
          rows.push_back(cls.net->layer_output(in, layer).cpu());
        });
      });
      return at::cat(rows);
    };
  }

  // The sets are listed after the feature space is known, so a missing weights file is said first.
  // A side may be statistics (.npz): then only the overall distance is taken.
  const bool real_npz = fs::path(o.real).extension() == ".npz", fake_npz = fs::path(o.fake).extension() == ".npz";
  const auto rs = real_npz ? m::ImageSet{} : m::list_image_set(o.real, o.real_dir, o.real_class, "REAL");
  const auto fs_ = fake_npz ? m::ImageSet{} : m::list_image_set(o.fake, o.fake_dir, o.fake_class, "FAKE");
  for (const auto& [side, what] : {std::pair{&rs, "REAL"}, std::pair{&fs_, "FAKE"}})
    if (!(side == &rs ? real_npz : fake_npz) && o.n > 0 && int64_t(side->size()) < o.n)
      throw std::invalid_argument(std::string(what) + " '" + (side == &rs ? o.real : o.fake) + "' has " +
                                  std::to_string(side->size()) + " images, fewer than --n " + std::to_string(o.n) +
                                  " (lower --n or add images)");
  std::map<std::string, int64_t> cluster_of;
  if (!o.real_clusters.empty())
    for (const auto& r : gan::data::read_labels_csv(o.real_clusters)) cluster_of[r.filename] = r.label;
  const auto pairs = m::draw_pairs(rs, fs_, o.n, cluster_of, [](int64_t c) {
    std::cout << "cluster " << c << ": fewer than 2 images on a side; no distance\n";
  });

  const m::FeatureCache cache(!o.cache_dir.empty() ? fs::path(o.cache_dir)
                              : !o.out.empty()     ? fs::path(o.out).parent_path() / "fid-cache"
                                                   : fs::path("fid-cache"));
  gan::io::remove_stale_temporaries(cache.dir());
  // The features of the files of a side that some pair uses, as float64 rows by index.
  auto side_features = [&](const m::ImageSet& side, bool is_real, const std::string& name) {
    const auto used = m::used_indices(pairs, is_real);
    std::vector<fs::path> files;
    for (auto i : used) files.push_back(side.files[i]);
    const int64_t first = is_real ? o.real_size : 0;
    const auto t0 = std::chrono::steady_clock::now();
    bool cached = false;
    std::string problem;
    const auto values = cache.features(files, space + "|first=" + std::to_string(first),
                                       [&](const std::vector<fs::path>& f) { return extract(f, first); }, &cached, &problem);
    if (!problem.empty()) std::cerr << "warning: the feature cache was not used (" << problem << "); computed again\n";
    if (cached)
      std::cout << name << ": " << files.size() << " images, features from the cache " << cache.dir().string() << "\n";
    else
      std::cout << name << ": " << files.size() << " images, " << values.size(1) << "-d features in " << std::fixed
                << std::setprecision(1) << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()
                << " s" << std::defaultfloat << "\n";
    std::map<size_t, int64_t> row;
    for (auto i : used) row.emplace(i, int64_t(row.size()));
    return std::pair{values.to(at::kDouble).contiguous(), row};
  };
  using Mat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  auto matrix_of = [&](const m::ImageSet& side, bool is_real, const char* name) {
    const auto [t, row] = side_features(side, is_real, name);
    return std::pair{Eigen::MatrixXd(Eigen::Map<const Mat>(t.data_ptr<double>(), t.size(0), t.size(1))), row};
  };
  const auto [all_r, real_row] = real_npz ? std::pair{Eigen::MatrixXd(), std::map<size_t, int64_t>{}} : matrix_of(rs, true, "real");
  const auto [all_f, fake_row] = fake_npz ? std::pair{Eigen::MatrixXd(), std::map<size_t, int64_t>{}} : matrix_of(fs_, false, "fake");
  auto rows_of = [](const Eigen::MatrixXd& x, const std::vector<size_t>& idx, const std::map<size_t, int64_t>& row) {
    Eigen::MatrixXd out(Eigen::Index(idx.size()), x.cols());
    for (size_t k = 0; k < idx.size(); ++k) out.row(Eigen::Index(k)) = x.row(row.at(idx[k]));
    return out;
  };
  const int64_t dims = real_npz ? all_f.cols() : all_r.cols();
  const std::string label = o.features == "inception" ? "FID (Inception pool3, 2048-d)"
                                                       : "Frechet distance (classifier features, " + layer + ", " +
                                                             std::to_string(dims) + "-d; not comparable to published FIDs)";
  if (!o.save_stats.empty()) {
    m::write_fid_stats(o.save_stats, m::gaussian_stats(rows_of(all_r, pairs.front().real, real_row)));
    std::cout << "wrote the statistics of REAL (" << pairs.front().real.size() << " images, " << dims << "-d) to " << o.save_stats << "\n";
  }
  m::DistanceTable table;
  if (real_npz || fake_npz) {
    // Statistics on a side: the overall distance only (KID and PRDC need the features themselves).
    auto stats = [&](bool npz, const std::string& file, const Eigen::MatrixXd& x, const std::vector<size_t>& idx,
                     const std::map<size_t, int64_t>& row, const char* name) {
      if (!npz) return m::gaussian_stats(rows_of(x, idx, row));
      auto s = m::read_fid_stats(file);
      std::cout << name << ": statistics from " << file << " (" << s.mu.size() << "-d)\n";
      return s;
    };
    const auto a = stats(real_npz, o.real, all_r, pairs.front().real, real_row, "real");
    const auto b = stats(fake_npz, o.fake, all_f, pairs.front().fake, fake_row, "fake");
    if (a.mu.size() != b.mu.size())
      throw std::invalid_argument("the two sides have " + std::to_string(a.mu.size()) + "-d and " + std::to_string(b.mu.size()) +
                                  "-d statistics: they come from other feature spaces");
    m::DistanceRow row{o.real, o.fake, o.features, real_npz ? 0 : int64_t(pairs.front().real.size()),
                       fake_npz ? 0 : int64_t(pairs.front().fake.size())};
    row.fid = m::frechet_distance(a, b);
    row.cluster = "all";
    std::cout << std::setprecision(6) << label << ": " << row.fid << "\n(one side is statistics: no KID, precision or recall)\n";
    table.rows.push_back(row);
    if (!o.out.empty()) table.write(o.out);
    return 0;
  }
  for (const auto& p : pairs) {
    const auto xr = rows_of(all_r, p.real, real_row), xf = rows_of(all_f, p.fake, fake_row);
    m::DistanceRow row{o.real, o.fake, o.features, xr.rows(), xf.rows()};
    row.fid = m::frechet_distance(xr, xf);
    row.cluster = p.cluster;
    if (o.k > 0 && xr.rows() > o.k && xf.rows() > o.k) {
      const auto q = m::prdc(xr, xf, o.k);
      row.precision = q.precision, row.recall = q.recall, row.density = q.density, row.coverage = q.coverage, row.k = o.k;
    }
    const auto quality = [&] {
      std::ostringstream s;
      if (row.k > 0)
        s << std::setprecision(3) << "; precision " << row.precision << ", recall " << row.recall << ", density "
          << row.density << ", coverage " << row.coverage << " (k=" << row.k << ")";
      return s.str();
    };
    if (p.cluster == "all") {
      if (std::min(xr.rows(), xf.rows()) < xr.cols())
        std::cout << "warning: " << xr.rows() << " real and " << xf.rows() << " generated images for " << xr.cols()
                  << "-d features: with fewer images than dimensions the covariances are singular and the distance "
                     "is biased upwards (pytorch-fid's maintainers advise at least 2,048 images); compare distances "
                     "only at equal sizes\n";
      // Subsets of at most half the smaller set, so that they differ and their spread means something.
      const int64_t size = std::max<int64_t>(2, std::min<int64_t>(o.kid_size, std::min(xr.rows(), xf.rows()) / 2));
      const auto kid = m::kernel_inception_distance(xr, xf, o.kid_subsets, size, 0);
      row.kid_mean = kid.mean, row.kid_std = kid.std;
      std::cout << std::setprecision(6) << label << ": " << row.fid << "\nKID: " << kid.mean << " +- " << kid.std << " ("
                << kid.subsets << " subsets of " << kid.subset_size << ")" << quality() << "\n";
    } else {
      std::cout << std::setprecision(6) << "  cluster " << p.cluster << " (" << xr.rows() << " real, " << xf.rows()
                << " generated): " << row.fid << quality() << "\n";
    }
    table.rows.push_back(row);
  }
  if (!o.out.empty()) table.write(o.out);
  return 0;
}

}  // namespace aerogan
