// aerogan generate: loads a trained model (EMA weights when present) and writes N images of
// the chosen classes or clusters, with the truncation trick, plus a filename,label CSV that
// can be added to a training set.
#include "config.hpp"

#include <gan/io/image_file.hpp>

#include <gan/data/oversample.hpp>

#include <cmath>
#include <iomanip>
#include <numeric>

namespace aerogan {

int run_generate(const std::vector<std::string>& args) {
  std::string model_dir, checkpoint, out, classes, shares;
  bool batch_stats = false;
  int64_t n = 100, batch = 64;
  double truncation = 0;
  std::string device = "cpu";
  po::options_description desc("aerogan generate: write images from a trained model");
  desc.add_options()("help,h", "this help")
      ("model", po::value(&model_dir), "the run's folder, OUT/MODEL_NAME (holds config.ini and checkpoints/)")
      ("checkpoint", po::value(&checkpoint), "a checkpoint file (default: the model's latest)")
      ("out", po::value(&out), "output folder (default: MODEL/generated)")
      ("n", po::value(&n)->default_value(n), "number of images, spread evenly over the classes")
      ("classes", po::value(&classes), "classes or clusters to draw from, e.g. 0,2,3 (default: all)")
      ("shares", po::value(&shares), "how many of the images each of --classes gets, as weights, e.g. 0.5,0.3,0.2 (the real positives' cluster shares; default: equal)")
      ("batch-stats", po::value(&batch_stats)->default_value(batch_stats)->implicit_value(true), "normalise with each batch's statistics (G in train mode), as the paper's code samples: it never calls eval(); default: the running statistics")
      ("truncation", po::value(&truncation)->default_value(truncation), "truncation psi: |z| is redrawn above it (0: none)")
      ("batch", po::value(&batch)->default_value(batch), "images per forward pass")
      ("device", po::value(&device)->default_value(device), "cpu | cuda");
  po::variables_map vm;
  if (!parse_or_help(args, desc, vm)) return 0;
  if (model_dir.empty()) throw std::invalid_argument("give --model OUT/MODEL_NAME");
  if (n <= 0) throw std::invalid_argument("--n must be > 0, got " + std::to_string(n));
  if (batch <= 0) throw std::invalid_argument("--batch must be > 0, got " + std::to_string(batch));
  if (device != "cpu" && device != "cuda") throw std::invalid_argument("--device '" + device + "' is not cpu or cuda");
  const fs::path dir = model_dir;
  const auto ini = dir / "config.ini";
  if (!fs::exists(ini)) throw std::invalid_argument(ini.string() + " not found: is " + model_dir + " a model folder made by aerogan train?");
  auto c = parse_train({"--config", ini.string()});
  c.device = device;
  if (checkpoint.empty()) {
    std::ifstream in(dir / "checkpoints" / "latest");
    std::string name;
    if (!std::getline(in, name)) throw std::invalid_argument("no checkpoint in " + (dir / "checkpoints").string());
    checkpoint = (dir / "checkpoints" / name).string();
  }
  std::vector<int64_t> chosen;
  if (classes.empty())
    for (int64_t k = 0; k < c.n_classes; ++k) chosen.push_back(k);
  else
    chosen = parse_list(classes, "classes");
  for (auto k : chosen)
    if (k < 0 || k >= c.n_classes)
      throw std::invalid_argument("--classes: " + std::to_string(k) + " is out of range [0, " +
                                  std::to_string(c.n_classes) + ")");
  std::vector<double> weights(chosen.size(), 1.0);
  if (!shares.empty()) {
    weights.clear();
    std::stringstream in(shares);
    for (std::string w; std::getline(in, w, ',');) {
      size_t used = 0;
      double v = -1;
      try {
        v = std::stod(w, &used);
      } catch (const std::exception&) {
      }
      if (used != w.size() || !(v >= 0) || !std::isfinite(v))
        throw std::invalid_argument("--shares: '" + w + "' is not a number >= 0");
      weights.push_back(v);
    }
    if (weights.size() != chosen.size())
      throw std::invalid_argument("--shares has " + std::to_string(weights.size()) + " weights for " +
                                  std::to_string(chosen.size()) + " classes");
    if (std::accumulate(weights.begin(), weights.end(), 0.0) <= 0)
      throw std::invalid_argument("--shares: the weights sum to 0");
  }
  const fs::path target = out.empty() ? dir / "generated" : fs::path(out);
  return with_trainer(c, [&](auto trainer) {
    trainer.load(checkpoint);
    const std::vector<int64_t> labels = gan::data::interleaved_labels(chosen, weights, n);
    std::string csv = "filename,label\n";
    for (int64_t from = 0; from < n; from += batch) {
      const int64_t to = std::min(n, from + batch);
      auto y = at::tensor(std::vector<int64_t>(labels.begin() + from, labels.begin() + to), at::kLong);
      auto images = trainer.sample(y, gan::SampleOptions().truncation(truncation).batch_stats(batch_stats)).cpu();
      for (int64_t i = from; i < to; ++i) {
        std::ostringstream name;
        name << "gen_" << std::setw(6) << std::setfill('0') << i << "_c" << labels[size_t(i)] << ".png";
        gan::io::write_image(target / "images" / name.str(), images[i - from]);
        csv += "images/" + name.str() + "," + std::to_string(labels[size_t(i)]) + "\n";
      }
    }
    gan::io::write_file_atomically(target / "labels.csv", csv);
    std::cout << "wrote " << n << " images from " << checkpoint << (trainer.has_ema() ? " (EMA weights)" : "")
              << " to " << (target / "images").string() << " and " << (target / "labels.csv").string() << "\n";
    return 0;
  });
}

}  // namespace aerogan
