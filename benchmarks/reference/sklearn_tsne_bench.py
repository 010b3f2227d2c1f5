#!/usr/bin/python3
"""Times scikit-learn's Barnes-Hut t-SNE on data saved as raw float32, for benchmarks/compare_tsne.sh.

    /usr/bin/python3 benchmarks/reference/sklearn_tsne_bench.py make DATA N D SEED
        writes N x D float32 Gaussian blobs (10 centres, make_blobs with `SEED`) to DATA
        (raw, row-major) and their labels to DATA.labels (int32)
    /usr/bin/python3 benchmarks/reference/sklearn_tsne_bench.py run DATA N D SEED OUT
        runs TSNE(method="barnes_hut", init="pca", learning_rate="auto", random_state=SEED),
        prints its time and KL divergence, and writes the embedding to OUT (raw float64, N x 2)
    /usr/bin/python3 benchmarks/reference/sklearn_tsne_bench.py score DATA N D K SUB EMB...
        prints sklearn's trustworthiness (K neighbours) of each embedding (raw float64, N x 2)
        on the same random subsample of SUB points (all points when SUB >= N), and the k-NN
        (k = 5) agreement of labels in the embedding
"""
import sys
import time

import numpy as np


def load(path, n, d, dtype=np.float32):
    return np.fromfile(path, dtype=dtype).reshape(n, d)


def main():
    mode = sys.argv[1]
    path, n, d = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    if mode == "make":
        from sklearn.datasets import make_blobs
        seed = int(sys.argv[5])
        X, y = make_blobs(n_samples=n, n_features=d, centers=10, cluster_std=8.0,
                          center_box=(-10, 10), random_state=seed)
        X.astype(np.float32).tofile(path)
        y.astype(np.int32).tofile(path + ".labels")
    elif mode == "run":
        from sklearn.manifold import TSNE
        import sklearn
        seed, out = int(sys.argv[5]), sys.argv[6]
        X = load(path, n, d)
        start = time.perf_counter()
        tsne = TSNE(n_components=2, method="barnes_hut", init="pca", learning_rate="auto",
                    perplexity=30, random_state=seed)
        Y = tsne.fit_transform(X)
        seconds = time.perf_counter() - start
        Y.astype(np.float64).tofile(out)
        print(f"sklearn {sklearn.__version__}: {seconds:.2f} s, KL {tsne.kl_divergence_:.4f}, "
              f"iterations {tsne.n_iter_ + 1}")
    elif mode == "score":
        from sklearn.manifold import trustworthiness
        from sklearn.neighbors import KNeighborsClassifier
        k, sub = int(sys.argv[5]), int(sys.argv[6])
        X = load(path, n, d)
        labels = np.fromfile(path + ".labels", dtype=np.int32)
        rows = np.arange(n) if sub >= n else np.sort(
            np.random.default_rng(0).choice(n, sub, replace=False))
        for emb in sys.argv[7:]:
            Y = load(emb, n, 2, np.float64)
            t = trustworthiness(X[rows], Y[rows], n_neighbors=k)
            knn = KNeighborsClassifier(6).fit(Y, labels)
            # leave-one-out 5-NN: the first neighbour of each point is itself
            idx = knn.kneighbors(Y, return_distance=False)[:, 1:]
            agree = np.mean([np.bincount(labels[i], minlength=labels.max() + 1).argmax() == l
                             for i, l in zip(idx, labels)])
            print(f"{emb}: trustworthiness(k={k}, {len(rows)} points) {t:.4f}, "
                  f"5-NN label agreement {agree:.4f}")


if __name__ == "__main__":
    main()
