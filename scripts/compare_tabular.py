#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The tabular part of scripts/compare-peers.sh (--parts tabular): deepdot with its default options
against what a user of tabular data would run instead, on the UCI sets that scripts/get-uci.sh exports
from Debian's r-cran-mlbench (CSV files with a fixed train/test split). For each set, in one run:

  deepdot    `deepdot train --data train.csv --model m.ddm` and `deepdot predict --model m.ddm
             --data test.csv`: default options only (plus --json --quiet, which change the output, not
             the fit), so the row measures whatever the defaults are, their own selection included.
             --deepdot-args "..." adds a row per hand-chosen set of extra train options.
  LIBSVM     `svm-scale -l -1 -u 1` (-l 0 for sparse non-negative data) on the training part, the same scaling on the test part (-r), then
             the RBF SVM with C and gamma chosen by 5-fold cross-validation on the training part (the
             grid of LIBSVM's grid.py: log2 C = -5..15, log2 gamma = 3..-15, step 2; two grid points at a
             time, one per core), then the final svm-train and svm-predict. Time = scaling + grid + final.
  LIBLINEAR  the same scaled files; `liblinear-train -s 2 -C -B 1` (its own search for C by 5-fold
             cross-validation), then the final training with that C and liblinear-predict.
  sklearn    StandardScaler + Nystroem(rbf) + RidgeClassifier in one Python process that reads the
             CSV files; gamma and alpha by 3-fold GridSearchCV (n_jobs = 2) over a small grid.

Every program is a whole process, timed by wall clock (and CPU time, user + system of all threads),
after an os.sync() so that earlier output is not written back inside its clock. The CSV -> LIBSVM
conversion is data preparation, outside every clock (LIBSVM users have their data in that format).
"""
import concurrent.futures
import csv
import json
import os
import re
import resource
import shlex
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

# scripts/uci_export.R's groups, for --sets (a group name stands for its sets).
TUNING = ["letter", "satellite", "vehicle", "ionosphere"]
HELD_OUT = ["dna", "vowel", "sonar", "pima", "breastcancer", "glass", "housevotes", "shuttle"]
GROUPS = {"tuning": TUNING, "held-out": HELD_OUT, "all": TUNING + HELD_OUT}

# LIBSVM grids as (log2 C values, log2 gamma values). "full" is grid.py's default; "coarse" is the
# two-stage search of the LIBSVM guide (Hsu, Chang and Lin, section 3.2) for sets where the full grid is
# too long here: the same range with step 4 (30 points), then step 2 around the best point (8 more).
FULL = (list(range(-5, 16, 2)), list(range(3, -16, -2)))
COARSE = (list(range(-5, 16, 4)), list(range(3, -16, -4)))
QUICK = ([-1, 3, 7], [-5, -3, -1])
FULL_GRID_MAX_TRAIN = 5000  # --libsvm-grid auto: the full grid up to this many training points

PEER_SKLEARN = r'''
import json, sys, time
import numpy as np, pandas as pd
from sklearn.kernel_approximation import Nystroem
from sklearn.linear_model import RidgeClassifier
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
train, test, folds, quick = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
t0 = time.perf_counter()
tr = pd.read_csv(train); te = pd.read_csv(test)
y, yt = tr.pop("class").astype(str).to_numpy(), te.pop("class").astype(str).to_numpy()
X, Xt = tr.to_numpy(float), te.to_numpy(float)
d = X.shape[1]
# Every fold fits on (folds - 1) / folds of the points; Nystroem needs at most that many components.
D = min(2048, X.shape[0] * (folds - 1) // folds)
model = make_pipeline(StandardScaler(), Nystroem(kernel="rbf", n_components=D, random_state=0), RidgeClassifier())
# gamma around 1/d, sklearn's "scale" rule for standardised features; alpha over four decades.
grid = {"nystroem__gamma": [g / d for g in ((1.0,) if quick else (0.25, 1.0, 4.0))],
        "ridgeclassifier__alpha": [0.01, 1.0] if quick else [0.01, 1.0, 100.0]}
search = GridSearchCV(model, grid, cv=folds, n_jobs=2).fit(X, y)
t1 = time.perf_counter()
accuracy = float(np.mean(search.predict(Xt) == yt))
t2 = time.perf_counter()
best = search.best_params_
print(json.dumps({"accuracy": accuracy, "train seconds": t1 - t0, "predict seconds": t2 - t1,
                  "chosen": f"D={D} gamma={best['nystroem__gamma'] * d:g}/d alpha={best['ridgeclassifier__alpha']:g}"}))
'''


class Failed(Exception):
    pass


class Runner:
    """Runs whole processes, logs each command with its wall and CPU time (commands.log)."""

    def __init__(self, log):
        self.log = log

    def run(self, cmd, stdout_path=None):
        """Returns (wall seconds, CPU seconds, stdout). Raises Failed on a non-zero exit."""
        os.sync()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        out = open(stdout_path, "w") if stdout_path else subprocess.PIPE
        try:
            p = subprocess.run(cmd, stdout=out, stderr=subprocess.PIPE, text=True)
        finally:
            if stdout_path:
                out.close()
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        text = "" if stdout_path else p.stdout
        self.log.write("$ " + " ".join(shlex.quote(c) for c in cmd) + (f" > {stdout_path}" if stdout_path else "") +
                       f"\n# {wall:.3f} s wall, {cpu:.3f} s CPU, exit {p.returncode}\n{text}{p.stderr}\n")
        self.log.flush()
        if p.returncode != 0:
            last = (p.stderr.strip().splitlines() or [""])[-1]
            raise Failed(f"exit {p.returncode}: {' '.join(cmd)}: {last}")
        return wall, cpu, text

    def parallel(self, cmds, workers=2):
        """Runs independent commands, `workers` at a time (as grid.py's local workers do). Returns
        (wall seconds of the whole batch, CPU seconds of all of them, their stdouts in order)."""
        os.sync()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()

        def one(cmd):
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            if p.returncode != 0:
                raise Failed(f"exit {p.returncode}: {' '.join(cmd)}: {p.stderr.strip()[-300:]}")
            return p.stdout

        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            outs = list(pool.map(one, cmds))
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        for cmd, o in zip(cmds, outs):
            self.log.write("$ " + " ".join(shlex.quote(c) for c in cmd) + "\n" + o)
        self.log.write(f"# the {len(cmds)} commands above, {workers} at a time: {wall:.3f} s wall, {cpu:.3f} s CPU\n\n")
        self.log.flush()
        return wall, cpu, outs


def read_csv_set(path):
    """A CSV file of scripts/uci_export.R: (X as n x d floats, class names as strings)."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    label = header.index("class")
    X = np.array([[float(v) for i, v in enumerate(r) if i != label] for r in body])
    y = [r[label] for r in body]
    return X, y


def write_libsvm(path, X, labels):
    with open(path, "w") as f:
        for yi, xi in zip(labels, X):
            f.write(str(yi) + "".join(f" {j + 1}:{v:.17g}" for j, v in enumerate(xi) if v != 0) + "\n")


def accuracy_line(text):
    """'Accuracy = 91.2% (1824/2000)' of svm-predict / liblinear-predict, as a fraction."""
    m = re.search(r"Accuracy = ([0-9.]+)%", text)
    if not m:
        raise Failed(f"no accuracy in: {text[:200]}")
    return float(m.group(1)) / 100.0


def median(values):
    return float(np.median(values))


def export_missing(uci, sets, log):
    missing = [s for s in sets if not (os.path.exists(os.path.join(uci, f"{s}-train.csv")) and
                                       os.path.exists(os.path.join(uci, f"{s}-test.csv")))]
    if missing:
        print(f"  tabular   exporting {', '.join(missing)} from mlbench into {uci}", flush=True)
        Runner(log).run(["Rscript", os.path.join(HERE, "uci_export.R"), uci] + missing)


def libsvm_grid(runner, train, points, folds):
    """Cross-validation accuracy of each (log2 C, log2 gamma) in `points`, two at a time."""
    cmds = [["svm-train", "-q", "-v", str(folds), "-c", repr(2.0 ** c), "-g", repr(2.0 ** g), train] for c, g in points]
    wall, cpu, outs = runner.parallel(cmds)
    rates = {}
    for p, o in zip(points, outs):
        m = re.search(r"Cross Validation Accuracy = ([0-9.]+)%", o)
        if not m:
            raise Failed(f"svm-train -v printed no accuracy for log2 C, gamma = {p}: {o[:200]}")
        rates[p] = float(m.group(1))
    return wall, cpu, rates


def best_point(rates):
    """Highest cross-validation accuracy; ties go to the smaller C, then the smaller gamma (the
    smoother model)."""
    return max(rates, key=lambda p: (rates[p], -p[0], -p[1]))


def scale_lower(X):
    """svm-scale's lower bound: -1 (the guide's [-1, 1]), or 0 for non-negative data that is mostly
    zeros, as svm-scale itself advises (-l -1 would turn every zero into a stored -1)."""
    return "0" if X.min() >= 0 and np.count_nonzero(X) < X.size / 2 else "-1"


def run_libsvm(runner, w, s, n_train, lower, grid, repeats, quick):
    scale_tr, scale_te = w(f"{s}.train.scale"), w(f"{s}.test.scale")
    t_scale_tr, c_scale_tr, _ = runner.run(["svm-scale", "-l", lower, "-u", "1", "-s", w(f"{s}.range"), w(f"{s}.train")],
                                           stdout_path=scale_tr)
    t_scale_te, c_scale_te, _ = runner.run(["svm-scale", "-r", w(f"{s}.range"), w(f"{s}.test")], stdout_path=scale_te)
    folds = 3 if quick else 5
    if quick:
        kind = "quick"
    elif grid == "auto":
        kind = "full" if n_train <= FULL_GRID_MAX_TRAIN else "coarse"
    else:
        kind = grid
    cs, gs = {"full": FULL, "coarse": COARSE, "quick": QUICK}[kind]
    points = [(c, g) for c in cs for g in gs]
    t_grid, c_grid, rates = libsvm_grid(runner, scale_tr, points, folds)
    if kind == "coarse":
        c0, g0 = best_point(rates)
        finer = [(c0 + dc, g0 + dg) for dc in (-2, 0, 2) for dg in (-2, 0, 2) if (c0 + dc, g0 + dg) not in rates]
        t2, c2, more = libsvm_grid(runner, scale_tr, finer, folds)
        t_grid, c_grid = t_grid + t2, c_grid + c2
        rates.update(more)
    lc, lg = best_point(rates)
    fits, preds, cpus, acc = [], [], [], None
    for _ in range(repeats):
        t1, c1, _ = runner.run(["svm-train", "-q", "-c", repr(2.0 ** lc), "-g", repr(2.0 ** lg), scale_tr, w(f"{s}.svm")])
        t2, c2, out = runner.run(["svm-predict", scale_te, w(f"{s}.svm"), w(f"{s}.svm.pred")])
        fits.append(t1)
        preds.append(t2)
        cpus.append(c1 + c2)
        acc = accuracy_line(out)
    train_s = t_scale_tr + t_grid + median(fits)
    predict_s = t_scale_te + median(preds)
    return {"accuracy": acc, "train seconds": train_s, "predict seconds": predict_s,
            "cpu seconds": c_scale_tr + c_scale_te + c_grid + median(cpus),
            "grid seconds": t_grid, "grid points": len(rates),
            "chosen": f"log2 C={lc} log2 gamma={lg} (CV {rates[(lc, lg)]:.2f}%, {kind} grid of {len(rates)} points, "
                      f"{folds}-fold, {t_grid:.1f} s)"}


def run_liblinear(runner, w, s, lower, repeats, quick):
    # The same scaling as LIBSVM's; its svm-scale time is counted again here, since a LIBLINEAR user
    # runs it too.
    t_sc, c_sc, _ = runner.run(["svm-scale", "-l", lower, "-u", "1", "-s", w(f"{s}.lrange"), w(f"{s}.train")],
                               stdout_path=w(f"{s}.train.lscale"))
    t_sct, c_sct, _ = runner.run(["svm-scale", "-r", w(f"{s}.lrange"), w(f"{s}.test")], stdout_path=w(f"{s}.test.lscale"))
    t_cv, c_cv, out = runner.run(["liblinear-train", "-s", "2", "-C", "-B", "1", "-v", "3" if quick else "5",
                                  w(f"{s}.train.lscale")])
    m = re.search(r"Best C = ([0-9.eE+-]+)", out)
    if not m:
        raise Failed(f"liblinear-train -C printed no best C: {out[-200:]}")
    C = m.group(1)
    fits, preds, cpus, acc = [], [], [], None
    for _ in range(repeats):
        t1, c1, _ = runner.run(["liblinear-train", "-q", "-s", "2", "-c", C, "-B", "1", w(f"{s}.train.lscale"), w(f"{s}.ll")])
        t2, c2, out = runner.run(["liblinear-predict", w(f"{s}.test.lscale"), w(f"{s}.ll"), w(f"{s}.ll.pred")])
        fits.append(t1)
        preds.append(t2)
        cpus.append(c1 + c2)
        acc = accuracy_line(out)
    return {"accuracy": acc, "train seconds": t_sc + t_cv + median(fits), "predict seconds": t_sct + median(preds),
            "cpu seconds": c_sc + c_sct + c_cv + median(cpus), "chosen": f"C={C} (its own {3 if quick else 5}-fold -C search)"}


def run_sklearn(runner, w, train_csv, test_csv, repeats, quick):
    walls, cpus, res = [], [], None
    for _ in range(repeats):
        wall, cpu, out = runner.run([sys.executable, w("peer_tabular_sklearn.py"), train_csv, test_csv,
                                     "2" if quick else "3", "1" if quick else "0"])
        walls.append(wall)
        cpus.append(cpu)
        res = json.loads(out)
    # The process's own split of its wall time between fit and predict (reading the CSV counts as fit).
    total = median(walls)
    share = res["train seconds"] / max(res["train seconds"] + res["predict seconds"], 1e-9)
    return {"accuracy": res["accuracy"], "train seconds": total * share, "predict seconds": total * (1 - share),
            "cpu seconds": median(cpus), "chosen": res["chosen"]}


def run_deepdot(runner, dd, w, s, train_csv, test_csv, extra, repeats, tag):
    model = w(f"{s}.{tag}.ddm")
    fits, preds, cpus, acc, info = [], [], [], None, {}
    for _ in range(repeats):
        t1, c1, out = runner.run([dd, "train", "--data", train_csv, "--model", model, "--json", "--quiet"] + extra)
        t2, c2, pout = runner.run([dd, "predict", "--model", model, "--data", test_csv, "--json", "--quiet"])
        fits.append(t1)
        preds.append(t2)
        cpus.append(c1 + c2)
        info = json.loads(out)
        acc = json.loads(pout)["accuracy"]
    keys = ("kernel", "map", "features", "loss", "lambda", "scaling", "feature scaling", "lift scale", "selection")
    chosen = " ".join(f"{k.replace(' ', '-')}={info[k]}" for k in keys if k in info)
    return {"accuracy": acc, "train seconds": median(fits), "predict seconds": median(preds),
            "cpu seconds": median(cpus), "chosen": chosen, "options": " ".join(extra) or "(defaults)",
            "train json": info}


def fmt_s(x):
    return f"{x:8.2f}" if x is not None else "       -"


def run_tabular(a, dd, work, log_file):
    """Runs the tabular comparison; returns its rows (one per set and tool) for results.csv/json."""
    w = lambda name: os.path.join(work, name)
    with open(w("peer_tabular_sklearn.py"), "w") as f:
        f.write(PEER_SKLEARN)
    runner = Runner(log_file)
    sets = []
    for token in (["ionosphere"] if a.quick and not a.sets else (a.sets or "all").split(",")):
        sets += GROUPS.get(token, [token])
    unknown = [x for x in sets if x not in GROUPS["all"]]
    if unknown:
        sys.exit(f"compare-peers: unknown set(s) {', '.join(unknown)}; known: {', '.join(GROUPS['all'])} "
                 f"and the groups tuning, held-out, all")
    try:
        export_missing(a.uci, sets, log_file)
    except Failed as e:
        sys.exit(f"compare-peers: could not export the UCI sets (bash scripts/get-uci.sh installs mlbench): {e}")
    repeats = a.repeats
    peers = set(a.tools.lower().split(","))
    configs = ([] if a.no_defaults else [("defaults", [])]) + \
        [(f"args{i + 1}", shlex.split(x)) for i, x in enumerate(a.deepdot_args or [])]
    if not configs:
        sys.exit("compare-peers: --no-defaults needs at least one --deepdot-args")
    first = f"deepdot {configs[0][0]}"  # the row the summary's checks use: the defaults unless left out
    rows, summary = [], []
    for tag, extra in configs[1 if configs[0][0] == "defaults" else 0:]:
        print(f"  tabular   deepdot {tag}: deepdot train {' '.join(extra)}", flush=True)
    print(f"  tabular   sets: {', '.join(sets)}; every time is the median of {repeats} whole-process run(s) "
          f"(LIBSVM's grid runs once)", flush=True)
    for s in sets:
        train_csv, test_csv = os.path.join(a.uci, f"{s}-train.csv"), os.path.join(a.uci, f"{s}-test.csv")
        X, y = read_csv_set(train_csv)
        Xt, yt = read_csv_set(test_csv)
        names = sorted(set(y) | set(yt))
        index = {n: i + 1 for i, n in enumerate(names)}
        write_libsvm(w(f"{s}.train"), X, [index[v] for v in y])
        write_libsvm(w(f"{s}.test"), Xt, [index[v] for v in yt])
        meta = {"set": s, "group": "tuning" if s in TUNING else "held-out", "n_train": len(y), "n_test": len(yt),
                "d": X.shape[1], "classes": len(set(y))}
        results = {}
        tools = [(f"deepdot {tag}", lambda extra=extra, tag=tag: run_deepdot(runner, dd, w, s, train_csv, test_csv, extra,
                                                                            repeats, tag)) for tag, extra in configs]
        lower = scale_lower(X)
        tools += [("LIBSVM", lambda: run_libsvm(runner, w, s, len(y), lower, a.libsvm_grid, repeats, a.quick)),
                  ("LIBLINEAR", lambda: run_liblinear(runner, w, s, lower, repeats, a.quick)),
                  ("sklearn", lambda: run_sklearn(runner, w, train_csv, test_csv, repeats, a.quick))]
        for tool, fn in tools:
            if tool.split()[0].lower() not in peers:
                results[tool] = {"accuracy": None, "chosen": "not run"}
                continue
            try:
                r = fn()
                r["total seconds"] = r["train seconds"] + r["predict seconds"]
            except Failed as e:
                r = {"accuracy": None, "train seconds": None, "predict seconds": None, "total seconds": None,
                     "cpu seconds": None, "chosen": f"FAILED {e}"}
            results[tool] = r
            row = dict(meta, tool=tool, **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()
                                           if k != "train json"})
            if tool.startswith("deepdot") and "train json" in r:
                row["train json"] = r["train json"]
            rows.append(row)
            acc = f"{r['accuracy']:.4f}" if r["accuracy"] is not None else "  -   "
            cpu = f"{r['cpu seconds']:.1f}" if r["cpu seconds"] is not None else "-"
            print(f"  tabular   {s:12s} {tool:18s} acc {acc}  train {fmt_s(r['train seconds'])} s  predict "
                  f"{fmt_s(r['predict seconds'])} s  total {fmt_s(r['total seconds'])} s (CPU {cpu} s)  {r['chosen']}",
                  flush=True)
        sv = results["LIBSVM"]
        for tag, _ in configs:
            r = results[f"deepdot {tag}"]
            if r["accuracy"] is not None and sv["accuracy"] is not None:
                ok_acc = r["accuracy"] >= sv["accuracy"] - 0.005
                ok_time = r["total seconds"] < sv["total seconds"]
                rows.append(dict(meta, tool=f"check deepdot {tag}", accuracy_gap_points=round(100 * (r["accuracy"] - sv["accuracy"]), 2),
                                 time_ratio=round(sv["total seconds"] / r["total seconds"], 2),
                                 within_half_point=ok_acc, faster_than_libsvm=ok_time))
        summary.append((meta, results))

    # The table of the run: one line per set, the default deepdot beside the peers, and the two checks.
    print("\n  tabular   summary (accuracy; whole-process seconds train + predict = total; checks against LIBSVM's "
          "grid + final):")
    head = (f"  {'set':12s} {'train':>6s} {'test':>6s} {'d':>4s} {'cls':>3s} | " +
            " | ".join(f"{t:>24s}" for t in [f"deepdot {c}" for c, _ in configs] + ["LIBSVM", "LIBLINEAR", "sklearn"]) +
            f" | checks ({configs[0][0]})")
    print(head)
    for meta, results in summary:
        cells = []
        for t in [f"deepdot {c}" for c, _ in configs] + ["LIBSVM", "LIBLINEAR", "sklearn"]:
            r = results[t]
            cells.append(("not run" if r["chosen"] == "not run" else "failed").rjust(24) if r["accuracy"] is None else
                         f"{r['accuracy']:.4f} {r['train seconds']:6.1f}+{r['predict seconds']:4.1f}={r['total seconds']:6.1f}")
        d, sv = results[first], results["LIBSVM"]
        if d["accuracy"] is None or sv["accuracy"] is None:
            checks = "-"
        else:
            gap = 100 * (d["accuracy"] - sv["accuracy"])
            checks = (f"acc {gap:+.2f} pts {'ok' if gap >= -0.5 else 'NO'}; time x{sv['total seconds'] / d['total seconds']:.2f} "
                      f"{'ok' if d['total seconds'] < sv['total seconds'] else 'NO'}")
        print(f"  {meta['set']:12s} {meta['n_train']:6d} {meta['n_test']:6d} {meta['d']:4d} {meta['classes']:3d} | " +
              " | ".join(cells) + " | " + checks)
    print("  (one test point is 100 / n_test accuracy points: below 200 test points a single point is more than "
          "the 0.5-point margin)")
    return rows
