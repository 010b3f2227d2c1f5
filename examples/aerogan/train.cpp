// aerogan train: trains any variant on a folder of images and a CSV of labels or clusters,
// and leaves checkpoints, sample grids (a row per class), loss plots and a metrics log.
#include "config.hpp"
#include "parallel.hpp"
#include "progress.hpp"

#include <gan/data/image_folder.hpp>
#include <gan/data/loader.hpp>
#include <gan/image/grid.hpp>
#include <gan/image/write.hpp>
#include <gan/viz/plot.hpp>

#include <chrono>
#include <cmath>
#include <map>

namespace aerogan {

namespace {

struct Row {
  int64_t epoch, iteration, step;
  double d_loss, g_loss, penalty, grad_norm, wasserstein, images_per_s, aug_p = NAN;
};

const char* kMetricsHeader = "epoch,iteration,step,d_loss,g_loss,penalty,grad_norm,wasserstein,images_per_s,aug_p";

std::string format_row(const Row& r) {
  std::ostringstream o;
  o.precision(8);
  o << r.epoch << ',' << r.iteration << ',' << r.step << ',' << r.d_loss << ',' << r.g_loss << ','
    << r.penalty << ',' << r.grad_norm << ',' << r.wasserstein << ',' << r.images_per_s << ',' << r.aug_p;
  return o.str();
}

/// The rows of an earlier run's metrics.csv up to `max_step` (for --resume).
std::vector<Row> read_metrics(const fs::path& file, int64_t max_step) {
  std::vector<Row> rows;
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<double> v;
    std::stringstream s(line);
    for (std::string f; std::getline(s, f, ',');) v.push_back(f == "nan" ? NAN : std::strtod(f.c_str(), nullptr));
    if (v.size() != 9 && v.size() != 10) continue;  // (runs of earlier versions have no aug_p)
    Row r{int64_t(v[0]), int64_t(v[1]), int64_t(v[2]), v[3], v[4], v[5], v[6], v[7], v[8], v.size() == 10 ? v[9] : NAN};
    if (r.step <= max_step) rows.push_back(r);
  }
  return rows;
}

void write_plots(const fs::path& dir, const std::vector<Row>& rows, const std::string& variant) {
  gan::viz::Series d{"D loss", {}, {}}, g{"G loss", {}, {}}, gn{"gradient norm", {}, {}},
      pen{"penalty", {}, {}}, w{"Wasserstein estimate", {}, {}};
  std::map<int64_t, std::array<double, 3>> per_epoch;  // sum d, sum g, count
  for (const auto& r : rows) {
    d.x.push_back(double(r.step));
    d.y.push_back(r.d_loss);
    g.x.push_back(double(r.step));
    g.y.push_back(r.g_loss);
    gn.x.push_back(double(r.step));
    gn.y.push_back(r.grad_norm);
    pen.x.push_back(double(r.step));
    pen.y.push_back(r.penalty);
    w.x.push_back(double(r.step));
    w.y.push_back(r.wasserstein);
    auto& e = per_epoch[r.epoch];
    e[0] += r.d_loss;
    e[1] += r.g_loss;
    e[2] += 1;
  }
  gan::viz::PlotOptions o;
  o.title = "Losses over iterations (" + variant + ")";
  o.x_label = "iteration";
  o.y_label = "loss";
  o.smooth = rows.size() > 50 ? int(rows.size() / 50) : 0;
  gan::viz::write_plot(dir / "losses_iterations.png", {d, g}, o);
  gan::viz::Series de{"D loss (epoch mean)", {}, {}}, ge{"G loss (epoch mean)", {}, {}};
  for (const auto& [epoch, e] : per_epoch) {
    de.x.push_back(double(epoch));
    de.y.push_back(e[0] / e[2]);
    ge.x.push_back(double(epoch));
    ge.y.push_back(e[1] / e[2]);
  }
  o.title = "Losses over epochs (" + variant + ")";
  o.x_label = "epoch";
  o.smooth = 0;
  gan::viz::write_plot(dir / "losses_epochs.png", {de, ge}, o);
  o.title = "Critic gradient norm and penalty (" + variant + ")";
  o.x_label = "iteration";
  o.y_label = "value";
  o.smooth = rows.size() > 50 ? int(rows.size() / 50) : 0;
  gan::viz::write_plot(dir / "gradients.png", {gn, pen, w}, o);
  gan::viz::Series p{"ADA's p", {}, {}};
  for (const auto& r : rows)
    if (std::isfinite(r.aug_p)) p.x.push_back(double(r.step)), p.y.push_back(r.aug_p);
  if (!p.x.empty()) {
    o.title = "Augmentation probability p (" + variant + ")";
    o.y_label = "p";
    o.smooth = 0;
    gan::viz::write_plot(dir / "augment_p.png", {p}, o);
  }
}

template <class Trainer>
int train_loop(Trainer trainer, const TrainOptions& c, const gan::data::ImageFolder& data,
               const std::shared_ptr<gan::distributed::Communicator>& group) {
  const auto dir = c.model_dir();
  const auto ckpt_dir = dir / "checkpoints";
  // Data parallel: every rank trains on its rows of each global batch; rank 0 alone writes.
  const int64_t rank = group ? group->rank() : 0, world = group ? group->world_size() : 1;
  const bool writes = rank == 0;
  const int64_t global_batch = c.batch_size * world;
  if (data.images.size(0) < global_batch)
    throw std::invalid_argument("--batch-size " + std::to_string(c.batch_size) + (world > 1 ? " x " + std::to_string(world) + " processes" : "") +
                                " is larger than the dataset (" + std::to_string(data.images.size(0)) + " images from " + c.csv_file +
                                "): lower --batch-size");
  gan::data::Loader loader(data.images, data.labels,
                           {.batch_size = c.batch_size, .shuffle = true, .drop_last = true,
                            .augment = c.augment, .prefetch = true, .seed = c.seed, .rank = rank, .world_size = world});
  const int64_t per_epoch = loader.batches_per_epoch();
  auto identity = run_identity(c, data);
  identity.emplace_back("world_size", std::to_string(world));  // the global batch and the data order
  trainer.set_identity(identity);

  std::vector<Row> rows;
  int64_t start_epoch = 0;
  if (c.resume && fs::exists(ckpt_dir / "latest")) {
    std::ifstream in(ckpt_dir / "latest");
    std::string name;
    std::getline(in, name);
    if (name.empty())
      throw std::invalid_argument((ckpt_dir / "latest").string() + " is empty: it should name the newest checkpoint of " + ckpt_dir.string() +
                                  " (write that name into it, e.g. epoch_3.pt, or start again without --resume)");
    try {
      trainer.load(ckpt_dir / name, c.force_resume);
    } catch (const gan::IdentityMismatch& e) {
      std::string m = "cannot resume " + dir.string() + " from " + name + ": it was made with other settings:";
      for (const auto& d : e.differences()) m += "\n  " + d;
      throw std::invalid_argument(m + (e.forceable() ? "\n--force-resume resumes anyway, with the new settings"
                                                     : "\nthe networks or optimizers differ, so it cannot resume: train a new model (another --model-name)"));
    }
    if (trainer.steps() % per_epoch != 0)
      throw std::runtime_error("checkpoint " + (ckpt_dir / name).string() +
                               " is not at an epoch boundary of this dataset and batch size");
    start_epoch = trainer.steps() / per_epoch;
    rows = read_metrics(dir / "metrics.csv", trainer.steps());
    if (writes)
      std::cout << "resuming " << dir.string() << " from " << name << " (epoch " << start_epoch
                << ", step " << trainer.steps() << ")\n";
  } else if (c.resume && writes) {
    std::cout << "nothing to resume in " << ckpt_dir.string() << "; starting from scratch\n";
  }
  trainer.set_communicator(group);  // rank 0's weights to every rank
  if (c.log_every > 1) trainer.check_labels(data.labels);  // the deferred steps do not check theirs
  // Written once the checkpoint, if any, is known to fit: a refused resume changes nothing.
  std::ofstream metrics;
  if (writes) {
    gan::io::write_file_atomically(dir / "config.ini", c.ini());
    // metrics.csv holds exactly the rows up to the (resumed) step
    std::string text = std::string(kMetricsHeader) + "\n";
    for (const auto& r : rows) text += format_row(r) + "\n";
    gan::io::write_file_atomically(dir / "metrics.csv", text);
    metrics.open(dir / "metrics.csv", std::ios::app);
  }

  // Fixed noise for the grids: a row per class, the same draws every epoch.
  const int64_t cols = c.grid_columns, classes = trainer.spec().num_classes();
  auto grid_gen = at::make_generator<at::CPUGeneratorImpl>(c.seed ^ 0x5DEECE66Dull);
  const auto grid_z = at::randn({classes * cols, c.z_dim}, grid_gen, at::TensorOptions(at::kFloat));
  const auto grid_labels = at::arange(classes, at::kLong).repeat_interleave(cols);

  Progress progress(c.n_epochs, per_epoch, global_batch, writes);
  if (writes)
    std::cout << "training " << c.variant << " on " << data.images.size(0) << " images, "
              << classes << " classes, " << per_epoch << " iterations per epoch, " << c.n_epochs
              << " epochs, on " << c.device
              << (world > 1 ? ", " + std::to_string(world) + " processes: global batch " + std::to_string(global_batch) + " (" +
                                  std::to_string(c.batch_size) + " per process)"
                            : std::string())
              << "\n";
  int exit_code = 0;
  // The losses of steps not yet read (--log-every N > 1: step_deferred, read once every N steps).
  std::vector<gan::DeferredStats> pending;
  std::vector<int64_t> pending_it;
  auto t0 = std::chrono::steady_clock::now();
  // Rows for the steps taken; a step that diverged stops the run (exit code 3).
  const auto record = [&](int64_t epoch, const std::vector<gan::StepStats>& stats, const std::vector<int64_t>& its) {
    const auto now = std::chrono::steady_clock::now();
    const double secs = std::chrono::duration<double>(now - t0).count();
    t0 = now;
    for (size_t i = 0; i < stats.size(); ++i) {
      const auto& s = stats[i];
      if (!s.finite) {
        progress.finish();
        if (writes)
          std::cerr << "aerogan train: at epoch " << epoch + 1 << ", iteration " << its[i] + 1 << " the "
                    << s.diverged << " loss is not finite (d_loss " << s.d_loss << ", g_loss "
                    << s.g_loss << "); stopping. The last checkpoint is intact; try a lower --lr.\n";
        exit_code = 3;
        return;
      }
      Row r{epoch + 1, its[i] + 1, s.step, s.d_loss, s.g_loss, s.penalty, s.grad_norm, s.wasserstein,
            double(global_batch * int64_t(stats.size())) / secs, s.augment_p};
      rows.push_back(r);
      if (writes) metrics << format_row(r) << '\n';
      progress.update(its[i], r.images_per_s, s.d_loss, s.g_loss);
    }
  };
  for (int64_t epoch = start_epoch; epoch < c.n_epochs && exit_code == 0; ++epoch) {
    progress.start_epoch(epoch);
    t0 = std::chrono::steady_clock::now();
    loader.for_each(epoch, [&](int64_t it, gan::data::Batch& b) {
      if (exit_code) return;
      if (c.log_every <= 1) return record(epoch, {trainer.step(b.images, b.labels)}, {it});
      pending.push_back(trainer.step_deferred(b.images, b.labels));
      pending_it.push_back(it);
      if (int64_t(pending.size()) == c.log_every || it + 1 == per_epoch) {
        auto stats = gan::read_all(pending);
        for (size_t i = 0; i < stats.size(); ++i) {  // a deferred step records its finiteness only
          stats[i].augment_p = pending[i].augment_p;
          if (!stats[i].finite && stats[i].diverged.empty()) stats[i].diverged = "discriminator or generator";
        }
        record(epoch, stats, pending_it);
        pending.clear(), pending_it.clear();
      }
    });
    if (writes) metrics.flush();
    if (exit_code) break;
    progress.end_epoch();
    const int64_t n = epoch + 1;
    const bool last = n == c.n_epochs;
    if (!writes) continue;
    if (n % c.save_nr == 0 || last) {
      auto images = trainer.sample(grid_labels, grid_z);
      gan::image::write_image(dir / "samples" / ("epoch_" + std::to_string(n) + ".png"),
                           gan::image::make_grid(images, cols));
    }
    write_plots(dir / "plots", rows, c.variant);
    if (n >= c.checkpoint_start && (n % c.checkpoint_nr == 0 || last)) {
      const std::string name = "epoch_" + std::to_string(n) + ".pt";
      try {
        trainer.save(ckpt_dir / name);
        gan::io::write_file_atomically(ckpt_dir / "latest", name + "\n");
      } catch (const std::runtime_error& e) {  // e.g. a full disk: the last checkpoint is intact
        progress.finish();
        std::ifstream in(ckpt_dir / "latest");
        std::string kept;
        std::getline(in, kept);
        throw std::runtime_error(std::string(e.what()) + "; " +
                                 (kept.empty() ? std::string("no checkpoint was written yet")
                                               : "the last checkpoint, " + kept + ", is intact: free space and continue with --resume"));
      }
    }
  }
  if (exit_code == 0 && writes)
    std::cout << "done: " << dir.string() << "\n  samples/  plots/  checkpoints/  metrics.csv  config.ini\n";
  return exit_code;
}

}  // namespace

void TrainOptions::describe(OptionSet& s) {
  s.add("n-epochs", &n_epochs, "training epochs")
      .add("batch-size", &batch_size, "batch size")
      .add("loss-func", &loss_func, "bce | wasserstein (the paper's name: wloss) | hinge (picks the variant when --variant is not given)")
      .add("lr", &lr, "learning rate of both networks")
      .add("b1", &b1, "Adam beta1")
      .add("b2", &b2, "Adam beta2")
      .add("z-dim", &z_dim, "noise dimensions")
      .alias("csv-file", &csv_file, "CSV of filename,label (or filename,cluster); same as --labels")
      .add("model-name", &model_name, "name of the run: output goes to OUT/MODEL_NAME")
      .add("img-size", &img_size, "image size the GAN makes (images are resized to it)")
      .add("save-nr", &save_nr, "write a sample grid every N epochs")
      .add("n-classes", &n_classes, "classes or clusters; 0: the number of distinct labels in the CSV")
      .add("checkpoint-nr", &checkpoint_nr, "write a checkpoint every N epochs (and after the last)")
      .add("checkpoint-start", &checkpoint_start, "first epoch that may write a checkpoint")
      .add("disc-repeats", &disc_repeats, "discriminator steps per generator step (n_critic)")
      .add("gp-weight", &gp_weight, "gradient penalty weight lambda")
      .flag("penalty", &penalty, "use a gradient penalty (with --loss-func wasserstein)")
      .flag("clip", &clip, "clip the critic's weights (with --loss-func wasserstein)")
      .add("clip-value", &clip_value, "weight clipping bound c")
      .flag("attention", &attention, "self-attention in G after block 2 (with --loss-func bce: the paper's SAGAN, model R)")
      .alias("penalty-bool", &penalty_bool, "the paper's --penalty_bool: any non-empty value turns the penalty on, 'False' included, as Python's type=bool does in train.py (ours: --penalty false turns it off)")
      .alias("clip-bool", &clip_bool, "the paper's --clip_bool: any non-empty value is true, 'False' included, as in train.py (ours: --clip false turns it off)")
      .alias("attention-bool", &attention_bool, "the paper's --attention_bool: any non-empty value is true, 'False' included (train.py parses it but its models.py has the attention commented out; ours: --attention false turns it off)");
  s.group("Beyond the paper")
      .add("variant", &variant, variant_help())
      .add("data-dir", &data_dir, "folder the CSV's file names are relative to (default: the CSV's folder)")
      .add("labels", &csv_file, "same as --csv-file");
  declare_out(s, &out, "output root");
  declare_device(s, &device);
  declare_seed(s, &seed, "seed of weights, noise and data order");
  s.add("optimizer", &optimizer, "adam | rmsprop")
      .add("d-output-dim", &d_output_dim, "width of D's output (the paper's model E: 8)")
      .add("ema", &ema, "EMA decay of G's weights (0: off; e.g. 0.999)")
      .add("attention-at", &attention_at, "blocks followed by self-attention, e.g. 2 or 2,3 (both networks)")
      .add("g-attention-at", &g_attention_at, "the generator's attention blocks, e.g. 2 (none: no attention); overrides --attention-at")
      .add("d-attention-at", &d_attention_at, "the discriminator's attention blocks, e.g. 2 (none: no attention); overrides --attention-at")
      .flag("reuse-fakes", &reuse_fakes, "the generator step reuses the last critic step's fakes (DCGAN's example; faster) instead of drawing fresh noise and running G again as the paper's train.py:221-223")
      .add("arch", &arch, "auto | family | paper96 (auto: the paper's networks at 96, the family otherwise)")
      .add("g-width", &g_width, "generator base width (family)")
      .add("d-width", &d_width, "discriminator base width (family)")
      .flag("augment", &augment, "random flips and 90-degree rotations")
      .add("on-bad-image", &on_bad_image, "error | skip: what to do with a missing or corrupt image or a bad CSV row")
      .add("cache", &cache, "cache the decoded dataset next to the output")
      .add("init", &init, "paper (train.py's weights_init: conv weights N(0, 0.02), BatchNorm weights N(1, 0.02) and biases 0; attention convs keep PyTorch's defaults) | dcgan (the same draws, DCGAN's name) | pytorch (libtorch's defaults)")
      .add("grid-columns", &grid_columns, "samples per class in the grids")
      .add("diffaugment", &diffaugment, "DiffAugment (Zhao et al. 2020) before every discriminator call, reals and fakes alike: ops from color, translation, cutout, e.g. color,translation,cutout (empty: none)")
      .flag("ada", &ada, "ADA (Karras et al. 2020): flips, 90-degree rotations, integer translation and colour, each with a probability p that follows D's overfitting; p is logged (metrics.csv aug_p) and plotted")
      .add("ada-target", &ada_target, "ADA: the target of E[sign(D(real))]")
      .add("ada-interval", &ada_interval, "ADA: steps between adjustments of p")
      .add("ada-kimg", &ada_kimg, "ADA: thousands of images for p to go from 0 to 1 (the paper: 500; a small run needs less)")
      .add("precision", &precision, "fp32 | bf16 (autocast of the forward passes; weights and optimizer state stay float)")
      .add("memory-format", &memory_format, "channels-last | contiguous: the networks' weights and the batches in NHWC memory, with the generator's transposed convolutions on oneDNN on the CPU (faster: docs/performance.md), or PyTorch's default layout; the same numbers to float rounding")
      .add("log-every", &log_every, "read the losses back every N steps (1: every step; N > 1: the steps leave them on the device, and the labels are checked once)")
      .toggle("resume", &resume, "continue from OUT/MODEL_NAME/checkpoints/latest")
      .toggle("force-resume", &force_resume, "with --resume: continue although the checkpoint was made with other options or data (the differences are listed without it)");
  dist.describe(s);
}

std::string TrainOptions::ini() const { return ini_of(*this, "aerogan train: the resolved configuration of this run"); }

void TrainOptions::validate() {
  // The paper's spellings: Python's bool("False") is True.
  for (auto [flag, value, target] : {std::tuple{"penalty_bool", &penalty_bool, &penalty},
                                     std::tuple{"clip_bool", &clip_bool, &clip},
                                     std::tuple{"attention_bool", &attention_bool, &attention}}) {
    if (*value == kUnset) continue;
    *target = !value->empty();
    std::string low = *value;
    std::transform(low.begin(), low.end(), low.begin(), [](unsigned char ch) { return char(std::tolower(ch)); });
    if (low == "false" || low == "0" || low == "no")
      std::cerr << "aerogan train: note: --" << flag << " " << *value << " is true, as in the paper's train.py "
                << "(Python's type=bool); use --" << std::string(flag).substr(0, std::string(flag).find('_'))
                << " false to turn it off\n";
    *value = kUnset;
  }
  if (loss_func == "wloss") loss_func = "wasserstein";
  one_of("loss-func", loss_func, {"bce", "wasserstein", "hinge"});
  if (penalty && clip)
    throw std::invalid_argument("--penalty and --clip exclude each other: a WGAN takes a gradient penalty (wgan-gp) or weight clipping (wgan-clip)");
  if (!variant.empty()) {
    // The paper's switches pick a variant too: given beside --variant, they must agree with it.
    auto refuse = [&](const std::string& flag) {
      throw std::invalid_argument("--variant " + variant + " and " + flag + " disagree: give --variant alone, or the paper's switches alone");
    };
    const bool wgan = variant.rfind("wgan", 0) == 0;
    if (loss_func == "wasserstein" && !wgan) refuse("--loss-func wasserstein");
    if (loss_func == "hinge" && variant != "sagan-hinge") refuse("--loss-func hinge");
    if (penalty && variant != "wgan-gp") refuse("--penalty");
    if (clip && variant != "wgan-clip") refuse("--clip");
    if (attention && variant.rfind("sagan", 0) != 0) refuse("--attention");
  }
  if (variant.empty()) {
    one_of("loss-func", loss_func, {"bce", "wasserstein", "wloss", "hinge"});
    if (loss_func == "wasserstein")
      variant = penalty ? "wgan-gp" : clip ? "wgan-clip" : "wgan";
    else if (loss_func == "hinge")
      variant = "sagan-hinge";
    else
      variant = attention ? "sagan" : "vanilla";
  }
  one_of("variant", variant, variants());
  check_device(device);
  one_of("optimizer", optimizer, {"adam", "rmsprop"});
  one_of("arch", arch, {"auto", "family", "paper96"});
  one_of("on-bad-image", on_bad_image, {"error", "skip"});
  one_of("init", init, {"paper", "dcgan", "pytorch"});
  auto positive = [](const std::string& what, int64_t v) {
    if (v <= 0) throw std::invalid_argument("--" + what + " must be > 0, got " + std::to_string(v));
  };
  positive("n-epochs", n_epochs);
  positive("batch-size", batch_size);
  positive("z-dim", z_dim);
  positive("img-size", img_size);
  positive("save-nr", save_nr);
  positive("checkpoint-nr", checkpoint_nr);
  positive("disc-repeats", disc_repeats);
  positive("d-output-dim", d_output_dim);
  positive("g-width", g_width);
  positive("d-width", d_width);
  positive("grid-columns", grid_columns);
  if (n_classes < 0 || n_classes > 1000)
    throw std::invalid_argument("--n-classes must be in [0, 1000] (each class is an input channel of every image; 0: from the labels), got " + std::to_string(n_classes));
  if (img_size < 6 || img_size > 512 || img_size % 2 != 0)
    throw std::invalid_argument("--img-size must be an even number in [6, 512]: a start size of 3 or more times a power of two, "
                                "such as 16, 32, 48, 64, 96 (the paper), 128 or 256; got " + std::to_string(img_size));
  if (!(lr > 0)) throw std::invalid_argument("--lr must be > 0, got " + format_number(lr));
  if (!(ema >= 0 && ema < 1)) throw std::invalid_argument("--ema must be in [0, 1), got " + format_number(ema));
  for (auto [what, v] : {std::pair{"attention-at", &attention_at}, std::pair{"g-attention-at", &g_attention_at},
                         std::pair{"d-attention-at", &d_attention_at}})
    if (!v->empty() && *v != "none") parse_list(*v, what);
  if (!diffaugment.empty()) {
    if (ada) throw std::invalid_argument("--diffaugment and --ada exclude each other: choose one augmentation");
    gan::augment::DiffAugment check(diffaugment);  // names a wrong op
  }
  if (!(ada_target > -1 && ada_target < 1)) throw std::invalid_argument("--ada-target must be in (-1, 1), got " + format_number(ada_target));
  if (!(ada_kimg > 0)) throw std::invalid_argument("--ada-kimg must be > 0, got " + format_number(ada_kimg));
  positive("ada-interval", ada_interval);
  one_of("precision", precision, {"fp32", "bf16"});
  one_of("memory-format", memory_format, {"channels-last", "contiguous"});
  positive("log-every", log_every);
  dist.validate();
  if (csv_file.empty()) throw std::invalid_argument("no labels: give --labels (or --csv-file) FILE.csv");
  if (data_dir.empty()) data_dir = fs::path(csv_file).parent_path().string();
}

int run(const TrainOptions& options) {
  auto c = options;
  const auto dir = c.model_dir();
  if (!c.resume && fs::exists(dir / "checkpoints" / "latest"))
    throw std::invalid_argument(dir.string() + " already holds a trained model; use --resume to "
                                "continue it or another --model-name");
  if (c.dist.launches()) {  // --nproc N: this run, N times, as one group
    std::vector<std::string> toggles;
    if (c.resume) toggles.push_back("--resume");
    if (c.force_resume) toggles.push_back("--force-resume");
    return launch("train", c.ini(), dir, c.dist, toggles);
  }
  const auto group = join_group(c.dist);  // with --device cuda each process takes GPU LOCAL_RANK
  const auto data = load_set(c.csv_file, c.data_dir, c.img_size, c.on_bad_image,
                             c.cache ? fs::path(c.out) / "cache" : fs::path(), c.n_classes);
  const bool shown = !group || group->rank() == 0;
  if (shown)
    std::cout << "dataset: " << data.images.size(0) << " images from " << c.csv_file
              << (data.decoded ? " (decoded " + std::to_string(data.decoded) + ")" : " (from the cache)")
              << "\n";
  if (shown && !data.skipped.empty()) {
    std::cout << "skipped " << data.skipped.size() << " bad rows:\n";
    for (size_t i = 0; i < data.skipped.size() && i < 20; ++i) std::cout << "  " << data.skipped[i] << "\n";
    if (data.skipped.size() > 20) std::cout << "  ... and " << data.skipped.size() - 20 << " more\n";
  }
  c.n_classes = data.num_classes;
  fs::create_directories(dir);
  if (shown)
    for (const auto& f : gan::io::remove_stale_temporaries(dir)) std::cout << "removed " << f.string() << " (left by a killed run)\n";
  return with_trainer(c, [&](auto trainer) { return train_loop(std::move(trainer), c, data, group); });
}

}  // namespace aerogan
