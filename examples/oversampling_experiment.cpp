// The oversampling experiment from C++: rooftop tiles of two regions, a conditional GAN's
// positives, and every arm of the experiment on the same split and seeds.
//   oversampling_experiment [OUT]   (default: out/oversampling_experiment; about a minute on 2 cores)
#include <gan/data/image_folder.hpp>
#include <gan/data/synth.hpp>
#include <gan/experiment/comparison.hpp>
#include <gan/experiment/oversampling.hpp>
#include <gan/presets.hpp>

#include <iostream>

int main(int argc, char** argv) try {
  namespace ex = gan::experiment;
  const std::filesystem::path out = argc > 1 ? argv[1] : "out/oversampling_experiment";
  auto region = [&](const char* name, gan::data::Region r, int64_t count, double share) {
    gan::data::SynthOptions s{.count = count, .size = 32, .positive_ratio = share, .region = r, .seed = 1};
    gan::data::write_synth_dataset(out / name, s);
    auto d = gan::data::load_image_folder({.data_dir = out / name, .labels = out / name / "labels.csv", .image_size = 32});
    return ex::LabelledSet{d.images, d.labels};
  };
  const auto source = region("source", gan::data::Region::source, 600, 0.2);
  const auto target = region("target", gan::data::Region::target, 150, 0.07);

  // A conditional GAN on the two classes (the paper conditions on clusters), 2 epochs.
  gan::presets::ConditionalGan cgan(gan::NetworkSpec().image_size(32).num_classes(2).g_width(16).d_width(16));
  for (int epoch = 0; epoch < 2; ++epoch)
    for (int64_t i = 0; i + 32 <= source.size(); i += 32)
      cgan.step(source.images.slice(0, i, i + 32).to(at::kFloat).div(127.5).sub(1), source.labels.slice(0, i, i + 32));
  const auto fakes = ((cgan.sample(at::ones({200}, at::kLong)) + 1) * 127.5).round().clamp(0, 255).to(at::kByte);

  ex::ExperimentOptions o;
  o.seeds = 2;
  o.classifier = gan::ClassifierOptions().epochs(10).batch_size(32).lr(1e-3);
  o.make_classifier = [] { return gan::nn::Vgg(gan::nn::VggOptions(11).batch_norm(true).num_classes(2).width(0.25).hidden(128).pool(1)); };
  auto arms = ex::standard_arms();
  arms.push_back(ex::synthetic_arm("gan:vanilla", fakes));
  const auto runs = ex::run_oversampling(source, arms, {{"target", target}}, o);
  const auto summary = ex::summarise(runs);
  summary.write(out / "summary.csv");
  for (const auto& row : summary.rows)
    if (row.set == "target")
      std::cout << row.arm << ": target recall " << row.metrics.at("recall").mean << " ± " << row.metrics.at("recall").std << "\n";
  // Is the GAN's gain real? Its difference to the baseline, paired by seed and tile.
  const auto comparison = ex::compare(runs);
  comparison.write(out / "comparison.csv");
  if (const auto* d = comparison.find("gan:vanilla", "baseline", "target", "recall"))
    std::cout << "gan:vanilla - baseline: target recall " << d->difference << " [" << d->low << ", " << d->high << "]"
              << (d->significant() ? " significant" : " within the noise") << "\n";
  std::cout << "wrote " << (out / "summary.csv").string() << " and comparison.csv\n";
} catch (const std::exception& e) {
  std::cerr << "oversampling_experiment: " << e.what() << "\n";
  return 1;
}
