// aerogan generate: loads a trained model (EMA weights when present) and writes N images of
// the chosen classes or clusters, with the truncation trick, plus a filename,label CSV that
// can be added to a training set.
#include "config.hpp"

#include <gan/image/write.hpp>

#include <gan/data/oversample.hpp>

#include <cmath>
#include <iomanip>
#include <numeric>

namespace aerogan {

void GenerateOptions::validate() {
  if (model.empty()) throw std::invalid_argument("give --model OUT/MODEL_NAME");
  if (n <= 0) throw std::invalid_argument("--n must be > 0, got " + std::to_string(n));
  if (batch <= 0) throw std::invalid_argument("--batch must be > 0, got " + std::to_string(batch));
  if (truncation < 0) throw std::invalid_argument("--truncation must be >= 0, got " + format_number(truncation));
  check_device(device);
  class_list = classes.empty() ? std::vector<int64_t>{} : parse_list(classes, "classes");
  weights.clear();
  if (!shares.empty()) {
    std::stringstream in(shares);
    for (std::string w; std::getline(in, w, ',');) {
      const auto v = gan::io::to_number(w);
      if (!v || !(*v >= 0) || !std::isfinite(*v)) throw std::invalid_argument("--shares: '" + w + "' is not a number >= 0");
      weights.push_back(*v);
    }
    if (std::accumulate(weights.begin(), weights.end(), 0.0) <= 0)
      throw std::invalid_argument("--shares: the weights sum to 0");
    if (!class_list.empty() && weights.size() != class_list.size())
      throw std::invalid_argument("--shares has " + std::to_string(weights.size()) + " weights for " +
                                  std::to_string(class_list.size()) + " classes");
  }
}

int run(const GenerateOptions& o) {
  const std::string& model_dir = o.model;
  std::string checkpoint = o.checkpoint;
  const fs::path dir = model_dir;
  const auto ini = dir / "config.ini";
  if (!fs::is_directory(dir) || (!fs::exists(ini) && !fs::exists(dir / "checkpoints")))
    throw std::invalid_argument(model_dir + " is not a model folder made by aerogan train (no config.ini, no checkpoints/)");
  if (checkpoint.empty()) {
    std::ifstream in(dir / "checkpoints" / "latest");
    std::string name;
    if (!std::getline(in, name) || name.empty())
      throw std::invalid_argument("no checkpoint in " + (dir / "checkpoints").string() +
                                  (fs::exists(dir / "checkpoints" / "latest") ? " (its latest is empty; give --checkpoint FILE)" : ""));
    checkpoint = (dir / "checkpoints" / name).string();
  }
  // The network is built from the checkpoint's own options; config.ini only for a checkpoint
  // written before checkpoints recorded them.
  auto recorded = options_of_checkpoint(checkpoint);
  if (!recorded && !fs::exists(ini)) throw std::invalid_argument(ini.string() + " not found, and " + checkpoint + " does not record its options");
  auto c = recorded ? *recorded : *parse<TrainOptions>({"--config", ini.string()});
  c.device = o.device;
  std::vector<int64_t> chosen = o.class_list;
  if (chosen.empty())
    for (int64_t k = 0; k < c.n_classes; ++k) chosen.push_back(k);
  for (auto k : chosen)
    if (k < 0 || k >= c.n_classes)
      throw std::invalid_argument("--classes: " + std::to_string(k) + " is out of range [0, " +
                                  std::to_string(c.n_classes) + ")");
  std::vector<double> weights = o.weights.empty() ? std::vector<double>(chosen.size(), 1.0) : o.weights;
  if (weights.size() != chosen.size())
    throw std::invalid_argument("--shares has " + std::to_string(weights.size()) + " weights for " +
                                std::to_string(chosen.size()) + " classes");
  const fs::path target = o.out.empty() ? dir / "generated" : fs::path(o.out);
  // The images go to a fresh folder beside the target, which then replaces the target whole: an
  // earlier output is never mixed with this one, and a killed run leaves the old one intact.
  if (fs::exists(target) && !fs::is_empty(target) && !fs::exists(target / "labels.csv"))
    throw std::invalid_argument("--out " + target.string() + " holds files that aerogan generate did not write (no labels.csv): give an empty or new folder");
  gan::io::remove_stale_temporaries(target.has_parent_path() ? target.parent_path() : fs::path("."), target.filename().string());
  return with_trainer(c, [&](auto trainer) {
    trainer.load(checkpoint, true);
    const fs::path fresh = target.string() + gan::io::temporary_suffix();
    const std::vector<int64_t> labels = gan::data::interleaved_labels(chosen, weights, o.n);
    std::string csv = "filename,label\n";
    for (int64_t from = 0; from < o.n; from += o.batch) {
      const int64_t to = std::min(o.n, from + o.batch);
      auto y = at::tensor(std::vector<int64_t>(labels.begin() + from, labels.begin() + to), at::kLong);
      auto images = trainer.sample(y, gan::SampleOptions().truncation(o.truncation).batch_stats(o.batch_stats)).cpu();
      for (int64_t i = from; i < to; ++i) {
        std::ostringstream name;
        name << "gen_" << std::setw(6) << std::setfill('0') << i << "_c" << labels[size_t(i)] << ".png";
        gan::image::write_image(fresh / "images" / name.str(), images[i - from]);
        csv += "images/" + name.str() + "," + std::to_string(labels[size_t(i)]) + "\n";
      }
    }
    gan::io::write_file_atomically(fresh / "labels.csv", csv);
    gan::io::replace_folder(target, fresh);
    std::cout << "wrote " << o.n << " images from " << checkpoint << (trainer.has_ema() ? " (EMA weights)" : "")
              << " to " << (target / "images").string() << " and " << (target / "labels.csv").string() << "\n";
    return 0;
  });
}

}  // namespace aerogan
