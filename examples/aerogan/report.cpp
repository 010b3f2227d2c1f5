// aerogan report --dir OUT: report.md and a self-contained report.html of what the pipeline's
// stages left in OUT: the oversampling experiment (mean ± std over seeds, the best of each
// column marked), confusion matrices, FID per GAN, sample grids and loss plots, the
// classifier, the clustering scores, the t-SNE, and the full configuration.
#include "config.hpp"

#include <gan/cluster/method.hpp>
#include <gan/data/split_file.hpp>
#include <gan/metrics/image_sets.hpp>
#include <gan/experiment/comparison.hpp>
#include <gan/experiment/results.hpp>
#include <gan/report/report.hpp>

#include <iomanip>
#include <map>
#include <regex>

namespace aerogan {

namespace {

std::string fixed(double v, int digits = 3) {
  if (std::isnan(v)) return "undefined";
  std::ostringstream o;
  o << std::fixed << std::setprecision(digits) << v;
  return o.str();
}

/// The newest sample grid of a run: samples/epoch_N.png with the largest N.
fs::path last_samples(const fs::path& model) {
  fs::path best;
  int64_t best_epoch = -1;
  const std::regex pattern("epoch_([0-9]+)\\.png");
  std::smatch m;
  if (!fs::is_directory(model / "samples")) return best;
  for (const auto& e : fs::directory_iterator(model / "samples")) {
    const std::string name = e.path().filename().string();
    if (std::regex_match(name, m, pattern) && std::stoll(m[1]) > best_epoch) best_epoch = std::stoll(m[1]), best = e.path();
  }
  return best;
}

std::pair<int64_t, int64_t> count_labels(const fs::path& csv) {
  int64_t n = 0, pos = 0;
  for (const auto& r : gan::data::read_labels_csv(csv)) ++n, pos += r.label == 1;
  return {n, pos};
}

}  // namespace

int run(const ReportOptions& o) {
  const auto& [dir_s, config, title, source, target, split] = std::tie(o.dir, o.config, o.title, o.source, o.target, o.split);
  const fs::path dir = dir_s;
  if (!fs::is_directory(dir)) throw std::invalid_argument("--dir " + dir_s + " is not a folder");
  gan::report::Report r(title);

  std::ostringstream intro;
  intro << "The method of Belderbos et al. (ICPRAI 2022), run by aerogan: a VGG classifier's features are "
           "clustered, conditional GANs are trained on the clusters, and their images of the rare class "
           "(rooftops with solar panels) are added to the training set of a classifier, which is then tested "
           "on the source region and on another region.";
  for (auto [name, csv] : {std::pair{"Source", source}, std::pair{"Target", target}})
    if (!csv.empty() && fs::exists(csv)) {
      const auto [n, p] = count_labels(csv);
      intro << " " << name << " set: " << n << " images, " << p << " with solar panels (" << fixed(100.0 * double(p) / double(n), 1)
            << "%).";
    }
  if (!split.empty() && fs::exists(split)) {
    std::map<std::string, std::pair<int64_t, int64_t>> parts;
    for (const auto& row : gan::data::read_split_csv(split)) parts[row.part].first++, parts[row.part].second += row.label == 1;
    intro << " The source was split once (split.csv), stratified:";
    for (const auto& part : gan::data::split_parts())
      intro << " " << part << " " << parts[part].first << " (" << parts[part].second << " positive)" << (part == "test" ? "." : ",");
    intro << " The classifier that makes the features, the clusters and the GANs saw only the training part; the "
             "validation part chooses each classifier's epoch and the test part gives the source-test numbers.";
  }
  r.paragraph(intro.str());

  // The oversampling experiment.
  const auto summary_file = dir / "evaluate" / "summary.csv";
  if (fs::exists(summary_file)) {
    const auto s = gan::experiment::Summary::read(summary_file);
    r.heading("Oversampling experiment");
    const std::vector<std::pair<std::string, std::string>> metrics{{"recall", "recall"},
                                                                   {"recall_at_val_threshold", "recall (val. threshold)"},
                                                                   {"precision", "precision"},
                                                                   {"average_precision", "average precision"},
                                                                   {"roc_auc", "ROC AUC"},
                                                                   {"f1", "F1"},
                                                                   {"balanced_accuracy", "balanced accuracy"}};
    const std::string seeds = s.rows.empty() ? "?" : std::to_string(s.rows.front().seeds);
    for (auto [set, what] : {std::pair{"target", "the target region (another region: the paper's test)"},
                             std::pair{"source-test", "the source region's test split"}}) {
      gan::report::Table t;
      t.header = {"training set", "images added"};
      for (const auto& m : metrics) t.header.push_back(m.second);
      for (const auto& row : s.rows) {
        if (row.set != set) continue;
        std::vector<gan::report::Cell> cells{{row.arm}, {std::to_string(row.n_added)}};
        for (const auto& m : metrics) {
          const auto& v = row.metrics.at(m.first);
          cells.push_back({std::isnan(v.mean) ? fixed(v.mean) : fixed(v.mean) + " ± " + fixed(v.std)});
        }
        t.rows.push_back(cells);
      }
      if (t.rows.empty()) continue;
      for (size_t c = 2; c < t.header.size(); ++c) gan::report::mark_best(t, c);
      t.caption = std::string("Tested on ") + what + ": mean ± std over " + seeds +
                  " seeds; the best of each column in bold. Recall and precision at the paper's threshold (0.5); "
                  "recall (val. threshold) at the threshold each classifier chose on the source's validation split "
                  "(largest TPR − FPR there); average precision and ROC AUC need no threshold. Undefined: the set "
                  "lacks a class (a target of positives only has no precision or AUC).";
      r.table(t);
    }
    const auto comparison_file = dir / "evaluate" / "comparison.csv";
    if (fs::exists(comparison_file)) {
      const auto c = gan::experiment::ComparisonTable::read(comparison_file);
      const std::string level = std::to_string(int(std::lround(100 * c.level))) + "%";
      const auto signed_fixed = [](double v) { return std::isnan(v) ? fixed(v) : (v >= 0 ? "+" : "") + fixed(v); };
      r.heading("Is a gain real? Paired differences", 3);
      r.paragraph("Every arm ran with the baseline's seeds (the same split, initial weights and data order where the "
                  "sets allow) and was tested on the same tiles, so its difference to the baseline is paired. Each "
                  "cell: the mean over seeds of arm − reference, and its " + level + " interval from a bootstrap "
                  "that draws the seeds and, for each, the test tiles with replacement. In bold with * : the "
                  "interval excludes 0 (a gain or a loss beyond the noise of training and of the test set).");
      for (const std::string reference : {"baseline", "duplicate"})
        for (const std::string set : {"target", "source-test"}) {
          gan::report::Table t;
          t.header = {"arm − " + reference};
          for (const auto& m : metrics) t.header.push_back(m.second);
          std::vector<std::string> arms;
          for (const auto& row : c.rows)
            if (row.set == set && row.reference == reference && std::find(arms.begin(), arms.end(), row.arm) == arms.end())
              arms.push_back(row.arm);
          for (const auto& arm : arms) {
            std::vector<gan::report::Cell> cells{{arm}};
            for (const auto& m : metrics) {
              const auto* d = c.find(arm, reference, set, m.first);
              if (!d || std::isnan(d->difference)) {
                cells.push_back({"undefined"});
                continue;
              }
              cells.push_back({signed_fixed(d->difference) + " [" + signed_fixed(d->low) + ", " + signed_fixed(d->high) + "]" +
                                   (d->significant() ? " *" : ""),
                               d->significant()});
            }
            t.rows.push_back(cells);
          }
          if (t.rows.empty()) continue;
          t.caption = "Tested on " + set + ": each arm's difference to " + reference + ", mean over " +
                      std::to_string(c.rows.front().seeds) + " seeds [" + level + " interval]; * significant.";
          r.table(t);
          const auto plot = dir / "evaluate" / ("comparison_" + set + ".png");
          if (reference == c.rows.front().reference && fs::exists(plot))
            r.image(plot, set + ": every arm's difference to " + reference + " (dot: mean over seeds; bar: " + level +
                              " interval; green / red: a significant gain / loss; grey: within the noise)",
                    900);
        }
    }
    r.paragraph("baseline: the source's training split as it is; duplicate: positives copied at random up to the target "
                "share; augment: positives copied with flips, rotations, crops and colour jitter; class-weight: a "
                "class-weighted loss on the unchanged split; gan:NAME: the split plus that GAN's images of the "
                "positive clusters.");
    const auto conf_file = dir / "evaluate" / "confusion.csv";
    if (fs::exists(conf_file)) {
      gan::report::Table t;
      t.header = {"training set", "tested on", "TN", "FP", "FN", "TP"};
      for (const auto& row : gan::experiment::ConfusionTable::read(conf_file).rows)
        if (row.set != "val")
          t.rows.push_back({{row.arm}, {row.set}, {std::to_string(row.tn)}, {std::to_string(row.fp)},
                            {std::to_string(row.fn)}, {std::to_string(row.tp)}});
      t.caption = "Confusion matrices, summed over the seeds (positive: solar panels).";
      r.heading("Confusion matrices", 3).table(t);
    }
  }

  // The GANs: FID, samples, losses.
  const auto gans = dir / "gans";
  if (fs::is_directory(gans)) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(gans))
      if (e.is_directory()) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    r.heading("GANs");
    gan::report::Table fid;
    fid.header = {"GAN", "FID (Inception, 2048-d)", "Fréchet distance (classifier features)", "KID", "images (real / generated)",
                  "precision", "recall", "density", "coverage"};
    for (const auto& v : names) {
      std::vector<gan::report::Cell> row{{v}, {"—"}, {"—"}, {"—"}, {"—"}, {"—"}, {"—"}, {"—"}, {"—"}};
      bool any = false;
      for (auto [space, col] : {std::pair{"inception", 1}, std::pair{"classifier", 2}}) {
        const auto f = dir / "fid" / (v + "-" + space + ".csv");
        if (!fs::exists(f)) continue;
        const auto* all = gan::metrics::DistanceTable::read(f).find("all");
        if (!all) continue;
        any = true;
        row[size_t(col)].text = fixed(all->fid, 2);
        row[3].text = fixed(all->kid_mean, 4) + " ± " + fixed(all->kid_std, 4) + " (" + space + ")";
        row[4].text = std::to_string(all->n_real) + " / " + std::to_string(all->n_fake);
        if (all->k > 0 && (std::string(space) == "inception" || row[5].text == "—"))  // Inception's when there
          for (auto [c, value] : {std::pair{5, all->precision}, std::pair{6, all->recall}, std::pair{7, all->density},
                                  std::pair{8, all->coverage}})
            row[size_t(c)].text = fixed(value) + (std::string(space) == "inception" ? "" : " (classifier)");
      }
      if (any) fid.rows.push_back(row);
    }
    if (!fid.rows.empty()) {
      gan::report::mark_best(fid, 1, false);
      gan::report::mark_best(fid, 2, false);
      for (size_t c : {5, 6, 8}) gan::report::mark_best(fid, c);
      fid.caption = "Real: the positives of the source's training part, at the GAN's image size; generated: the GAN's "
                    "images of the positive clusters, drawn in the real positives' cluster shares. Distances: lower is "
                    "better; those in the classifier's features are not comparable to published FIDs. Precision (share "
                    "of generated images inside the real images' k-NN balls: realism), recall (share of real images "
                    "inside the generated ones' balls: variety), density (1 for generated images like the real ones) and "
                    "coverage (share of real balls holding a generated image: low under mode collapse), in the same "
                    "features, Kynkäänniemi et al. 2019 and Naeem et al. 2020.";
      r.table(fid);
    }
    // Per cluster (intra-class): each conditioning cluster's real members against its fakes.
    for (const auto& v : names)
      for (auto space : {"inception", "classifier"}) {
        const auto f = dir / "fid" / (v + "-" + space + ".csv");
        if (!fs::exists(f)) continue;
        gan::report::Table t;
        t.header = {"cluster", "images (real / generated)", std::string(space) == "inception" ? "FID" : "Fréchet distance",
                    "precision", "recall", "density", "coverage"};
        for (const auto& row : gan::metrics::DistanceTable::read(f).rows)
          if (row.cluster != "all")
            t.rows.push_back({{row.cluster}, {std::to_string(row.n_real) + " / " + std::to_string(row.n_fake)}, {fixed(row.fid, 2)},
                              {row.k > 0 ? fixed(row.precision) : "—"}, {row.k > 0 ? fixed(row.recall) : "—"},
                              {row.k > 0 ? fixed(row.density) : "—"}, {row.k > 0 ? fixed(row.coverage) : "—"}});
        if (t.rows.empty()) continue;
        t.caption = v + ", per conditioning cluster (" + space + " features): the cluster's real positives against the GAN's "
                    "images of that cluster. A cluster far above the others in distance, or with a low recall and "
                    "coverage, is one the GAN renders poorly or collapses on: the paper's claim that conditioning on "
                    "clusters keeps the variety, measured. \"—\": a side has too few images for the k-NN balls.";
        r.heading(v + ": distance per cluster", 3).table(t);
      }
    std::vector<std::pair<fs::path, std::string>> grids, losses;
    for (const auto& v : names) {
      const auto s = last_samples(gans / v);
      if (!s.empty()) grids.emplace_back(s, v + ": " + s.stem().string() + " (a row per conditioning label)");
      const auto l = gans / v / "plots" / "losses_epochs.png";
      if (fs::exists(l)) losses.emplace_back(l, v + ": losses per epoch");
      const auto p = gans / v / "plots" / "augment_p.png";
      if (fs::exists(p)) losses.emplace_back(p, v + ": ADA's augmentation probability p");
    }
    if (!grids.empty()) r.heading("Samples", 3).images(grids);
    if (!losses.empty()) r.heading("Losses", 3).images(losses);
  }

  // The classifier and the clusters.
  const auto cls_file = dir / "classifier" / "metrics.csv";
  if (fs::exists(cls_file)) {
    gan::report::Table t;
    t.header = {"split", "accuracy", "precision", "recall", "F1", "balanced accuracy", "images"};
    for (const auto& [split_name, m] : gan::ClassifierMetrics::read(cls_file).rows)
      t.rows.push_back({{split_name}, {fixed(m.accuracy)}, {fixed(m.precision)}, {fixed(m.recall)}, {fixed(m.f1)},
                        {fixed(m.balanced_accuracy)}, {std::to_string(m.support)}});
    t.caption = "The classifier whose features are clustered (trained on the source's training split).";
    r.heading("Features and clusters").table(t);
  }
  const auto clusters = dir / "clusters";
  if (fs::exists(clusters / "scores.csv")) {
    gan::report::Table t;
    t.header = {"method", "k", "silhouette", "Calinski–Harabasz", "Davies–Bouldin"};
    for (const auto& row : gan::cluster::ScoreTable::read(clusters / "scores.csv").rows)
      t.rows.push_back({{row.method}, {std::to_string(row.k)}, {fixed(row.silhouette)}, {fixed(row.calinski_harabasz, 1)},
                        {fixed(row.davies_bouldin)}});
    gan::report::mark_best(t, 2);
    gan::report::mark_best(t, 3);
    gan::report::mark_best(t, 4, false);
    t.caption = "Clustering scores (the last row: the clustering used). Higher silhouette and Calinski–Harabasz, lower Davies–Bouldin are better.";
    r.table(t);
  }
  if (fs::exists(clusters / "cluster_class.csv")) {
    const auto c = gan::cluster::ClusterClassTable::read(clusters / "cluster_class.csv");
    gan::report::Table t;
    t.header = {"cluster"};
    for (int64_t k = 0; k < c.classes; ++k) t.header.push_back(k == 1 ? "solar panels" : k == 0 ? "no panels" : "class_" + std::to_string(k));
    t.header.push_back("total");
    for (const auto& [cluster, counts] : c.counts) {
      std::vector<gan::report::Cell> cells{{std::to_string(cluster)}};
      int64_t total = 0;
      for (auto v : counts) cells.push_back({std::to_string(v)}), total += v;
      cells.push_back({std::to_string(total)});
      t.rows.push_back(cells);
    }
    t.caption = "Clusters (after the repair) by class: the GAN's conditioning labels.";
    r.table(t);
  }
  std::vector<std::pair<fs::path, std::string>> figs;
  if (fs::exists(clusters / "tsne.png")) figs.emplace_back(clusters / "tsne.png", "t-SNE of the features: colour = cluster, marker = class");
  if (fs::exists(clusters / "examples.png")) figs.emplace_back(clusters / "examples.png", "Examples of each cluster (a row per cluster)");
  for (const auto& [f, caption] : figs) r.image(f, caption, 760);

  if (!config.empty()) {
    std::ifstream in(config);
    if (!in) throw std::invalid_argument("cannot read the config file " + config);
    std::stringstream text;
    text << in.rdbuf();
    r.heading("Configuration").paragraph("The whole run: aerogan pipeline --config " + config).code(text.str(), "ini");
  }
  r.write(dir);
  std::cout << "wrote " << (dir / "report.md").string() << " and " << (dir / "report.html").string() << "\n";
  return 0;
}

}  // namespace aerogan
