// aerogan classify: trains or fine-tunes a VGG classifier on a folder and a CSV with a
// stratified train/val/test split, reports accuracy, precision, recall and F1 on val and
// test, and exports the flattened output of the last conv block (the paper's features) of
// every image, with its file name, for `aerogan cluster`.
#include "config.hpp"
#include "parallel.hpp"

#include <gan/data/image_folder.hpp>
#include <gan/data/split.hpp>
#include <gan/io/features_file.hpp>
#include <gan/io/pth_tensor.hpp>
#include <gan/nn/vgg.hpp>
#include <gan/train/classifier.hpp>

#include <iomanip>

namespace aerogan {

void ClassifyOptions::validate() {
  if (labels.empty()) throw std::invalid_argument("give --labels FILE.csv");
  c.validate();
  dist.validate();
  fractions = parse_split(split);
}

int run(const ClassifyOptions& o) {
  const auto& c = o.c;
  const auto& [labels, data_dir, out, name, layer, seed] = std::tie(o.labels, o.data_dir, o.out, o.model_name, o.layer, o.seed);
  const auto& fractions = o.fractions;
  if (o.dist.launches()) return launch("classify", ini_of(o), fs::path(out) / name, o.dist);
  // Data parallel: every rank trains on its rows of each batch; rank 0 alone evaluates and writes.
  const auto group = join_group(o.dist);
  const bool writes = !group || group->rank() == 0;
  const auto data = load_set(labels, data_dir, c.img_size, c.on_bad, fs::path(out) / "cache");
  const int64_t classes = data.num_classes;
  std::vector<int64_t> y(data.labels.data_ptr<int64_t>(), data.labels.data_ptr<int64_t>() + data.labels.numel());
  const auto parts = gan::data::stratified_split(y, fractions, seed);
  auto [train_x, train_y] = subset(data, parts[0]);
  auto [val_x, val_y] = subset(data, parts[1]);
  auto [test_x, test_y] = subset(data, parts[2]);
  if (writes)
    std::cout << "dataset: " << data.images.size(0) << " images, " << classes << " classes; split "
              << parts[0].size() << " / " << parts[1].size() << " / " << parts[2].size()
              << (group ? "; " + std::to_string(group->world_size()) + " processes, batch " + std::to_string(c.batch) + " each" : std::string())
              << "\n";

  torch::manual_seed(seed);
  auto vgg = make_classifier(c, classes);
  if (!c.weights.empty() && writes) std::cout << "loaded ImageNet weights from " << c.weights << "\n";
  const auto opts = classifier_options(c, seed).communicator(group);
  gan::train_classifier(vgg, train_x, train_y, opts, [&](int64_t e, double loss) {
    if (writes) std::cout << "epoch " << e + 1 << "/" << c.epochs << "  loss " << loss << std::endl;
  });
  if (!writes) return 0;

  const auto dir = fs::path(out) / name;
  gan::ClassifierMetrics metrics;
  for (auto [part, x, t] : {std::tuple{"val", val_x, val_y}, std::tuple{"test", test_x, test_y}})
    if (x.size(0) > 0) metrics.rows.push_back({part, gan::metrics::report(gan::evaluate_classifier(vgg, x, t, classes, opts))});
  std::cout << metrics.text();
  metrics.write(dir / "metrics.csv");
  gan::save_classifier(dir, vgg,
                       {gan::nn::VggOptions(c.depth).batch_norm(c.batch_norm).width(c.width).hidden(c.hidden).pool(c.pool),
                        c.img_size, !c.weights.empty()});

  std::vector<at::Tensor> rows;
  gan::for_each_eval_batch(vgg, data.images, opts, [&](int64_t, const at::Tensor& x) {
    rows.push_back(vgg->layer_output(x, layer).cpu());
  });
  gan::io::Features f{at::cat(rows), data.labels, data.filenames, layer};
  gan::io::save_features(dir / "features.pt", f);
  std::cout << "wrote " << (dir / "metrics.csv").string() << ", " << (dir / "classifier.pt").string()
            << " and " << (dir / "features.pt").string() << " (" << f.values.size(0) << " x "
            << f.values.size(1) << ")\n";
  return 0;
}

}  // namespace aerogan
