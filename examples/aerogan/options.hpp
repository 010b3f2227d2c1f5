#pragma once
// The options of every subcommand, in the one shape of command.hpp: fields with their
// defaults, describe() (inline, below), validate() and run() (in the subcommand's own file).
// The pipeline includes this header to build and validate every stage's options first.
#include "command.hpp"

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace aerogan {

namespace fs = std::filesystem;

/// "0.7,0.2,0.1" -> three fractions (std::invalid_argument naming the bad one).
std::vector<double> parse_split(const std::string& split);
/// "2,3" -> integers (std::invalid_argument naming --WHAT and the item).
std::vector<int64_t> parse_list(const std::string& s, const std::string& what);

struct SynthOptions {
  std::string out = "data/synth", region = "source";
  int64_t count = 1000, size = 96;
  double positive_ratio = 0.2;
  uint64_t seed = 0;
  static std::string caption() { return "aerogan synth: make aerial rooftop tiles, some with solar panels"; }
  void describe(OptionSet& s) {
    declare_out(s, &out, "output folder (gets images/ and labels.csv)");
    s.add("count", &count, "number of tiles")
        .add("size", &size, "tile size in pixels")
        .add("positive-ratio", &positive_ratio, "share of tiles with solar panels (the paper: 0.2 source, 0.07 target)")
        .add("region", &region, "source | target (palette, roofs, sun, scale differ)");
    declare_seed(s, &seed);
  }
  void validate();
};

struct SplitOptions {
  std::string labels, out = "split", split = "0.7,0.2,0.1";
  uint64_t seed = 0;
  std::vector<double> fractions;  // from split
  static std::string caption() {
    return "aerogan split: split a labelled set once, stratified by label (the paper: 70/20/10 with the\n"
           "same positive share in each part). Writes OUT/split.csv (filename,label,part) and OUT/train.csv,\n"
           "OUT/val.csv, OUT/test.csv (filename,label)";
  }
  void describe(OptionSet& s) {
    s.add("labels", &labels, "CSV of filename,label");
    declare_out(s, &out, "output folder");
    s.add("split", &split, "train,val,test fractions");
    declare_seed(s, &seed, "seed of the split");
  }
  void validate();
};

/// Data parallel (c10d): what every scaling subcommand takes (parallel.hpp joins and launches).
struct DistFlags {
  int64_t nproc = 1;
  double timeout = 120;
  int64_t master_port = 0;

  void describe(OptionSet& s) {
    s.group("Data parallel (c10d, Gloo on CPU; docs/distributed.md)")
        .add("nproc", &nproc, "processes on this machine, each with its share of every batch (1: alone); under torchrun, leave it 1: RANK and WORLD_SIZE say it")
        .add("dist-timeout", &timeout, "seconds a process waits for the others to join or answer before it stops with a message")
        .add("master-port", &master_port, "with --nproc: the rendezvous port on 127.0.0.1 (0: a free one)");
  }
  void validate() const {
    if (nproc < 1 || nproc > 256) throw std::invalid_argument("--nproc must be in [1, 256], got " + std::to_string(nproc));
    if (!(timeout > 0 && timeout <= 86400)) throw std::invalid_argument("--dist-timeout must be in (0, 86400] seconds, got " + format_number(timeout));
    if (master_port < 0 || master_port > 65535) throw std::invalid_argument("--master-port must be in [0, 65535], got " + std::to_string(master_port));
#ifndef GAN_TOOL_DISTRIBUTED  // set where the tool links gan::distributed
    if (nproc > 1) throw std::invalid_argument("--nproc " + std::to_string(nproc) + ": this aerogan was built without c10d (Debian: install libgloo-dev and rebuild)");
#endif
  }
  /// Whether this process is to start the others: --nproc > 1 and not itself started so.
  bool launches() const { return nproc > 1 && !std::getenv("RANK"); }
};

struct TrainOptions {
  // The paper's train.py.
  int64_t n_epochs = 600, batch_size = 256;
  std::string loss_func = "bce";
  double lr = 2e-4, b1 = 0.5, b2 = 0.999;
  int64_t z_dim = 64;
  std::string csv_file, model_name = "cgan";
  int64_t img_size = 96, save_nr = 1, n_classes = 0, checkpoint_nr = 10, checkpoint_start = 0, disc_repeats = 1;
  double gp_weight = 10;
  bool penalty = false, clip = false;
  double clip_value = 0.01;
  bool attention = false;
  // The paper's own spellings of the three switches: Python `type=bool`, so any non-empty
  // value (False included) is true. kUnset until given.
  static constexpr const char* kUnset = "\x1f";
  std::string penalty_bool = kUnset, clip_bool = kUnset, attention_bool = kUnset;
  // Beyond the paper.
  std::string variant;  // empty: from loss_func / penalty / clip / attention
  std::string data_dir, out = "out", device = "cpu";
  uint64_t seed = 0;
  std::string optimizer = "adam";
  int64_t d_output_dim = 1;
  double ema = 0;
  std::string attention_at, g_attention_at, d_attention_at;
  bool reuse_fakes = false;
  std::string arch = "auto";
  int64_t g_width = 64, d_width = 64;
  bool augment = false;
  std::string on_bad_image = "error";
  bool cache = true, resume = false, force_resume = false;
  int64_t grid_columns = 8;
  std::string init = "paper";
  // Data-efficient training: an augmentation before every discriminator call.
  std::string diffaugment;  // DiffAugment's ops, e.g. color,translation,cutout (empty: none)
  bool ada = false;
  double ada_target = 0.6, ada_kimg = 500;
  int64_t ada_interval = 4;
  // Speed: bf16 autocast, how often the losses are read back (1: every step, as `step`), and the
  // networks' memory format.
  std::string precision = "fp32";
  int64_t log_every = 1;
  std::string memory_format = "channels-last";
  DistFlags dist;

  fs::path model_dir() const { return fs::path(out) / model_name; }
  /// This run's options as config.ini (which --config reads back).
  std::string ini() const;
  static std::string caption() { return "Options of the paper's train.py (also spelled with underscores)"; }
  void describe(OptionSet& s);
  void validate();
};

struct GenerateOptions {
  std::string model, checkpoint, out, classes, shares, device = "cpu";
  bool batch_stats = false;
  int64_t n = 100, batch = 64;
  double truncation = 0;
  std::vector<int64_t> class_list;  // from classes
  std::vector<double> weights;      // from shares
  static std::string caption() { return "aerogan generate: write images from a trained model"; }
  void describe(OptionSet& s) {
    s.add("model", &model, "the run's folder, OUT/MODEL_NAME (holds config.ini and checkpoints/)")
        .add("checkpoint", &checkpoint, "a checkpoint file (default: the model's latest)");
    declare_out(s, &out, "output folder (default: MODEL/generated)");
    s.add("n", &n, "number of images, spread evenly over the classes")
        .add("classes", &classes, "classes or clusters to draw from, e.g. 0,2,3 (default: all)")
        .add("shares", &shares, "how many of the images each of --classes gets, as weights, e.g. 0.5,0.3,0.2 (the real positives' cluster shares; default: equal)")
        .flag("batch-stats", &batch_stats, "normalise with each batch's statistics (G in train mode), as the paper's code samples: it never calls eval(); default: the running statistics")
        .add("truncation", &truncation, "truncation psi: |z| is redrawn above it (0: none)")
        .add("batch", &batch, "images per forward pass");
    declare_device(s, &device);
  }
  void validate();
};

/// The classifier of `classify` and `evaluate`: a VGG, from scratch or fine-tuned from
/// torchvision's ImageNet weights, and how it is trained.
struct ClassifierFlags {
  int64_t img_size = 64, depth = 11, epochs = 10, batch = 32, freeze = -1, hidden = 4096, pool = 7;
  double lr = 1e-4, width = 1.0;
  bool batch_norm = false, augment = true;
  std::string weights, device = "cpu", on_bad = "error";
  void describe(OptionSet& s) {
    s.add("img-size", &img_size, "input size (>= 32)")
        .add("depth", &depth, "VGG depth: 11 or 16")
        .flag("batch-norm", &batch_norm, "the _bn variant")
        .add("width", &width, "channels times this (1: torchvision's; 0.25: a small VGG for small tiles)")
        .add("hidden", &hidden, "width of the two hidden linear layers (torchvision: 4096)")
        .add("pool", &pool, "side of the average pool before the head (torchvision: 7)")
        .add("weights", &weights, "torchvision ImageNet weights (.pth), e.g. vgg11-8a719358.pth; the head is replaced")
        .add("freeze", &freeze, "conv layers to freeze (-1: 4 with --weights, as the paper, else 0)")
        .add("epochs", &epochs, "training epochs")
        .add("batch-size", &batch, "batch size")
        .add("lr", &lr, "Adam learning rate")
        .add("augment", &augment, "flips and 90-degree rotations while training");
    declare_device(s, &device);
    s.add("on-bad-image", &on_bad, "error | skip");
  }
  void validate() const;
};

struct ClassifyOptions {
  std::string labels, data_dir, out = "out", model_name = "classifier", split = "0.7,0.2,0.1", layer = "features";
  uint64_t seed = 0;
  ClassifierFlags c;
  DistFlags dist;
  std::vector<double> fractions;
  static std::string caption() { return "aerogan classify: train a VGG classifier and export its features"; }
  void describe(OptionSet& s) {
    s.add("labels", &labels, "CSV of filename,label")
        .add("data-dir", &data_dir, "folder the CSV's file names are relative to (default: the CSV's folder)");
    declare_out(s, &out, "output root");
    s.add("model-name", &model_name, "output goes to OUT/MODEL_NAME")
        .add("split", &split, "stratified train,val,test fractions");
    declare_seed(s, &seed);
    s.add("layer", &layer, "layer whose flattened output is exported: features (the last conv block, as the paper), avgpool, classifier.N");
    c.describe(s);
    dist.describe(s);
  }
  void validate();
};

struct ClusterOptions {
  std::string features, out, method = "kmeans", metric = "euclidean", sweep_k, sweep_methods, data_dir;
  int k = 5, n_init = 10, omit = -1, examples = 8;
  double repair = 0, perplexity = 30;
  bool tsne = true;
  uint64_t seed = 0;
  std::vector<int64_t> sweep_k_list;  ///< --sweep-k, parsed by validate()
  static std::string caption() { return "aerogan cluster: cluster classifier features into conditioning labels"; }
  void describe(OptionSet& s) {
    s.add("features", &features, "features file from aerogan classify (features.pt)");
    declare_out(s, &out, "output folder (default: FEATURES_DIR/clusters)");
    s.add("method", &method, "kmeans | ward | complete | average | single")
        .add("metric", &metric, "euclidean | cosine (complete, average, single)")
        .add("k", &k, "number of clusters")
        .add("n-init", &n_init, "k-means restarts");
    declare_seed(s, &seed);
    s.add("sweep-k", &sweep_k, "also score these k, e.g. 2,3,4,5,6 (the paper's Table 1)")
        .add("sweep-methods", &sweep_methods, "methods of the sweep, e.g. kmeans,ward,average (default: --method)")
        .add("repair", &repair, "split every cluster whose smaller class share is at least this into one cluster per class (the paper: 5 -> 6 clusters); 0: off")
        .add("omit", &omit, "leave this cluster (after repair) out of clusters.csv; -1: none")
        .add("tsne", &tsne, "draw a t-SNE of the features (tsne.png): colour by cluster, marker by class")
        .add("perplexity", &perplexity, "t-SNE perplexity")
        .add("data-dir", &data_dir, "folder of the images, for a grid of examples per cluster (examples.png)")
        .add("examples", &examples, "examples per cluster in examples.png");
  }
  void validate();
};

struct FidOptions {
  std::string real, fake, features = "inception", weights, classifier, out, cache_dir, device = "cpu", layer = "auto";
  std::string real_dir, fake_dir, real_clusters, save_stats;
  int64_t n = 512, batch = 50, real_class = -1, fake_class = -1, kid_subsets = 100, kid_size = 1000, real_size = 0, k = 3;
  static std::string caption() {
    return "aerogan fid REAL FAKE: Fréchet distance (FID), KID, and precision, recall, density and coverage between two image sets.\n"
           "REAL and FAKE are folders of images or labels CSVs, or pytorch-fid statistics (.npz: mu, sigma)";
  }
  void describe(OptionSet& s) {
    s.add("real", &real, "the real set (folder or CSV)").positional("real")
        .add("fake", &fake, "the generated set (folder or CSV)").positional("fake")
        .add("features", &features, "inception (pytorch-fid's network: the FID papers report) | classifier (the penultimate layer of a classifier from aerogan classify)")
        .add("weights", &weights, "pt_inception-2015-12-05-6726825d.pth (default: $GAN_FID_WEIGHTS, then torch's hub cache)")
        .add("classifier", &classifier, "with --features classifier: the folder aerogan classify wrote (classifier.pt, classifier.ini)")
        .add("layer", &layer, "with --features classifier: the layer (auto: the spatial mean of the last conv block before its ReLU, features.N:mean; also features.N, avgpool, classifier.N as aerogan classify --layer)")
        .add("real-data-dir", &real_dir, "folder the real CSV's file names are relative to (default: the CSV's folder)")
        .add("fake-data-dir", &fake_dir, "folder the fake CSV's file names are relative to (default: the CSV's folder)")
        .add("real-size", &real_size, "resize the real images to this size first, as the GAN's training saw them (train.py's Resize(img_size)), so the distance does not measure the resize (0: as they are)")
        .add("save-stats", &save_stats, "also write the statistics (mu, sigma) of REAL's features to this .npz, as pytorch-fid's --save-stats: it can be REAL of a later run, here or in pytorch-fid")
        .add("real-clusters", &real_clusters, "filename,cluster CSV of the real set (clusters.csv): adds the distance per cluster, each cluster's real members against the fakes of that label")
        .add("n", &n, "images per side, drawn with a fixed seed (the paper: 512; 0: all)")
        .add("real-class", &real_class, "with a CSV: only this class of the real set (-1: all)")
        .add("fake-class", &fake_class, "with a CSV: only this class of the fake set (-1: all)")
        .add("kid-subsets", &kid_subsets, "KID: number of subsets")
        .add("kid-subset-size", &kid_size, "KID: subset size (capped at half the smaller set)")
        .add("prdc-k", &k, "neighbours of precision, recall (Kynkäänniemi et al. 2019), density and coverage (Naeem et al. 2020) in the same features (0: none)")
        .add("batch", &batch, "images per forward pass");
    declare_device(s, &device);
    s.add("cache-dir", &cache_dir, "where features are cached (default: OUT's folder/fid-cache, or ./fid-cache)");
    declare_out(s, &out, "CSV to write the result to (real,fake,features,n_real,n_fake,fid,kid_mean,kid_std,cluster,precision,recall,density,coverage,k; cluster 'all' first, then one row per cluster with --real-clusters)");
  }
  void validate();
};

struct EvaluateOptions {
  std::string labels, data_dir, target_labels, target_data_dir, out = "out/evaluate", split = "0.7,0.2,0.1",
                                                                 arms = "baseline,duplicate,augment,class-weight,gan";
  std::vector<std::string> synthetic;
  int64_t seeds = 5, positive = 1, resamples = 2000;
  uint64_t seed = 0, split_seed = 0;
  double share = 0.35;
  std::string select = "best-val", split_file;
  bool resplit = false;
  ClassifierFlags c;
  DistFlags dist;
  // Resolved by validate.
  std::vector<double> fractions;
  std::vector<std::pair<std::string, std::string>> gans;  // (name, CSV) in the order given
  std::vector<std::string> arm_names;
  static std::string caption() {
    return "aerogan evaluate: does adding synthetic positives raise a classifier's recall? "
           "(baseline, GAN images, duplication, augmentation, class weights; over seeds)";
  }
  void describe(OptionSet& s) {
    s.add("labels", &labels, "source CSV of filename,label (0/1)")
        .add("data-dir", &data_dir, "folder of the source CSV's files (default: the CSV's folder)")
        .add("target-labels", &target_labels, "CSV of another region's set, tested on as a whole (optional)")
        .add("target-data-dir", &target_data_dir, "folder of the target CSV's files (default: its folder)")
        .add("synthetic", &synthetic, "NAME=CSV: generated images of a GAN (every one counted as a positive); repeat for several GANs")
        .add("arms", &arms, "what to compare: baseline, duplicate, augment, class-weight, gan (one arm per --synthetic)")
        .add("target-share", &share, "positive share of the training part after oversampling (the paper: 0.35)")
        .add("seeds", &seeds, "repetitions of every arm: the classifier's initial weights and data order change, the split stays (see --resplit)")
        .add("resamples", &resamples, "bootstrap resamples of the paired comparisons (comparison.csv): seeds and test tiles drawn with replacement");
    declare_seed(s, &seed, "first seed");
    s.add("split", &split, "stratified train,val,test fractions of the source (without --split-file)")
        .add("split-file", &split_file, "split.csv (filename,label,part; aerogan split): the one split of the source, as the pipeline makes it before any GAN sees the data")
        .add("split-seed", &split_seed, "seed of the one split (without --split-file)")
        .toggle("resplit", &resplit, "a new stratified split for every seed (the old behaviour; a GAN trained on the whole source then sees test tiles). The paper made one 70/20/10 split and repeated the training 3 times")
        .add("positive-class", &positive, "the rare class")
        .add("select", &select, "best-val (keep the epoch with the best balanced accuracy on the validation split) | last");
    declare_out(s, &out, "output folder");
    c.describe(s);
    dist.describe(s);
  }
  void validate();
};

struct ReportOptions {
  std::string dir, config, title = "Oversampling rooftops with solar panels by conditional GANs", source, target, split;
  static std::string caption() { return "aerogan report: report.md and report.html of a pipeline's output folder"; }
  void describe(OptionSet& s) {
    s.add("dir", &dir, "the pipeline's output folder")
        .add("config", &config, "the configuration file to show in full")
        .add("source-labels", &source, "the source set's CSV (for its counts)")
        .add("target-labels", &target, "the target set's CSV (for its counts)")
        .add("split", &split, "the source's split.csv (for the counts of its parts)")
        .add("title", &title, "the report's title");
  }
  void validate();
};

struct PipelineOptions {
  std::string config, force;
  bool dry_run = false;
  static std::string caption() {
    return "aerogan pipeline --config FILE: the whole method (classify, cluster, train, generate, fid,\n"
           "evaluate, report) from one INI file; finished stages are skipped when run again";
  }
  void describe(OptionSet& s) {
    s.add("config", &config, "the INI file (see examples/configs/)")
        .add("force", &force, "stages to run again even when up to date, e.g. evaluate,report, or all")
        .toggle("dry-run", &dry_run, "print what would run, run nothing");
  }
  void validate();
};

int run(const SynthOptions&);
int run(const SplitOptions&);
int run(const TrainOptions&);
int run(const GenerateOptions&);
int run(const ClassifyOptions&);
int run(const ClusterOptions&);
int run(const FidOptions&);
int run(const EvaluateOptions&);
int run(const ReportOptions&);
int run(const PipelineOptions&);

}  // namespace aerogan
