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
/// gan::experiment::compare(runs).write("comparison.csv");  // paired differences, with 95% intervals
/// ```

#include <gan/distributed/communicator.hpp>
#include <gan/data/csv.hpp>
#include <gan/data/oversample.hpp>
#include <gan/data/random.hpp>
#include <gan/data/split.hpp>
#include <gan/experiment/results.hpp>
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
  int64_t seeds = 5;
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
  /// Spread the (seed, arm) runs over the ranks of a group (gan/distributed): rank r trains
  /// runs r, r + W, ... in (seed, arm) order, and every rank returns all of them (one
  /// all-reduce at the end). Each run depends on its seed alone, so the runs are those of one
  /// process. Null: every run here.
  std::shared_ptr<distributed::Communicator> communicator;
};

namespace detail {
/// What a run computed beyond what every rank knows (its arm, set, seed and the set's truth):
/// n_train, n_added, train_share, threshold, then per tile the prediction and the score.
inline std::vector<double> run_payload(const std::vector<Run>& runs) {
  std::vector<double> v;
  for (const auto& r : runs) {
    v.insert(v.end(), {double(r.n_train), double(r.n_added), r.train_share, r.threshold});
    for (size_t i = 0; i < r.predicted.size(); ++i) v.push_back(double(r.predicted[i]));
    v.insert(v.end(), r.score.begin(), r.score.end());
  }
  return v;
}
inline size_t read_payload(std::vector<Run>& runs, const double* v) {
  size_t k = 0;
  for (auto& r : runs) {
    r.n_train = int64_t(v[k]), r.n_added = int64_t(v[k + 1]), r.train_share = v[k + 2], r.threshold = v[k + 3];
    k += 4;
    r.predicted.resize(r.truth.size());
    r.score.resize(r.truth.size());
    for (size_t i = 0; i < r.truth.size(); ++i) r.predicted[i] = int64_t(v[k + i]);
    k += r.truth.size();
    for (size_t i = 0; i < r.truth.size(); ++i) r.score[i] = v[k + i];
    k += r.truth.size();
    r.m = metrics::ConfusionMatrix(2);
    for (size_t i = 0; i < r.truth.size(); ++i) r.m.add(r.truth[i], r.predicted[i]);
  }
  return k;
}
}  // namespace detail

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
  const int64_t rank = o.communicator ? o.communicator->rank() : 0, world = o.communicator ? o.communicator->world_size() : 1;
  int64_t job = 0;
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
      // A run per non-empty set as every rank knows it (arm, set, seed, truth), zeros for the
      // rest: the rank that trains it fills them in, the others get them at the end.
      std::vector<Run> these;
      for (const auto& [name, set] : sets) {
        if (set.size() == 0) continue;
        Run run;
        run.arm = arm.name, run.set = name, run.seed = seed, run.threshold = 0;
        const auto truth = set.labels.to(at::kLong).contiguous();
        run.truth.assign(truth.data_ptr<int64_t>(), truth.data_ptr<int64_t>() + truth.numel());
        run.predicted.assign(run.truth.size(), 0);
        run.score.assign(run.truth.size(), 0.0);
        these.push_back(std::move(run));
      }
      if (job++ % world != rank) {  // another rank's
        runs.insert(runs.end(), these.begin(), these.end());
        continue;
      }
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
      auto run = these.begin();
      for (const auto& [name, set] : sets) {
        if (set.size() == 0) continue;
        const auto said = predict_classifier(net, set.images, opts);
        run->n_train = out.train.size(), run->n_added = out.added, run->train_share = share, run->threshold = 0.5;
        const auto pred = said.predicted.contiguous();
        const auto score = said.probabilities.select(1, o.positive_class).to(at::kDouble).contiguous();
        run->predicted.assign(pred.data_ptr<int64_t>(), pred.data_ptr<int64_t>() + pred.numel());
        run->score.assign(score.data_ptr<double>(), score.data_ptr<double>() + score.numel());
        for (std::size_t i = 0; i < run->truth.size(); ++i) run->m.add(run->truth[i], run->predicted[i]);
        ++run;
      }
      // The threshold of each classifier, chosen on the validation split, applies to every set.
      if (!these.empty() && these.front().set == "val") {
        std::vector<bool> is_pos;
        for (auto t : these.front().truth) is_pos.push_back(t == o.positive_class);
        const double threshold = metrics::youden_threshold(these.front().score, is_pos);
        for (auto& r : these) r.threshold = threshold;
      }
      runs.insert(runs.end(), these.begin(), these.end());
      if (on_run) on_run(these, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
  }
  if (world > 1) {  // every run's payload at its place (zeros where another rank trained it), summed
    std::vector<at::Tensor> t{at::tensor(detail::run_payload(runs), at::kDouble)};
    o.communicator->all_reduce_sum(t);
    detail::read_payload(runs, t[0].contiguous().data_ptr<double>());
  }
  return runs;
}

}  // namespace gan::experiment
