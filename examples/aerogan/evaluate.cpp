// aerogan evaluate: the oversampling experiment. The source set is split train/val/test
// (stratified, 70/20/10 as the paper); a VGG classifier is trained on the train part as it is
// (the baseline), with extra positives up to a target positive share (GAN images, random
// duplicates, augmented copies) and with a class-weighted loss; each arm over several seeds.
// It is tested on the source's test part and on a target region's set. Writes results.csv
// (a row per arm, seed and test set), summary.csv (mean and std over seeds) and
// confusion.csv (summed over seeds).
#include "config.hpp"

#include <gan/data/oversample.hpp>
#include <gan/data/split_file.hpp>

#include <chrono>
#include <iomanip>
#include <map>
#include <numeric>
#include <random>

namespace aerogan {

namespace {

struct Arm {
  std::string name;       // baseline | duplicate | augment | class-weight | gan:NAME
  std::string synthetic;  // the CSV of a GAN arm
};

struct Row {
  std::string arm, set;
  uint64_t seed;
  int64_t n_train, n_extra;
  double share;  // positive share of the training set
  gan::metrics::ConfusionMatrix m;
};

}  // namespace

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

  std::vector<Arm> arms;
  std::map<std::string, std::string> gans;  // name -> CSV, in the order given
  std::vector<std::string> gan_order;
  for (const auto& s : synthetic) {
    const auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == s.size())
      throw std::invalid_argument("--synthetic '" + s + "' is not NAME=CSV");
    if (!gans.emplace(s.substr(0, eq), s.substr(eq + 1)).second)
      throw std::invalid_argument("--synthetic: the name '" + s.substr(0, eq) + "' is given twice");
    gan_order.push_back(s.substr(0, eq));
  }
  {
    std::stringstream in(arms_s);
    for (std::string a; std::getline(in, a, ',');) {
      one_of("arms", a, {"baseline", "duplicate", "augment", "class-weight", "gan"});
      if (a != "gan") {
        arms.push_back({a, ""});
      } else {
        if (gan_order.empty()) throw std::invalid_argument("--arms gan needs at least one --synthetic NAME=CSV");
        for (const auto& g : gan_order) arms.push_back({"gan:" + g, gans[g]});
      }
    }
  }
  if (arms.empty()) throw std::invalid_argument("--arms is empty");

  const fs::path dir = out;
  const auto source = load_set(labels, data_dir, c.img_size, c.on_bad, dir / "cache");
  if (source.num_classes != 2)
    throw std::invalid_argument(labels + ": the oversampling experiment needs 2 classes, the CSV has " +
                                std::to_string(source.num_classes));
  if (positive < 0 || positive > 1)
    throw std::invalid_argument("--positive-class " + std::to_string(positive) + " is out of range [0, 2)");
  gan::data::ImageFolder target;
  if (!target_labels.empty()) target = load_set(target_labels, target_data_dir, c.img_size, c.on_bad, dir / "cache", 2);
  std::map<std::string, gan::data::ImageFolder> fakes;
  for (const auto& [name, csv] : gans) {
    // Their labels are the GAN's (clusters): every image counts as a positive here.
    int64_t top = 0;
    for (const auto& row : gan::data::read_labels_csv(csv)) top = std::max(top, row.label);
    fakes[name] = load_set(csv, "", c.img_size, c.on_bad, dir / "cache", top + 1);
  }

  std::vector<int64_t> y(source.labels.data_ptr<int64_t>(), source.labels.data_ptr<int64_t>() + source.labels.numel());
  std::cout << "source: " << y.size() << " images, "
            << std::count(y.begin(), y.end(), positive) << " positive; target: "
            << (target.images.defined() ? std::to_string(target.images.size(0)) + " images" : "none") << "\n";

  // The one split: from the file, or made once; --resplit makes one per seed.
  std::vector<std::vector<int64_t>> fixed_parts;
  if (!split_file.empty()) {
    std::map<std::string, size_t> part_of;
    for (const auto& row : gan::data::read_split_csv(split_file)) {
      const auto at = std::find(gan::data::split_parts().begin(), gan::data::split_parts().end(), row.part);
      part_of[row.filename] = size_t(at - gan::data::split_parts().begin());
    }
    fixed_parts.resize(3);
    for (size_t i = 0; i < source.filenames.size(); ++i) {
      const auto it = part_of.find(source.filenames[i]);
      if (it == part_of.end())
        throw std::invalid_argument(split_file + " has no row for '" + source.filenames[i] + "' of " + labels);
      fixed_parts[it->second].push_back(int64_t(i));
    }
    std::cout << "split from " << split_file << ": " << fixed_parts[0].size() << " / " << fixed_parts[1].size() << " / "
              << fixed_parts[2].size() << "\n";
  } else if (!resplit) {
    fixed_parts = gan::data::stratified_split(y, fractions, split_seed);
  }

  std::vector<Row> rows;
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t r = 0; r < seeds; ++r) {
    const uint64_t seed = seed0 + uint64_t(r);
    const auto parts = resplit ? gan::data::stratified_split(y, fractions, seed) : fixed_parts;
    auto [train_x, train_y] = subset(source, parts[0]);
    std::vector<std::tuple<std::string, at::Tensor, at::Tensor>> sets;
    for (auto [set, part] : {std::pair{"val", 1}, std::pair{"source-test", 2}}) {
      auto [sx, sy] = subset(source, parts[size_t(part)]);
      sets.emplace_back(set, sx, sy);
    }
    if (target.images.defined()) sets.emplace_back("target", target.images, target.labels);
    std::vector<int64_t> pos_idx;
    for (auto i : parts[0])
      if (y[size_t(i)] == positive) pos_idx.push_back(i);
    const int64_t n_train = int64_t(parts[0].size());
    const int64_t k = gan::data::extra_needed(n_train, int64_t(pos_idx.size()), share);
    for (const auto& arm : arms) {
      at::Tensor x = train_x, t = train_y;
      int64_t extra = 0;
      auto opts = classifier_options(c, seed);
      auto add = [&](const at::Tensor& images) {
        extra = images.size(0);
        x = at::cat({train_x, images});
        t = at::cat({train_y, at::full({extra}, positive, at::kLong)});
      };
      if (arm.name == "duplicate") {
        add(source.images.index_select(0, at::tensor(gan::data::draw_with_replacement(pos_idx, k, seed), at::kLong)));
      } else if (arm.name == "augment") {
        add(gan::data::augmented_copies(source.images.index_select(0, at::tensor(pos_idx, at::kLong)), k, seed));
      } else if (arm.name == "class-weight") {
        std::vector<int64_t> ty(train_y.data_ptr<int64_t>(), train_y.data_ptr<int64_t>() + train_y.numel());
        opts.class_weights(gan::data::balanced_class_weights(ty, 2));
      } else if (!arm.synthetic.empty()) {
        const auto& f = fakes.at(arm.name.substr(4));
        if (f.images.size(0) < k)
          throw std::invalid_argument(arm.synthetic + " has " + std::to_string(f.images.size(0)) +
                                      " images; a positive share of " + std::to_string(share) + " needs " +
                                      std::to_string(k) + " (generate more)");
        // k of them, drawn without replacement, differently for every seed.
        std::vector<int64_t> order(static_cast<size_t>(f.images.size(0)));
        std::iota(order.begin(), order.end(), 0);
        std::mt19937_64 rng(seed);
        for (size_t i = 0; i < size_t(k); ++i) std::swap(order[i], order[i + size_t(rng() % (order.size() - i))]);
        order.resize(size_t(k));
        add(f.images.index_select(0, at::tensor(order, at::kLong)));
      }
      torch::manual_seed(seed);
      auto vgg = make_classifier(c, 2, false);
      const auto start = std::chrono::steady_clock::now();
      const auto& [vname, val_x, val_y] = sets[0];
      if (select == "best-val" && val_x.size(0) > 0)
        gan::train_classifier_best(vgg, x, t, val_x, val_y, 2, opts);
      else
        gan::train_classifier(vgg, x, t, opts);
      std::cout << std::fixed << std::setprecision(3) << "seed " << seed << "  " << std::left << std::setw(16)
                << arm.name << std::right << " train " << x.size(0) << " (" << extra << " added)";
      for (auto& [set, sx, sy] : sets) {
        if (sx.size(0) == 0) continue;
        const double train_share = t.eq(positive).sum().item<double>() / double(t.size(0));
        rows.push_back({arm.name, set, seed, x.size(0), extra, train_share, gan::evaluate_classifier(vgg, sx, sy, 2, opts)});
        const auto rep = gan::metrics::report(rows.back().m, positive);
        if (set != "val") std::cout << "  " << set << " recall " << rep.recall << " precision " << rep.precision;
      }
      std::cout << "  (" << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() << " s)"
                << std::defaultfloat << std::endl;
    }
  }

  // results.csv: every run; summary.csv: mean and std over seeds; confusion.csv: summed.
  std::ostringstream res, sum, conf;
  res << std::setprecision(6) << "arm,seed,set,n_train,n_added,train_positive_share,accuracy,precision,recall,f1,balanced_accuracy,tn,fp,fn,tp\n";
  auto cell = [&](const gan::metrics::ConfusionMatrix& m, int64_t t, int64_t p) {
    return m.counts[size_t(t == 1 ? positive : 1 - positive)][size_t(p == 1 ? positive : 1 - positive)];
  };
  for (const auto& row : rows) {
    const auto r = gan::metrics::report(row.m, positive);
    res << row.arm << ',' << row.seed << ',' << row.set << ',' << row.n_train << ',' << row.n_extra << ',' << row.share << ','
        << r.accuracy << ',' << r.precision << ',' << r.recall << ',' << r.f1 << ',' << r.balanced_accuracy << ','
        << cell(row.m, 0, 0) << ',' << cell(row.m, 0, 1) << ',' << cell(row.m, 1, 0) << ',' << cell(row.m, 1, 1) << '\n';
  }
  sum << std::setprecision(6) << "arm,set,seeds,n_train,n_added";
  for (auto m : {"accuracy", "precision", "recall", "f1", "balanced_accuracy"}) sum << ',' << m << "_mean," << m << "_std";
  sum << '\n';
  conf << "arm,set,tn,fp,fn,tp\n";
  for (const auto& arm : arms)
    for (std::string set : {"val", "source-test", "target"}) {
      std::vector<double> v[5];
      gan::metrics::ConfusionMatrix total(2);
      int64_t n_train = 0, n_extra = 0;
      for (const auto& row : rows) {
        if (row.arm != arm.name || row.set != set) continue;
        const auto r = gan::metrics::report(row.m, positive);
        for (int64_t a = 0; a < 2; ++a)
          for (int64_t b = 0; b < 2; ++b) total.counts[size_t(a)][size_t(b)] += row.m.counts[size_t(a)][size_t(b)];
        v[0].push_back(r.accuracy), v[1].push_back(r.precision), v[2].push_back(r.recall);
        v[3].push_back(r.f1), v[4].push_back(r.balanced_accuracy);
        n_train = row.n_train, n_extra = row.n_extra;
      }
      if (v[0].empty()) continue;
      sum << arm.name << ',' << set << ',' << v[0].size() << ',' << n_train << ',' << n_extra;
      for (const auto& m : v) {
        const auto ms = gan::metrics::mean_std(m);
        sum << ',' << ms.mean << ',' << ms.std;
      }
      sum << '\n';
      conf << arm.name << ',' << set << ',' << cell(total, 0, 0) << ',' << cell(total, 0, 1) << ','
           << cell(total, 1, 0) << ',' << cell(total, 1, 1) << '\n';
    }
  gan::io::write_file_atomically(dir / "results.csv", res.str());
  gan::io::write_file_atomically(dir / "confusion.csv", conf.str());
  gan::io::write_file_atomically(dir / "summary.csv", sum.str());
  std::cout << "evaluated " << arms.size() << " arms x " << seeds << " seeds in "
            << std::setprecision(1) << std::fixed
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s; wrote "
            << (dir / "summary.csv").string() << ", results.csv and confusion.csv\n";
  return 0;
}

}  // namespace aerogan
