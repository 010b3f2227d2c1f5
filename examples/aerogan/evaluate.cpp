// aerogan evaluate: the oversampling experiment. The source set is split train/val/test
// (stratified, 70/20/10 as the paper); a VGG classifier is trained on the train part as it is
// (the baseline), with extra positives up to a target positive share (GAN images, random
// duplicates, augmented copies) and with a class-weighted loss; each arm over several seeds.
// It is tested on the source's test part and on a target region's set. Writes results.csv
// (a row per arm, seed and test set), summary.csv (mean and std over seeds) and
// confusion.csv (summed over seeds).
#include "config.hpp"
#include "parallel.hpp"

#include <gan/data/split_file.hpp>
#include <gan/experiment/comparison_plot.hpp>
#include <gan/experiment/oversampling.hpp>

#include <chrono>
#include <iomanip>
#include <map>
#include <numeric>
#include <random>

namespace aerogan {

void EvaluateOptions::validate() {
  if (labels.empty()) throw std::invalid_argument("give --labels FILE.csv (the source set)");
  c.validate();
  dist.validate();
  one_of("select", select, {"best-val", "last"});
  if (seeds < 1) throw std::invalid_argument("--seeds must be >= 1, got " + std::to_string(seeds));
  if (resamples < 100) throw std::invalid_argument("--resamples must be >= 100, got " + std::to_string(resamples));
  if (!(share > 0 && share < 1)) throw std::invalid_argument("--target-share must be in (0, 1), got " + std::to_string(share));
  fractions = parse_split(split);
  if (resplit && !split_file.empty()) throw std::invalid_argument("--resplit and --split-file exclude each other: a split file is the one split");
  gans.clear();
  for (const auto& s : synthetic) {
    const auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == s.size())
      throw std::invalid_argument("--synthetic '" + s + "' is not NAME=CSV");
    for (const auto& [name, csv] : gans)
      if (name == s.substr(0, eq)) throw std::invalid_argument("--synthetic: the name '" + name + "' is given twice");
    gans.emplace_back(s.substr(0, eq), s.substr(eq + 1));
  }
  arm_names.clear();
  std::stringstream in(arms);
  for (std::string a; std::getline(in, a, ',');) {
    one_of("arms", a, {"baseline", "duplicate", "augment", "class-weight", "gan"});
    if (a == "gan" && gans.empty()) throw std::invalid_argument("--arms gan needs at least one --synthetic NAME=CSV");
    arm_names.push_back(a);
  }
  if (arm_names.empty()) throw std::invalid_argument("--arms is empty");
  if (positive < 0 || positive > 1)
    throw std::invalid_argument("--positive-class " + std::to_string(positive) + " is out of range [0, 2)");
}

int run(const EvaluateOptions& opts) {
  const auto& c = opts.c;
  const auto& [labels, data_dir, target_labels, target_data_dir, out, split_file] =
      std::tie(opts.labels, opts.data_dir, opts.target_labels, opts.target_data_dir, opts.out, opts.split_file);
  const int64_t positive = opts.positive, seeds = opts.seeds;
  const fs::path dir = out;
  if (opts.dist.launches()) return launch("evaluate", ini_of(opts), dir, opts.dist, opts.resplit ? std::vector<std::string>{"--resplit"} : std::vector<std::string>{});
  // Over the ranks of a group: each trains its share of the (seed, arm) runs; rank 0 writes.
  const auto group = join_group(opts.dist);
  const bool writes = !group || group->rank() == 0;
  const std::string who = group ? "rank " + std::to_string(group->rank()) + ": " : "";
  if (writes) gan::io::remove_stale_temporaries(dir);
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
  for (const auto& a : opts.arm_names) {
    if (a != "gan") {
      arms.push_back(gan::experiment::named_arm(a));
      continue;
    }
    for (const auto& [g, csv] : opts.gans) {
      // Their labels are the GAN's (clusters): every image counts as a positive here.
      int64_t top = 0;
      for (const auto& row : gan::data::read_labels_csv(csv)) top = std::max(top, row.label);
      const auto fake = load_set(csv, "", c.img_size, c.on_bad, dir / "cache", top + 1);
      arms.push_back(gan::experiment::synthetic_arm("gan:" + g, fake.images, csv));
    }
  }

  gan::experiment::ExperimentOptions o;
  o.fractions = opts.fractions;
  o.split_seed = opts.split_seed;
  o.resplit = opts.resplit;
  o.seeds = seeds;
  o.first_seed = opts.seed;
  o.target_share = opts.share;
  o.positive_class = positive;
  o.select_best_val = opts.select == "best-val";
  o.classifier = classifier_options(c, 0);
  o.make_classifier = [&] { return make_classifier(c, 2); };
  o.communicator = group;
  if (!split_file.empty()) {
    // The one split, from the file: every source row must be in it.
    try {
      o.parts = gan::data::parts_of(split_file, source.filenames);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string(e.what()) + " of " + labels);
    }
    std::cout << "split from " << split_file << ": " << o.parts[0].size() << " / " << o.parts[1].size() << " / "
              << o.parts[2].size() << "\n";
  }
  const auto y = source.labels;
  if (writes)
    std::cout << "source: " << y.size(0) << " images, " << y.eq(positive).sum().item<int64_t>() << " positive; target: "
            << (tests.empty() ? std::string("none") : std::to_string(tests[0].second.size()) + " images") << "\n";

  const auto t0 = std::chrono::steady_clock::now();
  const auto runs = gan::experiment::run_oversampling(
      {source.images, source.labels}, arms, tests, o, [&](const std::vector<gan::experiment::Run>& r, double secs) {
        std::cout << std::fixed << std::setprecision(3) << who << "seed " << r.front().seed << "  " << std::left << std::setw(16)
                  << r.front().arm << std::right << " train " << r.front().n_train << " (" << r.front().n_added << " added)";
        for (const auto& run : r) {
          if (run.set == "val") continue;
          const auto v = gan::experiment::run_metrics(run, positive);
          const auto at = [&](const char* m) { return v[gan::experiment::metric_index(m)]; };
          std::cout << "  " << run.set << " recall " << at("recall") << " precision " << at("precision") << " AP "
                    << at("average_precision");
        }
        std::cout << "  (" << secs << " s)" << std::defaultfloat << std::endl;
      });
  if (!writes) return 0;
  // results.csv: every run; summary.csv: mean and std over seeds; confusion.csv: summed.
  gan::experiment::write_results(dir / "results.csv", runs, positive);
  gan::experiment::confusion(runs, positive).write(dir / "confusion.csv");
  gan::experiment::summarise(runs, positive).write(dir / "summary.csv");
  const double train_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // comparison.csv: every arm against the baseline and duplication, paired by seed and tile.
  const auto t1 = std::chrono::steady_clock::now();
  gan::experiment::ComparisonOptions co;
  co.resamples = opts.resamples;
  co.seed = opts.seed;
  co.positive_class = positive;
  const auto comparison = gan::experiment::compare(runs, co);
  comparison.write(dir / "comparison.csv");
  const auto plots = gan::experiment::write_comparison_plots(dir, comparison);
  const std::string reference = comparison.rows.empty() ? std::string() : comparison.rows.front().reference;
  for (const auto& row : comparison.rows)
    if (row.set != "val" && row.reference == reference &&
        (row.metric == "recall" || row.metric == "average_precision"))
      std::cout << std::left << std::setw(16) << row.arm << std::right << " - " << row.reference << "  " << row.set << " "
                << row.metric << " " << std::showpos << std::fixed << std::setprecision(3) << row.difference << " ["
                << row.low << ", " << row.high << "]" << std::noshowpos << (row.significant() ? "  significant" : "")
                << std::defaultfloat << "\n";
  std::cout << "evaluated " << arms.size() << " arms x " << seeds << " seeds in " << std::setprecision(1) << std::fixed
            << train_s << " s, compared them (" << opts.resamples << " resamples) in "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count() << " s; wrote "
            << (dir / "summary.csv").string() << ", comparison.csv, results.csv, confusion.csv and " << plots.size()
            << " comparison plot(s)\n";
  return 0;
}

}  // namespace aerogan
