"""pytorch-fid's Fréchet distance (np.mean, np.cov, then calculate_frechet_distance with scipy's
sqrtm, as tests/fixtures/make_fid_fixtures.py copies it) on N x D float64 features made here
(fixed seed, correlated, non-negative like Inception pool3); writes them raw for
benchmarks/frechet_time.cpp and prints the time and the distance.
  frechet_scipy.py --n N --d D --dir DIR
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures"))
from make_fid_fixtures import calculate_frechet_distance  # noqa: E402


def features(rng, n, d, shift):
    w = rng.standard_normal((64, d)) / 8
    z = rng.standard_normal((n, 64))
    return np.abs(z @ w + 0.5 * rng.standard_normal((n, d)) + shift)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, required=True)
    p.add_argument("--d", type=int, default=2048)
    p.add_argument("--dir", default="/tmp")
    a = p.parse_args()
    rng = np.random.default_rng(a.n)
    xa, xb = features(rng, a.n, a.d, 0.0), features(rng, a.n, a.d, 0.1)
    xa.tofile(os.path.join(a.dir, f"frechet_a_{a.n}.f64"))
    xb.tofile(os.path.join(a.dir, f"frechet_b_{a.n}.f64"))
    t0 = time.perf_counter()
    mu1, s1 = np.mean(xa, axis=0), np.cov(xa, rowvar=False)
    mu2, s2 = np.mean(xb, axis=0), np.cov(xb, rowvar=False)
    fid, _, _ = calculate_frechet_distance(mu1, s1, mu2, s2)
    print(f"scipy {time.perf_counter() - t0:.3f} s fid {fid:.12g}")


if __name__ == "__main__":
    main()
