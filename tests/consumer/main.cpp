// A user's program: composes a preset and trains one step.
#include <gan/presets.hpp>

#include <cmath>
#include <iostream>

int main() {
  gan::presets::ConditionalWganGp trainer(
      gan::NetworkSpec().image_size(16).num_classes(2).g_width(8).d_width(8).z_dim(8));
  auto stats = trainer.step(torch::rand({4, 3, 16, 16}) * 2 - 1, torch::tensor({0, 1, 0, 1}));
  std::cout << "consumer: step " << stats.step << " d_loss " << stats.d_loss << "\n";
  return stats.step == 1 && std::isfinite(stats.d_loss) ? 0 : 1;
}
