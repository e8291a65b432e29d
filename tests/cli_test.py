#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end tests of the deepdot command line: every subcommand on small
files, --json output, exit statuses, and the broken-file corpus.

usage: cli_test.py DEEPDOT_BINARY TESTS_DATA_DIR
Prints one line per check and a closing "N passed, N failed"; exits 1 on any failure.
"""
import json
import math
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile

DEEPDOT, DATA = sys.argv[1], sys.argv[2]
passed, failed = 0, 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name} {detail}")


def run(*args, env=None):
    p = subprocess.run([DEEPDOT, *args], capture_output=True, text=True, timeout=300,
                       env=None if env is None else {**os.environ, **env})
    return p.returncode, p.stdout, p.stderr


def run_json(*args, env=None):
    code, out, err = run(*args, "--json", "--quiet", env=env)
    try:
        return code, json.loads(out), err
    except json.JSONDecodeError:
        return code, None, err + out


def write_npy(path, rows, dtype="<f8"):
    """A C-order 2-D .npy file, written by hand so the test needs no NumPy."""
    n, d = len(rows), len(rows[0])
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%d, %d), }" % (dtype, n, d)
    pad = 64 - (10 + len(header) + 1) % 64
    header += " " * pad + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        for r in rows:
            f.write(struct.pack("<%dd" % d, *r))


def read_csv(path):
    import csv as csvmod
    with open(path, newline="") as f:
        return list(csvmod.DictReader(f))


tmp = tempfile.mkdtemp(prefix="deepdot-cli-")

# A small two-class problem whose classes depend nonlinearly on x.
rng = random.Random(7)
points, labels = [], []
for i in range(400):
    x = [rng.gauss(0, 1) for _ in range(5)]
    labels.append(3 if x[0] * x[1] + 0.3 * x[2] > 0 else -1)  # any integers are labels
    points.append(x)
libsvm = os.path.join(tmp, "train.libsvm")
with open(libsvm, "w") as f:
    for x, y in zip(points, labels):
        f.write(f"{y} " + " ".join(f"{j + 1}:{v:.6f}" for j, v in enumerate(x)) + "\n")
csv = os.path.join(tmp, "train.csv")
with open(csv, "w") as f:
    f.write("a,b,c,d,e,label\n")
    for x, y in zip(points, labels):
        f.write(",".join(f"{v:.6f}" for v in x) + f",{y}\n")

# --help and usage errors
code, out, _ = run("--help")
check("deepdot --help exits 0 and lists the commands", code == 0 and all(c in out for c in
      ["train", "predict", "transform", "gram", "approx", "info", "experiment"]))
for cmd in ["train", "predict", "transform", "gram", "approx", "info"]:
    code, out, _ = run(cmd, "--help")
    check(f"deepdot {cmd} --help", code == 0 and "usage: deepdot " + cmd in out, out[:200])
code, _, err = run("frobnicate")
check("an unknown command exits 2", code == 2 and "unknown command" in err)
code, _, err = run("train", "--data", libsvm, "--model", os.path.join(tmp, "m"), "--featurs", "64")
check("a misspelt option exits 2 and names it", code == 2 and "--featurs" in err, err)
code, _, err = run("train", "--model", os.path.join(tmp, "m"))
check("a missing --data exits 2", code == 2 and "--data" in err, err)
code, _, err = run("train", "--data", libsvm, "--model", os.path.join(tmp, "m"), "--kernel", "recursive:-1")
check("a bad kernel spec exits 2 with the rule", code == 2 and "must be >= 0" in err, err)

# train -> predict on LIBSVM: the reloaded model reproduces the training figures.
model = os.path.join(tmp, "model.ddm")
code, tr, err = run_json("train", "--data", libsvm, "--model", model, "--map", "srht",
                         "--kernel", "recursive:2", "--features", "256", "--seed", "3")
check("train on LIBSVM exits 0 with JSON", code == 0 and tr is not None, err)
if tr:
    for field in ["training accuracy", "kernel", "map", "features", "loss", "lambda", "fit seconds", "model"]:
        check(f"train --json has '{field}'", field in tr, str(tr))
    check("training accuracy beats chance clearly", tr.get("training accuracy", 0) > 0.75, str(tr))
preds = os.path.join(tmp, "pred.csv")
code, pr, err = run_json("predict", "--model", model, "--data", libsvm, "--out", preds)
check("predict exits 0 with JSON", code == 0 and pr is not None, err)
if tr and pr:
    check("predict's accuracy equals train's on the same data", pr.get("accuracy") == tr.get("training accuracy"),
          f"{pr.get('accuracy')} vs {tr.get('training accuracy')}")
with open(preds) as f:
    values = [float(line) for line in f if line.strip()]
check("predictions file: one label per point, labels from the data", len(values) == 400 and
      set(values) <= {3.0, -1.0}, str(values[:5]))

# --no-score skips the training-set pass; the model is the same.
code, tr3, err = run_json("train", "--data", libsvm, "--model", os.path.join(tmp, "noscore.ddm"), "--map", "srht",
                          "--kernel", "recursive:2", "--features", "256", "--seed", "3", "--no-score")
check("train --no-score has no training accuracy or scoring time", code == 0 and tr3 is not None and
      "training accuracy" not in tr3 and "scoring seconds" not in tr3 and tr3.get("classes") == 2, err + str(tr3))
with open(model, "rb") as a, open(os.path.join(tmp, "noscore.ddm"), "rb") as b:
    check("train --no-score writes the same model", a.read() == b.read())

# --test scores held-out data in the same process, as predict would.
code, tr4, err = run_json("train", "--data", libsvm, "--model", os.path.join(tmp, "tested.ddm"), "--map", "srht",
                          "--kernel", "recursive:2", "--features", "256", "--seed", "3", "--no-score", "--test", csv)
check("train --test reports the test accuracy", code == 0 and tr4 is not None and tr4.get("test points") == 400,
      err + str(tr4))
if tr4 and pr:
    check("train --test's accuracy equals predict's on the same points", tr4.get("test accuracy") == pr.get("accuracy"),
          f"{tr4.get('test accuracy')} vs {pr.get('accuracy')}")
d3 = os.path.join(tmp, "d3.csv")
with open(d3, "w") as f:
    f.write("a,b,c,label\n0.1,0.2,0.3,3\n0.3,0.2,0.1,-1\n")
code, _, err = run("train", "--data", libsvm, "--model", os.path.join(tmp, "t.ddm"), "--no-score", "--test", d3)
check("train --test with data of another d exits 2 and names both", code == 2 and "d = 3" in err and "d = 5" in err,
      err)
d5 = os.path.join(tmp, "d5.csv")
with open(d5, "w") as f:
    f.write("a,b,c,d,e,label\n0.1,0.2,0.3,0.1,0.1,0.5\n")
code, _, err = run("train", "--data", libsvm, "--model", os.path.join(tmp, "t3.ddm"), "--test", d5)
check("train --test with non-integer labels for a classifier exits 2 before fitting", code == 2 and
      "not integers" in err and not os.path.exists(os.path.join(tmp, "t3.ddm")), err)
code, _, err = run("train", "--data", libsvm, "--model", os.path.join(tmp, "t2.ddm"), "--test",
                   os.path.join(tmp, "none.csv"))
check("train --test with a missing file exits 2 before fitting", code == 2 and "none.csv" in err
      and not os.path.exists(os.path.join(tmp, "t2.ddm")), err)

# The same through CSV with a named label column and the exact kernel limit.
code, tr2, err = run_json("train", "--data", csv, "--model", os.path.join(tmp, "exact.ddm"), "--map", "exact",
                          "--kernel", "recursive:1")
check("train --map exact on CSV", code == 0 and tr2 is not None and tr2.get("training accuracy", 0) > 0.75,
      err + str(tr2))
code, inf, err = run_json("info", "--model", os.path.join(tmp, "exact.ddm"))
check("info on a kernel-limit model", code == 0 and inf and inf.get("mode") == "kernel limit", err + str(inf))

# transform, gram and info on .npy round trips
npy = os.path.join(tmp, "x.npy")
write_npy(npy, points[:50])
z = os.path.join(tmp, "z.npy")
code, t, err = run_json("transform", "--data", npy, "--out", z, "--map", "fourier", "--kernel", "recursive:2",
                        "--features", "64")
check("transform to .npy", code == 0 and t is not None, err)
code, inf, err = run_json("info", "--data", z)
check("the features read back as 50 points x 64", code == 0 and inf and inf.get("points") == 50
      and inf.get("dimension") == 64, err + str(inf))
k = os.path.join(tmp, "k.npy")
code, g, err = run_json("gram", "--data", npy, "--out", k, "--kernel", "recursive:1")
check("gram to .npy", code == 0 and g and g.get("matrix") == "50 x 50", err + str(g))
code, inf, err = run_json("info", "--data", k)
check("the Gram matrix reads back as 50 x 50, diagonal 1 so norms <= 50",
      code == 0 and inf and inf.get("points") == 50 and inf.get("dimension") == 50, err + str(inf))
code, g, err = run_json("transform", "--model", model, "--data", libsvm, "--out", os.path.join(tmp, "zz.csv"))
check("transform with a model's map to CSV", code == 0 and g is not None, err)
# Float features go straight into a mapped .npy file; they must match the double CSV output.
zf, zc = os.path.join(tmp, "zf.npy"), os.path.join(tmp, "zc.csv")
code1, _, err1 = run("transform", "--data", npy, "--out", zf, "--map", "tensorsketch", "--kernel", "poly:3:1",
                     "--features", "40", "--precision", "float", "--quiet")
code2, _, err2 = run("transform", "--data", npy, "--out", zc, "--map", "tensorsketch", "--kernel", "poly:3:1",
                     "--features", "40", "--precision", "double", "--quiet")
ok = code1 == 0 and code2 == 0
if ok:
    with open(zf, "rb") as f:
        raw = f.read()
    hlen = struct.unpack("<H", raw[8:10])[0]
    header = raw[10:10 + hlen].decode()
    vals = struct.unpack("<%df" % (50 * 40), raw[10 + hlen:])
    rows = [[float(v) for v in line.split(",")] for line in open(zc).read().split("\n") if line.strip()]
    worst = max(abs(vals[i * 40 + j] - rows[i][j]) for i in range(50) for j in range(40))
    ok = "'<f4'" in header and "(50, 40)" in header and len(rows) == 50 and worst < 1e-6
    err1 += " worst %g, header %s" % (worst, header)
check("transform --precision float writes the double features as float32", ok, err1 + err2)
check("no temporary file is left next to the output", not any(".tmp" in f for f in os.listdir(tmp)), str(os.listdir(tmp)))
code, _, err = run("transform", "--data", npy, "--out", os.path.join(tmp, "z.txt"))
check("transform to an unknown extension exits 2", code == 2 and ".npy or .csv" in err, err)
code, _, err = run("predict", "--model", model, "--data", z)  # 64 features per point, the model wants 5
check("predict with the wrong d exits 2 and says so", code == 2 and "expects d = 5" in err and "model" in err, err)

# approx writes a CSV (and a plot when gnuplot is there)
acsv = os.path.join(tmp, "approx.csv")
code, ap, err = run_json("approx", "--data", libsvm, "--maps", "srht,fourier", "--features", "32,128",
                         "--seeds", "2", "--n", "200", "--out", acsv, "--plot", os.path.join(tmp, "approx.svg"))
check("approx exits 0 with a results list", code == 0 and ap and len(ap.get("results", [])) == 4, err + str(ap))
with open(acsv) as f:
    rows = f.read().strip().split("\n")
check("approx CSV has a header and 4 rows", len(rows) == 5 and rows[0].startswith("kernel,map,D"), str(rows[:2]))
if ap:
    errs = {(r["map"], r["D"]): r["rel_frobenius_nonconstant"] for r in ap["results"]}
    check("the error falls with D for fourier", errs[("fourier", 128)] < errs[("fourier", 32)], str(errs))

# No options: the automatic choices, every candidate's score in --json and in the table.
code, j, err = run_json("train", "--data", libsvm, "--model", os.path.join(tmp, "auto.ddm"))
all_cands = (j or {}).get("selection candidates", [])
pre = [c for c in all_cands if c["stage"] == "preprocessing"]
cands = [c for c in all_cands if c["stage"] != "preprocessing"]
check("train with no options lists the automatic fields", code == 0 and j["automatic"] ==
      "scaling, kernel, loss, lambdas, features, map", str(j)[:300] + err)
# Five with recursive:3, then four Gaussians on the lifted sphere (a squared-hinge final of two when a
# Gaussian is clearly better under the squared loss).
gauss = [c for c in pre if c["kernel"].startswith("gaussian:")]
check("train --json has the five recursive and four Gaussian preprocessing candidates, unit norm first, one chosen",
      len(pre) in (9, 11) and pre[0]["preprocessing"] == "unit-norm" and sum(c["chosen"] for c in pre) == 1
      and [c["kernel"] for c in pre[:5]] == ["recursive:3"] * 5 and len(gauss) >= 4
      and all(c["lift_scale"] == pre[4]["lift_scale"] for c in gauss)
      and all(0 <= c["score"] <= 1 for c in pre), str(pre))
check("train --json has the four kernel candidates and the loss check, one chosen",
      [c["kernel"] for c in cands[:4]] == ["recursive:%d" % k for k in range(1, 5)] and len(cands) == 5
      and cands[4]["loss"] == "squared-hinge" and sum(c["chosen"] for c in cands) == 1
      and all(0 <= c["score"] <= 1 and c["lambda"] > 0 for c in cands), str(cands))
chosen = [c for c in cands if c["chosen"]]
check("the chosen candidate is the model's kernel and loss", chosen and j["kernel"] == chosen[0]["kernel"]
      and j["loss"] == chosen[0]["loss"], str(j)[:400])
check("the D rule: Nystroem with D = the 360 training points", j and j["map"].startswith("nystrom") and
      j["features"] == 360, str(j)[:400])
code, out, _ = run("train", "--data", libsvm, "--model", os.path.join(tmp, "auto.ddm"), "--quiet")
check("train prints each candidate's validation score", code == 0 and out.count("validation error rate") >= 10
      and "<- chosen" in out, out[:600])
code, j, err = run_json("train", "--data", libsvm, "--model", os.path.join(tmp, "fixed.ddm"), "--kernel", "recursive:2",
                        "--loss", "squared", "--map", "fourier:orf", "--features", "64", "--scaling", "unit-norm")
check("explicit options are not searched", code == 0 and j["automatic"] == "lambdas" and j["kernel"] == "recursive:2"
      and j["features"] == 64 and "selection candidates" not in j, str(j)[:300] + err)
code, j, err = run_json("train", "--data", libsvm, "--model", os.path.join(tmp, "budget.ddm"), "--loss", "squared",
                        "--kernel", "recursive:2", "--budget", "0.0001")
check("--budget lowers D", code == 0 and j["features"] < 360, str(j)[:300] + err)
code, _, err = run("train", "--data", libsvm, "--model", os.path.join(tmp, "b.ddm"), "--budget", "0")
check("--budget 0 is refused naming the budget", code != 0 and "budget" in err, err)

# The option table: help is generated with the library's defaults; unknown options are rejected.
code, out, _ = run("train", "--help")
for needle in ["--kernel SPEC", "recursive:1..4", "[0]", "[0.1]", "[float]", "--budget SECONDS", "[600]",
               "--memory-budget GIB", "[8]", "unit-norm | max-norm", "[2048]", "--accumulate A", "[single]", "--solver S",
               "[auto]", "[10000]", "[0.01]", "[1000]", "10 values, 1e-08 .. 10"]:
    check(f"train --help shows the TrainerConfig default {needle}", code == 0 and needle in out, out[:300])
code, out, _ = run("transform", "--help")
check("transform --help: precision defaults to float, as train", code == 0 and "float | double features [float]" in out, out)
code, _, err = run("train", "--data", libsvm, "--model", os.path.join(tmp, "u.ddm"), "--featurs", "64")
check("train with an unknown option exits 2 naming it", code == 2 and "unknown option --featurs" in err, err)
code, _, err = run("train", "--data", libsvm, "--model", os.path.join(tmp, "u.ddm"), "--precision", "half")
check("a bad enum value names the option, the value and the choices", code == 2 and "--precision" in err and
      "'half'" in err and "float or double" in err, err)
code, _, err = run("train", "--data", libsvm, "--model", os.path.join(tmp, "u.ddm"), "--features", "x1")
check("a bad number names the option", code == 2 and "--features" in err and "x1" in err, err)
code, _, err = run("train", "--data", libsvm, "--model", os.path.join(tmp, "u.ddm"), "--lambda", "1e-3",
                   "--lambdas", "1e-3,1e-2")
check("--lambda and --lambdas together exit 2", code == 2 and "--lambdas" in err, err)
code, tr5, err = run_json("train", "--data", libsvm, "--model", os.path.join(tmp, "acc.ddm"), "--features", "64",
                          "--accumulate", "exact", "--solver", "cholesky", "--lambdas", "1e-3", "--map", "srht")
check("train --accumulate exact --solver cholesky --lambdas X", code == 0 and tr5 and tr5.get("lambda") == 1e-3, err)

# The list separator: a comma before a number continues a spec (coeffs:a,b,c); ';' separates too.
for kernels in ["coeffs:0.5,0.3,0.2,recursive:2", "coeffs:0.5,0.3,0.2;recursive:2"]:
    code, ap2, err = run_json("approx", "--data", libsvm, "--kernel", kernels, "--maps", "srht,maclaurin",
                              "--features", "32", "--n", "50", "--out", os.path.join(tmp, "c.csv"),
                              "--plot", os.path.join(tmp, "c.svg"))
    got = [(r["kernel"], r["map"]) for r in (ap2 or {}).get("results", [])]
    check(f"approx --kernel {kernels}: two kernels x two maps", code == 0 and got ==
          [(k, m) for k in ["coeffs:0.5,0.3,0.2", "recursive:2"] for m in ["srht", "maclaurin"]], err + str(got))
    crow = read_csv(os.path.join(tmp, "c.csv")) if code == 0 else []
    check("approx CSV keeps the coeffs spec in one (quoted) field", crow and crow[0]["kernel"] == "coeffs:0.5,0.3,0.2",
          str(crow[:1]))
code, ap3, err = run_json("approx", "--data", libsvm, "--kernel", "recursive:1",
                          "--maps", "maclaurin:kk;taylor:2,srht", "--features", "32", "--n", "50",
                          "--out", os.path.join(tmp, "c2.csv"), "--plot", os.path.join(tmp, "c2.svg"))
check("approx --maps with ';' and ',' mixed", code == 0 and ap3 and
      [r["map"] for r in ap3.get("results", [])] == ["maclaurin:kk", "taylor:2", "srht"], err + str(ap3))
code, _, err = run("approx", "--data", libsvm, "--maps", "srht,,fourier", "--out", os.path.join(tmp, "c3.csv"))
check("approx --maps with an empty item exits 2 naming --maps", code == 2 and "--maps" in err, err)

# deepdot experiment: tiny runs write their tables (CSV, JSON) and plot scripts; bad options exit 2.
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1"}  # tiny BLAS calls; threads only contend with other jobs


code, out, _ = run("experiment", "--help")
check("experiment --help lists the experiments", code == 0 and all(e in out for e in ["table1", "teacher", "approx"]), out)
code, _, err = run("experiment")
check("experiment without a name exits 2", code == 2)
code, _, err = run("experiment", "tabel1")
check("an unknown experiment exits 2 and says so", code == 2 and "unknown experiment 'tabel1'" in err, err)
for e in ["table1", "teacher", "approx"]:
    code, out, _ = run("experiment", e, "--help")
    check(f"experiment {e} --help", code == 0 and f"usage: deepdot experiment {e}" in out and "--quick" in out, out[:200])

for args, needle in [(["table1", "--variations", "spin"], "--variations"), (["table1", "--datasets", "cifar"], "--datasets"),
                     (["table1", "--bound", "0"], "--bound"), (["teacher", "--n", "0,100"], "--n"),
                     (["teacher", "--activations", "sigmoid"], "sigmoid"), (["approx", "--features", "abc"], "--features"),
                     (["approx", "--mpas", "srht"], "--mpas"), (["teacher", "--map", "bogus"], "bogus")]:
    code, _, err = run("experiment", *args, "--out", os.path.join(tmp, "bad"), env=ONE_THREAD)
    check(f"experiment {' '.join(args)} exits 2 naming {needle}", code == 2 and needle in err, f"status {code}: {err}")

code, _, err = run("experiment", "table1", "--quick", "--datasets", "mnist", "--variations", "basic", "--out", os.path.join(tmp, "nomnist"),
                   env={**ONE_THREAD, "DEEPDOT_MNIST_DIR": os.path.join(tmp, "no-such-dir")})
check("table1 without the MNIST digits exits 2 saying how to get them", code == 2 and "get-mnist.sh" in err, err)
code, _, err = run("experiment", "table1", "--quick", "--datasets", "fashion", "--variations", "background",
                   "--out", os.path.join(tmp, "noback"), env={**ONE_THREAD, "DEEPDOT_BACKGROUNDS": os.path.join(tmp, "no-such.pgm")})
check("table1 without the background photographs exits 2 saying how to make them", code == 2 and
      "get-backgrounds.sh" in err, err)
code, _, err = run("experiment", "approx", "--quick", "--out", os.path.join(tmp, "nofashion"),
                   env={**ONE_THREAD, "DEEPDOT_FASHION_MNIST_DIR": os.path.join(tmp, "no-such-dir")})
check("approx without Fashion-MNIST exits 2 saying how to install it", code == 2 and
      "apt-get install dataset-fashion-mnist" in err, err)

# teacher needs no data files.
tdir = os.path.join(tmp, "teacher")
code, tj, err = run_json("experiment", "teacher", "--quick", "--n", "60,120", "--depths", "1", "--widths", "10,20",
                         "--activations", "erf", "--test", "200", "--features", "64", "--out", tdir)
check("experiment teacher exits 0 with JSON", code == 0 and tj is not None, err)
rows = read_csv(os.path.join(tdir, "teacher.csv")) if code == 0 else []
check("teacher.csv: 2 sizes x 2 widths x 3 learners", len(rows) == 12, str(len(rows)))
check("teacher.csv: finite, nonnegative excess risks", rows and all(float(r["excess_mse"]) >= 0 for r in rows), str(rows[:1]))
with open(os.path.join(tdir, "teacher.json")) as f:
    saved = json.load(f)
check("teacher.json holds the rows and the rates", len(saved.get("rows", [])) == 12 and any(k.startswith("rates") for k in saved))
check("teacher writes its gnuplot script", os.path.exists(os.path.join(tdir, "teacher-erf.gp")))
rates = read_csv(os.path.join(tdir, "teacher-rates.csv")) if code == 0 else []
code, again, err = run_json("experiment", "teacher", "--from-csv", os.path.join(tdir, "teacher.csv"),
                            "--out", os.path.join(tmp, "teacher-again"))
check("teacher --from-csv redraws the same rows", code == 0 and again and tj and again.get("rows") == tj.get("rows"), err)
code, _, err = run("experiment", "teacher", "--from-csv", os.path.join(tmp, "missing.csv"), "--out", os.path.join(tmp, "x"))
check("teacher --from-csv with a missing file exits 2 naming it", code == 2 and "missing.csv" in err, err)
code, _, err = run("experiment", "table1", "--from-csv", libsvm, "--out", os.path.join(tmp, "x"))
check("table1 --from-csv with a foreign file exits 2", code == 2 and "--from-csv" in err, err)
check("teacher-rates.csv: a fitted slope per curve", len(rates) == 6 and all(r["slope"] for r in rates), str(rates[:1]))

fashion = os.path.exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz") or \
    "DEEPDOT_FASHION_MNIST_DIR" in os.environ
if fashion:
    adir = os.path.join(tmp, "approx")
    code, aj, err = run_json("experiment", "approx", "--quick", "--maps", "srht,fourier:orf", "--depths", "1",
                             "--features", "32,256", "--n", "100", "--fit", "64", "--accuracy-maps", "fourier:orf",
                             "--accuracy-depths", "1", "--accuracy-features", "32", "--train", "200", "--test", "200",
                             "--out", adir)
    check("experiment approx exits 0 with JSON", code == 0 and aj is not None, err)
    rows = read_csv(os.path.join(adir, "approx.csv")) if code == 0 else []
    check("approx.csv: 2 maps x 2 D", len(rows) == 4, str(rows))
    e = {(r["map"], r["D"]): float(r["rel_frobenius_nonconstant"]) for r in rows}
    check("approx: the error of fourier:orf falls with D", e.get(("fourier:orf", "256"), 1) < e.get(("fourier:orf", "32"), 0), str(e))
    acc = read_csv(os.path.join(adir, "approx-accuracy.csv")) if code == 0 else []
    check("approx-accuracy.csv: one row, accuracy above chance", len(acc) == 1 and float(acc[0]["test_accuracy"]) > 0.3, str(acc))
    check("approx writes its JSON and plot scripts", all(os.path.exists(os.path.join(adir, f)) for f in
          ["approx.json", "approx-error.gp", "approx-time.gp", "approx-accuracy.gp"]))

    t1 = os.path.join(tmp, "table1")
    code, t1j, err = run_json("experiment", "table1", "--quick", "--datasets", "fashion", "--variations", "basic,rotation",
                              "--depths", "1", "--train", "100", "--validation", "50", "--test", "100",
                              "--features", "64", "--out", t1)
    check("experiment table1 exits 0 with JSON", code == 0 and t1j is not None, err)
    rows = read_csv(os.path.join(t1, "table1.csv")) if code == 0 else []
    check("table1.csv: 2 variations x (logistic + kernel limit + features)", len(rows) == 6, str(len(rows)))
    check("table1.csv: errors are percentages", rows and all(0 <= float(r["test_error_pct"]) <= 100 for r in rows))
    paper = {(r["variation"], r["method"]): r["paper_error_pct"] for r in rows}
    check("table1.csv quotes the paper beside ours", paper.get(("basic", "logistic regression")) == "9.53" and
          paper.get(("rotation", "recursive kernel k = 1 (kernel limit)")) == "9.71", str(paper))
    check("table1 JSON lists the differences from the paper", t1j and any(k.startswith("differences") for k in t1j))
    code, again, err = run_json("experiment", "table1", "--from-csv", os.path.join(t1, "table1.csv"),
                                "--out", os.path.join(tmp, "table1-again"))
    check("table1 --from-csv redraws the same rows without fitting", code == 0 and again and t1j and
          again.get("table") == t1j.get("table"), err)

    kdir = os.path.join(tmp, "kernel-limit")
    fmodel = os.path.join(tmp, "fashion-like.ddm")
    code, kj, err = run_json("experiment", "kernel-limit", "--quick", "--n", "400", "--test", "200", "--select-n", "200",
                             "--select-val", "100", "--out", kdir)
    check("experiment kernel-limit exits 0 with JSON", code == 0 and kj is not None, err)
    check("kernel-limit: accuracy above chance, a small float residual, peak memory and the 60,000 extrapolation",
          kj and float(kj["exact test accuracy"]) > 0.5 and float(kj["relative residual (float)"]) < 1e-3 and
          float(kj["peak memory MiB"]) > 0 and float(kj["extrapolated fit seconds at n = 60,000"]) > 0, str(kj)[:400])
    code, _, err = run("experiment", "kernel-limit", "--quick", "--compare", model, "--out", kdir)
    check("kernel-limit --compare with a model of other classes exits 2 naming it",
          code == 2 and "not a classifier of the ten Fashion-MNIST classes" in err, err)
    code, _, err = run("experiment", "kernel-limit", "--quick", "--lambdas", "1e-3,abc", "--out", kdir)
    check("kernel-limit --lambdas with a bad value exits 2 naming it", code == 2 and "--lambdas" in err, err)
else:
    print("skip experiment approx, table1 and kernel-limit: Fashion-MNIST is not installed "
          "(apt-get install dataset-fashion-mnist)")

# teacher --forms (Algorithm 1's two forms on one teacher; the former deepdot-teacher), as .ci/run runs it.
fdir = os.path.join(tmp, "forms")
code, fj, err = run_json("experiment", "teacher", "--forms", "--train", "120", "--validation", "40", "--test", "40",
                         "--max-depth", "1", "--norm-bounds", "1,10", "--out", fdir)
forms = read_csv(os.path.join(fdir, "teacher-forms.csv")) if code == 0 else []
check("experiment teacher --forms: teacher, linear, depths 0..1", code == 0 and
      [r["model"] for r in forms] == ["teacher itself", "linear (poly:1:1)", "recursive:0", "recursive:1"], err + str(forms))
check("teacher --forms: finite errors, B from the grid", forms and all(float(r["test_error"]) >= 0 for r in forms) and
      all(r["norm_bound"] in ("1", "10") for r in forms[1:]), str(forms[:2]))
code, _, err = run("experiment", "teacher", "--forms", "--inputs", "cube", "--out", fdir)
check("teacher --forms --inputs cube exits 2 naming the value", code == 2 and "'cube'" in err and "sphere or ball" in err, err)

# experiment approx on Fashion-MNIST when it is installed (the former deepdot-approx): seeds and their spread.
if os.path.isdir(os.environ.get("DEEPDOT_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")):
    adir = os.path.join(tmp, "eapprox")
    code, aj, err = run_json("experiment", "approx", "--quick", "--maps", "srht,nystrom", "--depths", "1",
                             "--features", "32,512", "--fit", "100", "--n", "60", "--seeds", "2",
                             "--accuracy-maps", "srht", "--accuracy-features", "32", "--train", "100", "--test", "50",
                             "--out", adir, env=ONE_THREAD)
    arows = read_csv(os.path.join(adir, "approx.csv")) if code == 0 else []
    check("experiment approx: nystrom with D above --fit is skipped, the rest measured", code == 0 and
          sorted((r["map"], r["D"]) for r in arows) == [("nystrom", "32"), ("srht", "32"), ("srht", "512")], err + str(arows))
    check("experiment approx: two seeds give a spread", arows and all(r["seeds"] == "2" for r in arows) and
          float([r for r in arows if r["map"] == "srht"][0]["rel_frobenius_nonconstant_sd"]) > 0, str(arows[:1]))

# Model files: truncated and foreign files are rejected with status 2 and no crash.
with open(model, "rb") as f:
    blob = f.read()
bad_model = os.path.join(tmp, "bad.ddm")
for name, data in [("truncated", blob[: len(blob) // 2]), ("empty", b""), ("foreign", b"PK\x03\x04" + blob[4:]),
                   ("corrupt", blob[:200] + bytes([blob[200] ^ 0xFF]) + blob[201:])]:
    with open(bad_model, "wb") as f:
        f.write(data)
    code, _, err = run("predict", "--model", bad_model, "--data", libsvm)
    check(f"a {name} model file exits 2 naming the file", code == 2 and "bad.ddm" in err, err)

# The error certificate: on by default, off on request, a bad value refused.
code, cj, err = run_json("train", "--data", libsvm, "--model", os.path.join(tmp, "cert.ddm"), "--map", "srht",
                         "--features", "64")
check("train reports the certificate", code == 0 and cj and cj.get("certificate") == "on" and
      0 < float(cj["certificate kernel error"]) < 1 and 0 <= float(cj["certificate label agreement"]) <= 1, str(cj)[:300])
code, ij, err = run_json("info", "--model", os.path.join(tmp, "cert.ddm"))
check("info prints the stored certificate", code == 0 and ij and cj and
      ij.get("certificate kernel error") == cj.get("certificate kernel error"), str(ij)[:300])
code, cj, err = run_json("train", "--data", libsvm, "--model", os.path.join(tmp, "nocert.ddm"), "--map", "srht",
                         "--features", "64", "--no-certificate")
check("--no-certificate leaves it out", code == 0 and cj and cj.get("certificate") == "off" and
      "certificate kernel error" not in cj, str(cj)[:300])
code, _, err = run("train", "--data", libsvm, "--model", os.path.join(tmp, "x.ddm"), "--certificate", "maybe")
check("--certificate maybe exits 2 naming the rule", code == 2 and "on or off" in err, err)

# The broken-file corpus: every file gets status 2 and a message naming it.
broken = os.path.join(DATA, "broken")
for name in sorted(os.listdir(broken)):
    code, _, err = run("info", "--data", os.path.join(broken, name))
    check(f"broken file {name}: status 2, named", code == 2 and name in err, f"status {code}: {err.strip()[:300]}")

shutil.rmtree(tmp, ignore_errors=True)
print(f"cli: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
