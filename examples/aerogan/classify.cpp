// aerogan classify: trains or fine-tunes a VGG classifier on a folder and a CSV with a
// stratified train/val/test split, reports accuracy, precision, recall and F1 on val and
// test, and exports the flattened output of the last conv block (the paper's features) of
// every image, with its file name, for `aerogan cluster`.
#include "config.hpp"

#include <gan/data/image_folder.hpp>
#include <gan/data/split.hpp>
#include <gan/io/features_file.hpp>
#include <gan/io/pth_tensor.hpp>
#include <gan/nn/vgg.hpp>
#include <gan/train/classifier.hpp>

#include <iomanip>

namespace aerogan {

int run_classify(const std::vector<std::string>& args) {
  std::string labels, data_dir, out = "out", name = "classifier", weights, split = "0.7,0.2,0.1",
              device = "cpu", on_bad = "error", layer = "features";
  int64_t img_size = 64, depth = 11, epochs = 10, batch = 32, freeze = -1;
  double lr = 1e-4;
  bool batch_norm = false, augment = true;
  uint64_t seed = 0;
  po::options_description desc("aerogan classify: train a VGG classifier and export its features");
  desc.add_options()("help,h", "this help")
      ("labels", po::value(&labels), "CSV of filename,label")
      ("data-dir", po::value(&data_dir), "folder the CSV's file names are relative to (default: the CSV's folder)")
      ("out", po::value(&out)->default_value(out), "output root")
      ("model-name", po::value(&name)->default_value(name), "output goes to OUT/MODEL_NAME")
      ("img-size", po::value(&img_size)->default_value(img_size), "input size (>= 32)")
      ("depth", po::value(&depth)->default_value(depth), "VGG depth: 11 or 16")
      ("batch-norm", po::bool_switch(&batch_norm), "the _bn variant")
      ("weights", po::value(&weights), "torchvision ImageNet weights (.pth), e.g. vgg16-397923af.pth; the head is replaced")
      ("freeze", po::value(&freeze)->default_value(freeze), "conv layers to freeze (-1: 4 with --weights, as the paper, else 0)")
      ("epochs", po::value(&epochs)->default_value(epochs), "training epochs")
      ("batch-size", po::value(&batch)->default_value(batch), "batch size")
      ("lr", po::value(&lr)->default_value(lr), "Adam learning rate")
      ("augment", po::value(&augment)->default_value(augment), "flips and 90-degree rotations")
      ("split", po::value(&split)->default_value(split), "stratified train,val,test fractions")
      ("seed", po::value(&seed)->default_value(seed), "seed")
      ("device", po::value(&device)->default_value(device), "cpu | cuda")
      ("on-bad-image", po::value(&on_bad)->default_value(on_bad), "error | skip")
      ("layer", po::value(&layer)->default_value(layer), "layer whose flattened output is exported: features (the last conv block, as the paper), avgpool, classifier.N");
  po::variables_map vm;
  if (!parse_or_help(args, desc, vm)) return 0;
  if (labels.empty()) throw std::invalid_argument("give --labels FILE.csv");
  if (data_dir.empty()) data_dir = fs::path(labels).parent_path().string();
  if (epochs < 0 || batch <= 0) throw std::invalid_argument("--epochs must be >= 0 and --batch-size > 0");
  if (device != "cpu" && device != "cuda") throw std::invalid_argument("--device '" + device + "' is not cpu or cuda");
  if (on_bad != "error" && on_bad != "skip") throw std::invalid_argument("--on-bad-image '" + on_bad + "' is not error or skip");
  std::vector<double> fractions;
  {
    std::stringstream s(split);
    for (std::string f; std::getline(s, f, ',');) fractions.push_back(std::stod(f));
    if (fractions.size() != 3) throw std::invalid_argument("--split needs three fractions, got '" + split + "'");
  }

  gan::data::ImageFolderOptions d;
  d.data_dir = data_dir;
  d.labels = labels;
  d.image_size = img_size;
  d.on_bad = on_bad == "skip" ? gan::data::OnBad::skip : gan::data::OnBad::error;
  d.cache_dir = fs::path(out) / "cache";
  const auto data = gan::data::load_image_folder(d);
  const int64_t classes = data.num_classes;
  std::vector<int64_t> y(data.labels.data_ptr<int64_t>(), data.labels.data_ptr<int64_t>() + data.labels.numel());
  const auto parts = gan::data::stratified_split(y, fractions, seed);
  auto subset = [&](const std::vector<int64_t>& idx) {
    auto i = at::tensor(idx, at::kLong);
    return std::pair{data.images.index_select(0, i), data.labels.index_select(0, i)};
  };
  auto [train_x, train_y] = subset(parts[0]);
  auto [val_x, val_y] = subset(parts[1]);
  auto [test_x, test_y] = subset(parts[2]);
  std::cout << "dataset: " << data.images.size(0) << " images, " << classes << " classes; split "
            << parts[0].size() << " / " << parts[1].size() << " / " << parts[2].size() << "\n";

  torch::manual_seed(seed);
  gan::nn::Vgg vgg(gan::nn::VggOptions(depth).batch_norm(batch_norm).num_classes(1000));
  if (!weights.empty()) {
    gan::io::load_into(*vgg, weights, /*strict=*/true);
    std::cout << "loaded ImageNet weights from " << weights << "\n";
  }
  vgg->replace_head(classes);
  vgg->freeze_convs(freeze >= 0 ? freeze : (weights.empty() ? 0 : 4));
  const auto opts = gan::ClassifierOptions()
                        .epochs(epochs)
                        .batch_size(batch)
                        .lr(lr)
                        .augment(augment)
                        .seed(seed)
                        .device(device == "cuda" ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU))
                        .imagenet_normalize(!weights.empty());
  gan::train_classifier(vgg, train_x, train_y, opts, [&](int64_t e, double loss) {
    std::cout << "epoch " << e + 1 << "/" << epochs << "  loss " << loss << std::endl;
  });

  const auto dir = fs::path(out) / name;
  std::ostringstream report;
  report << std::fixed << std::setprecision(4) << "split,accuracy,precision,recall,f1,balanced_accuracy,support\n";
  for (auto [part, x, t] : {std::tuple{"val", val_x, val_y}, std::tuple{"test", test_x, test_y}}) {
    if (x.size(0) == 0) continue;
    const auto r = gan::metrics::report(gan::evaluate_classifier(vgg, x, t, classes, opts));
    report << part << ',' << r.accuracy << ',' << r.precision << ',' << r.recall << ',' << r.f1 << ','
           << r.balanced_accuracy << ',' << r.support << '\n';
  }
  std::cout << report.str();
  gan::io::write_file_atomically(dir / "metrics.csv", report.str());
  torch::serialize::OutputArchive a;
  vgg->save(a);
  gan::io::write_atomically(dir / "classifier.pt", [&](const std::string& tmp) { a.save_to(tmp); });

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
