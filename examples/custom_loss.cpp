// A loss policy of the user's own, used with the library's trainer unchanged: BCE with
// one-sided label smoothing (Salimans et al., 2016, "Improved Techniques for Training GANs"):
// the discriminator's target for real images is 0.9 instead of 1. All it needs is the two
// members that the gan::loss::AdversarialLoss concept names.
#include <gan/data/toy.hpp>
#include <gan/presets.hpp>

#include <iostream>

struct SmoothedBce {
  double real_target = 0.9;
  // BCE on logits with target t: t·softplus(−x) + (1 − t)·softplus(x).
  at::Tensor discriminator_loss(const at::Tensor& real, const at::Tensor& fake) const {
    return (real_target * at::softplus(-real) + (1 - real_target) * at::softplus(real)).mean() +
           at::softplus(fake).mean();
  }
  at::Tensor generator_loss(const at::Tensor& fake) const { return at::softplus(-fake).mean(); }
};
static_assert(gan::loss::AdversarialLoss<SmoothedBce>);

int main() {
  using MyGan = gan::Trainer<gan::arch::Dcgan, SmoothedBce, gan::regularizer::None,
                             gan::conditioning::OneHotConcat>;
  MyGan trainer(gan::NetworkSpec().image_size(16).num_classes(4).z_dim(16).g_width(16).d_width(16),
                gan::TrainerOptions().init(gan::WeightInit::dcgan));
  auto data = at::make_generator<at::CPUGeneratorImpl>(1);
  for (int i = 1; i <= 300; ++i) {
    auto [x, y] = gan::data::quadrant_batch(32, 16, data);
    auto s = trainer.step(x, y);
    if (i % 100 == 0) std::cout << "step " << i << "  d " << s.d_loss << "  g " << s.g_loss << "\n";
  }
  auto labels = torch::arange(4).repeat(25);
  const double acc = (gan::data::quadrant_class(trainer.sample(labels)) == labels)
                         .to(torch::kDouble).mean().item<double>();
  std::cout << "custom loss: " << acc * 100 << "% of the samples show their class\n";
  return 0;
}
