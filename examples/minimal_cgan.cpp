// The smallest complete use of the library: compose a preset, train it on a toy set of
// 4 classes (class k has its bright quadrant k), save a sample grid with a row per class,
// and save a checkpoint.
//
//   minimal_cgan --out out/minimal --steps 400 --variant wgan-gp
#include <gan/data/toy.hpp>
#include <gan/image/grid.hpp>
#include <gan/image/write.hpp>
#include <gan/presets.hpp>

#include <boost/program_options.hpp>

#include <chrono>
#include <filesystem>
#include <iostream>

namespace po = boost::program_options;

template <class Trainer>
int run(Trainer trainer, const po::variables_map& vm) {
  const auto out = std::filesystem::path(vm["out"].as<std::string>());
  const int64_t steps = vm["steps"].as<int64_t>(), size = trainer.spec().image_size();
  auto data = at::make_generator<at::CPUGeneratorImpl>(vm["seed"].as<uint64_t>() + 1);
  const auto start = std::chrono::steady_clock::now();
  for (int64_t i = 1; i <= steps; ++i) {
    auto [images, labels] = gan::data::quadrant_batch(32, size, data);
    const auto s = trainer.step(images, labels);
    if (!s.finite) {
      std::cerr << "step " << i << ": the " << s.diverged << " loss is not finite; stopping\n";
      return 1;
    }
    if (i % 50 == 0 || i == steps)
      std::cout << "step " << i << "/" << steps << "  d_loss " << s.d_loss << "  g_loss "
                << s.g_loss << std::endl;
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  // A row per class, 8 samples each.
  auto labels = torch::arange(4).repeat_interleave(8);
  auto samples = trainer.sample(labels);
  gan::image::write_image(out / "samples.png", gan::image::make_grid(samples, 8));
  trainer.save(out / "checkpoint.pt");
  const double acc = (gan::data::quadrant_class(samples.cpu()) == labels)
                         .to(torch::kDouble).mean().template item<double>();
  std::cout << "trained " << steps << " steps in " << secs << " s; " << acc * 100
            << "% of the samples show their class\n"
            << "wrote " << (out / "samples.png").string() << " and "
            << (out / "checkpoint.pt").string() << "\n";
  return 0;
}

int main(int argc, char** argv) {
  po::options_description desc("minimal_cgan: a conditional GAN on a 4-class toy set");
  desc.add_options()("help,h", "this help")
      ("out", po::value<std::string>()->default_value("out/minimal"), "output folder")
      ("steps", po::value<int64_t>()->default_value(400), "training steps")
      ("size", po::value<int64_t>()->default_value(32), "image size")
      ("seed", po::value<uint64_t>()->default_value(0), "seed")
      ("variant", po::value<std::string>()->default_value("vanilla"),
       "a variant of gan::presets::variants: vanilla, wgan, wgan-clip, wgan-gp, sagan, sagan-s, sagan-hinge");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    std::cerr << "minimal_cgan: " << e.what() << "\n" << desc;
    return 2;
  }
  if (vm.count("help")) {
    std::cout << desc;
    return 0;
  }
  try {
    const auto spec = gan::NetworkSpec()
                          .image_size(vm["size"].as<int64_t>())
                          .num_classes(4)
                          .z_dim(32)
                          .g_width(16)
                          .d_width(16);
    const auto opts = gan::TrainerOptions().seed(vm["seed"].as<uint64_t>()).init(gan::WeightInit::dcgan);
    const auto variant = vm["variant"].as<std::string>();
    const bool wasserstein = variant.rfind("wgan", 0) == 0;  // two critic steps per G step
    return gan::presets::visit(variant, [&](auto tag) {
      using T = typename decltype(tag)::type;
      return run(gan::presets::make<T>(spec, gan::TrainerOptions(opts).n_critic(wasserstein ? 2 : 1)), vm);
    });
  } catch (const std::exception& e) {
    std::cerr << "minimal_cgan: " << e.what() << "\n";
    return 1;
  }
}
