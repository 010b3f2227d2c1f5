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
  std::string labels, data_dir, out = "out", name = "classifier", split = "0.7,0.2,0.1", layer = "features";
  uint64_t seed = 0;
  ClassifierConfig c;
  po::options_description desc("aerogan classify: train a VGG classifier and export its features");
  desc.add_options()("help,h", "this help")
      ("labels", po::value(&labels), "CSV of filename,label")
      ("data-dir", po::value(&data_dir), "folder the CSV's file names are relative to (default: the CSV's folder)")
      ("out", po::value(&out)->default_value(out), "output root")
      ("model-name", po::value(&name)->default_value(name), "output goes to OUT/MODEL_NAME")
      ("split", po::value(&split)->default_value(split), "stratified train,val,test fractions")
      ("seed", po::value(&seed)->default_value(seed), "seed")
      ("layer", po::value(&layer)->default_value(layer), "layer whose flattened output is exported: features (the last conv block, as the paper), avgpool, classifier.N");
  add_classifier_options(desc, c);
  po::variables_map vm;
  if (!parse_or_help(args, desc, vm)) return 0;
  if (labels.empty()) throw std::invalid_argument("give --labels FILE.csv");
  check(c);
  const auto fractions = parse_split(split);

  const auto data = load_set(labels, data_dir, c.img_size, c.on_bad, fs::path(out) / "cache");
  const int64_t classes = data.num_classes;
  std::vector<int64_t> y(data.labels.data_ptr<int64_t>(), data.labels.data_ptr<int64_t>() + data.labels.numel());
  const auto parts = gan::data::stratified_split(y, fractions, seed);
  auto [train_x, train_y] = subset(data, parts[0]);
  auto [val_x, val_y] = subset(data, parts[1]);
  auto [test_x, test_y] = subset(data, parts[2]);
  std::cout << "dataset: " << data.images.size(0) << " images, " << classes << " classes; split "
            << parts[0].size() << " / " << parts[1].size() << " / " << parts[2].size() << "\n";

  torch::manual_seed(seed);
  auto vgg = make_classifier(c, classes);
  const auto opts = classifier_options(c, seed);
  gan::train_classifier(vgg, train_x, train_y, opts, [&](int64_t e, double loss) {
    std::cout << "epoch " << e + 1 << "/" << c.epochs << "  loss " << loss << std::endl;
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
  gan::io::write_file_atomically(dir / "classifier.ini", classifier_ini(c, classes));

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
