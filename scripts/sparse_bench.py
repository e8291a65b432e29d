#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Helpers of scripts/compare-sparse.sh (Debian's /usr/bin/python3 with numpy, scipy, sklearn).

  make N D NNZ SEED OUT        a LIBSVM file of N points in dimension D with NNZ nonzeros per
                               point (distinct indices, N(0,1) values; every point shares its
                               first NNZ/2 indices with point 0, so kernel values are not all ~0)
  sklearn FILE D COMPONENTS OUT  scikit-learn: load_svmlight_file, unit-normalise the rows,
                               PolynomialCountSketch(degree=3, gamma=1, coef0=0), np.save float64
  error FILE D Z1.npy [Z2.npy ...]  relative Frobenius error ||Z Z' - K||/||K|| of each feature
                               file against the exact (<x,y>)^3 on the first 1,000 points
"""
import sys
import numpy as np


def make(n, d, nnz, seed, out):
    rng = np.random.default_rng(seed)
    shared = np.sort(rng.choice(d, nnz // 2, replace=False))
    with open(out, "w") as f:
        for i in range(n):
            own = rng.choice(d, nnz, replace=False)
            idx = np.union1d(shared, own)[:nnz] if i % 2 == 0 else np.sort(own)
            vals = rng.standard_normal(idx.size)
            f.write(("1" if i % 2 else "0") + " " + " ".join(f"{j + 1}:{v:.6g}" for j, v in zip(idx, vals)) + "\n")


def load(path, d):
    from sklearn.datasets import load_svmlight_file
    from sklearn.preprocessing import normalize
    X, _ = load_svmlight_file(path, n_features=d)
    return normalize(X)


def sklearn_sketch(path, d, D, out):
    from sklearn.kernel_approximation import PolynomialCountSketch
    X = load(path, d)
    Z = PolynomialCountSketch(degree=3, gamma=1.0, coef0=0, n_components=D, random_state=1).fit_transform(X)
    np.save(out, Z.astype(np.float64))


def error(path, d, feature_files):
    X = load(path, d)[:1000]
    K = np.asarray((X @ X.T).todense()) ** 3
    for fz in feature_files:
        Z = np.load(fz, mmap_mode="r")[:1000].astype(np.float64)
        print(f"{fz}: relative kernel error {np.linalg.norm(Z @ Z.T - K) / np.linalg.norm(K):.4f}")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "make":
        make(int(args[0]), int(args[1]), int(args[2]), int(args[3]), args[4])
    elif cmd == "sklearn":
        sklearn_sketch(args[0], int(args[1]), int(args[2]), args[3])
    elif cmd == "error":
        error(args[0], int(args[1]), args[2:])
    else:
        sys.exit(__doc__)
