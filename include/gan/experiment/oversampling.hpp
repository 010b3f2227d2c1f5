#pragma once
/// @file
/// The oversampling experiment of Belderbos et al. (ICPRAI 2022) as library calls: does adding
/// positives (a GAN's images, duplicates, augmented copies) or weighting the loss raise a
/// classifier's recall of the rare class, on the source's test part and on another region?
/// Every arm runs on the same split and the same seeds; a seed sets the classifier's initial
/// weights and data order.
///
/// The arms are an open set: an `Arm` is a name and a function from the training part to the
/// set to train on. `baseline_arm()`, `duplicate_arm()`, `augment_arm()`, `class_weight_arm()`
/// and `synthetic_arm(name, images)` are the paper's and the plain baselines; write your own the
/// same way.
///
/// ```cpp
/// gan::experiment::ExperimentOptions o;
/// o.make_classifier = [] { return gan::nn::Vgg(gan::nn::VggOptions(11).num_classes(2)); };
/// auto arms = gan::experiment::standard_arms();
/// arms.push_back(gan::experiment::synthetic_arm("gan:mine", fake_images));
/// auto runs = gan::experiment::run_oversampling(source, arms, {{"target", target}}, o);
/// auto summary = gan::experiment::summarise(runs);   // mean ± std over seeds
/// summary.write("summary.csv");
/// ```

#include <gan/data/csv.hpp>
#include <gan/data/oversample.hpp>
#include <gan/data/random.hpp>
#include <gan/data/split.hpp>
#include <gan/io/atomic_file.hpp>
#include <gan/io/table.hpp>
#include <gan/metrics/classification.hpp>
#include <gan/nn/vgg.hpp>
#include <gan/train/classifier.hpp>

#include <array>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <map>
#include <numeric>
#include <random>
#include <sstream>

namespace gan::experiment {

/// uint8 images [N, 3, S, S] and int64 labels [N].
struct LabelledSet {
  at::Tensor images, labels;
  int64_t size() const { return images.defined() ? images.size(0) : 0; }
  /// Rows `idx`.
  LabelledSet subset(const std::vector<int64_t>& idx) const {
    const auto i = at::tensor(idx, at::kLong);
    return {images.index_select(0, i), labels.index_select(0, i)};
  }
};

/// What an arm is given in one run.
struct ArmInput {
  const LabelledSet& train;  ///< the training part as it is
  const at::Tensor& positives;  ///< the training part's positive images, in order
  int64_t needed = 0;           ///< positives to add to reach the target share
  int64_t positive_class = 1;
  uint64_t seed = 0;
};

/// What an arm trains on.
struct ArmOutput {
  LabelledSet train;
  int64_t added = 0;
  std::vector<double> class_weights;  ///< empty: an unweighted loss
};

/// An arm of the experiment: a name and how it makes its training set from the training part.
struct Arm {
  std::string name;
  std::function<ArmOutput(const ArmInput&)> make;
};

/// The training part plus `images`, every one labelled positive.
inline ArmOutput with_added(const ArmInput& in, const at::Tensor& images) {
  const int64_t k = images.size(0);
  return {{at::cat({in.train.images, images}), at::cat({in.train.labels, at::full({k}, in.positive_class, at::kLong)})},
          k,
          {}};
}

/// The training part as it is.
inline Arm baseline_arm() {
  return {"baseline", [](const ArmInput& in) { return ArmOutput{in.train, 0, {}}; }};
}

/// Positives copied at random (with replacement) up to the target share.
inline Arm duplicate_arm() {
  return {"duplicate", [](const ArmInput& in) {
            std::vector<int64_t> pool(static_cast<size_t>(in.positives.size(0)));
            std::iota(pool.begin(), pool.end(), int64_t{0});
            const auto pick = data::draw_with_replacement(pool, in.needed, in.seed);
            return with_added(in, in.positives.index_select(0, at::tensor(pick, at::kLong)));
          }};
}

/// Positives copied with flips, rotations, crops and colour jitter up to the target share.
inline Arm augment_arm() {
  return {"augment", [](const ArmInput& in) { return with_added(in, data::augmented_copies(in.positives, in.needed, in.seed)); }};
}

/// The training part as it is, with a class-weighted loss (sklearn's "balanced").
inline Arm class_weight_arm() {
  return {"class-weight", [](const ArmInput& in) {
            const auto y = in.train.labels.contiguous();
            std::vector<int64_t> labels(y.data_ptr<int64_t>(), y.data_ptr<int64_t>() + y.numel());
            return ArmOutput{in.train, 0, data::balanced_class_weights(labels, 2)};
          }};
}

/// Synthetic positives (a GAN's images, uint8 [M, 3, S, S]): `needed` of them, drawn without
/// replacement, differently for every seed. Throws when there are fewer than needed.
inline Arm synthetic_arm(std::string name, at::Tensor images, std::string source = {}) {
  return {std::move(name), [images = std::move(images), source = std::move(source)](const ArmInput& in) {
            const int64_t m = images.size(0);
            if (m < in.needed)
              throw std::invalid_argument((source.empty() ? std::string("the synthetic set") : source) + " has " +
                                          std::to_string(m) + " images; the target share needs " +
                                          std::to_string(in.needed) + " (generate more)");
            std::vector<int64_t> order(static_cast<size_t>(m));
            std::iota(order.begin(), order.end(), int64_t{0});
            order = data::draw_without_replacement(std::move(order), in.needed, in.seed);
            order.resize(size_t(in.needed));  // (needed 0: none)
            return with_added(in, images.index_select(0, at::tensor(order, at::kLong)));
          }};
}

/// The arms by their names: baseline, duplicate, augment, class-weight.
inline Arm named_arm(const std::string& name) {
  if (name == "baseline") return baseline_arm();
  if (name == "duplicate") return duplicate_arm();
  if (name == "augment") return augment_arm();
  if (name == "class-weight") return class_weight_arm();
  throw std::invalid_argument("unknown arm '" + name + "' (one of: baseline, duplicate, augment, class-weight)");
}

/// baseline, duplicate, augment, class-weight.
inline std::vector<Arm> standard_arms() {
  return {baseline_arm(), duplicate_arm(), augment_arm(), class_weight_arm()};
}

/// How the experiment runs.
struct ExperimentOptions {
  /// The one split, as indices into the source (train, val, test), e.g. from split.csv. Empty:
  /// made once, stratified, from `fractions` and `split_seed` (or per seed with `resplit`).
  std::vector<std::vector<int64_t>> parts;
  std::vector<double> fractions{0.7, 0.2, 0.1};
  uint64_t split_seed = 0;
  /// A new split for every seed (seeds then vary the split too). The paper: one split.
  bool resplit = false;
  int64_t seeds = 3;
  uint64_t first_seed = 0;
  /// Positive share of the training part after oversampling (the paper: 0.35).
  double target_share = 0.35;
  int64_t positive_class = 1;
  /// Keep the epoch with the best validation balanced accuracy (else the last).
  bool select_best_val = true;
  /// How the classifier trains; its seed is each run's.
  ClassifierOptions classifier;
  /// A new classifier for 2 classes, called after torch::manual_seed(seed).
  std::function<nn::Vgg()> make_classifier;
};

/// One classifier's confusion matrix on one set.
struct Run {
  std::string arm, set;
  uint64_t seed = 0;
  int64_t n_train = 0, n_added = 0;
  double train_share = 0;  ///< positive share of the set it trained on
  metrics::ConfusionMatrix m{2};
};

/// Runs every arm for every seed, tests each classifier on the split's val and test parts
/// ("val", "source-test") and on `tests` (e.g. {"target", another region}), and returns the
/// runs in order (seed, arm, set). Calls `on_run(runs of one arm and seed, seconds)` as they end.
inline std::vector<Run> run_oversampling(
    const LabelledSet& source, const std::vector<Arm>& arms,
    const std::vector<std::pair<std::string, LabelledSet>>& tests, const ExperimentOptions& o,
    const std::function<void(const std::vector<Run>&, double)>& on_run = {}) {
  TORCH_CHECK_VALUE(o.make_classifier, "run_oversampling: no make_classifier");
  TORCH_CHECK_VALUE(o.seeds >= 1, "run_oversampling: seeds must be >= 1, got ", o.seeds);
  TORCH_CHECK_VALUE(!arms.empty(), "run_oversampling: no arms");
  TORCH_CHECK_VALUE(o.parts.empty() || !o.resplit, "run_oversampling: a fixed split and resplit exclude each other");
  const auto y_t = source.labels.contiguous();
  const std::vector<int64_t> y(y_t.data_ptr<int64_t>(), y_t.data_ptr<int64_t>() + y_t.numel());
  const auto fixed = !o.parts.empty() ? o.parts : o.resplit ? std::vector<std::vector<int64_t>>{}
                                                            : data::stratified_split(y, o.fractions, o.split_seed);
  std::vector<Run> runs;
  for (int64_t r = 0; r < o.seeds; ++r) {
    const uint64_t seed = o.first_seed + uint64_t(r);
    const auto parts = o.resplit ? data::stratified_split(y, o.fractions, seed) : fixed;
    TORCH_CHECK_VALUE(parts.size() == 3, "run_oversampling: expected 3 parts (train, val, test)");
    const auto train = source.subset(parts[0]);
    std::vector<std::pair<std::string, LabelledSet>> sets{{"val", source.subset(parts[1])},
                                                          {"source-test", source.subset(parts[2])}};
    for (const auto& t : tests) sets.push_back(t);
    std::vector<int64_t> pos;
    for (auto i : parts[0])
      if (y[size_t(i)] == o.positive_class) pos.push_back(i);
    const auto positives = source.images.index_select(0, at::tensor(pos, at::kLong));
    const int64_t needed = data::extra_needed(train.size(), int64_t(pos.size()), o.target_share);
    for (const auto& arm : arms) {
      const auto start = std::chrono::steady_clock::now();
      const auto out = arm.make(ArmInput{train, positives, needed, o.positive_class, seed});
      auto opts = ClassifierOptions(o.classifier).seed(seed).class_weights(out.class_weights);
      torch::manual_seed(seed);
      auto net = o.make_classifier();
      const auto& val = sets[0].second;
      if (o.select_best_val && val.size() > 0)
        train_classifier_best(net, out.train.images, out.train.labels, val.images, val.labels, 2, opts);
      else
        train_classifier(net, out.train.images, out.train.labels, opts);
      const double share = out.train.labels.eq(o.positive_class).sum().item<double>() / double(out.train.size());
      std::vector<Run> these;
      for (const auto& [name, set] : sets) {
        if (set.size() == 0) continue;
        these.push_back({arm.name, name, seed, out.train.size(), out.added, share,
                         evaluate_classifier(net, set.images, set.labels, 2, opts)});
      }
      runs.insert(runs.end(), these.begin(), these.end());
      if (on_run) on_run(these, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
  }
  return runs;
}

// --- the tables it writes and reads ------------------------------------------------------------

namespace detail {
/// The metrics of a confusion matrix, by the names the tables use.
inline std::array<std::pair<const char*, double>, 5> metric_values(const metrics::ConfusionMatrix& m, int64_t positive) {
  const auto r = metrics::report(m, positive);
  return {{{"accuracy", r.accuracy}, {"precision", r.precision}, {"recall", r.recall}, {"f1", r.f1},
           {"balanced_accuracy", r.balanced_accuracy}}};
}
/// tn, fp, fn, tp with `positive` as the positive class.
inline std::array<int64_t, 4> cells(const metrics::ConfusionMatrix& m, int64_t positive) {
  const size_t p = size_t(positive), q = size_t(1 - positive);
  return {m.counts[q][q], m.counts[q][p], m.counts[p][q], m.counts[p][p]};
}
}  // namespace detail

/// The metric columns of the tables, in order.
inline const std::array<std::string, 5>& metric_names() {
  static const std::array<std::string, 5> names{"accuracy", "precision", "recall", "f1", "balanced_accuracy"};
  return names;
}

/// results.csv: every run (arm, seed, set), its metrics and its confusion matrix.
inline void write_results(const std::filesystem::path& file, const std::vector<Run>& runs, int64_t positive = 1) {
  std::ostringstream o;
  o << std::setprecision(6) << "arm,seed,set,n_train,n_added,train_positive_share";
  for (const auto& m : metric_names()) o << ',' << m;
  o << ",tn,fp,fn,tp\n";
  for (const auto& r : runs) {
    o << r.arm << ',' << r.seed << ',' << r.set << ',' << r.n_train << ',' << r.n_added << ',' << r.train_share;
    for (const auto& [name, v] : detail::metric_values(r.m, positive)) o << ',' << v;
    for (auto c : detail::cells(r.m, positive)) o << ',' << c;
    o << '\n';
  }
  io::write_file_atomically(file, o.str());
}

/// One row of summary.csv: an arm on a set, its metrics' mean ± std over the seeds.
struct SummaryRow {
  std::string arm, set;
  int64_t seeds = 0, n_train = 0, n_added = 0;
  std::map<std::string, metrics::MeanStd> metrics;  ///< by metric_names()
};

/// summary.csv.
struct Summary {
  std::vector<SummaryRow> rows;

  void write(const std::filesystem::path& file) const {
    std::ostringstream o;
    o << std::setprecision(6) << "arm,set,seeds,n_train,n_added";
    for (const auto& m : metric_names()) o << ',' << m << "_mean," << m << "_std";
    o << '\n';
    for (const auto& r : rows) {
      o << r.arm << ',' << r.set << ',' << r.seeds << ',' << r.n_train << ',' << r.n_added;
      for (const auto& m : metric_names()) o << ',' << r.metrics.at(m).mean << ',' << r.metrics.at(m).std;
      o << '\n';
    }
    io::write_file_atomically(file, o.str());
  }
  static Summary read(const std::filesystem::path& file) {
    std::vector<std::string> needed{"arm", "set", "seeds", "n_train", "n_added"};
    for (const auto& m : metric_names()) needed.push_back(m + "_mean"), needed.push_back(m + "_std");
    Summary s;
    for (const auto& row : io::read_table(file, needed).rows) {
      SummaryRow r{row["arm"], row["set"], row.integer("seeds"), row.integer("n_train"), row.integer("n_added"), {}};
      for (const auto& m : metric_names()) r.metrics[m] = {row.number(m + "_mean"), row.number(m + "_std")};
      s.rows.push_back(std::move(r));
    }
    return s;
  }
};

/// One row of confusion.csv: an arm on a set, the confusion matrix summed over the seeds.
struct ConfusionRow {
  std::string arm, set;
  int64_t tn = 0, fp = 0, fn = 0, tp = 0;
};

/// confusion.csv.
struct ConfusionTable {
  std::vector<ConfusionRow> rows;

  void write(const std::filesystem::path& file) const {
    std::ostringstream o;
    o << "arm,set,tn,fp,fn,tp\n";
    for (const auto& r : rows) o << r.arm << ',' << r.set << ',' << r.tn << ',' << r.fp << ',' << r.fn << ',' << r.tp << '\n';
    io::write_file_atomically(file, o.str());
  }
  static ConfusionTable read(const std::filesystem::path& file) {
    ConfusionTable t;
    for (const auto& row : io::read_table(file, {"arm", "set", "tn", "fp", "fn", "tp"}).rows)
      t.rows.push_back({row["arm"], row["set"], row.integer("tn"), row.integer("fp"), row.integer("fn"), row.integer("tp")});
    return t;
  }
};

/// The sets a summary lists, in order.
inline const std::array<std::string, 3>& summary_sets() {
  static const std::array<std::string, 3> sets{"val", "source-test", "target"};
  return sets;
}

/// Mean ± std over the seeds of every arm on every set (arms in the order of the runs).
inline Summary summarise(const std::vector<Run>& runs, int64_t positive = 1) {
  std::vector<std::string> arms, sets;
  for (const auto& r : runs) {
    if (std::find(arms.begin(), arms.end(), r.arm) == arms.end()) arms.push_back(r.arm);
    if (std::find(sets.begin(), sets.end(), r.set) == sets.end()) sets.push_back(r.set);
  }
  // The usual sets first, in their order; others (a second target) after.
  std::vector<std::string> ordered;
  for (const auto& s : summary_sets())
    if (std::find(sets.begin(), sets.end(), s) != sets.end()) ordered.push_back(s);
  for (const auto& s : sets)
    if (std::find(ordered.begin(), ordered.end(), s) == ordered.end()) ordered.push_back(s);
  Summary out;
  for (const auto& arm : arms)
    for (const auto& set : ordered) {
      std::map<std::string, std::vector<double>> values;
      SummaryRow row{arm, set, 0, 0, 0, {}};
      for (const auto& r : runs) {
        if (r.arm != arm || r.set != set) continue;
        for (const auto& [name, v] : detail::metric_values(r.m, positive)) values[name].push_back(v);
        ++row.seeds;
        row.n_train = r.n_train, row.n_added = r.n_added;
      }
      if (row.seeds == 0) continue;
      for (const auto& m : metric_names()) row.metrics[m] = metrics::mean_std(values[m]);
      out.rows.push_back(std::move(row));
    }
  return out;
}

/// The confusion matrices summed over the seeds, in the order of `summarise`.
inline ConfusionTable confusion(const std::vector<Run>& runs, int64_t positive = 1) {
  ConfusionTable t;
  for (const auto& s : summarise(runs, positive).rows) {
    ConfusionRow row{s.arm, s.set};
    for (const auto& r : runs)
      if (r.arm == s.arm && r.set == s.set) {
        const auto c = detail::cells(r.m, positive);
        row.tn += c[0], row.fp += c[1], row.fn += c[2], row.tp += c[3];
      }
    t.rows.push_back(row);
  }
  return t;
}

}  // namespace gan::experiment
