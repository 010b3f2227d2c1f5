#pragma once
// aerogan's configuration: every option of the paper's train.py (hyphenated; the paper's
// underscore spellings accepted too), what goes beyond it, INI files, and the mapping from
// a configuration to a trainer.
#include <gan/data/image_folder.hpp>
#include <gan/io/pth_tensor.hpp>
#include <gan/nn/vgg.hpp>
#include <gan/presets.hpp>
#include <gan/train/classifier.hpp>

#include <boost/program_options.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

namespace aerogan {

namespace po = boost::program_options;
namespace fs = std::filesystem;

/// Throws std::invalid_argument "--WHAT 'V' is not one of: A, B" unless `v` is in `ok`.
inline void one_of(const std::string& what, const std::string& v, const std::vector<std::string>& ok) {
  for (const auto& o : ok)
    if (v == o) return;
  std::string list;
  for (const auto& o : ok) list += (list.empty() ? "" : ", ") + o;
  throw std::invalid_argument("--" + what + " '" + v + "' is not one of: " + list);
}

/// The variants the tool trains: the library's one list.
inline const std::vector<std::string>& variants() {
  static const std::vector<std::string> v = gan::presets::variant_names();
  return v;
}

/// "vanilla (what it is) | wgan (...) | ...", from the library's list.
inline const std::string& variant_help() {
  static const std::string text = std::apply(
      [](const auto&... v) {
        std::string out;
        ((out += (out.empty() ? "" : " | ") + std::string(v.name) + " (" + std::string(v.description) + ")"), ...);
        return out;
      },
      gan::presets::variants);
  return text;
}

struct TrainConfig {
  // The paper's train.py.
  int64_t n_epochs = 600;
  int64_t batch_size = 256;
  std::string loss_func = "bce";
  double lr = 2e-4, b1 = 0.5, b2 = 0.999;
  int64_t z_dim = 64;
  std::string csv_file;
  std::string model_name = "cgan";
  int64_t img_size = 96;
  int64_t save_nr = 1;
  int64_t n_classes = 0;
  int64_t checkpoint_nr = 10;
  int64_t checkpoint_start = 0;
  int64_t disc_repeats = 1;
  double gp_weight = 10;
  bool penalty = false;
  bool clip = false;
  double clip_value = 0.01;
  bool attention = false;
  // The paper's own spellings of the three switches: Python `type=bool`, so any non-empty
  // value (False included) is true.
  std::string penalty_bool, clip_bool, attention_bool;
  // Beyond the paper.
  std::string variant;  // empty: from loss_func / penalty / clip / attention
  std::string data_dir;
  std::string out = "out";
  std::string device = "cpu";
  uint64_t seed = 0;
  std::string optimizer = "adam";
  int64_t d_output_dim = 1;
  double ema = 0;
  std::string attention_at;  // "2" or "2,3" (both networks); empty: the variant's default
  std::string g_attention_at, d_attention_at;  // per network; "none" for no attention
  bool reuse_fakes = false;
  std::string arch = "auto";  // auto | family | paper96
  int64_t g_width = 64, d_width = 64;
  bool augment = false;
  std::string on_bad_image = "error";
  bool cache = true;
  bool resume = false;
  std::string config;
  int64_t grid_columns = 8;
  std::string init = "paper";

  fs::path model_dir() const { return fs::path(out) / model_name; }
};

/// Turns "--model_name" into "--model-name" (the paper's spellings), leaving values alone.
inline std::vector<std::string> normalise_args(int argc, char** argv, int first) {
  std::vector<std::string> out;
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) == 0) {
      const auto eq = a.find('=');
      for (size_t k = 2; k < std::min(eq, a.size()); ++k)
        if (a[k] == '_') a[k] = '-';
    }
    out.push_back(a);
  }
  return out;
}

/// The same for the keys of an INI file.
inline std::string normalise_ini(std::istream& in) {
  std::ostringstream out;
  for (std::string line; std::getline(in, line);) {
    const auto eq = line.find('=');
    const auto first = line.find_first_not_of(" \t");
    if (eq != std::string::npos && first != std::string::npos && line[first] != '#' && line[first] != ';')
      for (size_t k = 0; k < eq; ++k)
        if (line[k] == '_') line[k] = '-';
    out << line << '\n';
  }
  return out.str();
}

inline po::options_description train_options(TrainConfig& c) {
  po::options_description paper("Options of the paper's train.py (also spelled with underscores)");
  paper.add_options()
      ("n-epochs", po::value(&c.n_epochs)->default_value(c.n_epochs), "training epochs")
      ("batch-size", po::value(&c.batch_size)->default_value(c.batch_size), "batch size")
      ("loss-func", po::value(&c.loss_func)->default_value(c.loss_func), "bce | wasserstein (the paper's name: wloss) | hinge (picks the variant when --variant is not given)")
      ("lr", po::value(&c.lr)->default_value(c.lr), "learning rate of both networks")
      ("b1", po::value(&c.b1)->default_value(c.b1), "Adam beta1")
      ("b2", po::value(&c.b2)->default_value(c.b2), "Adam beta2")
      ("z-dim", po::value(&c.z_dim)->default_value(c.z_dim), "noise dimensions")
      ("csv-file", po::value(&c.csv_file), "CSV of filename,label (or filename,cluster); same as --labels")
      ("model-name", po::value(&c.model_name)->default_value(c.model_name), "name of the run: output goes to OUT/MODEL_NAME")
      ("img-size", po::value(&c.img_size)->default_value(c.img_size), "image size the GAN makes (images are resized to it)")
      ("save-nr", po::value(&c.save_nr)->default_value(c.save_nr), "write a sample grid every N epochs")
      ("n-classes", po::value(&c.n_classes)->default_value(c.n_classes), "classes or clusters; 0: the number of distinct labels in the CSV")
      ("checkpoint-nr", po::value(&c.checkpoint_nr)->default_value(c.checkpoint_nr), "write a checkpoint every N epochs (and after the last)")
      ("checkpoint-start", po::value(&c.checkpoint_start)->default_value(c.checkpoint_start), "first epoch that may write a checkpoint")
      ("disc-repeats", po::value(&c.disc_repeats)->default_value(c.disc_repeats), "discriminator steps per generator step (n_critic)")
      ("gp-weight", po::value(&c.gp_weight)->default_value(c.gp_weight), "gradient penalty weight lambda")
      ("penalty", po::value(&c.penalty)->default_value(c.penalty)->implicit_value(true), "use a gradient penalty (with --loss-func wasserstein)")
      ("clip", po::value(&c.clip)->default_value(c.clip)->implicit_value(true), "clip the critic's weights (with --loss-func wasserstein)")
      ("clip-value", po::value(&c.clip_value)->default_value(c.clip_value), "weight clipping bound c")
      ("attention", po::value(&c.attention)->default_value(c.attention)->implicit_value(true), "self-attention in G after block 2 (with --loss-func bce: the paper's SAGAN, model R)")
      ("penalty-bool", po::value(&c.penalty_bool), "the paper's --penalty_bool: any non-empty value turns the penalty on, 'False' included, as Python's type=bool does in train.py (ours: --penalty false turns it off)")
      ("clip-bool", po::value(&c.clip_bool), "the paper's --clip_bool: any non-empty value is true, 'False' included, as in train.py (ours: --clip false turns it off)")
      ("attention-bool", po::value(&c.attention_bool), "the paper's --attention_bool: any non-empty value is true, 'False' included (train.py parses it but its models.py has the attention commented out; ours: --attention false turns it off)");
  po::options_description more("Beyond the paper");
  more.add_options()
      ("variant", po::value(&c.variant), variant_help().c_str())
      ("data-dir", po::value(&c.data_dir), "folder the CSV's file names are relative to (default: the CSV's folder)")
      ("labels", po::value(&c.csv_file), "same as --csv-file")
      ("out", po::value(&c.out)->default_value(c.out), "output root")
      ("device", po::value(&c.device)->default_value(c.device), "cpu | cuda")
      ("seed", po::value(&c.seed)->default_value(c.seed), "seed of weights, noise and data order")
      ("optimizer", po::value(&c.optimizer)->default_value(c.optimizer), "adam | rmsprop")
      ("d-output-dim", po::value(&c.d_output_dim)->default_value(c.d_output_dim), "width of D's output (the paper's model E: 8)")
      ("ema", po::value(&c.ema)->default_value(c.ema), "EMA decay of G's weights (0: off; e.g. 0.999)")
      ("attention-at", po::value(&c.attention_at), "blocks followed by self-attention, e.g. 2 or 2,3 (both networks)")
      ("g-attention-at", po::value(&c.g_attention_at), "the generator's attention blocks, e.g. 2 (none: no attention); overrides --attention-at")
      ("d-attention-at", po::value(&c.d_attention_at), "the discriminator's attention blocks, e.g. 2 (none: no attention); overrides --attention-at")
      ("reuse-fakes", po::value(&c.reuse_fakes)->default_value(c.reuse_fakes)->implicit_value(true), "the generator step reuses the last critic step's fakes (DCGAN's example; faster) instead of drawing fresh noise and running G again as the paper's train.py:221-223")
      ("arch", po::value(&c.arch)->default_value(c.arch), "auto | family | paper96 (auto: the paper's networks at 96, the family otherwise)")
      ("g-width", po::value(&c.g_width)->default_value(c.g_width), "generator base width (family)")
      ("d-width", po::value(&c.d_width)->default_value(c.d_width), "discriminator base width (family)")
      ("augment", po::value(&c.augment)->default_value(c.augment)->implicit_value(true), "random flips and 90-degree rotations")
      ("on-bad-image", po::value(&c.on_bad_image)->default_value(c.on_bad_image), "error | skip: what to do with a missing or corrupt image or a bad CSV row")
      ("cache", po::value(&c.cache)->default_value(c.cache), "cache the decoded dataset next to the output")
      ("init", po::value(&c.init)->default_value(c.init), "paper (train.py's weights_init: conv weights N(0, 0.02), BatchNorm weights N(1, 0.02) and biases 0; attention convs keep PyTorch's defaults) | dcgan (the same draws, DCGAN's name) | pytorch (libtorch's defaults)")
      ("grid-columns", po::value(&c.grid_columns)->default_value(c.grid_columns), "samples per class in the grids")
      ("resume", po::bool_switch(&c.resume), "continue from OUT/MODEL_NAME/checkpoints/latest")
      ("config", po::value(&c.config), "INI file with these options (key = value); command-line flags override it");
  po::options_description all;
  all.add(paper).add(more);
  return all;
}

/// On while `aerogan pipeline` checks the sections of its config before it runs anything: the
/// subcommands parse their options (an unknown name or a malformed value throws) and return
/// without doing their work.
inline bool& options_check_only() {
  static bool on = false;
  return on;
}

/// Parses `args` into `vm`; prints `desc` and returns false on --help (and returns false,
/// silently, in options_check_only mode).
inline bool parse_or_help(const std::vector<std::string>& args, const po::options_description& desc,
                          po::variables_map& vm) {
  po::store(po::command_line_parser(args).options(desc).run(), vm);
  po::notify(vm);
  if (options_check_only()) return false;
  if (!vm.count("help")) return true;
  std::cout << desc;
  return false;
}

/// Parses the command line (and --config), validates, and returns the configuration.
/// Throws std::invalid_argument with a message naming the bad value.
inline TrainConfig parse_train(const std::vector<std::string>& args, bool* help = nullptr) {
  TrainConfig c;
  auto desc = train_options(c);
  desc.add_options()("help,h", "this help");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(desc).run(), vm);
  if (vm.count("help")) {
    if (help) *help = true;
    std::cout << "aerogan train: train a conditional GAN on a folder of images and a CSV\n\n" << desc;
    return c;
  }
  if (vm.count("config")) {
    const auto file = vm["config"].as<std::string>();
    std::ifstream in(file);
    if (!in) throw std::invalid_argument("cannot open the config file " + file);
    std::istringstream ini(normalise_ini(in));
    po::store(po::parse_config_file(ini, desc), vm);
  }
  po::notify(vm);
  if (options_check_only()) {
    if (help) *help = true;
    return c;
  }
  // The paper's spellings: Python's bool("False") is True.
  for (auto [flag, value, target] : {std::tuple{"penalty_bool", &c.penalty_bool, &c.penalty},
                                     std::tuple{"clip_bool", &c.clip_bool, &c.clip},
                                     std::tuple{"attention_bool", &c.attention_bool, &c.attention}}) {
    if (!vm.count(std::string(flag).replace(std::string(flag).find('_'), 1, "-"))) continue;
    *target = !value->empty();
    std::string low = *value;
    std::transform(low.begin(), low.end(), low.begin(), [](unsigned char ch) { return char(std::tolower(ch)); });
    if (low == "false" || low == "0" || low == "no")
      std::cerr << "aerogan train: note: --" << flag << " " << *value << " is true, as in the paper's train.py "
                << "(Python's type=bool); use --" << std::string(flag).substr(0, std::string(flag).find('_'))
                << " false to turn it off\n";
  }
  if (c.loss_func == "wloss") c.loss_func = "wasserstein";
  if (c.variant.empty()) {
    one_of("loss-func", c.loss_func, {"bce", "wasserstein", "wloss", "hinge"});
    if (c.loss_func == "wasserstein")
      c.variant = c.penalty ? "wgan-gp" : c.clip ? "wgan-clip" : "wgan";
    else if (c.loss_func == "hinge")
      c.variant = "sagan-hinge";
    else
      c.variant = c.attention ? "sagan" : "vanilla";
  }
  one_of("variant", c.variant, variants());
  one_of("device", c.device, {"cpu", "cuda"});
  one_of("optimizer", c.optimizer, {"adam", "rmsprop"});
  one_of("arch", c.arch, {"auto", "family", "paper96"});
  one_of("on-bad-image", c.on_bad_image, {"error", "skip"});
  one_of("init", c.init, {"paper", "dcgan", "pytorch"});
  auto positive = [](const std::string& what, int64_t v) {
    if (v <= 0) throw std::invalid_argument("--" + what + " must be > 0, got " + std::to_string(v));
  };
  positive("n-epochs", c.n_epochs);
  positive("batch-size", c.batch_size);
  positive("z-dim", c.z_dim);
  positive("img-size", c.img_size);
  positive("save-nr", c.save_nr);
  positive("checkpoint-nr", c.checkpoint_nr);
  positive("disc-repeats", c.disc_repeats);
  positive("d-output-dim", c.d_output_dim);
  if (c.n_classes < 0) throw std::invalid_argument("--n-classes must be >= 0, got " + std::to_string(c.n_classes));
  if (c.csv_file.empty()) throw std::invalid_argument("no labels: give --labels (or --csv-file) FILE.csv");
  if (c.data_dir.empty()) c.data_dir = fs::path(c.csv_file).parent_path().string();
  return c;
}

/// Attention blocks from "2,3".
inline std::vector<int64_t> parse_list(const std::string& s, const std::string& what) {
  std::vector<int64_t> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) {
    try {
      size_t used = 0;
      out.push_back(std::stoll(item, &used));
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      throw std::invalid_argument("--" + what + ": '" + item + "' is not an integer");
    }
  }
  return out;
}

/// Writes the resolved configuration as an INI file that --config reads back.
inline std::string to_ini(const TrainConfig& c) {
  std::ostringstream o;
  o << "# aerogan train: the resolved configuration of this run\n"
    << "n-epochs = " << c.n_epochs << "\nbatch-size = " << c.batch_size
    << "\nloss-func = " << c.loss_func << "\nlr = " << c.lr << "\nb1 = " << c.b1 << "\nb2 = " << c.b2
    << "\nz-dim = " << c.z_dim << "\nlabels = " << c.csv_file << "\nmodel-name = " << c.model_name
    << "\nimg-size = " << c.img_size << "\nsave-nr = " << c.save_nr << "\nn-classes = " << c.n_classes
    << "\ncheckpoint-nr = " << c.checkpoint_nr << "\ncheckpoint-start = " << c.checkpoint_start
    << "\ndisc-repeats = " << c.disc_repeats << "\ngp-weight = " << c.gp_weight
    << "\npenalty = " << c.penalty << "\nclip = " << c.clip << "\nclip-value = " << c.clip_value
    << "\nattention = " << c.attention << "\nvariant = " << c.variant << "\ndata-dir = " << c.data_dir
    << "\nout = " << c.out << "\ndevice = " << c.device << "\nseed = " << c.seed
    << "\noptimizer = " << c.optimizer << "\nd-output-dim = " << c.d_output_dim << "\nema = " << c.ema
    << "\n" << (c.attention_at.empty() ? "# " : "") << "attention-at = " << c.attention_at
    << "\n" << (c.g_attention_at.empty() ? "# " : "") << "g-attention-at = " << c.g_attention_at
    << "\n" << (c.d_attention_at.empty() ? "# " : "") << "d-attention-at = " << c.d_attention_at
    << "\nreuse-fakes = " << c.reuse_fakes
    << "\narch = " << c.arch << "\ng-width = " << c.g_width << "\nd-width = " << c.d_width
    << "\naugment = " << c.augment << "\non-bad-image = " << c.on_bad_image << "\ncache = " << c.cache
    << "\ngrid-columns = " << c.grid_columns << "\ninit = " << c.init << "\n";
  return o.str();
}

/// The networks' spec of a configuration (n_classes resolved).
inline gan::NetworkSpec network_spec(const TrainConfig& c) {
  const bool paper = c.arch == "paper96" || (c.arch == "auto" && c.img_size == 96);
  auto s = gan::NetworkSpec()
               .image_size(c.img_size)
               .num_classes(c.n_classes)
               .z_dim(c.z_dim)
               .layout(paper ? gan::Layout::paper96 : gan::Layout::family)
               .g_width(c.g_width)
               .d_width(c.d_width)
               .d_output_dim(c.d_output_dim);
  // Attention: per network, then both, then --attention (model R's block), else the variant's.
  auto blocks = [](const std::string& v, const char* what) {
    return v == "none" ? std::vector<int64_t>{} : parse_list(v, what);
  };
  std::optional<std::vector<int64_t>> g_at, d_at;
  if (!c.attention_at.empty()) g_at = d_at = blocks(c.attention_at, "attention-at");
  else if (c.attention && c.variant.rfind("sagan", 0) != 0) g_at = std::vector<int64_t>{2};
  if (!c.g_attention_at.empty()) g_at = blocks(c.g_attention_at, "g-attention-at");
  if (!c.d_attention_at.empty()) d_at = blocks(c.d_attention_at, "d-attention-at");
  if (g_at) s.g_attention_at(*g_at);
  if (d_at) s.d_attention_at(*d_at);
  return s;
}

inline gan::TrainerOptions trainer_options(const TrainConfig& c) {
  auto opt = gan::OptimizerOptions()
                 .kind(c.optimizer == "rmsprop" ? gan::OptimizerOptions::Kind::rmsprop
                                                : gan::OptimizerOptions::Kind::adam)
                 .lr(c.lr)
                 .beta1(c.b1)
                 .beta2(c.b2);
  return gan::TrainerOptions()
      .n_critic(c.disc_repeats)
      .g_optimizer(opt)
      .d_optimizer(opt)
      .ema_decay(c.ema)
      .seed(c.seed)
      .reuse_fakes(c.reuse_fakes)
      .init(c.init == "dcgan" ? gan::WeightInit::dcgan
                              : c.init == "pytorch" ? gan::WeightInit::pytorch : gan::WeightInit::paper)
      .device(c.device == "cuda" ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU));
}

/// Makes the trainer of the configuration's variant and calls fn(trainer).
template <class Fn>
auto with_trainer(const TrainConfig& c, Fn&& fn) {
  const auto spec = network_spec(c);
  const auto opts = trainer_options(c);
  return gan::presets::visit(c.variant, [&](auto tag) {
    using T = typename decltype(tag)::type;
    return fn(gan::presets::make<T>(spec, opts, {.clip_value = c.clip_value, .gp_weight = c.gp_weight}));
  });
}

/// The classifier of `classify` and `evaluate`: a VGG, from scratch or fine-tuned from
/// torchvision's ImageNet weights, and how it is trained.
struct ClassifierConfig {
  int64_t img_size = 64, depth = 11, epochs = 10, batch = 32, freeze = -1, hidden = 4096, pool = 7;
  double lr = 1e-4, width = 1.0;
  bool batch_norm = false, augment = true;
  std::string weights, device = "cpu", on_bad = "error";
};

inline void add_classifier_options(po::options_description& desc, ClassifierConfig& c) {
  desc.add_options()
      ("img-size", po::value(&c.img_size)->default_value(c.img_size), "input size (>= 32)")
      ("depth", po::value(&c.depth)->default_value(c.depth), "VGG depth: 11 or 16")
      ("batch-norm", po::value(&c.batch_norm)->default_value(c.batch_norm)->implicit_value(true), "the _bn variant")
      ("width", po::value(&c.width)->default_value(c.width), "channels times this (1: torchvision's; 0.25: a small VGG for small tiles)")
      ("hidden", po::value(&c.hidden)->default_value(c.hidden), "width of the two hidden linear layers (torchvision: 4096)")
      ("pool", po::value(&c.pool)->default_value(c.pool), "side of the average pool before the head (torchvision: 7)")
      ("weights", po::value(&c.weights), "torchvision ImageNet weights (.pth), e.g. vgg11-8a719358.pth; the head is replaced")
      ("freeze", po::value(&c.freeze)->default_value(c.freeze), "conv layers to freeze (-1: 4 with --weights, as the paper, else 0)")
      ("epochs", po::value(&c.epochs)->default_value(c.epochs), "training epochs")
      ("batch-size", po::value(&c.batch)->default_value(c.batch), "batch size")
      ("lr", po::value(&c.lr)->default_value(c.lr), "Adam learning rate")
      ("augment", po::value(&c.augment)->default_value(c.augment), "flips and 90-degree rotations while training")
      ("device", po::value(&c.device)->default_value(c.device), "cpu | cuda")
      ("on-bad-image", po::value(&c.on_bad)->default_value(c.on_bad), "error | skip");
}

inline void check(const ClassifierConfig& c) {
  if (c.epochs < 0 || c.batch <= 0) throw std::invalid_argument("--epochs must be >= 0 and --batch-size > 0");
  one_of("device", c.device, {"cpu", "cuda"});
  one_of("on-bad-image", c.on_bad, {"error", "skip"});
  if (!c.weights.empty() && (c.width != 1.0 || c.hidden != 4096 || c.pool != 7))
    throw std::invalid_argument("--weights needs torchvision's shapes: --width 1 --hidden 4096 --pool 7");
}

/// A labelled folder at the classifier's size, cached under `cache_dir`.
inline gan::data::ImageFolder load_set(const std::string& labels, std::string data_dir, int64_t img_size,
                                       const std::string& on_bad, const fs::path& cache_dir, int64_t classes = 0) {
  if (data_dir.empty()) data_dir = fs::path(labels).parent_path().string();
  gan::data::ImageFolderOptions d;
  d.data_dir = data_dir;
  d.labels = labels;
  d.image_size = img_size;
  d.num_classes = classes;
  d.on_bad = on_bad == "skip" ? gan::data::OnBad::skip : gan::data::OnBad::error;
  d.cache_dir = cache_dir;
  return gan::data::load_image_folder(d);
}

/// The VGG of `c` for `classes` classes: ImageNet weights loaded, head replaced, convs frozen.
inline gan::nn::Vgg make_classifier(const ClassifierConfig& c, int64_t classes, bool verbose = true) {
  gan::nn::Vgg vgg(gan::nn::VggOptions(c.depth).batch_norm(c.batch_norm).num_classes(1000).width(c.width).hidden(c.hidden).pool(c.pool));
  if (!c.weights.empty()) {
    gan::io::load_into(*vgg, c.weights, /*strict=*/true);
    if (verbose) std::cout << "loaded ImageNet weights from " << c.weights << "\n";
  }
  vgg->replace_head(classes);
  vgg->freeze_convs(c.freeze >= 0 ? c.freeze : (c.weights.empty() ? 0 : 4));
  return vgg;
}

inline gan::ClassifierOptions classifier_options(const ClassifierConfig& c, uint64_t seed) {
  return gan::ClassifierOptions()
      .epochs(c.epochs)
      .batch_size(c.batch)
      .lr(c.lr)
      .augment(c.augment)
      .seed(seed)
      .device(c.device == "cuda" ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU))
      .imagenet_normalize(!c.weights.empty());
}

/// What `classify` writes next to classifier.pt so that the network can be rebuilt.
inline std::string classifier_ini(const ClassifierConfig& c, int64_t classes) {
  std::ostringstream o;
  o << "# aerogan classify: the shape of classifier.pt\nimg-size = " << c.img_size << "\ndepth = " << c.depth
    << "\nbatch-norm = " << c.batch_norm << "\nwidth = " << c.width << "\nhidden = " << c.hidden
    << "\npool = " << c.pool << "\nclasses = " << classes << "\nimagenet-normalize = " << !c.weights.empty() << "\n";
  return o.str();
}

/// A classifier trained by `classify` (its folder holds classifier.ini and classifier.pt), in
/// eval mode, with the options that prepare its input.
struct TrainedClassifier {
  gan::nn::Vgg net{nullptr};
  ClassifierConfig config;
  gan::ClassifierOptions options;
};

inline TrainedClassifier load_classifier(const fs::path& dir, const std::string& device = "cpu") {
  const auto ini = dir / "classifier.ini", weights = dir / "classifier.pt";
  if (!fs::exists(ini) || !fs::exists(weights))
    throw std::invalid_argument(dir.string() + " holds no classifier.ini and classifier.pt: is it a folder made by aerogan classify?");
  TrainedClassifier t;
  auto& c = t.config;
  int64_t classes = 2;
  bool imagenet = false;
  po::options_description desc;
  desc.add_options()("img-size", po::value(&c.img_size))("depth", po::value(&c.depth))
      ("batch-norm", po::value(&c.batch_norm))("width", po::value(&c.width))("hidden", po::value(&c.hidden))
      ("pool", po::value(&c.pool))("classes", po::value(&classes))("imagenet-normalize", po::value(&imagenet));
  po::variables_map vm;
  std::ifstream in(ini);
  po::store(po::parse_config_file(in, desc), vm);
  po::notify(vm);
  c.device = device;
  t.net = gan::nn::Vgg(gan::nn::VggOptions(c.depth).batch_norm(c.batch_norm).num_classes(classes)
                           .width(c.width).hidden(c.hidden).pool(c.pool));
  torch::serialize::InputArchive a;
  a.load_from(weights.string());
  t.net->load(a);
  t.net->eval();
  t.options = classifier_options(c, 0).imagenet_normalize(imagenet);
  t.net->to(t.options.device());
  return t;
}

/// "0.7,0.2,0.1" -> three fractions.
inline std::vector<double> parse_split(const std::string& split) {
  std::vector<double> fractions;
  std::stringstream s(split);
  for (std::string f; std::getline(s, f, ',');) {
    try {
      fractions.push_back(std::stod(f));
    } catch (const std::exception&) {
      throw std::invalid_argument("--split: '" + f + "' is not a number");
    }
  }
  if (fractions.size() != 3) throw std::invalid_argument("--split needs three fractions, got '" + split + "'");
  return fractions;
}

/// Rows `idx` of a set's images and labels.
inline std::pair<at::Tensor, at::Tensor> subset(const gan::data::ImageFolder& d, const std::vector<int64_t>& idx) {
  auto i = at::tensor(idx, at::kLong);
  return {d.images.index_select(0, i), d.labels.index_select(0, i)};
}

}  // namespace aerogan
