// aerogan train: trains any variant on a folder of images and a CSV of labels or clusters,
// and leaves checkpoints, sample grids (a row per class), loss plots and a metrics log.
#include "config.hpp"
#include "progress.hpp"

#include <gan/data/image_folder.hpp>
#include <gan/data/loader.hpp>
#include <gan/io/grid.hpp>
#include <gan/io/image_file.hpp>
#include <gan/io/plot.hpp>

#include <chrono>
#include <cmath>
#include <map>

namespace aerogan {

namespace {

struct Row {
  int64_t epoch, iteration, step;
  double d_loss, g_loss, penalty, grad_norm, wasserstein, images_per_s;
};

const char* kMetricsHeader = "epoch,iteration,step,d_loss,g_loss,penalty,grad_norm,wasserstein,images_per_s";

std::string format_row(const Row& r) {
  std::ostringstream o;
  o.precision(8);
  o << r.epoch << ',' << r.iteration << ',' << r.step << ',' << r.d_loss << ',' << r.g_loss << ','
    << r.penalty << ',' << r.grad_norm << ',' << r.wasserstein << ',' << r.images_per_s;
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
    if (v.size() != 9) continue;
    Row r{int64_t(v[0]), int64_t(v[1]), int64_t(v[2]), v[3], v[4], v[5], v[6], v[7], v[8]};
    if (r.step <= max_step) rows.push_back(r);
  }
  return rows;
}

void write_plots(const fs::path& dir, const std::vector<Row>& rows, const std::string& variant) {
  gan::io::Series d{"D loss", {}, {}}, g{"G loss", {}, {}}, gn{"gradient norm", {}, {}},
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
  gan::io::PlotOptions o;
  o.title = "Losses over iterations (" + variant + ")";
  o.x_label = "iteration";
  o.y_label = "loss";
  o.smooth = rows.size() > 50 ? int(rows.size() / 50) : 0;
  gan::io::write_plot(dir / "losses_iterations.png", {d, g}, o);
  gan::io::Series de{"D loss (epoch mean)", {}, {}}, ge{"G loss (epoch mean)", {}, {}};
  for (const auto& [epoch, e] : per_epoch) {
    de.x.push_back(double(epoch));
    de.y.push_back(e[0] / e[2]);
    ge.x.push_back(double(epoch));
    ge.y.push_back(e[1] / e[2]);
  }
  o.title = "Losses over epochs (" + variant + ")";
  o.x_label = "epoch";
  o.smooth = 0;
  gan::io::write_plot(dir / "losses_epochs.png", {de, ge}, o);
  o.title = "Critic gradient norm and penalty (" + variant + ")";
  o.x_label = "iteration";
  o.y_label = "value";
  o.smooth = rows.size() > 50 ? int(rows.size() / 50) : 0;
  gan::io::write_plot(dir / "gradients.png", {gn, pen, w}, o);
}

template <class Trainer>
int train_loop(Trainer trainer, TrainConfig& c, const gan::data::ImageFolder& data) {
  const auto dir = c.model_dir();
  const auto ckpt_dir = dir / "checkpoints";
  gan::data::Loader loader(data.images, data.labels,
                           {.batch_size = c.batch_size, .shuffle = true, .drop_last = true,
                            .augment = c.augment, .prefetch = true, .seed = c.seed});
  const int64_t per_epoch = loader.batches_per_epoch();

  std::vector<Row> rows;
  int64_t start_epoch = 0;
  if (c.resume && fs::exists(ckpt_dir / "latest")) {
    std::ifstream in(ckpt_dir / "latest");
    std::string name;
    std::getline(in, name);
    trainer.load(ckpt_dir / name);
    if (trainer.steps() % per_epoch != 0)
      throw std::runtime_error("checkpoint " + (ckpt_dir / name).string() +
                               " is not at an epoch boundary of this dataset and batch size");
    start_epoch = trainer.steps() / per_epoch;
    rows = read_metrics(dir / "metrics.csv", trainer.steps());
    std::cout << "resuming " << dir.string() << " from " << name << " (epoch " << start_epoch
              << ", step " << trainer.steps() << ")\n";
  } else if (c.resume) {
    std::cout << "nothing to resume in " << ckpt_dir.string() << "; starting from scratch\n";
  }
  {  // metrics.csv holds exactly the rows up to the (resumed) step
    std::string text = std::string(kMetricsHeader) + "\n";
    for (const auto& r : rows) text += format_row(r) + "\n";
    gan::io::write_file_atomically(dir / "metrics.csv", text);
  }
  std::ofstream metrics(dir / "metrics.csv", std::ios::app);

  // Fixed noise for the grids: a row per class, the same draws every epoch.
  const int64_t cols = c.grid_columns, classes = trainer.spec().num_classes();
  auto grid_gen = at::make_generator<at::CPUGeneratorImpl>(c.seed ^ 0x5DEECE66Dull);
  const auto grid_z = at::randn({classes * cols, c.z_dim}, grid_gen, at::TensorOptions(at::kFloat));
  const auto grid_labels = at::arange(classes, at::kLong).repeat_interleave(cols);

  Progress progress(c.n_epochs, per_epoch, c.batch_size);
  std::cout << "training " << c.variant << " on " << data.images.size(0) << " images, "
            << classes << " classes, " << per_epoch << " iterations per epoch, " << c.n_epochs
            << " epochs, on " << c.device << "\n";
  int exit_code = 0;
  for (int64_t epoch = start_epoch; epoch < c.n_epochs && exit_code == 0; ++epoch) {
    progress.start_epoch(epoch);
    loader.for_each(epoch, [&](int64_t it, gan::data::Batch& b) {
      if (exit_code) return;
      const auto t0 = std::chrono::steady_clock::now();
      const auto s = trainer.step(b.images, b.labels);
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (!s.finite) {
        progress.finish();
        std::cerr << "aerogan train: at epoch " << epoch + 1 << ", iteration " << it + 1 << " the "
                  << s.diverged << " loss is not finite (d_loss " << s.d_loss << ", g_loss "
                  << s.g_loss << "); stopping. The last checkpoint is intact; try a lower --lr.\n";
        exit_code = 3;
        return;
      }
      Row r{epoch + 1, it + 1, s.step, s.d_loss, s.g_loss, s.penalty, s.grad_norm, s.wasserstein,
            double(c.batch_size) / secs};
      rows.push_back(r);
      metrics << format_row(r) << '\n';
      progress.update(it, r.images_per_s, s.d_loss, s.g_loss);
    });
    metrics.flush();
    if (exit_code) break;
    progress.end_epoch();
    const int64_t n = epoch + 1;
    const bool last = n == c.n_epochs;
    if (n % c.save_nr == 0 || last) {
      auto images = trainer.sample(grid_labels, grid_z);
      gan::io::write_image(dir / "samples" / ("epoch_" + std::to_string(n) + ".png"),
                           gan::io::make_grid(images, cols));
    }
    write_plots(dir / "plots", rows, c.variant);
    if (n >= c.checkpoint_start && (n % c.checkpoint_nr == 0 || last)) {
      const std::string name = "epoch_" + std::to_string(n) + ".pt";
      trainer.save(ckpt_dir / name);
      gan::io::write_file_atomically(ckpt_dir / "latest", name + "\n");
    }
  }
  if (exit_code == 0)
    std::cout << "done: " << dir.string() << "\n  samples/  plots/  checkpoints/  metrics.csv  config.ini\n";
  return exit_code;
}

}  // namespace

int run_train(const std::vector<std::string>& args) {
  bool help = false;
  auto c = parse_train(args, &help);
  if (help) return 0;
  const auto dir = c.model_dir();
  if (!c.resume && fs::exists(dir / "checkpoints" / "latest"))
    throw std::invalid_argument(dir.string() + " already holds a trained model; use --resume to "
                                "continue it or another --model-name");
  gan::data::ImageFolderOptions d;
  d.data_dir = c.data_dir;
  d.labels = c.csv_file;
  d.image_size = c.img_size;
  d.num_classes = c.n_classes;
  d.on_bad = c.on_bad_image == "skip" ? gan::data::OnBad::skip : gan::data::OnBad::error;
  if (c.cache) d.cache_dir = fs::path(c.out) / "cache";
  const auto data = gan::data::load_image_folder(d);
  std::cout << "dataset: " << data.images.size(0) << " images from " << c.csv_file
            << (data.decoded ? " (decoded " + std::to_string(data.decoded) + ")" : " (from the cache)")
            << "\n";
  if (!data.skipped.empty()) {
    std::cout << "skipped " << data.skipped.size() << " bad rows:\n";
    for (size_t i = 0; i < data.skipped.size() && i < 20; ++i) std::cout << "  " << data.skipped[i] << "\n";
    if (data.skipped.size() > 20) std::cout << "  ... and " << data.skipped.size() - 20 << " more\n";
  }
  c.n_classes = data.num_classes;
  fs::create_directories(dir);
  gan::io::write_file_atomically(dir / "config.ini", to_ini(c));
  return with_trainer(c, [&](auto trainer) { return train_loop(std::move(trainer), c, data); });
}

}  // namespace aerogan
