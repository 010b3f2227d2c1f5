#!/usr/bin/python3
"""A re-implementation of one training step of the paper's conditional vanilla GAN, in Python,
to time against the C++ trainer (benchmarks/compare_paper_step.sh runs both).

The networks are those of the paper's code at 96x96: a generator of transposed convs from a
1x1 input (kernels 4/4/4/5/4, stride 2, widths 512-256-128-64-3, BN + ReLU, tanh) and a critic
of convs (kernels 2/2/4/4, stride 2, widths 64-128-256-512, BN + LeakyReLU 0.2, then a 4x4
stride-2 conv). One-hot labels on z and as image planes; BCE with logits; Adam (2e-4, 0.5,
0.999); batch 64, z 64, 6 classes. The step is the paper's: the discriminator on fresh fakes,
then the generator through the same fakes.

    /usr/bin/python3 benchmarks/reference/paper_step.py [--steps 5] [--threads 2]
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


class Generator(nn.Module):
    def __init__(self, in_dim):
        super().__init__()
        self.in_dim = in_dim
        self.gen = nn.Sequential(gen_block(in_dim, 512, 4), gen_block(512, 256, 4),
                                 gen_block(256, 128, 4), gen_block(128, 64, 5),
                                 gen_block(64, 3, 4, final=True))

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
        torch.nn.init.normal_(m.weight, 0.0, 0.02)
        torch.nn.init.constant_(m.bias, 0)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--batch", type=int, default=64)
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    n_classes, z_dim, batch, size = 6, 64, a.batch, 96
    gen = Generator(z_dim + n_classes)
    crit = Critic(3 + n_classes)
    gen.apply(weights_init)
    crit.apply(weights_init)
    gen_opt = torch.optim.Adam(gen.parameters(), lr=2e-4, betas=(0.5, 0.999))
    crit_opt = torch.optim.Adam(crit.parameters(), lr=2e-4, betas=(0.5, 0.999))
    criterion = nn.BCEWithLogitsLoss()
    real = torch.rand(batch, 3, size, size) * 2 - 1
    labels = torch.randint(0, n_classes, (batch,))

    def step():
        one_hot = nn.functional.one_hot(labels, n_classes).float()
        planes = one_hot[:, :, None, None].repeat(1, 1, size, size)
        crit_opt.zero_grad()
        noise = torch.randn(batch, z_dim)
        fake = gen(torch.cat([noise, one_hot], 1))
        fake_pred = crit(torch.cat([fake.detach(), planes], 1))
        real_pred = crit(torch.cat([real, planes], 1))
        crit_loss = (criterion(fake_pred, torch.zeros_like(fake_pred)) +
                     criterion(real_pred, torch.ones_like(real_pred))) / 2
        crit_loss.backward(retain_graph=True)
        crit_opt.step()
        gen_opt.zero_grad()
        # train.py:221-223: fresh noise, G run again
        fake = gen(torch.cat([torch.randn(batch, z_dim), one_hot], 1))
        fake_pred = crit(torch.cat([fake, planes], 1))
        gen_loss = criterion(fake_pred, torch.ones_like(fake_pred))
        gen_loss.backward()
        gen_opt.step()

    step()  # warm-up
    t0 = time.perf_counter()
    for _ in range(a.steps):
        step()
    dt = (time.perf_counter() - t0) / a.steps
    print(f"python paper step: {dt:.3f} s/step, {batch / dt:.1f} images/s "
          f"(batch {batch}, 96x96, torch {torch.__version__}, {torch.get_num_threads()} threads)")


if __name__ == "__main__":
    main()
