#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""deepdot from Python against scikit-learn's kernel approximations, in one process.

Prints, on the same Fashion-MNIST images (unit-normalised, float64):
  1. TensorSketch: deepdot.FeatureMap(map="tensorsketch") against
     sklearn.kernel_approximation.PolynomialCountSketch on the same polynomial
     kernel ((t + 1)/2)^3 at equal D: transform time and kernel error;
  2. Nystroem: deepdot.FeatureMap(map="nystrom") against
     sklearn.kernel_approximation.Nystroem on the same kernel at equal D:
     fit + transform time and kernel error;
  3. the Python layer's overhead: FeatureMap.transform() against the library's
     transform() timed inside the same call, at n = 10,000;
  4. two threads fitting deepdot.Classifier at once against the same two fits
     one after the other (the GIL is released during fit).
Every timing is the best of --repeats warm runs. Errors are ||K - ZZ'||_F / ||K||_F
on the first --error-points points. deepdot runs with its defaults: precision="float",
so the float64 input is converted to float32 once inside the C++ call (counted in the
library's time of 3.) and the features are float32; scikit-learn's are float64. The
Nystroem comparison is also printed with deepdot at precision="double" (float64 features,
DGEMM, as scikit-learn) and with float32 input.

usage: /usr/bin/python3 scripts/bench_python.py [--n 10000] [--D 2048] [--repeats 3] [--json]
"""
import argparse
import json
import os
import sys
import threading
import time

import numpy as np
from sklearn.kernel_approximation import Nystroem, PolynomialCountSketch
from sklearn.preprocessing import normalize

import deepdot
from deepdot import _deepdot


def best_of(repeats, f):
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t0)
    return min(times), out


def rel_error(K, Z):
    Z = np.asarray(Z, dtype=np.float64)
    return float(np.linalg.norm(K - Z @ Z.T) / np.linalg.norm(K))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--D", type=int, default=2048)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--error-points", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()

    X, y = deepdot.load_fashion_mnist("train", a.n)
    X = np.ascontiguousarray(normalize(X))
    n, D, r = len(X), a.D, a.repeats
    E = X[:a.error_points]
    res = {"n": n, "d": X.shape[1], "D": D, "load_average": os.getloadavg()[0],
           "blas_threads": _deepdot.blas_threads()}

    # 1. TensorSketch against PolynomialCountSketch: ((t + 1)/2)^3 = (0.5 t + 0.5)^3.
    ours = deepdot.FeatureMap(kernel="poly:3:1", map="tensorsketch", n_components=D, scaling="none",
                              random_state=a.seed).fit(X)
    theirs = PolynomialCountSketch(degree=3, gamma=0.5, coef0=0.5, n_components=D, random_state=a.seed).fit(X)
    ours.transform(X[:100]), theirs.transform(X[:100])  # warm
    t_ours, _ = best_of(r, lambda: ours.transform(X))
    t_theirs, _ = best_of(r, lambda: theirs.transform(X))
    K = deepdot.gram("poly:3:1", E)
    res["tensorsketch"] = {"deepdot_s": t_ours, "sklearn_s": t_theirs, "speedup": t_theirs / t_ours,
                           "deepdot_error": rel_error(K, ours.transform(E)),
                           "sklearn_error": rel_error(K, theirs.transform(E))}

    # 2. Nystroem, same kernel, fit + transform (both fit on all n points, D landmarks).
    def fit_ours():
        return deepdot.FeatureMap(kernel="poly:3:1", map="nystrom", n_components=D, scaling="none",
                                  map_sample=n, random_state=a.seed).fit(X)

    def fit_theirs():
        return Nystroem(kernel="poly", degree=3, gamma=0.5, coef0=0.5, n_components=D,
                        random_state=a.seed).fit(X)

    fit_ours().transform(X[:100]), fit_theirs().transform(X[:100])  # warm
    t_ours, fo = best_of(r, lambda: (lambda m: (m, m.transform(X)))(fit_ours()))
    t_theirs, ft = best_of(r, lambda: (lambda m: (m, m.transform(X)))(fit_theirs()))
    res["nystrom"] = {"deepdot_s": t_ours, "sklearn_s": t_theirs, "speedup": t_theirs / t_ours,
                      "deepdot_error": rel_error(K, fo[0].transform(E)),
                      "sklearn_error": rel_error(K, ft[0].transform(E))}
    # deepdot in double precision (float64 features, as scikit-learn's).
    def fit_ours64():
        m = deepdot.FeatureMap(kernel="poly:3:1", map="nystrom", n_components=D, scaling="none",
                               map_sample=n, precision="double", random_state=a.seed).fit(X)
        return m, m.transform(X)

    fit_ours64()
    t64, fo64 = best_of(r, fit_ours64)
    res["nystrom_double"] = {"deepdot_s": t64, "sklearn_s": t_theirs, "speedup": t_theirs / t64,
                             "deepdot_error": rel_error(K, fo64[0].transform(E)),
                             "sklearn_error": res["nystrom"]["sklearn_error"]}
    # The same with float32 input to deepdot (its SGEMM path); scikit-learn's stays float64.
    X32 = X.astype(np.float32)

    def fit_ours32():
        m = deepdot.FeatureMap(kernel="poly:3:1", map="nystrom", n_components=D, scaling="none",
                               map_sample=n, random_state=a.seed).fit(X32)
        return m, m.transform(X32)

    fit_ours32()
    t32, fo32 = best_of(r, fit_ours32)
    res["nystrom_float32"] = {"deepdot_s": t32, "sklearn_s": t_theirs, "speedup": t_theirs / t32,
                              "deepdot_error": rel_error(K, fo32[0].transform(E.astype(np.float32)).astype(np.float64)),
                              "sklearn_error": res["nystrom"]["sklearn_error"]}

    # 3. Python overhead of FeatureMap.transform at n points (fourier:orf, the default map): each call's
    # total time in Python against the library's transform() timed inside that same call, so that load
    # changes between calls do not enter the ratio; the median over the calls. The result is held until
    # the clock has stopped: freeing it (n x D floats handed back to the system) is not part of the
    # call in either language (a C++ caller pays it when its matrix is destroyed); its cost is
    # reported beside.
    fm = deepdot.FeatureMap(n_components=D, scaling="none", random_state=a.seed).fit(X)
    fm.transform(X)
    pairs, frees = [], []
    for _ in range(max(r, 7)):
        t0 = time.perf_counter()
        Z = fm.transform(X)
        t1 = time.perf_counter()
        pairs.append((t1 - t0, _deepdot._last_library_seconds()))
        del Z
        frees.append(time.perf_counter() - t1)
    ratios = sorted((p - c) / c for p, c in pairs)
    t_py, t_cpp = min(p for p, _ in pairs), min(c for _, c in pairs)
    res["overhead"] = {"python_s": t_py, "cpp_s": t_cpp, "overhead_pct": 100.0 * ratios[len(ratios) // 2],
                       "overhead_pct_max": 100.0 * ratios[-1], "free_s": sorted(frees)[len(frees) // 2]}

    # 4. Two fits in two threads against the same two fits in series (1 BLAS thread each).
    Xf, yf = X[:4000], y[:4000]

    def fit(seed):
        deepdot.Classifier(n_components=2048, random_state=seed, threads=1).fit(Xf, yf)

    fit(0)
    t_serial, _ = best_of(r, lambda: (fit(1), fit(2)))

    def parallel():
        ts = [threading.Thread(target=fit, args=(s,)) for s in (1, 2)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()

    t_parallel, _ = best_of(r, parallel)
    res["threads"] = {"serial_s": t_serial, "parallel_s": t_parallel, "speedup": t_serial / t_parallel}
    res["load_average_end"] = os.getloadavg()[0]

    if a.json:
        print(json.dumps(res, indent=2))
        return
    print(f"Fashion-MNIST train, n = {n}, d = {res['d']}, D = {D}, best of {r}; "
          f"load average {res['load_average']:.2f} -> {res['load_average_end']:.2f}; BLAS threads {res['blas_threads']}")
    print(f"{'':37} {'deepdot s':>10} {'sklearn s':>10} {'speed-up':>9} {'deepdot err':>12} {'sklearn err':>12}")
    for key, name in [("tensorsketch", "tensorsketch vs PolynomialCountSketch"),
                      ("nystrom", "nystrom vs Nystroem (fit+transform)"),
                      ("nystrom_double", "  the same, deepdot precision=double"),
                      ("nystrom_float32", "  the same, deepdot on float32 input")]:
        v = res[key]
        print(f"{name:37} {v['deepdot_s']:10.3f} {v['sklearn_s']:10.3f} {v['speedup']:8.1f}x "
              f"{v['deepdot_error']:12.4f} {v['sklearn_error']:12.4f}")
    o = res["overhead"]
    print(f"Python overhead of FeatureMap.transform (fourier:orf): {o['python_s']:.4f} s in Python, "
          f"{o['cpp_s']:.4f} s in the library (fastest calls); overhead per call {o['overhead_pct']:.2f} % "
          f"(median; largest {o['overhead_pct_max']:.2f} %); freeing the result afterwards: {o['free_s']:.4f} s")
    t = res["threads"]
    print(f"two Classifier fits (n = 4000, D = 2048, 1 BLAS thread each): serial {t['serial_s']:.3f} s, "
          f"two threads {t['parallel_s']:.3f} s: {t['speedup']:.2f}x")


if __name__ == "__main__":
    sys.exit(main())
