// aerogan fid: the Fréchet distance between two image sets, in pytorch-fid's Inception space
// (the number papers report; needs pt_inception-2015-12-05-6726825d.pth) or in the feature
// space of the project's own trained classifier (no download), plus KID. The features of
// each side are cached and reused while its files do not change.
#include "config.hpp"

#include <gan/io/features_file.hpp>
#include <gan/io/image_reader.hpp>
#include <gan/metrics/fid.hpp>
#include <gan/metrics/fid_inception.hpp>

#include <iomanip>
#include <random>

namespace aerogan {

namespace {

bool is_image(const fs::path& p) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char ch) { return char(std::tolower(ch)); });
  return e == ".png" || e == ".jpg" || e == ".jpeg" || e == ".tif" || e == ".tiff" || e == ".bmp";
}

/// The image files of one side: a folder (every image under it, sorted) or a labels CSV (its
/// rows, those of class `cls` when cls >= 0); `n` of them drawn with a fixed seed when n > 0.
std::vector<fs::path> list_side(const std::string& side, int64_t cls, int64_t n, const std::string& what) {
  std::vector<fs::path> files;
  if (fs::is_directory(side)) {
    for (const auto& e : fs::recursive_directory_iterator(side))
      if (e.is_regular_file() && is_image(e.path())) files.push_back(e.path());
    std::sort(files.begin(), files.end());
  } else if (fs::is_regular_file(side) && fs::path(side).extension() == ".csv") {
    for (const auto& r : gan::data::read_labels_csv(side))
      if (cls < 0 || r.label == cls) files.push_back(fs::path(side).parent_path() / r.filename);
  } else {
    throw std::invalid_argument(what + " '" + side + "' is neither a folder of images nor a labels CSV");
  }
  if (n > 0 && int64_t(files.size()) < n)
    throw std::invalid_argument(what + " '" + side + "' has " + std::to_string(files.size()) +
                                " images" + (cls >= 0 ? " of class " + std::to_string(cls) : "") +
                                ", fewer than --n " + std::to_string(n) + " (lower --n or add images)");
  if (files.size() < 2) throw std::invalid_argument(what + " '" + side + "' has fewer than 2 images");
  if (n > 0 && int64_t(files.size()) > n) {
    std::mt19937_64 rng(0);
    for (size_t i = 0; i < size_t(n); ++i) std::swap(files[i], files[i + size_t(rng() % (files.size() - i))]);
    files.resize(size_t(n));
  }
  return files;
}

std::string stamp(const fs::path& p) {
  std::error_code ec;
  const auto size = fs::file_size(p, ec);
  const auto time = fs::last_write_time(p, ec).time_since_epoch().count();
  return fs::absolute(p).string() + ':' + std::to_string(ec ? -1 : int64_t(size)) + ':' + std::to_string(ec ? 0 : time);
}

/// uint8 [N, 3, H, W] batches of consecutive files of the same size (`size` 0: each file's own).
template <class Fn>
void for_each_image_batch(const std::vector<fs::path>& files, int64_t size, int64_t batch, Fn&& fn) {
  std::vector<at::Tensor> run;
  auto flush = [&] {
    if (!run.empty()) fn(at::stack(run));
    run.clear();
  };
  for (const auto& f : files) {
    const cv::Mat m = gan::io::read_image_rgb(f, size);
    auto t = at::from_blob(m.data, {m.rows, m.cols, 3}, at::kByte).permute({2, 0, 1}).clone();
    if (!run.empty() && (run.front().sizes() != t.sizes() || int64_t(run.size()) == batch)) flush();
    run.push_back(t);
  }
  flush();
}

}  // namespace

int run_fid(const std::vector<std::string>& args) {
  std::string real, fake, weights, features = "inception", classifier, out, cache_dir, device = "cpu";
  int64_t n = 512, batch = 50, real_class = -1, fake_class = -1, kid_subsets = 100, kid_size = 1000;
  po::options_description desc(
      "aerogan fid REAL FAKE: Fréchet distance (FID) and KID between two image sets.\n"
      "REAL and FAKE are folders of images or labels CSVs");
  desc.add_options()("help,h", "this help")
      ("real", po::value(&real), "the real set (folder or CSV)")
      ("fake", po::value(&fake), "the generated set (folder or CSV)")
      ("features", po::value(&features)->default_value(features), "inception (pytorch-fid's network: the FID papers report) | classifier (the penultimate layer of a classifier from aerogan classify)")
      ("weights", po::value(&weights), "pt_inception-2015-12-05-6726825d.pth (default: $GAN_FID_WEIGHTS, then torch's hub cache)")
      ("classifier", po::value(&classifier), "with --features classifier: the folder aerogan classify wrote (classifier.pt, classifier.ini)")
      ("n", po::value(&n)->default_value(n), "images per side, drawn with a fixed seed (the paper: 512; 0: all)")
      ("real-class", po::value(&real_class)->default_value(real_class), "with a CSV: only this class of the real set (-1: all)")
      ("fake-class", po::value(&fake_class)->default_value(fake_class), "with a CSV: only this class of the fake set (-1: all)")
      ("kid-subsets", po::value(&kid_subsets)->default_value(kid_subsets), "KID: number of subsets")
      ("kid-subset-size", po::value(&kid_size)->default_value(kid_size), "KID: subset size (capped at half the smaller set)")
      ("batch", po::value(&batch)->default_value(batch), "images per forward pass")
      ("device", po::value(&device)->default_value(device), "cpu | cuda")
      ("cache-dir", po::value(&cache_dir), "where features are cached (default: OUT's folder/fid-cache, or ./fid-cache)")
      ("out", po::value(&out), "CSV to write the result to (real,fake,features,n_real,n_fake,fid,kid_mean,kid_std)");
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
  if (n < 0 || batch <= 0 || kid_subsets <= 0 || kid_size < 2)
    throw std::invalid_argument("--n must be >= 0, --batch and --kid-subsets > 0, --kid-subset-size >= 2");
  if (features == "classifier" && classifier.empty())
    throw std::invalid_argument("--features classifier needs --classifier DIR (a folder made by aerogan classify)");
  const torch::Device dev = device == "cuda" ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);


  // The feature space, and what identifies it in the cache key.
  std::string space;
  std::function<at::Tensor(const std::vector<fs::path>&)> extract;
  gan::nn::FidInception inception{nullptr};
  TrainedClassifier cls;
  if (features == "inception") {
    const auto w = gan::metrics::find_fid_weights(weights);
    space = "inception|" + stamp(w);
    extract = [&, w](const std::vector<fs::path>& files) {
      if (!inception) inception = gan::metrics::load_fid_inception(w);
      std::vector<at::Tensor> rows;
      for_each_image_batch(files, 0, batch, [&](const at::Tensor& x) {
        rows.push_back(gan::metrics::inception_features(inception, x, batch, dev));
      });
      return at::cat(rows);
    };
  } else {
    space = "classifier|" + stamp(fs::path(classifier) / "classifier.pt");
    cls = load_classifier(classifier, device);
    const std::string layer = "classifier.4";  // the penultimate layer, after its ReLU
    extract = [&, layer](const std::vector<fs::path>& files) {
      std::vector<at::Tensor> rows;
      torch::NoGradGuard no_grad;
      for_each_image_batch(files, cls.config.img_size, batch, [&](const at::Tensor& x) {
        gan::for_each_eval_batch(cls.net, x, cls.options, [&](int64_t, const at::Tensor& in) {
          rows.push_back(cls.net->layer_output(in, layer).cpu());
        });
      });
      return at::cat(rows);
    };
  }

  // The sets are listed after the feature space is known, so a missing weights file is said first.
  const auto real_files = list_side(real, real_class, n, "REAL");
  const auto fake_files = list_side(fake, fake_class, n, "FAKE");

  const fs::path cache = !cache_dir.empty() ? fs::path(cache_dir)
                         : !out.empty()     ? fs::path(out).parent_path() / "fid-cache"
                                            : fs::path("fid-cache");
  auto side_features = [&](const std::vector<fs::path>& files, const std::string& name) {
    std::string key = space;
    for (const auto& f : files) key += '|' + stamp(f);
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx",
                  static_cast<unsigned long long>(gan::data::detail::fnv1a(1469598103934665603ull, key)));
    const auto file = cache / (std::string(hex) + ".pt");
    if (fs::exists(file)) {
      try {
        auto f = gan::io::load_features(file);
        if (f.layer == key) {
          std::cout << name << ": " << files.size() << " images, features from the cache " << file.string() << "\n";
          return f.values;
        }
      } catch (const std::exception&) {
        // an unreadable cache file is made again
      }
    }
    const auto t0 = std::chrono::steady_clock::now();
    auto values = extract(files);
    std::vector<std::string> names;
    for (const auto& f : files) names.push_back(f.string());
    gan::io::save_features(file, {values, at::zeros({values.size(0)}, at::kLong), names, key});
    std::cout << name << ": " << files.size() << " images, " << values.size(1) << "-d features in "
              << std::fixed << std::setprecision(1)
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s"
              << std::defaultfloat << "\n";
    return values;
  };
  const auto fr = side_features(real_files, "real").to(at::kDouble).contiguous();
  const auto ff = side_features(fake_files, "fake").to(at::kDouble).contiguous();
  using Mat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::MatrixXd xr = Eigen::Map<const Mat>(fr.data_ptr<double>(), fr.size(0), fr.size(1));
  const Eigen::MatrixXd xf = Eigen::Map<const Mat>(ff.data_ptr<double>(), ff.size(0), ff.size(1));
  const double fid = gan::metrics::frechet_distance(gan::metrics::gaussian_stats(xr), gan::metrics::gaussian_stats(xf));
  // Subsets of at most half the smaller set, so that they differ and their spread means something.
  kid_size = std::max<int64_t>(2, std::min<int64_t>(kid_size, std::min(xr.rows(), xf.rows()) / 2));
  const auto kid = gan::metrics::kernel_inception_distance(xr, xf, kid_subsets, kid_size, 0);
  const std::string label = features == "inception" ? "FID (Inception pool3, 2048-d)"
                                                     : "Frechet distance (classifier features, " +
                                                           std::to_string(xr.cols()) + "-d; not comparable to published FIDs)";
  std::cout << std::setprecision(6) << label << ": " << fid << "\nKID: " << kid.mean << " +- " << kid.std << " ("
            << kid.subsets << " subsets of " << kid.subset_size << ")\n";
  if (!out.empty()) {
    std::ostringstream o;
    o << std::setprecision(8) << "real,fake,features,n_real,n_fake,fid,kid_mean,kid_std\n"
      << real << ',' << fake << ',' << features << ',' << xr.rows() << ',' << xf.rows() << ',' << fid << ','
      << kid.mean << ',' << kid.std << '\n';
    gan::io::write_file_atomically(out, o.str());
  }
  return 0;
}

}  // namespace aerogan
