#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Adversarial tests of the deepdot command line: hostile file names, planted
symlinks, the umask, labels that a per-file encoding would get wrong, tiny
files that claim huge sizes, absurd options, and numerics at the edges of the
double range. Each case states the documented behaviour and fails if the
program does anything else (a different status, a leaked internal message, a
file written where it must not be, a hang: every run has a time limit).

usage: cli_adversarial_test.py DEEPDOT_BINARY TESTS_DATA_DIR
Prints one line per check and a closing "N passed, N failed"; exits 1 on any
failure. Standard library only (it also runs under a python3 without NumPy).
"""
import json
import math
import os
import random
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib

DEEPDOT, DATA = os.path.abspath(sys.argv[1]), sys.argv[2]
passed, failed = 0, 0
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1"}


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name} {detail}")


def run(*args, env=None, umask=None, cwd=None, timeout=60):
    """Runs deepdot (in the scratch folder unless `cwd`, so that default output
    names land there); a run over `timeout` seconds is reported as status 'timeout'."""
    full_env = {**os.environ, **ONE_THREAD, **(env or {})}
    pre = (lambda: os.umask(umask)) if umask is not None else None
    try:
        p = subprocess.run([DEEPDOT, *args], capture_output=True, text=True, timeout=timeout, env=full_env,
                           preexec_fn=pre, cwd=cwd or tmp)
    except subprocess.TimeoutExpired:
        return "timeout", "", "timed out after %ds" % timeout
    return p.returncode, p.stdout, p.stderr


def run_json(*args, **kw):
    code, out, err = run(*args, "--json", "--quiet", **kw)
    try:
        return code, json.loads(out), err
    except json.JSONDecodeError:
        return code, None, err + out


def clean_error(code, err, *needles):
    """Status 2, one 'error:' message naming every needle, nothing internal leaked."""
    leaked = any(s in err for s in ["internal error", "bad_alloc", "Mat::", "Mat(", "bounds", "std::"])
    return code == 2 and "error:" in err and not leaked and all(n in err for n in needles)


tmp = tempfile.mkdtemp(prefix="deepdot-adv-")
rng = random.Random(11)


def write_csv(path, rows, labels, header=True):
    with open(path, "w") as f:
        if header:
            f.write(",".join(f"x{j + 1}" for j in range(len(rows[0]))) + ",label\n")
        for x, y in zip(rows, labels):
            f.write(",".join(repr(v) for v in x) + f",{y}\n")


# Two well separated classes with text labels, and test files of one class only.
pts, names = [], []
for i in range(300):
    dog = rng.random() < 0.5
    pts.append([rng.gauss(1.0 if dog else -1.0, 0.35), rng.gauss(0.3, 0.35), rng.gauss(0, 0.35)])
    names.append("dog" if dog else "cat")
train_csv = os.path.join(tmp, "pets.csv")
write_csv(train_csv, pts, names)
only_dog = [[rng.gauss(1.0, 0.35), rng.gauss(0.3, 0.35), rng.gauss(0, 0.35)] for _ in range(80)]
dog_csv = os.path.join(tmp, "dogs.csv")
write_csv(dog_csv, only_dog, ["dog"] * len(only_dog))
only_cat = [[rng.gauss(-1.0, 0.35), rng.gauss(0.3, 0.35), rng.gauss(0, 0.35)] for _ in range(80)]
cat_csv = os.path.join(tmp, "cats.csv")
write_csv(cat_csv, only_cat, ["cat"] * len(only_cat))
# The same points with numeric labels (0 = cat, 1 = dog).
num_csv = os.path.join(tmp, "pets-numeric.csv")
write_csv(num_csv, pts, [1 if n == "dog" else 0 for n in names])

small = os.path.join(tmp, "small.libsvm")
with open(small, "w") as f:
    for x, n in zip(pts[:60], names[:60]):
        f.write(("1" if n == "dog" else "-1") + " " + " ".join(f"{j + 1}:{v:.6f}" for j, v in enumerate(x)) + "\n")

# A stand-in gnuplot first on PATH: it records its arguments, one per line,
# and exits 0. With a shell in the way a hostile name would run a command
# whatever gnuplot does; with an argument vector it arrives here verbatim.
fakebin = os.path.join(tmp, "fakebin")
os.mkdir(fakebin)
argv_log = os.path.join(tmp, "gnuplot-argv.txt")
with open(os.path.join(fakebin, "gnuplot"), "w") as f:
    f.write("#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done >> '" + argv_log + "'\nexit 0\n")
os.chmod(os.path.join(fakebin, "gnuplot"), 0o755)
FAKE_PATH = {"PATH": fakebin + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin")}


def listing(d):
    return sorted(os.listdir(d))


# ------------------------------------------------------------- 1. no shell
hostile = ["p';touch INJ1;'", 'q";touch INJ2;"', "r$(touch INJ3)", "s`touch INJ4`", "t;touch INJ5", "u v|touch INJ6",
           "-w&&touch INJ7"]
for k, base in enumerate(hostile):
    d = os.path.join(tmp, f"shell{k}")
    os.mkdir(d)
    plot, out = os.path.join(d, base + ".svg"), os.path.join(d, base + ".csv")
    if os.path.exists(argv_log):
        os.remove(argv_log)
    code, _, err = run("approx", "--data", small, "--maps", "srht", "--features", "16", "--seeds", "1", "--n", "20",
                       "--plot", plot, "--out", out, "--quiet", env=FAKE_PATH, cwd=d)
    injected = [f for f in listing(d) if f.startswith("INJ")] + [f for f in os.listdir(tmp) if f.startswith("INJ")]
    check(f"approx --plot/--out {base!r}: exit 0, no command run", code == 0 and not injected, f"{code} {err} {injected}")
    check(f"approx --plot/--out {base!r}: the CSV, the script and the plot have exactly the names given",
          os.path.isfile(out) and os.path.isfile(plot + ".gp") and os.path.isfile(plot), str(listing(d)))
    logged = open(argv_log).read().split("\n") if os.path.exists(argv_log) else []
    check(f"approx --plot {base!r}: gnuplot got an argument vector (-e SCRIPT), not a shell line",
          logged[:1] == ["-e"] and "set output" in "\n".join(logged), str(logged[:3]))
    with open(plot + ".gp") as f:
        script = f.read()
    quoted = "'" + plot.replace("'", "''") + "'"
    check(f"approx --plot {base!r}: the script quotes the name as a gnuplot string", quoted in script, script[:200])

code, _, err = run("approx", "--data", small, "--maps", "srht", "--features", "16", "--seeds", "1", "--n", "20",
                   "--plot", os.path.join(tmp, "line\nbreak.svg"), "--out", os.path.join(tmp, "lb.csv"), env=FAKE_PATH)
check("approx --plot with a line break: exit 2 before any work", clean_error(code, err, "--plot")
      and not os.path.exists(os.path.join(tmp, "lb.csv")), err)

# experiment --out is a folder; gnuplot runs inside it (no `cd '...' &&` shell line).
teacher_dir = os.path.join(tmp, "teacher-src")
code, _, err = run("experiment", "teacher", "--quick", "--n", "40,80", "--depths", "1", "--widths", "10",
                   "--activations", "erf", "--test", "100", "--features", "32", "--out", teacher_dir, "--quiet",
                   timeout=200)
check("experiment teacher --quick runs (the source of --from-csv below)", code == 0, err)
for k, base in enumerate(["e';touch INJ8;'", "f$(touch INJ9)"]):
    d = os.path.join(tmp, f"exp{k}")
    os.mkdir(d)
    out = os.path.join(d, base)
    if os.path.exists(argv_log):
        os.remove(argv_log)
    code, _, err = run("experiment", "teacher", "--from-csv", os.path.join(teacher_dir, "teacher.csv"), "--out", out,
                       "--quiet", env=FAKE_PATH, cwd=d)
    injected = [f for f in listing(d) if f.startswith("INJ")]
    check(f"experiment --out {base!r}: exit 0, no command run, outputs inside the folder given",
          code == 0 and not injected and os.path.isfile(os.path.join(out, "teacher.csv")) and
          os.path.isfile(os.path.join(out, "teacher-erf.gp")), f"{code} {err} {listing(d)}")
    logged = open(argv_log).read().split("\n") if os.path.exists(argv_log) else []
    # One argument: the script's name inside the folder (gnuplot runs there), not a `cd '...' && gnuplot` line.
    check(f"experiment --out {base!r}: gnuplot started without a shell", bool(logged) and ".gp" in logged[0]
          and "/" not in logged[0] and "cd " not in logged[0], str(logged[:2]))

# Every other output option takes a hostile name as a plain file name.
d = os.path.join(tmp, "names")
os.mkdir(d)
weird = "m';touch INJ10;'$(touch INJ11) -x"
model = os.path.join(d, weird + ".ddm")
code, _, err = run("train", "--data", train_csv, "--model", model, "--features", "64", "--quiet", cwd=d)
check("train --model with quotes, $( ), spaces: written under exactly that name", code == 0 and os.path.isfile(model), err)
for cmd, opt in [(["predict", "--model", model, "--data", train_csv], weird + ".csv"),
                 (["transform", "--data", train_csv, "--features", "16", "--map", "srht"], weird + "-t.npy"),
                 (["transform", "--data", train_csv, "--features", "16", "--map", "srht", "--precision", "float"],
                  weird + "-f.npy"),
                 (["gram", "--data", small], weird + "-k.csv")]:
    code, _, err = run(*cmd, "--out", os.path.join(d, opt), "--quiet", cwd=d)
    check(f"{cmd[0]} --out {opt!r}: written under exactly that name", code == 0 and os.path.isfile(os.path.join(d, opt)), err)
check("no hostile name ran a command", not [f for f in listing(d) if f.startswith("INJ")], str(listing(d)))
check("no temporary file is left behind", not [f for f in listing(d) if ".tmp" in f], str(listing(d)))

# ------------------------------------------------------------- 2. symlinks and the umask
d = os.path.join(tmp, "links")
os.mkdir(d)
victim = os.path.join(d, "victim.txt")
with open(victim, "w") as f:
    f.write("precious\n")


def victim_ok():
    with open(victim, "rb") as f:
        return f.read() == b"precious\n"


def restore_victim():
    with open(victim, "wb") as f:
        f.write(b"precious\n")


def plant(name):
    p = os.path.join(d, name)
    if os.path.lexists(p):
        os.remove(p)
    os.symlink(victim, p)
    return p


pid_guesses = range(os.getpid(), os.getpid() + 200)  # what a <model>.tmp.<pid> name would be
model = os.path.join(d, "m.ddm")
for p in [plant("m.ddm.tmp")] + [plant(f"m.ddm.tmp.{k}") for k in pid_guesses]:
    pass
code, _, err = run("train", "--data", train_csv, "--model", model, "--features", "64", "--quiet")
check("train: symlinks planted at every predictable temp name are not followed",
      code == 0 and victim_ok() and os.path.isfile(model) and not os.path.islink(model), err)
restore_victim()
plant("m.ddm")
code, _, err = run("train", "--data", train_csv, "--model", model, "--features", "64", "--quiet")
check("train: a symlink at --model is replaced by the model, the file it pointed to is untouched",
      code == 0 and victim_ok() and not os.path.islink(model), err)
for k in pid_guesses:
    if os.path.lexists(os.path.join(d, f"m.ddm.tmp.{k}")):
        os.remove(os.path.join(d, f"m.ddm.tmp.{k}"))
restore_victim()

plot, out = os.path.join(d, "a.svg"), os.path.join(d, "a.csv")
restore_victim()
for name in ["a.svg", "a.svg.gp", "a.csv", "a.csv.tmp", "a.svg.tmp"]:
    plant(name)
code, _, err = run("approx", "--data", small, "--maps", "srht", "--features", "16", "--seeds", "1", "--n", "20",
                   "--plot", plot, "--out", out, "--quiet", env=FAKE_PATH)
check("approx: symlinks at --out, --plot, <plot>.gp and the old .tmp names are not written through",
      code == 0 and victim_ok() and not os.path.islink(out) and not os.path.islink(plot) and
      not os.path.islink(plot + ".gp"), err)
for cmd, name in [(["predict", "--model", model, "--data", train_csv], "p.npy"),
                  (["transform", "--data", train_csv, "--features", "16", "--map", "srht", "--precision", "float"], "t.npy"),
                  (["transform", "--data", train_csv, "--features", "16", "--map", "srht"], "t.csv"),
                  (["gram", "--data", small], "k.npy")]:
    restore_victim()
    target = plant(name)
    code, _, err = run(*cmd, "--out", target, "--quiet")
    check(f"{cmd[0]} --out at a symlink ({name}): replaced, not written through",
          code == 0 and victim_ok() and not os.path.islink(target), err)

for mask, mode in [(0o077, 0o600), (0o022, 0o644), (0o027, 0o640)]:
    sub = os.path.join(d, f"umask{mask:03o}")
    os.mkdir(sub)
    files = {"model": os.path.join(sub, "m.ddm"), "csv": os.path.join(sub, "a.csv"), "gp": os.path.join(sub, "a.svg.gp"),
             "svg": os.path.join(sub, "a.svg"), "pred": os.path.join(sub, "p.csv"), "mapped": os.path.join(sub, "t.npy"),
             "gram": os.path.join(sub, "k.npy")}
    run("train", "--data", train_csv, "--model", files["model"], "--features", "32", "--quiet", umask=mask)
    run("approx", "--data", small, "--maps", "srht", "--features", "16", "--seeds", "1", "--n", "20",
        "--plot", files["svg"], "--out", files["csv"], "--quiet", umask=mask, env=FAKE_PATH)
    run("predict", "--model", files["model"], "--data", train_csv, "--out", files["pred"], "--quiet", umask=mask)
    run("transform", "--data", train_csv, "--features", "16", "--map", "srht", "--precision", "float",
        "--out", files["mapped"], "--quiet", umask=mask)
    run("gram", "--data", small, "--out", files["gram"], "--quiet", umask=mask)
    modes = {k: (stat.S_IMODE(os.stat(p).st_mode) if os.path.exists(p) else None) for k, p in files.items()}
    check(f"umask {mask:03o}: every output has mode {mode:03o}", all(m == mode for m in modes.values()),
          str({k: (oct(m) if m is not None else None) for k, m in modes.items()}))

# ------------------------------------------------------------- 3. classes live in the model
model = os.path.join(tmp, "pets.ddm")
code, tr, err = run_json("train", "--data", train_csv, "--model", model, "--features", "128", "--test", dog_csv)
check("train on cat/dog labels --test with only dogs: accuracy through the model's classes",
      code == 0 and tr and tr.get("test accuracy", 0) > 0.85, f"{code} {tr} {err}")
for path, what in [(dog_csv, "only dogs"), (cat_csv, "only cats"), (train_csv, "both")]:
    code, pr, err = run_json("predict", "--model", model, "--data", path)
    check(f"predict on a file of {what}: accuracy > 0.85 (labels not re-encoded per file)",
          code == 0 and pr and pr.get("accuracy", 0) > 0.85, f"{code} {pr} {err}")
code, info, err = run_json("info", "--model", model)
check("info lists the class names stored in the model", code == 0 and info and info.get("classes") == "cat,dog", str(info))
birds = os.path.join(tmp, "birds.csv")
write_csv(birds, only_dog[:40] + only_dog[:40], ["dog"] * 40 + ["bird"] * 40)
code, pr, err = run_json("predict", "--model", model, "--data", birds)
check("predict: a label the model never saw counts as wrong and is reported",
      code == 0 and pr and pr.get("labels the model never saw (counted wrong)") == 40 and pr.get("accuracy", 1) <= 0.5,
      f"{code} {pr} {err}")
code, _, err = run("predict", "--model", model, "--data", num_csv)
check("predict: numeric labels against a model of named classes exit 2 saying so",
      clean_error(code, err, "names", "cat"), err)
num_model = os.path.join(tmp, "num.ddm")
run("train", "--data", num_csv, "--model", num_model, "--features", "64", "--quiet")
code, _, err = run("predict", "--model", num_model, "--data", dog_csv)
check("predict: text labels against a model of numeric classes exit 2 saying so", clean_error(code, err, "text"), err)
ones = os.path.join(tmp, "ones.csv")
write_csv(ones, only_dog, [1] * len(only_dog))
code, pr, err = run_json("predict", "--model", num_model, "--data", ones)
check("predict: numeric labels of one class only map through the model's classes",
      code == 0 and pr and pr.get("accuracy", 0) > 0.85, f"{pr} {err}")

# ------------------------------------------------------------- 4. sizes a file or an option cannot justify


def sections(b):
    count = struct.unpack_from("<Q", b, 24)[0]
    off, out = 32, {}
    for _ in range(count):
        tag, size = b[off:off + 8].rstrip(b"\0"), struct.unpack_from("<Q", b, off + 8)[0]
        out[tag] = (off + 16, size)
        off += 16 + size
    return out


def patched(b, off, value):
    """The model image with the u64 at `off` replaced and the CRC-32 fixed, so only the size check can object."""
    b = bytearray(b)
    struct.pack_into("<Q", b, off, value)
    struct.pack_into("<I", b, len(b) - 4, zlib.crc32(bytes(b[:-4])) & 0xFFFFFFFF)
    return bytes(b)


def map_dims(b):
    start, _ = sections(b)[b"FEATMAP"]
    p = start + 16  # magic, version
    for _ in range(2):  # map spec, kernel spec
        p += 8 + struct.unpack_from("<Q", b, p)[0]
    return p, p + 8  # offsets of d and D


srht_model = os.path.join(tmp, "srht.ddm")
code, _, err = run("train", "--data", train_csv, "--model", srht_model, "--map", "srht", "--features", "64", "--quiet")
good = open(srht_model, "rb").read()
d_off, D_off = map_dims(good)
for label, off, value, needle in [("D = 2^40", D_off, 1 << 40, "output dimension"),
                                  ("D = 2^20 (weights hold 64)", D_off, 1 << 20, "at most D = 64"),
                                  ("d = 2^29", d_off, 1 << 29, "input_dim"),
                                  ("d = 2^60", d_off, 1 << 60, "input_dim")]:
    bad = os.path.join(tmp, "claims.ddm")
    with open(bad, "wb") as f:
        f.write(patched(good, off, value))
    t0 = time.time()
    for cmd in (["info", "--model", bad], ["predict", "--model", bad, "--data", train_csv]):
        code, _, err = run(*cmd, timeout=20)
        check(f"{cmd[0]}: a {len(good)}-byte model claiming {label}: exit 2 naming the field, quickly",
              clean_error(code, err, "claims.ddm", needle) and time.time() - t0 < 20, f"{code} {err}")

# Claims in the header and the sections: counts and lengths beyond the file.
start, _ = sections(good)[b"HEADER"]
for label, off, value in [("the file length", 16, 1 << 62), ("the section count", 24, 1 << 40),
                          ("a section length", start - 8, 1 << 50)]:
    bad = os.path.join(tmp, "claims2.ddm")
    with open(bad, "wb") as f:
        f.write(patched(good, off, value))
    code, _, err = run("info", "--model", bad, timeout=20)
    check(f"info: a model whose {label} claims {value}: exit 2", clean_error(code, err, "claims2.ddm"), err)

code, _, err = run("info", "--model", "/dev/zero", timeout=20)
check("info --model /dev/zero: exit 2 after reading a few bytes", clean_error(code, err, "/dev/zero", "magic"), err)
code, _, err = run("predict", "--model", "/dev/zero", "--data", train_csv, timeout=20)
check("predict --model /dev/zero: exit 2", clean_error(code, err, "/dev/zero"), err)
code, _, err = run("info", "--model", "/dev/null", timeout=20)
check("info --model /dev/null: exit 2 (empty)", clean_error(code, err, "/dev/null"), err)
code, _, err = run("info", "--data", "/dev/zero", timeout=20)
check("info --data /dev/zero: exit 2 (not a regular file)", clean_error(code, err, "/dev/zero"), err)


def fifo_feeder(path, payload, forever):
    def feed():
        try:
            with open(path, "wb") as f:
                f.write(payload)
                while forever:
                    f.write(b"\0" * 65536)
        except (BrokenPipeError, OSError):
            pass
    t = threading.Thread(target=feed, daemon=True)
    t.start()
    return t


def new_fifo(name):
    # One FIFO per case: a feeder of an earlier case that has not yet seen its
    # reader go away must not write into the next case's stream.
    path = os.path.join(tmp, name)
    os.mkfifo(path)
    return path


# A valid preamble whose length field claims 2^60 bytes, then zeros for ever.
preamble = b"DDMODEL\x1a" + struct.pack("<QQQ", 1, 1 << 60, 3)
fifo = new_fifo("claims.fifo")
fifo_feeder(fifo, preamble, True)
code, _, err = run("info", "--model", fifo, timeout=20)
check("info --model FIFO claiming 2^60 bytes: exit 2 naming the length, without reading on", clean_error(code, err, "length"), err)
fifo = new_fifo("zeros.fifo")
fifo_feeder(fifo, b"", True)
code, _, err = run("info", "--model", fifo, timeout=20)
check("info --model FIFO of endless zeros: exit 2", clean_error(code, err, "magic"), err)
fifo = new_fifo("model.fifo")
fifo_feeder(fifo, good, False)
code, info, err = run_json("info", "--model", fifo, timeout=20)
check("info --model FIFO carrying a valid model: read in full", code == 0 and info and info.get("map") == "srht", f"{code} {err}")

tiny = os.path.join(tmp, "tiny.libsvm")
with open(tiny, "w") as f:
    f.write("1 99999999:1\n")
code, _, err = run("info", "--data", tiny, timeout=20)
check("a 13-byte LIBSVM file '1 99999999:1': exit 2 naming the index and --dim", clean_error(code, err, "99999999", "--dim"), err)
code, _, err = run("train", "--data", tiny, "--model", os.path.join(tmp, "t.ddm"), timeout=20)
check("train on it: exit 2 too", clean_error(code, err, "--dim"), err)
wide = os.path.join(tmp, "wide.libsvm")
with open(wide, "w") as f:
    f.write("1 1:0.5 1048577:0.5\n-1 2:0.5\n")
code, _, err = run("info", "--data", wide)
check("LIBSVM index 2^20 + 1 without --dim: exit 2", clean_error(code, err, "1048577"), err)
code, info, err = run_json("info", "--data", wide, "--dim", "1048577")
check("the same file with --dim 1048577: read", code == 0 and info and info.get("dimension") == 1048577, f"{info} {err}")
code, _, err = run("info", "--data", wide, "--dim", "5")
check("an index beyond --dim: exit 2 naming the dimension", clean_error(code, err, "dimension 5"), err)

for cmd in (["train", "--data", train_csv, "--model", os.path.join(tmp, "f.ddm"), "--features", "1000000000000"],
            ["approx", "--data", train_csv, "--features", "999999999999", "--maps", "srht", "--out", os.path.join(tmp, "f.csv")],
            ["transform", "--data", train_csv, "--features", "1000000000000", "--out", os.path.join(tmp, "f.npy")]):
    code, _, err = run(*cmd, timeout=20)
    check(f"{cmd[0]} --features 1e12: exit 2 naming the limit, quickly", clean_error(code, err, "16777216"), f"{code} {err}")
code, _, err = run("approx", "--data", train_csv, "--features", "1e12", "--maps", "srht", "--out", os.path.join(tmp, "f.csv"))
check("approx --features 1e12 (not an integer): exit 2 naming --features", clean_error(code, err, "--features"), err)


def mem_available():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 64 << 30


# ------------------------------------------------------------- 5. status 2, not 1
# D = 60,000 needs a 28.8 GB D x D matrix; on a machine with more memory than
# that, a D whose matrix is surely too large stands in for it.
D = 60000
while 8.0 * D * D <= mem_available():
    D *= 2
code, _, err = run("train", "--data", train_csv, "--model", os.path.join(tmp, "big.ddm"), "--features", str(D), timeout=60)
check(f"train --features {D}: exit 2 naming D and the memory", clean_error(code, err, f"D = {D}", "memory"), f"{code} {err}")
check(f"train --features {D}: no model file", not os.path.exists(os.path.join(tmp, "big.ddm")))
n = 60000
while 8.0 * n * n <= mem_available():
    n *= 2
many = os.path.join(tmp, "many.libsvm")
with open(many, "w") as f:
    f.write("1 1:0.5 2:0.25\n" * n)
code, _, err = run("gram", "--data", many, "--out", os.path.join(tmp, "K.npy"), timeout=60)
check(f"gram of {n} points: exit 2 naming the n x n matrix", clean_error(code, err, f"{n} x {n}"), f"{code} {err}")

# Cholesky at a tiny lambda with D > n is singular in floating point: the eigen back end takes over.
few = os.path.join(tmp, "few.csv")
write_csv(few, pts[:20], names[:20])
code, tr, err = run_json("train", "--data", few, "--model", os.path.join(tmp, "chol.ddm"), "--features", "512",
                         "--lambda", "1e-300")
check("train --lambda 1e-300 with D = 512 > n = 20: exit 0 by the eigen fallback, finite accuracy",
      code == 0 and tr and tr.get("solver") == "eigen" and 0 <= tr.get("training accuracy", -1) <= 1, f"{code} {tr} {err}")

for path, why in [(os.path.join(tmp, "no", "such", "dir", "m.ddm"), "No such file"), (tmp, "directory")]:
    t0 = time.time()
    one_class = os.path.join(tmp, "oneclass.csv")
    write_csv(one_class, pts[:10], ["dog"] * 10)
    # The data has one class, which the fit would reject: the --model error must come first.
    code, _, err = run("train", "--data", one_class, "--model", path, "--features", "64")
    check(f"train --model {why}: exit 2 about --model before the fit", clean_error(code, err, "--model", why), err)

# transform --fit N is --map-sample: 0 still fits a data-dependent map on the points it needs (exit 0);
# approx --fit N counts the points after the sample, so 0 leaves none (exit 2). Neither leaks Armadillo.
z = os.path.join(tmp, "z.npy")
code, _, err = run("transform", "--data", train_csv, "--fit", "0", "--map", "nystrom", "--features", "8", "--out", z)
check("transform --fit 0: exit 0 with the features written, no Armadillo message",
      code == 0 and os.path.isfile(z) and "Mat" not in err and "bounds" not in err, f"{code} {err}")
code, _, err = run("approx", "--data", train_csv, "--fit", "0", "--maps", "nystrom", "--features", "8", "--out",
                   os.path.join(tmp, "z.csv"))
check("approx --fit 0: exit 2 naming --fit, no Armadillo message", clean_error(code, err, "--fit"), err)

os.mkdir(os.path.join(tmp, "isdir.csv"))
for cmd, needle in [(["predict", "--model", srht_model, "--data", train_csv, "--out", os.path.join(tmp, "no", "p.csv")], "p.csv"),
                    (["gram", "--data", small, "--out", os.path.join(tmp, "isdir.csv")], "directory"),
                    (["transform", "--data", small, "--features", "8", "--map", "srht", "--precision", "float", "--out",
                      os.path.join(tmp, "no", "t.npy")], "t.npy")]:
    code, _, err = run(*cmd)
    check(f"{cmd[0]} --out to an unusable path: exit 2", clean_error(code, err, needle), err)

# Options whose work or memory is absurd for the data at hand.
code, _, err = run("train", "--data", train_csv, "--model", os.path.join(tmp, "p.ddm"), "--kernel", "poly:100000",
                   "--map", "maclaurin", "--features", "64", timeout=30)
check("train --kernel poly:100000 --map maclaurin: exit 2 (no degree can be sampled), not a crash",
      clean_error(code, err, "cannot sample"), f"{code} {err}")
n_t = 3000
while 8.0 * (1 << 24) * n_t <= mem_available():
    n_t *= 2
tall = os.path.join(tmp, "tall.libsvm")
with open(tall, "w") as f:
    f.write("1 1:0.5 2:0.25\n" * n_t)
code, _, err = run("transform", "--data", tall, "--features", str(1 << 24), "--map", "srht", "--out",
                   os.path.join(tmp, "tall.csv"), timeout=60)
check(f"transform of {n_t} points to 2^24 features: exit 2 naming the D x n features and the memory",
      clean_error(code, err, "D x n", "memory"), f"{code} {err}")
for args, needle in [(["--kernel", "recursive:1000000000"], None), (["--kernel", "poly:100000"], None)]:
    code, _, err = run("gram", "--data", small, *args, "--out", os.path.join(tmp, "deep.npy"), timeout=30)
    check(f"gram {' '.join(args)}: finishes (closed forms, not a loop per depth)", code == 0, f"{code} {err}")

# ------------------------------------------------------------- 6. numerics
base_pts = [[rng.uniform(-1, 1) for _ in range(4)] for _ in range(30)]
base_lab = [1 if p[0] + p[1] > 0 else -1 for p in base_pts]


def gram_of(scale, scaling):
    path = os.path.join(tmp, f"scaled-{scale:g}-{scaling}.csv")
    write_csv(path, [[v * scale for v in p] for p in base_pts], base_lab)
    out = os.path.join(tmp, f"K-{scale:g}-{scaling}.csv")
    code, _, err = run("gram", "--data", path, "--scaling", scaling, "--out", out, "--quiet")
    if code != 0:
        return None, err
    with open(out) as f:
        return [[float(v) for v in line.split(",")] for line in f if line.strip()], err


for scaling in ["unit-norm", "max-norm"]:
    ref, _ = gram_of(1.0, scaling)
    for scale in [1e200, 1e-300, 1e300, 1e-310]:
        K, err = gram_of(scale, scaling)
        worst = max(abs(a - b) for ra, rb in zip(K, ref) for a, b in zip(ra, rb)) if K and ref else math.inf
        check(f"gram --scaling {scaling} of data x {scale:g} equals that of the data (max diff {worst:.1e})",
              worst < 1e-12, err)

for spec in ["coeffs:1e308,1e308", "coeffs:1e200", "coeffs:" + ",".join(["1e149"] * 20)]:
    code, _, err = run("gram", "--data", small, "--kernel", spec, "--out", os.path.join(tmp, "inf.csv"))
    check(f"gram --kernel {spec[:30]}: exit 2 naming f(1), no file", clean_error(code, err, "f(1)") and
          not os.path.exists(os.path.join(tmp, "inf.csv")), err)
code, _, err = run("gram", "--data", small, "--kernel", "coeffs:1e150", "--out", os.path.join(tmp, "ok.csv"))
check("gram --kernel coeffs:1e150 (at the limit): exit 0", code == 0, err)

big_csv = os.path.join(tmp, "pets-1e200.csv")
write_csv(big_csv, [[v * 1e200 for v in p] for p in pts], names)
code, a, err = run_json("train", "--data", big_csv, "--model", os.path.join(tmp, "b.ddm"), "--features", "64")
code2, b, err2 = run_json("train", "--data", train_csv, "--model", os.path.join(tmp, "b2.ddm"), "--features", "64")
check("train on data x 1e200 learns what it learns on the data",
      code == 0 and code2 == 0 and a and b and a.get("training accuracy") == b.get("training accuracy"), f"{a} {b} {err}")

shutil.rmtree(tmp, ignore_errors=True)
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
