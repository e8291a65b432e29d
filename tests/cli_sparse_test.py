#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end tests of the sparse command line (--sparse, --dim): train, predict and transform on a
LIBSVM file with d = 2^20, and the bad-input cases of docs/sparse.md, each a status 2 naming the file
(and the line where there is one).

usage: cli_sparse_test.py DEEPDOT_BINARY
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
D20 = 1 << 20


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


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


tmp = tempfile.mkdtemp(prefix="deepdot-cli-sparse-")
rng = random.Random(5)


def documents(n):
    """Two classes of 'documents' over 2^20 words: class 1 often uses words 1..20."""
    lines = []
    for i in range(n):
        y = i % 2
        words = {rng.randrange(1, D20 + 1): 1.0 for _ in range(30)}
        if y:
            for _ in range(6):
                words[rng.randrange(1, 21)] = 2.0
        lines.append(f"{y} " + " ".join(f"{k}:{v:g}" for k, v in sorted(words.items())))
    return "\n".join(lines) + "\n"


train = os.path.join(tmp, "train.libsvm")
test = os.path.join(tmp, "test.libsvm")
write(train, documents(300))
write(test, documents(100))
model = os.path.join(tmp, "m.ddm")

code, tr, err = run_json("train", "--sparse", "--data", train, "--dim", str(D20), "--test", test,
                         "--kernel", "poly:2:1", "--map", "tensorsketch", "--features", "512", "--model", model)
check("train --sparse on d = 2^20 exits 0", code == 0 and tr is not None, err)
if tr:
    check("the model records sparse input", tr.get("input") == "sparse", str(tr))
    check("the shape is d = 2^20", tr.get("shape", "").startswith(f"{D20} x 300"), str(tr))
    check("test accuracy beats chance clearly", tr.get("test accuracy", 0) > 0.8, str(tr))

code, pr, err = run_json("predict", "--model", model, "--data", test)
check("predict follows the sparse model without --sparse", code == 0 and pr is not None, err)
if pr and tr:
    check("predict's accuracy equals train's test accuracy", pr.get("accuracy") == tr.get("test accuracy"),
          f"{pr.get('accuracy')} vs {tr.get('test accuracy')}")

z = os.path.join(tmp, "z.npy")
code, t, err = run_json("transform", "--model", model, "--data", test, "--out", z, "--precision", "float")
check("transform with the sparse model's map", code == 0 and t is not None and
      t.get("features") == "100 x 512 (points x features)", err + str(t))
code, t2, err = run_json("transform", "--sparse", "--data", test, "--dim", str(D20), "--kernel", "poly:3:1",
                         "--map", "tensorsketch", "--features", "256", "--out", os.path.join(tmp, "z2.csv"))
check("transform --sparse with a fresh tensorsketch map", code == 0 and t2 is not None, err)

# Bad input: each a status 2 naming the file and, where there is one, the line.
beyond = os.path.join(tmp, "beyond.libsvm")
write(beyond, "1 3:1\n0 5:1 1048577:2\n")
code, _, err = run("predict", "--model", model, "--data", beyond)
check("an index beyond the model's d: status 2, file and line", code == 2 and "beyond.libsvm" in err and
      "line 2" in err and "1048576" in err, err)
code, _, err = run("train", "--sparse", "--data", beyond, "--dim", "4", "--model", os.path.join(tmp, "x.ddm"))
check("an index beyond --dim: status 2, file and line", code == 2 and "beyond.libsvm" in err and "line 2" in err,
      err)
unsorted = os.path.join(tmp, "unsorted.libsvm")
write(unsorted, "1 3:1 9:1\n0 7:1 2:1\n")
code, _, err = run("predict", "--model", model, "--data", unsorted)
check("unsorted indices: status 2, file, line and token", code == 2 and "unsorted.libsvm" in err and
      "line 2" in err and "'2:1'" in err, err)
dup = os.path.join(tmp, "dup.libsvm")
write(dup, "1 3:1 3:2\n")
code, _, err = run("predict", "--model", model, "--data", dup)
check("a repeated index: status 2, file, line and token", code == 2 and "dup.libsvm" in err and "line 1" in err and
      "'3:2'" in err, err)
dense = os.path.join(tmp, "dense.csv")
write(dense, "a,b,c,label\n0.1,0.2,0.3,1\n0.3,0.2,0.1,0\n")
code, _, err = run("predict", "--model", model, "--data", dense)
check("a dense file of another d for a sparse model: status 2 naming file and both d", code == 2 and
      "dense.csv" in err and "d = 3" in err and f"d = {D20}" in err, err)
dense_model = os.path.join(tmp, "dense.ddm")
write(os.path.join(tmp, "small.csv"), "a,b,c,label\n" + "".join(
    f"{rng.random():.3f},{rng.random():.3f},{rng.random():.3f},{i % 2}\n" for i in range(40)))
code, _, err = run("train", "--data", os.path.join(tmp, "small.csv"), "--map", "maclaurin", "--features", "32",
                   "--model", dense_model, "--quiet")
check("a dense model trains", code == 0, err)
code, _, err = run("predict", "--model", dense_model, "--data", test, "--sparse")
check("a sparse file with indices beyond a dense model's d: status 2, file and line", code == 2 and
      "test.libsvm" in err and "line 1" in err and "dimension 3" in err, err)
code, _, err = run("predict", "--model", dense_model, "--data", test)
check("the same file read dense (no --sparse) for the dense model: status 2, file, line and the model's d",
      code == 2 and "test.libsvm" in err and "line 1" in err and "dimension 3" in err, err)
code, _, err = run("train", "--sparse", "--data", train, "--map", "exact", "--model", os.path.join(tmp, "k.ddm"))
check("the kernel limit on sparse input: status 2, says why", code == 2 and "dense inputs only" in err, err)
check("no model file is left by failed runs", not os.path.exists(os.path.join(tmp, "k.ddm")) and
      not os.path.exists(os.path.join(tmp, "x.ddm")))

shutil.rmtree(tmp, ignore_errors=True)
print(f"cli sparse: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
