#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end tests of the tabular preprocessing on the command line: per-feature
scaling and the sphere lift stored in the model and applied by predict and
transform, the warning for constant columns, and the messages for bad columns.

usage: cli_tabular_test.py DEEPDOT_BINARY
Prints one line per check and a closing "N passed, N failed"; exits 1 on any failure.
"""
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

DEEPDOT = sys.argv[1]
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


def write_csv(path, header, rows):
    with open(path, "w") as f:
        f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join(str(v) for v in r) + "\n")


tmp = tempfile.mkdtemp(prefix="deepdot-tabular-")
rng = random.Random(5)


def tabular(n):
    """Income in dollars, a ratio near 1, a constant column; the class needs both varying columns."""
    rows = []
    for _ in range(n):
        g0, g1 = rng.gauss(0, 1), rng.gauss(0, 1)
        rows.append([round(50000 + 10000 * g0, 2), round(1 + 0.05 * g1, 6), 7, 1 if g0 + g1 > 0 else 0])
    return rows


train, test = os.path.join(tmp, "train.csv"), os.path.join(tmp, "test.csv")
write_csv(train, ["income", "ratio", "flag", "label"], tabular(500))
write_csv(test, ["income", "ratio", "flag", "label"], tabular(300))
model = os.path.join(tmp, "m.ddm")
common = ["--features", "256", "--precision", "double"]

code, plain, err = run_json("train", "--data", train, "--test", test, "--model", os.path.join(tmp, "plain.ddm"),
                            "--scaling", "unit-norm", *common)
check("train without feature scaling runs", code == 0 and plain is not None, err)
code, auto, err = run_json("train", "--data", train, "--test", test, "--model", os.path.join(tmp, "auto.ddm"), *common)
check("the default (--scaling auto) chooses standardised features here", code == 0 and auto is not None and
      auto.get("chosen preprocessing", "").startswith("standardize"), str(auto)[:300] + err)
if plain and auto:
    check("and beats the raw columns", auto["test accuracy"] > plain["test accuracy"] + 0.05,
          f'{auto["test accuracy"]} vs {plain["test accuracy"]}')
code, tr, err = run_json("train", "--data", train, "--test", test, "--model", model, "--feature-scaling", "standardize",
                         "--scaling", "sphere-lift", *common)
check("train --feature-scaling standardize --scaling sphere-lift runs", code == 0 and tr is not None, err)
if plain and tr:
    check("standardize beats the raw columns (income dominates them)",
          tr["test accuracy"] > plain["test accuracy"] + 0.05 and tr["test accuracy"] > 0.85,
          f'{tr["test accuracy"]} vs {plain["test accuracy"]}')
check("the constant column is named in a warning on stderr",
      "warning:" in err and "train.csv" in err and "column 3 ('flag')" in err and "constant" in err, err)

code, inf, err = run_json("info", "--model", model)
check("info shows the feature scaling, the lift and R", code == 0 and inf and inf.get("feature scaling") == "standardize"
      and inf.get("scaling") == "sphere-lift" and inf.get("lift scale R", 0) > 0
      and inf.get("constant features (scaled to 0)") == 1, err + str(inf))

code, pr, err = run_json("predict", "--model", model, "--data", test)
check("predict applies the stored preprocessing (the accuracy train --test reported)",
      code == 0 and pr and tr and abs(pr["accuracy"] - tr["test accuracy"]) < 1e-12, err + str(pr))

feats = os.path.join(tmp, "f.csv")
code, tf, err = run_json("transform", "--model", model, "--data", test, "--out", feats)
with open(feats) as f:
    widths = {len(line.split(",")) for line in f}
check("transform with the model writes 300 x 256 features", code == 0 and widths == {256}, err + str(widths))

code, tr2, err = run_json("train", "--data", train, "--model", os.path.join(tmp, "r.ddm"), "--scaling", "sphere-lift",
                          "--lift-scale", "12.5", "--feature-scaling", "minmax", *common)
code2, inf2, err2 = run_json("info", "--model", os.path.join(tmp, "r.ddm"))
check("--lift-scale R is stored as given", code == 0 and code2 == 0 and inf2 and inf2.get("lift scale R") == 12.5,
      err + err2 + str(inf2))

# A test set whose columns differ from training: refused with both dimensions and the file named.
narrow = os.path.join(tmp, "narrow.csv")
write_csv(narrow, ["income", "ratio", "label"], [r[:2] + [r[3]] for r in tabular(20)])
code, _, err = run("predict", "--model", model, "--data", narrow)
check("predict on data with fewer columns exits 2 naming the file and both d",
      code == 2 and "narrow.csv" in err and "d = 2" in err and "d = 3" in err and "m.ddm" in err, err)
code, _, err = run("train", "--data", train, "--test", narrow, "--model", os.path.join(tmp, "x.ddm"))
check("train --test with fewer columns exits 2 naming the file and both d",
      code == 2 and "narrow.csv" in err and "d = 2" in err and "d = 3" in err, err)

# Bad columns: all missing, non-numeric.
missing = os.path.join(tmp, "missing.csv")
write_csv(missing, ["income", "ratio", "label"], [[1.5, "NA", 0], [2.5, "NA", 1], [3.5, "NA", 0]])
code, _, err = run("train", "--data", missing, "--model", os.path.join(tmp, "x.ddm"))
check("a column of missing values exits 2 naming the file, line, column and header name",
      code == 2 and "missing.csv" in err and "line 2" in err and "column 2 ('ratio')" in err and "missing value" in err, err)
for marker in ["", "?"]:
    write_csv(missing, ["income", "ratio", "label"], [[1.5, 2, 0], [2.5, marker, 1]])
    code, _, err = run("train", "--data", missing, "--model", os.path.join(tmp, "x.ddm"))
    check(f"a missing value {marker!r} exits 2 at line 3", code == 2 and "line 3" in err and "missing value" in err, err)
text = os.path.join(tmp, "text.csv")
write_csv(text, ["income", "city", "label"], [[1.5, "Paris", 0], [2.5, "Oslo", 1]])
code, _, err = run("train", "--data", text, "--model", os.path.join(tmp, "x.ddm"))
check("a text column exits 2 naming the column and how to fix it",
      code == 2 and "text.csv" in err and "column 2 ('city')" in err and "not a number" in err and "encode" in err, err)
check("no model file is left behind by a failed train", not os.path.exists(os.path.join(tmp, "x.ddm")))

# Bad options.
code, _, err = run("train", "--data", train, "--model", os.path.join(tmp, "x.ddm"), "--feature-scaling", "robust")
check("an unknown --feature-scaling exits 2 listing the choices", code == 2 and "standardize" in err and "maxabs" in err, err)
code, _, err = run("train", "--data", train, "--model", os.path.join(tmp, "x.ddm"), "--lift-scale", "-1")
check("a negative --lift-scale exits 2", code == 2 and "lift" in err, err)
libsvm = os.path.join(tmp, "train.libsvm")
with open(libsvm, "w") as f:
    for r in tabular(60):
        f.write(f"{r[3]} 1:{r[0]} 2:{r[1]}\n")
code, _, err = run("train", "--data", libsvm, "--sparse", "--model", os.path.join(tmp, "x.ddm"), "--feature-scaling",
                   "minmax")
check("--sparse with minmax exits 2 pointing to maxabs", code == 2 and "maxabs" in err, err)
code, sp, err = run_json("train", "--data", libsvm, "--sparse", "--model", os.path.join(tmp, "s.ddm"),
                         "--feature-scaling", "maxabs", "--scaling", "sphere-lift", "--features", "64")
code2, spp, err2 = run_json("predict", "--model", os.path.join(tmp, "s.ddm"), "--data", libsvm)
check("--sparse with maxabs and the sphere lift trains and predicts", code == 0 and code2 == 0 and spp
      and spp.get("accuracy", 0) > 0.6, err + err2 + str(spp))

shutil.rmtree(tmp, ignore_errors=True)
print(f"cli_tabular: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
