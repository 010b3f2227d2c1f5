#!/usr/bin/python3
"""A re-implementation of one training step of the paper's conditional GANs, in Python, to time
against the C++ trainer (benchmarks/compare_paper_step.sh runs both).

The networks are those of the paper's code at 96x96: a generator of transposed convs from a
1x1 input (kernels 4/4/4/5/4, stride 2, widths 512-256-128-64-3, BN + ReLU, tanh) and a critic
of convs (kernels 2/2/4/4, stride 2, widths 64-128-256-512, BN + LeakyReLU 0.2, then a 4x4
stride-2 conv). One-hot labels on z and as image planes; Adam (2e-4, 0.5, 0.999); batch 64,
z 64, 6 classes; init as train.py:120-125 (convs N(0, 0.02), BN weights N(1, 0.02), biases 0).
Variants (one critic step and one generator step each, as the C++ presets' defaults):
- vanilla: BCE with logits, the critic's loss halved (train.py:186);
- wgan-gp: Wasserstein loss with the per-sample gradient penalty, weight 10 (the paper's code
  penalises (mean |grad| - 1)^2 instead: a defect, PAPER.md);
- sagan: the paper's model R, vanilla with one attention block in G after block 2 (SAGAN's
  self-attention: 1x1 convs to C/8, C/8, C/2 and back, spectrally normalised, 2x2 max pool on
  key and value, gamma from 0).
The generator step draws fresh noise and runs G again (train.py:221-223).
Levers (not the paper's code): --channels-last puts the networks and the batch in channels-last
memory (oneDNN's preferred layout); --threads sets torch's intra-op threads.

    /usr/bin/python3 benchmarks/reference/paper_step.py [--variant vanilla] [--steps 5] [--threads 2]
"""
import argparse
import time

import torch
from torch import nn


def gen_block(i, o, k, final=False):
    if final:
        return nn.Sequential(nn.ConvTranspose2d(i, o, k, 2), nn.Tanh())
    return nn.Sequential(nn.ConvTranspose2d(i, o, k, 2), nn.BatchNorm2d(o), nn.ReLU(inplace=True))


def crit_block(i, o, k, final=False):
    if final:
        return nn.Sequential(nn.Conv2d(i, o, k, 2))
    return nn.Sequential(nn.Conv2d(i, o, k, 2), nn.BatchNorm2d(o), nn.LeakyReLU(0.2, inplace=True))


class SelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        sn = nn.utils.spectral_norm
        self.theta = sn(nn.Conv2d(c, c // 8, 1, bias=False))
        self.phi = sn(nn.Conv2d(c, c // 8, 1, bias=False))
        self.g = sn(nn.Conv2d(c, c // 2, 1, bias=False))
        self.o = sn(nn.Conv2d(c // 2, c, 1, bias=False))
        self.gamma = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        n, c, h, w = x.shape
        q = self.theta(x).view(n, c // 8, h * w)
        k = nn.functional.max_pool2d(self.phi(x), 2).view(n, c // 8, h * w // 4)
        v = nn.functional.max_pool2d(self.g(x), 2).view(n, c // 2, h * w // 4)
        beta = torch.softmax(torch.bmm(q.transpose(1, 2), k), -1)
        return x + self.gamma * self.o(torch.bmm(v, beta.transpose(1, 2)).view(n, c // 2, h, w))


class Generator(nn.Module):
    def __init__(self, in_dim, attention=False):
        super().__init__()
        self.in_dim = in_dim
        blocks = [gen_block(in_dim, 512, 4), gen_block(512, 256, 4)]
        if attention:
            blocks.append(SelfAttention(256))
        blocks += [gen_block(256, 128, 4), gen_block(128, 64, 5), gen_block(64, 3, 4, final=True)]
        self.gen = nn.Sequential(*blocks)

    def forward(self, z):
        return self.gen(z.view(len(z), self.in_dim, 1, 1))


class Critic(nn.Module):
    def __init__(self, in_ch, out_dim=1):
        super().__init__()
        self.crit = nn.Sequential(crit_block(in_ch, 64, 2), crit_block(64, 128, 2),
                                  crit_block(128, 256, 4), crit_block(256, 512, 4),
                                  crit_block(512, out_dim, 4, final=True))

    def forward(self, x):
        return self.crit(x).view(len(x), -1)


def weights_init(m):
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        torch.nn.init.normal_(m.weight, 0.0, 0.02)
    if isinstance(m, nn.BatchNorm2d):
        torch.nn.init.normal_(m.weight, 1.0, 0.02)
        torch.nn.init.constant_(m.bias, 0)


class PaperStep:
    """The paper's step for one variant: its networks (initialised as train.py:120-125), their
    Adam optimizers, and one critic step then one generator step on `real` and `labels`.
    Noise and the penalty's mixing weights come from `rng` (a torch.Generator; None: torch's
    global one), drawn in the order the step uses them: critic noise, [eps], generator noise.
    `dtype`: of the weights, the batch, the noise and the losses (float64 for reference runs)."""

    def __init__(self, variant, real, labels, fmt=torch.contiguous_format, rng=None,
                 n_classes=6, z_dim=64, dtype=torch.float32):
        self.variant, self.rng, self.z_dim, self.dtype = variant, rng, z_dim, dtype
        self.gen = Generator(z_dim + n_classes, attention=variant == "sagan")
        self.crit = Critic(3 + n_classes)
        self.gen.apply(weights_init)
        self.crit.apply(weights_init)
        self.gen.to(dtype=dtype, memory_format=fmt)
        self.crit.to(dtype=dtype, memory_format=fmt)
        self.gen_opt = torch.optim.Adam(self.gen.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.crit_opt = torch.optim.Adam(self.crit.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.criterion = nn.BCEWithLogitsLoss()
        self.real = real.to(dtype).contiguous(memory_format=fmt)
        self.one_hot = nn.functional.one_hot(labels, n_classes).to(dtype)
        size = real.shape[-1]
        self.planes = self.one_hot[:, :, None, None].repeat(1, 1, size, size).contiguous(memory_format=fmt)

    def critic_loss(self, fake):
        """The critic's loss without the penalty, and the penalty (None without one)."""
        crit, real, planes, batch = self.crit, self.real, self.planes, len(self.real)
        fake_pred = crit(torch.cat([fake, planes], 1))
        real_pred = crit(torch.cat([real, planes], 1))
        if self.variant != "wgan-gp":
            return (self.criterion(fake_pred, torch.zeros_like(fake_pred)) +
                    self.criterion(real_pred, torch.ones_like(real_pred))) / 2, None
        eps = torch.rand(batch, 1, 1, 1, generator=self.rng, dtype=self.dtype)
        mixed = (eps * real + (1 - eps) * fake).requires_grad_(True)
        score = crit(torch.cat([mixed, planes], 1))
        grad, = torch.autograd.grad(score.sum(), mixed, create_graph=True)
        penalty = 10 * ((grad.reshape(batch, -1).norm(2, dim=1) - 1) ** 2).mean()
        return fake_pred.mean() - real_pred.mean(), penalty

    def generator_loss(self, fake_pred):
        if self.variant == "wgan-gp":
            return -fake_pred.mean()
        return self.criterion(fake_pred, torch.ones_like(fake_pred))

    def __call__(self):
        """One step; returns the critic's loss, its penalty (None without) and G's loss."""
        batch = len(self.real)
        self.crit_opt.zero_grad()
        noise = torch.randn(batch, self.z_dim, generator=self.rng, dtype=self.dtype)
        fake = self.gen(torch.cat([noise, self.one_hot], 1))
        crit_loss, penalty = self.critic_loss(fake.detach())
        (crit_loss if penalty is None else crit_loss + penalty).backward()
        self.crit_opt.step()
        self.gen_opt.zero_grad()
        # train.py:221-223: fresh noise, G run again
        noise = torch.randn(batch, self.z_dim, generator=self.rng, dtype=self.dtype)
        fake = self.gen(torch.cat([noise, self.one_hot], 1))
        gen_loss = self.generator_loss(self.crit(torch.cat([fake, self.planes], 1)))
        gen_loss.backward()
        self.gen_opt.step()
        return crit_loss.detach(), penalty if penalty is None else penalty.detach(), gen_loss.detach()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--variant", choices=["vanilla", "wgan-gp", "sagan"], default="vanilla")
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--channels-last", action="store_true")
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    fmt = torch.channels_last if a.channels_last else torch.contiguous_format
    batch, size = a.batch, 96
    real = torch.rand(batch, 3, size, size) * 2 - 1
    labels = torch.randint(0, 6, (batch,))
    step = PaperStep(a.variant, real, labels, fmt)
    step()  # warm-up
    t0 = time.perf_counter()
    for _ in range(a.steps):
        step()
    dt = (time.perf_counter() - t0) / a.steps
    print(f"python paper step {a.variant}: {dt:.3f} s/step, {batch / dt:.1f} images/s "
          f"(batch {batch}, 96x96, torch {torch.__version__}, {torch.get_num_threads()} threads"
          f"{', channels-last' if a.channels_last else ''})")


if __name__ == "__main__":
    main()
