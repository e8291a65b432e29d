#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""deepdot side by side with the peers a user would pick instead, on the same
data, the same D and the same machine, every program run as a whole process
that reads and writes files (.npy, LIBSVM text), timed by wall clock.

  1. polynomial kernel (degrees 2, 3): deepdot transform --map tensorsketch
     against sklearn PolynomialCountSketch: time and relative Frobenius error
     ||K - ZZ'||_F / ||K||_F on the first points (each against its own kernel;
     deepdot's poly:P:1 is sklearn's (x'y + 1)^P divided by 2^P).
  2. recursive kernel on Fashion-MNIST: deepdot train --test (fit and score in
     one process, like the peer; its own nystrom map at and below the peer's
     D, and fourier:orf at several D) against
     sklearn Nystroem with the recursive kernel as a
     callable kernel object + RidgeClassifier: test accuracy and time.
  3. kernel limit: deepdot exact ridge against sklearn KernelRidge(kernel=
     "precomputed") (same lambda: alpha = n lambda; same predictions), and
     deepdot exact hinge against LIBSVM svm-train -t 4 (C = 1 / (2 n lambda);
     LIBSVM adds a bias and votes one-vs-one, deepdot is one-vs-all without bias).
  4. tabular (not in the default --parts): the UCI sets of scripts/get-uci.sh, deepdot train/predict
     with default options against LIBSVM (svm-scale, RBF, C and gamma by cross-validation), LIBLINEAR
     and sklearn Nystroem + RidgeClassifier; see scripts/compare_tabular.py.

deepdot train runs with --no-score: the peers do not score their training set.

Run through scripts/compare-peers.sh, which installs the peers and builds deepdot.
"""
import argparse
import csv
import gzip
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

FASHION = "/usr/share/datasets/fashion-mnist"


def load_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def fashion(split, n):
    """First n images of a split as unit-norm rows (float64) and their labels."""
    prefix = "train" if split == "train" else "t10k"
    X = load_idx(f"{FASHION}/{prefix}-images-idx3-ubyte.gz")[:n].reshape(n, -1).astype(np.float64)
    y = load_idx(f"{FASHION}/{prefix}-labels-idx1-ubyte.gz")[:n].astype(np.int64)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    return X, y


def recursive(T, k):
    """The recursive kernel of depth k as a function of <x, y> (docs/theory.md, section 2.1)."""
    return (k - (k - 1) * T) / ((k + 1) - k * T)


CPU = [0.0]  # CPU seconds (user + system, all threads) of the last run()


def run(cmd, log):
    """Runs one whole process; returns (wall seconds, stdout) and leaves its CPU
    seconds in CPU[0]: on a shared machine the wall clock also counts the time
    other jobs held the cores, the CPU time does not."""
    # Earlier runs' output files (up to 330 MB each) are flushed first, so their
    # write-back does not land inside this run's clock, whichever side it is.
    os.sync()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU[0] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    log.write("$ " + " ".join(cmd) + f"\n# {seconds:.3f} s wall, {CPU[0]:.3f} s CPU, exit {p.returncode}\n"
              f"{p.stdout}{p.stderr}\n")
    log.flush()
    if p.returncode != 0:
        sys.exit(f"compare-peers: failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr}")
    return seconds, p.stdout


def timed(cmd, log, clock):
    """run() that also adds the process's CPU seconds to clock[0]."""
    seconds, out = run(cmd, log)
    clock[0] += CPU[0]
    return seconds, out


# The peers' programs: small scripts written into the work directory, each a
# whole process like the deepdot command lines it is timed against.
PEER_SKETCH = r'''
import sys, numpy as np
from sklearn.kernel_approximation import PolynomialCountSketch
X = np.load(sys.argv[1])
Z = PolynomialCountSketch(degree=int(sys.argv[2]), gamma=1.0, coef0=1.0, n_components=int(sys.argv[3]),
                          random_state=int(sys.argv[5])).fit_transform(X)
np.save(sys.argv[4], Z)
'''

PEER_NYSTROEM = r'''
import json, sys, numpy as np
from sklearn.gaussian_process.kernels import Kernel
from sklearn.kernel_approximation import Nystroem
from sklearn.linear_model import RidgeClassifier
from sklearn.pipeline import make_pipeline

class Recursive(Kernel):
    """K(x, y) = f_k(<x, y>), the recursive kernel, as a callable kernel object
    (sklearn evaluates these on whole blocks; a plain function would be called
    once per pair of points in Python)."""
    def __init__(self, depth=3):
        self.depth = depth
    def __call__(self, X, Y=None, eval_gradient=False):
        T = X @ (X if Y is None else Y).T
        k = self.depth
        return (k - (k - 1) * T) / ((k + 1) - k * T)
    def diag(self, X):
        return np.ones(X.shape[0])
    def is_stationary(self):
        return False

X, y, Xt, yt = (np.load(a) for a in sys.argv[1:5])
depth, D, lam = int(sys.argv[5]), int(sys.argv[6]), float(sys.argv[7])
model = make_pipeline(Nystroem(kernel=Recursive(depth), n_components=D, random_state=0),
                      RidgeClassifier(alpha=lam * X.shape[0]))
model.fit(X, y)
print(json.dumps({"accuracy": float(np.mean(model.predict(Xt) == yt))}))
'''

PEER_KERNEL_RIDGE = r'''
import json, sys, numpy as np
from sklearn.kernel_ridge import KernelRidge
X, y, Xt = (np.load(a) for a in sys.argv[1:4])
depth, lam, out = int(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
f = lambda T: (depth - (depth - 1) * T) / ((depth + 1) - depth * T)
Y = -np.ones((X.shape[0], 10)); Y[np.arange(X.shape[0]), y] = 1.0   # one-vs-all +-1 targets
model = KernelRidge(alpha=lam * X.shape[0], kernel="precomputed").fit(f(X @ X.T), Y)
np.save(out, model.predict(f(Xt @ X.T)))
'''


def write_libsvm_kernel(path, K, labels):
    """LIBSVM's precomputed-kernel format: 'label 0:i 1:K(i,1) ... n:K(i,n)'."""
    cols = np.arange(1, K.shape[1] + 1)
    with open(path, "w") as f:
        for i in range(K.shape[0]):
            f.write(f"{labels[i]} 0:{i + 1} " + " ".join(f"{c}:{v:.10g}" for c, v in zip(cols, K[i])) + "\n")


def relative_frobenius(K, Z):
    return float(np.linalg.norm(K - Z @ Z.T) / np.linalg.norm(K))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--deepdot", required=True, help="the deepdot executable")
    ap.add_argument("--work", default="compare-peers-out", help="directory for data, logs and results")
    ap.add_argument("--quick", action="store_true", help="tiny sizes (about a minute)")
    ap.add_argument("--parts", default="sketch,nystroem,ridge,svm",
                    help="which comparisons to run (also: tabular, the UCI sets; see scripts/compare_tabular.py)")
    tab = ap.add_argument_group("tabular part")
    tab.add_argument("--uci", default="data/uci", help="the CSV files of scripts/get-uci.sh (exported when missing)")
    tab.add_argument("--sets", help="sets or groups (tuning, held-out, all), comma-separated [all; --quick: ionosphere]")
    tab.add_argument("--deepdot-args", action="append", metavar="ARGS",
                     help='extra deepdot train options, a row of their own beside the defaults (repeatable), '
                          'e.g. --deepdot-args "--map nystrom --features 1024"')
    tab.add_argument("--libsvm-grid", choices=["auto", "full", "coarse"], default="auto",
                     help="full: grid.py's 110 points; coarse: 30 + 8 points in two stages; "
                          "auto: full up to 5,000 training points [auto]")
    tab.add_argument("--no-defaults", action="store_true",
                     help="only the --deepdot-args rows (while developing; the checks then use the first)")
    tab.add_argument("--tools", default="deepdot,libsvm,liblinear,sklearn",
                     help="which tools run on each set [deepdot,libsvm,liblinear,sklearn]")
    tab.add_argument("--repeats", type=int, default=1,
                     help="whole-process runs per tool, the median is kept (LIBSVM's grid runs once) [1]")
    a = ap.parse_args()
    q = a.quick
    os.makedirs(a.work, exist_ok=True)
    w = lambda name: os.path.join(a.work, name)
    for name, text in (("peer_sketch.py", PEER_SKETCH), ("peer_nystroem.py", PEER_NYSTROEM),
                       ("peer_kernel_ridge.py", PEER_KERNEL_RIDGE)):
        with open(w(name), "w") as f:
            f.write(text)
    py = sys.executable
    dd = a.deepdot
    log = open(w("commands.log"), "w")
    rows = []

    def add(part, what, deepdot_s, peer_s, deepdot_cpu, peer_cpu, deepdot_q, peer_q, quality, note=""):
        rows.append({"part": part, "what": what, "deepdot_seconds": round(deepdot_s, 3),
                     "peer_seconds": round(peer_s, 3), "speedup": round(peer_s / deepdot_s, 2),
                     "deepdot_cpu_seconds": round(deepdot_cpu, 3), "peer_cpu_seconds": round(peer_cpu, 3),
                     "cpu_ratio": round(peer_cpu / deepdot_cpu, 2),
                     "quality": quality, "deepdot_quality": deepdot_q, "peer_quality": peer_q, "note": note})
        r = rows[-1]
        print(f"  {part:9s} {what:44s} deepdot {deepdot_s:8.2f} s  peer {peer_s:8.2f} s  x{r['speedup']:6.2f}  "
              f"(CPU {deepdot_cpu:.2f} vs {peer_cpu:.2f} s: x{r['cpu_ratio']:.2f})   "
              f"{quality}: {deepdot_q} vs {peer_q}  {note}", flush=True)

    parts = set(a.parts.split(","))
    print(f"compare-peers: deepdot = {dd}, python = {py}, work = {a.work}, {'quick' if q else 'full'} sizes", flush=True)

    # 1. TensorSketch against PolynomialCountSketch.
    if "sketch" in parts:
        n, D, m = (1000, 512, 500) if q else (10000, 4096, 2000)
        X, _ = fashion("train", n)
        np.save(w("sketch_x.npy"), X)
        for degree in (2, 3):
            t_dd, t_sk, e_dd, e_sk, c_dd, c_sk = [], [], [], [], [0.0], [0.0]
            for seed in range(1 if q else 3):
                t, _ = timed([dd, "transform", "--data", w("sketch_x.npy"), "--kernel", f"poly:{degree}:1",
                            "--map", "tensorsketch", "--features", str(D), "--seed", str(seed + 1),
                            "--precision", "float", "--out", w("z_dd.npy"), "--quiet"], log, c_dd)
                t_dd.append(t)
                t, _ = timed([py, w("peer_sketch.py"), w("sketch_x.npy"), str(degree), str(D), w("z_sk.npy"), str(seed)], log,
                             c_sk)
                t_sk.append(t)
                Xm = X[:m]
                K = Xm @ Xm.T
                e_dd.append(relative_frobenius(((K + 1.0) / 2.0) ** degree, np.load(w("z_dd.npy"))[:m].astype(np.float64)))
                e_sk.append(relative_frobenius((K + 1.0) ** degree, np.load(w("z_sk.npy"))[:m]))
            add("sketch", f"poly degree {degree}, n={n}, D={D}", float(np.median(t_dd)), float(np.median(t_sk)),
                c_dd[0] / len(t_dd), c_sk[0] / len(t_sk),
                round(float(np.mean(e_dd)), 4), round(float(np.mean(e_sk)), 4), "rel. Frobenius error",
                f"median of {len(t_dd)} runs")

    # 2. Recursive kernel on Fashion-MNIST: accuracy and time.
    if "nystroem" in parts:
        depth, lam = 3, 1e-5
        n, nt = (2000, 1000) if q else (20000, 10000)
        D_sk = 256 if q else 2048
        Ds = [256, 512, 1024] if q else [1024, 2048, 4096, 8192]
        # deepdot's own Nystroem map at and below the peer's D (a finer grid: the
        # smallest D that reaches the peer's accuracy), with the Cholesky
        # whitening that `nystrom` picks by itself from D = 2,048 on.
        Ds_nystrom = [128, 192, 256] if q else [1024, 1536, 1792, 2048]
        X, y = fashion("train", n)
        Xt, yt = fashion("test", nt)
        for name, arr in (("fm_x.npy", X), ("fm_y.npy", y), ("fm_xt.npy", Xt), ("fm_yt.npy", yt)):
            np.save(w(name), arr)
        # Whole processes vary by 10-20% here from run to run (the peer took 9.7 s to 12.7 s): every
        # figure is the median of `reps` runs (CPU time: their mean).
        reps = 1 if q else 3
        c_sk = [0.0]
        runs_sk = [timed([py, w("peer_nystroem.py"), w("fm_x.npy"), w("fm_y.npy"), w("fm_xt.npy"), w("fm_yt.npy"),
                          str(depth), str(D_sk), str(lam)], log, c_sk) for _ in range(reps)]
        t_sk = float(np.median([t for t, _ in runs_sk]))
        c_sk[0] /= reps
        acc_sk = json.loads(runs_sk[0][1])["accuracy"]
        best = None
        # deepdot's own Nystroem map (the same method as the peer) and its data-independent spectral map.
        runs = [("nystrom:chol", D) for D in Ds_nystrom] + [("fourier:orf", D) for D in Ds]
        for spec, D in runs:
            # One process, like the peer's script: fit, save the model, score the test set.
            c_dd = [0.0]
            runs_dd = [timed([dd, "train", "--data", w("fm_x.npy"), "--labels", w("fm_y.npy"), "--kernel",
                              f"recursive:{depth}", "--map", spec, "--features", str(D), "--lambda", str(lam),
                              "--validation", "0", "--no-score", "--model", w("fm.ddm"), "--test", w("fm_xt.npy"),
                              "--test-labels", w("fm_yt.npy"), "--json", "--quiet"], log, c_dd) for _ in range(reps)]
            t = float(np.median([t for t, _ in runs_dd]))
            c_dd[0] /= reps
            acc = json.loads(runs_dd[0][1])["test accuracy"]
            add("nystroem", f"recursive:{depth} n={n} {spec} D={D} (sk D={D_sk})", t, t_sk, c_dd[0], c_sk[0],
                round(acc, 4), round(acc_sk, 4), "test accuracy", f"median of {reps} runs")
            if acc >= acc_sk and (best is None or t < best[0]):
                best = (t, f"{spec} D={D}", acc, c_dd[0])
        if best:
            print(f"  nystroem  fastest deepdot run at or above sklearn's accuracy: {best[1]}, "
                  f"x{t_sk / best[0]:.2f} faster (CPU time x{c_sk[0] / best[3]:.2f})", flush=True)
        else:
            print("  nystroem  no deepdot run reached sklearn's accuracy", flush=True)

    # 3a. Exact ridge against KernelRidge(kernel="precomputed").
    if "ridge" in parts:
        depth, lam = 3, 1e-4
        nt = 500 if q else 2000
        Xt, yt = fashion("test", nt)
        np.save(w("kr_xt.npy"), Xt)
        for n in ((500, 1000) if q else (5000, 10000)):
            X, y = fashion("train", n)
            np.save(w("kr_x.npy"), X)
            np.save(w("kr_y.npy"), y)
            c_dd, c_sk = [0.0], [0.0]
            t1, _ = timed([dd, "train", "--data", w("kr_x.npy"), "--labels", w("kr_y.npy"), "--kernel", f"recursive:{depth}",
                           "--map", "exact", "--lambda", str(lam), "--validation", "0", "--no-score",
                           "--model", w("kr.ddm"), "--quiet"],
                          log, c_dd)
            t2, _ = timed([dd, "predict", "--model", w("kr.ddm"), "--data", w("kr_xt.npy"), "--out", w("kr_dd.npy"),
                           "--scores", "--quiet"], log, c_dd)
            t_sk, _ = timed([py, w("peer_kernel_ridge.py"), w("kr_x.npy"), w("kr_y.npy"), w("kr_xt.npy"), str(depth),
                             str(lam), w("kr_sk.npy")], log, c_sk)
            P_dd, P_sk = np.load(w("kr_dd.npy")), np.load(w("kr_sk.npy"))
            if P_dd.shape != P_sk.shape:
                P_dd = P_dd.T
            diff = float(np.abs(P_dd - P_sk).max() / np.abs(P_sk).max())
            agree = float(np.mean(P_dd.argmax(1) == P_sk.argmax(1)))
            acc_dd, acc_sk = float(np.mean(P_dd.argmax(1) == yt)), float(np.mean(P_sk.argmax(1) == yt))
            add("ridge", f"exact ridge recursive:{depth} n={n}", t1 + t2, t_sk, c_dd[0], c_sk[0], round(acc_dd, 4),
                round(acc_sk, 4),
                "test accuracy", f"max score diff {diff:.1e} (relative), labels agree {agree:.4f}")

    # 3b. Exact hinge against LIBSVM with a precomputed kernel.
    if "svm" in parts:
        depth, lam = 3, 1e-4
        n, nt = (300, 200) if q else (3000, 1000)
        X, y = fashion("train", n)
        Xt, yt = fashion("test", nt)
        np.save(w("svm_x.npy"), X)
        np.save(w("svm_y.npy"), y)
        np.save(w("svm_xt.npy"), Xt)
        np.save(w("svm_yt.npy"), yt)
        write_libsvm_kernel(w("svm_train.kern"), recursive(X @ X.T, depth), y)
        write_libsvm_kernel(w("svm_test.kern"), recursive(Xt @ X.T, depth), yt)
        C = 1.0 / (2.0 * n * lam)
        c_dd, c_sv = [0.0], [0.0]
        t1, _ = timed(["svm-train", "-q", "-t", "4", "-c", repr(C), w("svm_train.kern"), w("svm.model")], log, c_sv)
        t2, _ = timed(["svm-predict", w("svm_test.kern"), w("svm.model"), w("svm.pred")], log, c_sv)
        acc_sv = float(np.mean(np.loadtxt(w("svm.pred")).astype(np.int64) == yt))
        t3, _ = timed([dd, "train", "--data", w("svm_x.npy"), "--labels", w("svm_y.npy"), "--kernel", f"recursive:{depth}",
                       "--map", "exact", "--loss", "hinge", "--lambda", str(lam), "--validation", "0",
                       "--no-score", "--model", w("svm.ddm"), "--quiet"], log, c_dd)
        t4, out = timed([dd, "predict", "--model", w("svm.ddm"), "--data", w("svm_xt.npy"), "--labels", w("svm_yt.npy"),
                         "--json", "--quiet"], log, c_dd)
        acc_dd = json.loads(out)["accuracy"]
        add("svm", f"exact hinge recursive:{depth} n={n} (C={C:.4g})", t3 + t4, t1 + t2, c_dd[0], c_sv[0], round(acc_dd, 4),
            round(acc_sv, 4), "test accuracy", "LIBSVM: one-vs-one with bias; deepdot: one-vs-all without")

    # 4. Tabular data: the UCI sets, deepdot's defaults against LIBSVM, LIBLINEAR and sklearn.
    if "tabular" in parts:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        sys.dont_write_bytecode = True  # no __pycache__ in the source tree
        import compare_tabular
        for r in compare_tabular.run_tabular(a, dd, a.work, log):
            rows.append(dict({"part": "tabular"}, **r))

    with open(w("results.json"), "w") as f:
        json.dump({"quick": q, "rows": rows}, f, indent=1)
    fields = []
    for r in rows:
        fields += [k for k in r if k not in fields and k != "train json"]
    with open(w("results.csv"), "w", newline="") as f:
        out = csv.DictWriter(f, fieldnames=fields or ["part"], restval="", extrasaction="ignore")
        out.writeheader()
        out.writerows(rows)
    print(f"compare-peers: wrote {w('results.json')}, {w('results.csv')} and the commands in {w('commands.log')}")
    failed = [f"{r['set']} {r['tool']}" for r in rows if str(r.get("chosen", "")).startswith("FAILED")]
    if failed:
        sys.exit(f"compare-peers: failed runs (their errors are in the table and in commands.log): {', '.join(failed)}")


if __name__ == "__main__":
    main()
