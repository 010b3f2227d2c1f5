// aerogan fid: the Fréchet distance between two image sets, in pytorch-fid's Inception space
// (the number papers report; needs pt_inception-2015-12-05-6726825d.pth) or in the feature
// space of the project's own trained classifier (no download), plus KID. The features of
// each side are cached and reused while its files do not change.
#include "config.hpp"

#include <gan/data/random.hpp>
#include <gan/io/features_file.hpp>
#include <gan/io/hash.hpp>
#include <gan/io/image_reader.hpp>
#include <gan/metrics/fid.hpp>
#include <gan/metrics/fid_inception.hpp>

#include <iomanip>
#include <map>
#include <numeric>
#include <random>
#include <set>

namespace aerogan {

namespace {

bool is_image(const fs::path& p) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char ch) { return char(std::tolower(ch)); });
  return e == ".png" || e == ".jpg" || e == ".jpeg" || e == ".tif" || e == ".tiff" || e == ".bmp";
}

/// The image files of one side, with their labels (-1 when the side has none): a folder
/// (its labels.csv when it has one, as `aerogan generate` writes; else every image under it,
/// sorted) or a labels CSV (its rows, those of class `cls` when cls >= 0), whose file names
/// are relative to `data_dir` (default: the CSV's folder).
struct Side {
  std::vector<fs::path> files;
  std::vector<std::string> names;  // as the CSV writes them (the key of --real-clusters)
  std::vector<int64_t> labels;
};

Side list_side(const std::string& side, std::string data_dir, int64_t cls, const std::string& what) {
  Side s;
  fs::path csv;
  if (fs::is_directory(side) && fs::is_regular_file(fs::path(side) / "labels.csv")) {
    csv = fs::path(side) / "labels.csv";
  } else if (fs::is_directory(side)) {
    for (const auto& e : fs::recursive_directory_iterator(side))
      if (e.is_regular_file() && is_image(e.path())) s.files.push_back(e.path());
    std::sort(s.files.begin(), s.files.end());
    for (const auto& f : s.files) s.names.push_back(f.string()), s.labels.push_back(-1);
  } else if (fs::is_regular_file(side) && fs::path(side).extension() == ".csv") {
    csv = side;
  } else {
    throw std::invalid_argument(what + " '" + side + "' is neither a folder of images nor a labels CSV");
  }
  if (!csv.empty()) {
    if (data_dir.empty() || csv.filename() == "labels.csv" && fs::is_directory(side)) data_dir = csv.parent_path().string();
    for (const auto& r : gan::data::read_labels_csv(csv))
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

/// `n` of the indices `pool`, drawn with a fixed seed (all of them when n is 0 or more).
std::vector<size_t> draw(std::vector<size_t> pool, int64_t n) { return gan::data::draw_without_replacement(std::move(pool), n, 0); }

std::vector<size_t> all_of(const Side& s) {
  std::vector<size_t> v(s.files.size());
  std::iota(v.begin(), v.end(), size_t{0});
  return v;
}

std::string stamp(const fs::path& p) {
  std::error_code ec;
  const auto size = fs::file_size(p, ec);
  const auto time = fs::last_write_time(p, ec).time_since_epoch().count();
  return fs::absolute(p).string() + ':' + std::to_string(ec ? -1 : int64_t(size)) + ':' + std::to_string(ec ? 0 : time);
}

/// uint8 [N, 3, H, W] batches of consecutive files of the same size: each file read at
/// `first` (0: its own size), then resized to `size` (0: kept).
template <class Fn>
void for_each_image_batch(const std::vector<fs::path>& files, int64_t first, int64_t size, int64_t batch, Fn&& fn) {
  std::vector<at::Tensor> run;
  auto flush = [&] {
    if (!run.empty()) fn(at::stack(run));
    run.clear();
  };
  for (const auto& f : files) {
    cv::Mat m = gan::io::read_image_rgb(f, first);
    if (size > 0 && (m.rows != size || m.cols != size))
      cv::resize(m, m, cv::Size(int(size), int(size)), 0, 0, m.rows * m.cols > size * size ? cv::INTER_AREA : cv::INTER_LINEAR);
    auto t = at::from_blob(m.data, {m.rows, m.cols, 3}, at::kByte).permute({2, 0, 1}).clone();
    if (!run.empty() && (run.front().sizes() != t.sizes() || int64_t(run.size()) == batch)) flush();
    run.push_back(t);
  }
  flush();
}

}  // namespace

int run_fid(const std::vector<std::string>& args) {
  std::string real, fake, weights, features = "inception", classifier, out, cache_dir, device = "cpu", layer = "auto";
  std::string real_dir, fake_dir, real_clusters;
  int64_t n = 512, batch = 50, real_class = -1, fake_class = -1, kid_subsets = 100, kid_size = 1000, real_size = 0;
  po::options_description desc(
      "aerogan fid REAL FAKE: Fréchet distance (FID) and KID between two image sets.\n"
      "REAL and FAKE are folders of images or labels CSVs");
  desc.add_options()("help,h", "this help")
      ("real", po::value(&real), "the real set (folder or CSV)")
      ("fake", po::value(&fake), "the generated set (folder or CSV)")
      ("features", po::value(&features)->default_value(features), "inception (pytorch-fid's network: the FID papers report) | classifier (the penultimate layer of a classifier from aerogan classify)")
      ("weights", po::value(&weights), "pt_inception-2015-12-05-6726825d.pth (default: $GAN_FID_WEIGHTS, then torch's hub cache)")
      ("classifier", po::value(&classifier), "with --features classifier: the folder aerogan classify wrote (classifier.pt, classifier.ini)")
      ("layer", po::value(&layer)->default_value(layer), "with --features classifier: the layer (auto: the spatial mean of the last conv block before its ReLU, features.N:mean; also features.N, avgpool, classifier.N as aerogan classify --layer)")
      ("real-data-dir", po::value(&real_dir), "folder the real CSV's file names are relative to (default: the CSV's folder)")
      ("fake-data-dir", po::value(&fake_dir), "folder the fake CSV's file names are relative to (default: the CSV's folder)")
      ("real-size", po::value(&real_size)->default_value(real_size), "resize the real images to this size first, as the GAN's training saw them (train.py's Resize(img_size)), so the distance does not measure the resize (0: as they are)")
      ("real-clusters", po::value(&real_clusters), "filename,cluster CSV of the real set (clusters.csv): adds the distance per cluster, each cluster's real members against the fakes of that label")
      ("n", po::value(&n)->default_value(n), "images per side, drawn with a fixed seed (the paper: 512; 0: all)")
      ("real-class", po::value(&real_class)->default_value(real_class), "with a CSV: only this class of the real set (-1: all)")
      ("fake-class", po::value(&fake_class)->default_value(fake_class), "with a CSV: only this class of the fake set (-1: all)")
      ("kid-subsets", po::value(&kid_subsets)->default_value(kid_subsets), "KID: number of subsets")
      ("kid-subset-size", po::value(&kid_size)->default_value(kid_size), "KID: subset size (capped at half the smaller set)")
      ("batch", po::value(&batch)->default_value(batch), "images per forward pass")
      ("device", po::value(&device)->default_value(device), "cpu | cuda")
      ("cache-dir", po::value(&cache_dir), "where features are cached (default: OUT's folder/fid-cache, or ./fid-cache)")
      ("out", po::value(&out), "CSV to write the result to (real,fake,features,n_real,n_fake,fid,kid_mean,kid_std,cluster; cluster 'all' first, then one row per cluster with --real-clusters)");
  po::positional_options_description pos;
  pos.add("real", 1).add("fake", 1);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(desc).positional(pos).run(), vm);
  po::notify(vm);
  if (options_check_only()) return 0;
  if (vm.count("help")) {
    std::cout << desc;
    return 0;
  }
  if (real.empty() || fake.empty()) throw std::invalid_argument("give the two sets: aerogan fid REAL FAKE");
  one_of("features", features, {"inception", "classifier"});
  one_of("device", device, {"cpu", "cuda"});
  if (n < 0 || batch <= 0 || kid_subsets <= 0 || kid_size < 2 || real_size < 0)
    throw std::invalid_argument("--n and --real-size must be >= 0, --batch and --kid-subsets > 0, --kid-subset-size >= 2");
  if (features == "classifier" && classifier.empty())
    throw std::invalid_argument("--features classifier needs --classifier DIR (a folder made by aerogan classify)");
  const torch::Device dev = device == "cuda" ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);


  // The feature space, and what identifies it in the cache key.
  std::string space;
  std::function<at::Tensor(const std::vector<fs::path>&, int64_t)> extract;
  gan::nn::FidInception inception{nullptr};
  TrainedClassifier cls;
  if (features == "inception") {
    const auto w = gan::metrics::find_fid_weights(weights);
    space = "inception|" + stamp(w);
    extract = [&, w](const std::vector<fs::path>& files, int64_t first) {
      if (!inception) inception = gan::metrics::load_fid_inception(w);
      std::vector<at::Tensor> rows;
      for_each_image_batch(files, first, first, batch, [&](const at::Tensor& x) {
        rows.push_back(gan::metrics::inception_features(inception, x, batch, dev));
      });
      return at::cat(rows);
    };
  } else {
    cls = load_classifier(classifier, device);
    if (layer == "auto") layer = cls.net->fid_layer();
    cls.net->layer_output(at::zeros({1, 3, cls.config.img_size, cls.config.img_size}), layer);  // a bad name is said now
    space = "classifier|" + layer + "|" + stamp(fs::path(classifier) / "classifier.pt");
    extract = [&](const std::vector<fs::path>& files, int64_t first) {
      std::vector<at::Tensor> rows;
      torch::NoGradGuard no_grad;
      for_each_image_batch(files, first, cls.config.img_size, batch, [&](const at::Tensor& x) {
        gan::for_each_eval_batch(cls.net, x, cls.options, [&](int64_t, const at::Tensor& in) {
          rows.push_back(cls.net->layer_output(in, layer).cpu());
        });
      });
      return at::cat(rows);
    };
  }

  // The sets are listed after the feature space is known, so a missing weights file is said first.
  const auto rs = list_side(real, real_dir, real_class, "REAL");
  const auto fs_ = list_side(fake, fake_dir, fake_class, "FAKE");
  for (const auto& [side, what] : {std::pair{&rs, "REAL"}, std::pair{&fs_, "FAKE"}})
    if (n > 0 && int64_t(side->files.size()) < n)
      throw std::invalid_argument(std::string(what) + " '" + (side == &rs ? real : fake) + "' has " +
                                  std::to_string(side->files.size()) + " images, fewer than --n " + std::to_string(n) +
                                  " (lower --n or add images)");
  // What is compared: every side's draw of n ('all'), then each cluster's.
  struct Pair {
    std::string cluster;
    std::vector<size_t> real, fake;
  };
  std::vector<Pair> pairs{{"all", draw(all_of(rs), n), draw(all_of(fs_), n)}};
  if (!real_clusters.empty()) {
    std::map<std::string, int64_t> cluster_of;
    for (const auto& r : gan::data::read_labels_csv(real_clusters)) cluster_of[r.filename] = r.label;
    std::map<int64_t, std::vector<size_t>> real_in, fake_in;
    for (size_t i = 0; i < rs.names.size(); ++i)
      if (auto it = cluster_of.find(rs.names[i]); it != cluster_of.end()) real_in[it->second].push_back(i);
    for (size_t i = 0; i < fs_.labels.size(); ++i)
      if (fs_.labels[i] >= 0) fake_in[fs_.labels[i]].push_back(i);
    if (fake_in.empty())
      throw std::invalid_argument("--real-clusters needs the fakes' labels: give FAKE as a labels CSV or a folder with labels.csv");
    for (const auto& [c, idx] : fake_in) {
      const auto r_it = real_in.find(c);
      if (r_it == real_in.end() || r_it->second.size() < 2 || idx.size() < 2) {
        std::cout << "cluster " << c << ": fewer than 2 images on a side; no distance\n";
        continue;
      }
      pairs.push_back({std::to_string(c), draw(r_it->second, n), draw(idx, n)});
    }
  }

  const fs::path cache = !cache_dir.empty() ? fs::path(cache_dir)
                         : !out.empty()     ? fs::path(out).parent_path() / "fid-cache"
                                            : fs::path("fid-cache");
  // The features of the files of a side that some pair uses, cached as one set.
  auto side_features = [&](const Side& side, bool is_real, const std::string& name) {
    std::set<size_t> used;
    for (const auto& p : pairs)
      for (auto i : is_real ? p.real : p.fake) used.insert(i);
    std::vector<fs::path> files;
    for (auto i : used) files.push_back(side.files[i]);
    const int64_t first = is_real ? real_size : 0;
    std::string key = space + "|first=" + std::to_string(first);
    for (const auto& f : files) key += '|' + stamp(f);
    const auto file = cache / (gan::io::hex64(gan::io::fnv1a(key)) + ".pt");
    at::Tensor values;
    if (fs::exists(file)) {
      try {
        auto f = gan::io::load_features(file);
        if (f.layer == key) {
          std::cout << name << ": " << files.size() << " images, features from the cache " << file.string() << "\n";
          values = f.values;
        }
      } catch (const std::exception&) {
        // an unreadable cache file is made again
      }
    }
    if (!values.defined()) {
      const auto t0 = std::chrono::steady_clock::now();
      values = extract(files, first);
      std::vector<std::string> names;
      for (const auto& f : files) names.push_back(f.string());
      gan::io::save_features(file, {values, at::zeros({values.size(0)}, at::kLong), names, key});
      std::cout << name << ": " << files.size() << " images, " << values.size(1) << "-d features in "
                << std::fixed << std::setprecision(1)
                << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s"
                << std::defaultfloat << "\n";
    }
    std::map<size_t, int64_t> row;
    for (auto i : used) row.emplace(i, int64_t(row.size()));
    return std::pair{values.to(at::kDouble).contiguous(), row};
  };
  const auto [fr, real_row] = side_features(rs, true, "real");
  const auto [ff, fake_row] = side_features(fs_, false, "fake");
  using Mat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::MatrixXd all_r = Eigen::Map<const Mat>(fr.data_ptr<double>(), fr.size(0), fr.size(1));
  const Eigen::MatrixXd all_f = Eigen::Map<const Mat>(ff.data_ptr<double>(), ff.size(0), ff.size(1));
  auto rows_of = [](const Eigen::MatrixXd& m, const std::vector<size_t>& idx, const std::map<size_t, int64_t>& row) {
    Eigen::MatrixXd out(Eigen::Index(idx.size()), m.cols());
    for (size_t k = 0; k < idx.size(); ++k) out.row(Eigen::Index(k)) = m.row(row.at(idx[k]));
    return out;
  };
  const std::string label = features == "inception" ? "FID (Inception pool3, 2048-d)"
                                                     : "Frechet distance (classifier features, " + layer + ", " +
                                                           std::to_string(all_r.cols()) + "-d; not comparable to published FIDs)";
  std::ostringstream o;
  o << std::setprecision(8) << "real,fake,features,n_real,n_fake,fid,kid_mean,kid_std,cluster\n";
  for (const auto& p : pairs) {
    const auto xr = rows_of(all_r, p.real, real_row), xf = rows_of(all_f, p.fake, fake_row);
    const double fid = gan::metrics::frechet_distance(gan::metrics::gaussian_stats(xr), gan::metrics::gaussian_stats(xf));
    o << real << ',' << fake << ',' << features << ',' << xr.rows() << ',' << xf.rows() << ',' << fid;
    if (p.cluster == "all") {
      // Subsets of at most half the smaller set, so that they differ and their spread means something.
      const int64_t size = std::max<int64_t>(2, std::min<int64_t>(kid_size, std::min(xr.rows(), xf.rows()) / 2));
      const auto kid = gan::metrics::kernel_inception_distance(xr, xf, kid_subsets, size, 0);
      std::cout << std::setprecision(6) << label << ": " << fid << "\nKID: " << kid.mean << " +- " << kid.std << " ("
                << kid.subsets << " subsets of " << kid.subset_size << ")\n";
      o << ',' << kid.mean << ',' << kid.std << ",all\n";
    } else {
      std::cout << std::setprecision(6) << "  cluster " << p.cluster << " (" << xr.rows() << " real, " << xf.rows()
                << " generated): " << fid << "\n";
      o << ",,," << p.cluster << '\n';
    }
  }
  if (!out.empty()) gan::io::write_file_atomically(out, o.str());
  return 0;
}

}  // namespace aerogan
