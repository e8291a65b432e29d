#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end tests of data-parallel training: mpirun --oversubscribe -np 1/2/3
deepdot-mpi train against single-process deepdot train (stdlib only).

usage: mpi_test.py DEEPDOT DEEPDOT_MPI MPIRUN
"""
import csv
import os
import random
import signal
import struct
import subprocess
import sys
import tempfile
import time
import json

DEEPDOT, DEEPDOT_MPI, MPIRUN = sys.argv[1:4]
# Open MPI refuses to run as root unless told; set here only, for these runs.
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OPENBLAS_NUM_THREADS="1")
failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what, flush=True)
    if not ok:
        failures.append(what)


def run(cmd, timeout=120):
    return subprocess.run(cmd, env=ENV, capture_output=True, text=True, timeout=timeout)


# What these comparisons were written for: a fixed kernel, map and loss (the
# automatic choices would pick the squared hinge, whose single-process and
# distributed solvers differ), the tolerance 1e-3 and unit-norm scaling (the automatic
# preprocessing gathers a search sample, whose bytes the communication checks would
# count; the sphere-lift cases below choose R on every rank alike). Options a case gives win.
FIXED = {"--kernel": "recursive:3", "--map": "fourier:orf", "--loss": "squared", "--tolerance": "1e-3",
         "--scaling": "unit-norm"}


def fixed(args):
    out = list(args)
    for k, v in FIXED.items():
        if k not in out:
            out += [k, v]
    return out


def mpirun(np, args, timeout=120):
    return run([MPIRUN, "--oversubscribe", "-np", str(np), DEEPDOT_MPI, "train"] + fixed(args), timeout)


def scores(model, data, tmp, extra=()):
    out = os.path.join(tmp, "scores.csv")
    r = run([DEEPDOT, "predict", "--model", model, "--data", data, "--scores", "--out", out, "--quiet"] + list(extra))
    assert r.returncode == 0, r.stderr
    with open(out) as f:
        rows = [row for row in csv.reader(f)]
    return [[float(v) for v in row] for row in rows if row and not row[0].startswith("s") and not row[0].startswith("x")]


def max_rel_diff(a, b):
    flat_a = [v for row in a for v in row]
    flat_b = [v for row in b for v in row]
    if len(flat_a) != len(flat_b):
        return float("inf")
    scale = max(abs(v) for v in flat_b) or 1.0
    return max(abs(x - y) for x, y in zip(flat_a, flat_b)) / scale


def make_points(n, d, seed):
    rng = random.Random(seed)
    pts = []
    for _ in range(n):
        x = [rng.gauss(0, 1) for _ in range(d)]
        label = (x[0] + 0.5 * x[1] > 0) + (x[2] > 0.9)
        target = x[0] - 0.3 * x[1] * x[2]
        pts.append((x, label, target))
    return pts


def write_csv(path, pts, regression=False):
    d = len(pts[0][0])
    with open(path, "w") as f:
        f.write(",".join(f"x{i}" for i in range(d)) + ",label\n")
        for x, label, target in pts:
            f.write(",".join(f"{v:.6g}" for v in x) + "," + (f"{target:.6g}" if regression else str(label)) + "\n")


def write_libsvm(path, pts):
    with open(path, "w") as f:
        for x, label, _ in pts:
            f.write(str(label) + " " + " ".join(f"{i + 1}:{v:.6g}" for i, v in enumerate(x) if abs(v) > 0.3) + "\n")


def write_npy(path, rows):
    """A float64 C-order .npy of len(rows) x len(rows[0]) (or 1-D)."""
    one_d = not isinstance(rows[0], (list, tuple))
    shape = f"({len(rows)},)" if one_d else f"({len(rows)}, {len(rows[0])})"
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': " + shape + ", }"
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    flat = rows if one_d else [v for r in rows for v in r]
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack("<%dd" % len(flat), *flat))


def fit_report(r):
    return json.loads(r.stdout)


def main():
    tmp = tempfile.mkdtemp(prefix="deepdot_mpi_")
    pts = make_points(700, 8, 1)
    data_csv = os.path.join(tmp, "train.csv")
    write_csv(data_csv, pts)
    reg_csv = os.path.join(tmp, "reg.csv")
    write_csv(reg_csv, pts, regression=True)
    svm = os.path.join(tmp, "train.svm")
    write_libsvm(svm, pts)
    npy = os.path.join(tmp, "x.npy")
    labels_npy = os.path.join(tmp, "y.npy")
    write_npy(npy, [x for x, _, _ in pts])
    write_npy(labels_npy, [float(l) for _, l, _ in pts])
    shards = []
    for k, (a, b) in enumerate([(0, 100), (100, 350), (350, 520), (520, 700)]):
        shards.append(os.path.join(tmp, f"shard-{k}.csv"))
        write_csv(shards[-1], pts[a:b])

    # 1. The same model as one process, at P = 1, 2, 3 (different byte/row ranges).
    # Double features accumulate in double: the models agree to double rounding.
    # Float features are summed in float per batch (Accumulation::single), and
    # the batches differ with P, so they agree to float rounding, amplified by
    # the conditioning at the small lambdas that GCV picks here.
    cases = [
        ("csv, validation grid", data_csv, ["--features", "128"], []),
        ("csv, nystrom, validation grid", data_csv, ["--features", "96", "--map", "nystrom"], []),
        ("csv, nystrom, double", data_csv, ["--features", "96", "--map", "nystrom", "--precision", "double"], []),
        ("csv regression, GCV", reg_csv, ["--features", "128", "--validation", "0"], []),
        ("csv regression, GCV, double", reg_csv, ["--features", "128", "--validation", "0", "--precision", "double"], []),
        ("libsvm, fixed lambda, double", svm, ["--features", "128", "--lambda", "1e-4", "--precision", "double"], []),
        # Per-feature statistics (sums, minima, maxima over the ranks) and R, the largest norm over the ranks.
        ("csv, standardize + sphere lift, double", data_csv,
         ["--features", "128", "--feature-scaling", "standardize", "--scaling", "sphere-lift", "--precision", "double"],
         []),
        ("csv, minmax + sphere lift, double", data_csv,
         ["--features", "128", "--feature-scaling", "minmax", "--scaling", "sphere-lift", "--precision", "double"], []),
        ("npy + labels, norm ball, max-norm", npy,
         ["--features", "128", "--norm-bound", "5", "--scaling", "max-norm", "--labels", labels_npy],
         ["--labels", labels_npy]),
    ]
    for name, data, opts, predict_opts in cases:
        single = os.path.join(tmp, "single.ddm")
        r = run([DEEPDOT, "train", "--data", data, "--model", single, "--quiet", "--json"] + fixed(opts))
        check(r.returncode == 0, f"{name}: single-process train runs ({r.stderr.strip()[:200]})")
        if r.returncode != 0:
            continue
        want = scores(single, data, tmp, predict_opts)
        single_report = fit_report(r)
        for np in (1, 2, 3):
            model = os.path.join(tmp, f"mpi{np}.ddm")
            r = mpirun(np, ["--data", data, "--model", model, "--quiet", "--json"] + opts)
            check(r.returncode == 0, f"{name}: P = {np} runs ({r.stderr.strip()[:300]})")
            if r.returncode != 0:
                continue
            rep = fit_report(r)
            got = scores(model, data, tmp, predict_opts)
            diff = max_rel_diff(got, want)
            tol = 1e-9 if "double" in opts else 1e-3
            check(diff < tol, f"{name}: P = {np} scores equal the single-process model's to {tol:g} (max rel diff {diff:.2e})")
            check(rep.get("lambda") == single_report.get("lambda"), f"{name}: P = {np} selects the same lambda")
            check(rep.get("ranks") == np, f"{name}: P = {np} reports {np} ranks")

    # 2. Shards: whole files in contiguous blocks, the same model as the concatenation.
    single = os.path.join(tmp, "single.ddm")
    run([DEEPDOT, "train", "--data", data_csv, "--model", single, "--quiet"] + fixed(["--features", "128"]))
    want = scores(single, data_csv, tmp)
    for np in (2, 3):
        model = os.path.join(tmp, f"shards{np}.ddm")
        r = mpirun(np, ["--shards", os.path.join(tmp, "shard-*.csv"), "--model", model, "--quiet", "--features", "128"])
        check(r.returncode == 0, f"shards: P = {np} runs ({r.stderr.strip()[:300]})")
        if r.returncode == 0:
            diff = max_rel_diff(scores(model, data_csv, tmp), want)
            check(diff < 1e-3, f"shards: P = {np} equals the single-process model (max rel diff {diff:.2e})")

    # 2b. Logistic and squared hinge: distributed trust-region Newton. Its
    # iterates do not depend on P (to rounding); against one process (dual
    # coordinate descent for the squared hinge) the accuracy agrees closely.
    for loss in ("logistic", "squared-hinge"):
        opts = ["--features", "128", "--loss", loss, "--lambda-grid", "1e-5,1e-3"]
        single = os.path.join(tmp, "single.ddm")
        r = run([DEEPDOT, "train", "--data", data_csv, "--model", single, "--quiet", "--json"] + fixed(opts))
        acc1 = fit_report(r)["training accuracy"] if r.returncode == 0 else -1
        got = {}
        for np in (2, 3):
            model = os.path.join(tmp, f"{loss}{np}.ddm")
            r = mpirun(np, ["--data", data_csv, "--model", model, "--quiet", "--json"] + opts)
            check(r.returncode == 0, f"{loss}: P = {np} runs ({r.stderr.strip()[:300]})")
            if r.returncode == 0:
                rep = fit_report(r)
                check(abs(rep["training accuracy"] - acc1) <= 0.01,
                      f"{loss}: P = {np} accuracy {rep['training accuracy']} within 1 point of one process's {acc1}")
                check(rep["solver"] == "distributed trust-region newton", f"{loss}: P = {np} uses the distributed solver")
                got[np] = scores(model, data_csv, tmp)
        if len(got) == 2:
            diff = max_rel_diff(got[3], got[2])
            check(diff < 1e-3, f"{loss}: P = 2 and P = 3 give the same model (max rel diff {diff:.2e})")

    # 3. A class seen on one rank only still counts.
    rare = os.path.join(tmp, "rare.csv")
    rare_pts = [(x, 7 if i >= 690 else l, t) for i, (x, l, t) in enumerate(pts)]
    write_csv(rare, rare_pts)
    r = mpirun(3, ["--data", rare, "--model", os.path.join(tmp, "rare.ddm"), "--quiet", "--json", "--features", "64"])
    check(r.returncode == 0 and fit_report(r)["classes"] == 4, "a class only on the last rank is one of the 4 classes")

    # 4. Communication of the squared-loss fit does not grow with n.
    big = os.path.join(tmp, "big.csv")
    write_csv(big, make_points(2100, 8, 2))
    sent = []
    for data in (data_csv, big):
        r = mpirun(2, ["--data", data, "--model", os.path.join(tmp, "b.ddm"), "--quiet", "--json", "--features", "128",
                       "--lambda", "1e-4", "--no-score"])
        sent.append(fit_report(r)["fit bytes sent per rank (max)"] if r.returncode == 0 else -1)
    D = 128
    stats = D * (D + 1) // 2 + D * 3 + 3 + 1
    check(sent[0] == sent[1] and sent[0] > 8 * stats and sent[0] < 8 * stats + 4096,
          f"fit bytes per rank independent of n and O(D^2): {sent} (statistics: {8 * stats} bytes)")

    # 5. Bad input on one rank: every rank exits with 2, the rank, file and line are named, no model.
    lines = open(data_csv).read().splitlines(True)
    for bad_line in (5, 650):  # in rank 0's part, in rank 2's part
        bad = os.path.join(tmp, f"bad{bad_line}.csv")
        lines_bad = list(lines)
        lines_bad[bad_line - 1] = "1,2,oops" + lines_bad[bad_line - 1][5:]
        open(bad, "w").write("".join(lines_bad))
        model = os.path.join(tmp, "bad.ddm")
        r = mpirun(3, ["--data", bad, "--model", model, "--quiet", "--features", "32"])
        rank = 0 if bad_line == 5 else 2
        check(r.returncode == 2, f"bad line {bad_line}: exit status 2 (got {r.returncode})")
        check(f"rank {rank}" in r.stderr and f"line {bad_line}" in r.stderr and "bad" in r.stderr,
              f"bad line {bad_line}: rank {rank}, the file and the line are named: {r.stderr.strip()[:300]}")
        check(r.stderr.count("error:") == 1, f"bad line {bad_line}: reported once, by the rank that read it")
        check(not os.path.exists(model), f"bad line {bad_line}: no model file")

    # 6. What is not distributed is refused clearly at P > 1 (and runs at P = 1).
    for opts, word in ((["--loss", "hinge", "--lambda", "1e-3"], "hinge loss"), (["--map", "exact", "--lambda", "1e-3"], "kernel limit")):
        r = mpirun(2, ["--data", data_csv, "--model", os.path.join(tmp, "x.ddm"), "--quiet"] + opts)
        check(r.returncode == 2 and word in r.stderr and r.stderr.count("error:") == 1,
              f"{word} at P = 2: exit 2 with one message ({r.stderr.strip()[:200]})")
        r = mpirun(1, ["--data", data_csv, "--model", os.path.join(tmp, "x.ddm"), "--quiet", "--features", "64"] + opts)
        check(r.returncode == 0, f"{word} at P = 1 runs ({r.stderr.strip()[:200]})")
    r = mpirun(2, ["--data", data_csv, "--quiet"])
    check(r.returncode == 2 and r.stderr.count("error:") == 1 and "--model" in r.stderr,
          "a missing option: exit 2, reported once")

    # 7. A rank killed mid-run: the job fails (mpirun ends every rank) and leaves no model.
    slow = os.path.join(tmp, "slow.csv")
    write_csv(slow, make_points(6000, 8, 3))
    model = os.path.join(tmp, "killed.ddm")
    proc = subprocess.Popen([MPIRUN, "--oversubscribe", "-np", "2", DEEPDOT_MPI, "train", "--data", slow, "--model", model,
                             *fixed(["--quiet", "--features", "2048", "--lambda", "1e-4"])],
                            env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    victim = None
    deadline = time.time() + 30
    while victim is None and time.time() < deadline and proc.poll() is None:
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                cmd = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
                ppid = int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if cmd and cmd[0].endswith(b"deepdot-mpi") and slow.encode() in cmd and ppid == proc.pid:
                victim = int(pid)
                break
        time.sleep(0.05)
    if victim is not None:
        time.sleep(0.3)
        os.kill(victim, signal.SIGKILL)
    try:
        proc.communicate(timeout=60)
        status = proc.returncode
    except subprocess.TimeoutExpired:
        proc.kill()
        status = "hung"
    check(victim is not None, "found a rank to kill")
    check(status not in (0, "hung"), f"a killed rank fails the job (mpirun status {status}) without hanging")
    check(not os.path.exists(model), "a killed job leaves no model file")

    # 8. predict and transform under mpirun: one output file, the ranks' rows in
    # order, equal to the single process's; a 2-point test set leaves rank 2 of
    # 3 with none. Predicted labels are the same bytes; float features and
    # scores agree to float rounding (the GEMM blocks differ with the part's size).
    model = os.path.join(tmp, "apply.ddm")
    r = run([DEEPDOT, "train", "--data", data_csv, "--model", model, "--quiet", "--features", "64", "--lambda", "1e-3"])
    check(r.returncode == 0, f"apply: train runs ({r.stderr.strip()[:200]})")
    tiny = os.path.join(tmp, "tiny.csv")
    write_csv(tiny, pts[:2])
    for data in (data_csv, tiny):
        for ext, extra in ((".csv", []), (".npy", []), (".csv", ["--scores"])):
            want_path = os.path.join(tmp, "want" + ext)
            r = run([DEEPDOT, "predict", "--model", model, "--data", data, "--out", want_path, "--quiet", "--json"] + extra)
            want_acc = json.loads(r.stdout)["accuracy"]
            for np in (1, 2, 3):
                got_path = os.path.join(tmp, f"got{np}" + ext)
                r = run([MPIRUN, "--oversubscribe", "-np", str(np), DEEPDOT_MPI, "predict", "--model", model, "--data", data,
                         "--out", got_path, "--quiet", "--json"] + extra)
                what = f"predict {os.path.basename(data)} {ext} {' '.join(extra)} at P = {np}"
                check(r.returncode == 0, f"{what} runs ({r.stderr.strip()[:300]})")
                if r.returncode != 0:
                    continue
                if extra:  # scores from float features: float rounding, like transform
                    diff = max_rel_diff([[float(v) for v in row] for row in csv.reader(open(got_path))],
                                        [[float(v) for v in row] for row in csv.reader(open(want_path))])
                    check(diff < 1e-6, f"{what}: the single process's scores to float rounding ({diff:.1e})")
                else:
                    check(open(got_path, "rb").read() == open(want_path, "rb").read(), f"{what}: the same file as one process")
                check(json.loads(r.stdout)["accuracy"] == want_acc, f"{what}: the same accuracy, printed once")
                left = [f for f in os.listdir(tmp) if ".part-" in f]
                check(not left, f"{what}: no part files left ({left})")
        want_path = os.path.join(tmp, "want_t.csv")
        run([DEEPDOT, "transform", "--model", model, "--data", data, "--out", want_path, "--quiet"])
        want = [[float(v) for v in row] for row in csv.reader(open(want_path))]
        for np in (1, 2, 3):
            got_path = os.path.join(tmp, f"got_t{np}.csv")
            r = run([MPIRUN, "--oversubscribe", "-np", str(np), DEEPDOT_MPI, "transform", "--model", model, "--data", data,
                     "--out", got_path, "--quiet"])
            check(r.returncode == 0, f"transform {os.path.basename(data)} at P = {np} runs ({r.stderr.strip()[:300]})")
            if r.returncode == 0:
                got = [[float(v) for v in row] for row in csv.reader(open(got_path))]
                diff = max_rel_diff(got, want)
                check(len(got) == len(want) and diff < 1e-6,
                      f"transform {os.path.basename(data)} at P = {np}: {len(got)} rows equal the single process's to float rounding ({diff:.1e})")
    # A bad line on rank 2: every rank exits 2, the rank, file and line are named, no output and no part.
    bad = os.path.join(tmp, "bad650.csv")
    for cmd in ("predict", "transform"):
        out = os.path.join(tmp, "bad_out.csv")
        r = run([MPIRUN, "--oversubscribe", "-np", "3", DEEPDOT_MPI, cmd, "--model", model, "--data", bad, "--out", out, "--quiet"])
        check(r.returncode == 2, f"{cmd}, bad line 650: exit status 2 (got {r.returncode})")
        check("rank 2" in r.stderr and "line 650" in r.stderr and "bad650.csv" in r.stderr and r.stderr.count("error:") == 1,
              f"{cmd}, bad line 650: reported once naming rank, file and line: {r.stderr.strip()[:300]}")
        left = [f for f in os.listdir(tmp) if ".part-" in f or f == "bad_out.csv"]
        check(not left, f"{cmd}, bad line 650: no output file and no part ({left})")

    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
