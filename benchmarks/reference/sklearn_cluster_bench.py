#!/usr/bin/python3
"""scikit-learn 1.2 reference for benchmarks/cluster_bench.cpp (run by compare_cluster.sh).

Makes the benchmark data (make_blobs, fixed seed, float32, n x d), writes it as raw float32
(row-major) to <dir>/cluster_bench_x.f32, times KMeans(k, n_init=10), silhouette_score and
AgglomerativeClustering(k, linkage="ward") on it, and writes their labels as raw int32
(<dir>/cluster_bench_{kmeans,ward}_labels.i32) so the C++ side can report its agreement (ARI).
"""
import argparse
import os
import time

import numpy as np
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.datasets import make_blobs
from sklearn.metrics import silhouette_score


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=10000)
    p.add_argument("--d", type=int, default=512)
    p.add_argument("--k", type=int, default=6)
    p.add_argument("--dir", default="/tmp")
    p.add_argument("--skip-ward", action="store_true")
    a = p.parse_args()
    X, _ = make_blobs(n_samples=a.n, n_features=a.d, centers=a.k, cluster_std=5.0,
                      center_box=(-10.0, 10.0), random_state=0)
    X = np.ascontiguousarray(X, dtype=np.float32)
    X.tofile(os.path.join(a.dir, "cluster_bench_x.f32"))

    t = time.perf_counter()
    km = KMeans(n_clusters=a.k, n_init=10, random_state=0).fit(X)
    t_km = time.perf_counter() - t
    km.labels_.astype(np.int32).tofile(os.path.join(a.dir, "cluster_bench_kmeans_labels.i32"))
    print(f"sklearn kmeans      {t_km:9.3f} s  (n_iter {km.n_iter_}, inertia {km.inertia_:.6g})")

    t = time.perf_counter()
    s = silhouette_score(X, km.labels_)
    t_sil = time.perf_counter() - t
    print(f"sklearn silhouette  {t_sil:9.3f} s  (score {s:.6f})")

    if not a.skip_ward:
        t = time.perf_counter()
        w = AgglomerativeClustering(n_clusters=a.k, linkage="ward").fit(X)
        t_w = time.perf_counter() - t
        w.labels_.astype(np.int32).tofile(os.path.join(a.dir, "cluster_bench_ward_labels.i32"))
        print(f"sklearn ward        {t_w:9.3f} s")


if __name__ == "__main__":
    main()
