// aerogan evaluate: the oversampling experiment. The source set is split train/val/test
// (stratified, 70/20/10 as the paper); a VGG classifier is trained on the train part as it is
// (the baseline), with extra positives up to a target positive share (GAN images, random
// duplicates, augmented copies) and with a class-weighted loss; each arm over several seeds.
// It is tested on the source's test part and on a target region's set. Writes results.csv
// (a row per arm, seed and test set), summary.csv (mean and std over seeds) and
// confusion.csv (summed over seeds).
#include "config.hpp"

#include <gan/data/split_file.hpp>
#include <gan/experiment/oversampling.hpp>

#include <chrono>
#include <iomanip>
#include <map>
#include <numeric>
#include <random>

namespace aerogan {

int run_evaluate(const std::vector<std::string>& args) {
  std::string labels, data_dir, target_labels, target_data_dir, out = "out/evaluate", split = "0.7,0.2,0.1",
                                                                  arms_s = "baseline,duplicate,augment,class-weight,gan";
  std::vector<std::string> synthetic;
  int64_t seeds = 3, positive = 1;
  uint64_t seed0 = 0;
  double share = 0.35;
  std::string select = "best-val", split_file;
  bool resplit = false;
  uint64_t split_seed = 0;
  ClassifierConfig c;
  c.epochs = 10;
  po::options_description desc(
      "aerogan evaluate: does adding synthetic positives raise a classifier's recall? "
      "(baseline, GAN images, duplication, augmentation, class weights; over seeds)");
  desc.add_options()("help,h", "this help")
      ("labels", po::value(&labels), "source CSV of filename,label (0/1)")
      ("data-dir", po::value(&data_dir), "folder of the source CSV's files (default: the CSV's folder)")
      ("target-labels", po::value(&target_labels), "CSV of another region's set, tested on as a whole (optional)")
      ("target-data-dir", po::value(&target_data_dir), "folder of the target CSV's files (default: its folder)")
      ("synthetic", po::value(&synthetic)->composing(), "NAME=CSV: generated images of a GAN (every one counted as a positive); repeat for several GANs")
      ("arms", po::value(&arms_s)->default_value(arms_s), "what to compare: baseline, duplicate, augment, class-weight, gan (one arm per --synthetic)")
      ("target-share", po::value(&share)->default_value(share), "positive share of the training part after oversampling (the paper: 0.35)")
      ("seeds", po::value(&seeds)->default_value(seeds), "repetitions of every arm: the classifier's initial weights and data order change, the split stays (see --resplit)")
      ("seed", po::value(&seed0)->default_value(seed0), "first seed")
      ("split", po::value(&split)->default_value(split), "stratified train,val,test fractions of the source (without --split-file)")
      ("split-file", po::value(&split_file), "split.csv (filename,label,part; aerogan split): the one split of the source, as the pipeline makes it before any GAN sees the data")
      ("split-seed", po::value(&split_seed)->default_value(split_seed), "seed of the one split (without --split-file)")
      ("resplit", po::bool_switch(&resplit), "a new stratified split for every seed (the old behaviour; a GAN trained on the whole source then sees test tiles). The paper made one 70/20/10 split and repeated the training 3 times")
      ("positive-class", po::value(&positive)->default_value(positive), "the rare class")
      ("select", po::value(&select)->default_value(select), "best-val (keep the epoch with the best balanced accuracy on the validation split) | last")
      ("out", po::value(&out)->default_value(out), "output folder");
  add_classifier_options(desc, c);
  po::variables_map vm;
  if (!parse_or_help(args, desc, vm)) return 0;
  if (labels.empty()) throw std::invalid_argument("give --labels FILE.csv (the source set)");
  check(c);
  one_of("select", select, {"best-val", "last"});
  if (seeds < 1) throw std::invalid_argument("--seeds must be >= 1, got " + std::to_string(seeds));
  if (!(share > 0 && share < 1)) throw std::invalid_argument("--target-share must be in (0, 1), got " + std::to_string(share));
  const auto fractions = parse_split(split);
  if (resplit && !split_file.empty()) throw std::invalid_argument("--resplit and --split-file exclude each other: a split file is the one split");

  std::map<std::string, std::string> gans;  // name -> CSV
  std::vector<std::string> gan_order;      // in the order given
  for (const auto& s : synthetic) {
    const auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == s.size())
      throw std::invalid_argument("--synthetic '" + s + "' is not NAME=CSV");
    if (!gans.emplace(s.substr(0, eq), s.substr(eq + 1)).second)
      throw std::invalid_argument("--synthetic: the name '" + s.substr(0, eq) + "' is given twice");
    gan_order.push_back(s.substr(0, eq));
  }
  std::vector<std::string> arm_names;
  {
    std::stringstream in(arms_s);
    for (std::string a; std::getline(in, a, ',');) {
      one_of("arms", a, {"baseline", "duplicate", "augment", "class-weight", "gan"});
      if (a == "gan" && gan_order.empty()) throw std::invalid_argument("--arms gan needs at least one --synthetic NAME=CSV");
      arm_names.push_back(a);
    }
  }
  if (arm_names.empty()) throw std::invalid_argument("--arms is empty");
  if (positive < 0 || positive > 1)
    throw std::invalid_argument("--positive-class " + std::to_string(positive) + " is out of range [0, 2)");

  const fs::path dir = out;
  const auto source = load_set(labels, data_dir, c.img_size, c.on_bad, dir / "cache");
  if (source.num_classes != 2)
    throw std::invalid_argument(labels + ": the oversampling experiment needs 2 classes, the CSV has " +
                                std::to_string(source.num_classes));
  std::vector<std::pair<std::string, gan::experiment::LabelledSet>> tests;
  if (!target_labels.empty()) {
    const auto target = load_set(target_labels, target_data_dir, c.img_size, c.on_bad, dir / "cache", 2);
    tests.emplace_back("target", gan::experiment::LabelledSet{target.images, target.labels});
  }
  std::vector<gan::experiment::Arm> arms;
  for (const auto& a : arm_names) {
    if (a != "gan") {
      arms.push_back(gan::experiment::named_arm(a));
      continue;
    }
    for (const auto& g : gan_order) {
      // Their labels are the GAN's (clusters): every image counts as a positive here.
      int64_t top = 0;
      for (const auto& row : gan::data::read_labels_csv(gans[g])) top = std::max(top, row.label);
      const auto fake = load_set(gans[g], "", c.img_size, c.on_bad, dir / "cache", top + 1);
      arms.push_back(gan::experiment::synthetic_arm("gan:" + g, fake.images, gans[g]));
    }
  }

  gan::experiment::ExperimentOptions o;
  o.fractions = fractions;
  o.split_seed = split_seed;
  o.resplit = resplit;
  o.seeds = seeds;
  o.first_seed = seed0;
  o.target_share = share;
  o.positive_class = positive;
  o.select_best_val = select == "best-val";
  o.classifier = classifier_options(c, 0);
  o.make_classifier = [&] { return make_classifier(c, 2, false); };
  if (!split_file.empty()) {
    // The one split, from the file: every source row must be in it.
    std::map<std::string, size_t> part_of;
    for (const auto& row : gan::data::read_split_csv(split_file)) {
      const auto at = std::find(gan::data::split_parts().begin(), gan::data::split_parts().end(), row.part);
      part_of[row.filename] = size_t(at - gan::data::split_parts().begin());
    }
    o.parts.resize(3);
    for (size_t i = 0; i < source.filenames.size(); ++i) {
      const auto it = part_of.find(source.filenames[i]);
      if (it == part_of.end())
        throw std::invalid_argument(split_file + " has no row for '" + source.filenames[i] + "' of " + labels);
      o.parts[it->second].push_back(int64_t(i));
    }
    std::cout << "split from " << split_file << ": " << o.parts[0].size() << " / " << o.parts[1].size() << " / "
              << o.parts[2].size() << "\n";
  }
  const auto y = source.labels;
  std::cout << "source: " << y.size(0) << " images, " << y.eq(positive).sum().item<int64_t>() << " positive; target: "
            << (tests.empty() ? std::string("none") : std::to_string(tests[0].second.size()) + " images") << "\n";

  const auto t0 = std::chrono::steady_clock::now();
  const auto runs = gan::experiment::run_oversampling(
      {source.images, source.labels}, arms, tests, o, [&](const std::vector<gan::experiment::Run>& r, double secs) {
        std::cout << std::fixed << std::setprecision(3) << "seed " << r.front().seed << "  " << std::left << std::setw(16)
                  << r.front().arm << std::right << " train " << r.front().n_train << " (" << r.front().n_added << " added)";
        for (const auto& run : r) {
          if (run.set == "val") continue;
          const auto rep = gan::metrics::report(run.m, positive);
          std::cout << "  " << run.set << " recall " << rep.recall << " precision " << rep.precision;
        }
        std::cout << "  (" << secs << " s)" << std::defaultfloat << std::endl;
      });
  // results.csv: every run; summary.csv: mean and std over seeds; confusion.csv: summed.
  gan::experiment::write_results(dir / "results.csv", runs, positive);
  gan::experiment::confusion(runs, positive).write(dir / "confusion.csv");
  gan::experiment::summarise(runs, positive).write(dir / "summary.csv");
  std::cout << "evaluated " << arms.size() << " arms x " << seeds << " seeds in "
            << std::setprecision(1) << std::fixed
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s; wrote "
            << (dir / "summary.csv").string() << ", results.csv and confusion.csv\n";
  return 0;
}

}  // namespace aerogan
