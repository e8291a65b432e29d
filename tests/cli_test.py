#!/usr/bin/env python3
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


def run(*args):
    p = subprocess.run([DEEPDOT, *args], capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def run_json(*args):
    code, out, err = run(*args, "--json", "--quiet")
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
      ["train", "predict", "transform", "gram", "approx", "info"]))
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
code, _, err = run("transform", "--data", npy, "--out", os.path.join(tmp, "z.txt"))
check("transform to an unknown extension exits 2", code == 2 and ".npy or .csv" in err, err)
code, _, err = run("predict", "--model", model, "--data", z)  # 64 features per point, the model wants 5
check("predict with the wrong d exits 2 and says so", code == 2 and "model expects d = 5" in err, err)

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

# The broken-file corpus: every file gets status 2 and a message naming it.
broken = os.path.join(DATA, "broken")
for name in sorted(os.listdir(broken)):
    code, _, err = run("info", "--data", os.path.join(broken, name))
    check(f"broken file {name}: status 2, named", code == 2 and name in err, f"status {code}: {err.strip()[:300]}")

shutil.rmtree(tmp, ignore_errors=True)
print(f"cli: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
