#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Fashion-MNIST, P ranks against one process (docs/distributed.md): the tuned
# main job's options (docs/models.md: unit norm, recursive:3, Nystroem with
# 16,384 features, squared hinge, lambda 3e-7) trained on all 60,000 training
# images by `deepdot train` and by `mpirun -np P deepdot-mpi train`, then both
# models applied to the 10,000 test images by plain `deepdot predict`. Prints
# each model's test accuracy, fit seconds, peak memory (one process: its
# maximum RSS; P ranks: the largest rank's VmHWM), the bytes sent per rank,
# and the fraction of test images both models give the same label.
# The two fits run one after the other (the one-process fit peaks at about
# 8 GB). usage: scripts/mpi-fashion.sh [P [D [more train options]]]
set -euo pipefail
cd "$(dirname "$0")/.."
P=${1:-2}
D=${2:-16384}
shift $(($# < 2 ? $# : 2))
src=/usr/share/datasets/fashion-mnist
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1  # this script only
# A gzipped IDX file cannot be split into row ranges: the ranks read plain copies (and so does the one process).
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  gzip -dc "$src/$f.gz" >"$work/$f"
done
opts=(--scaling unit-norm --kernel recursive:3 --map nystrom --features "$D" --loss squared-hinge --lambda 3e-7
      --no-score --no-certificate --quiet --json "$@")
/usr/bin/time -f "%M" -o "$work/single.rss" build/apps/deepdot train --data "$work/train-images-idx3-ubyte" \
  --model "$work/single.ddm" "${opts[@]}" >"$work/single.json"
# Ranks share the cores: one BLAS thread each.
OPENBLAS_NUM_THREADS=1 mpirun --oversubscribe -np "$P" build/apps/deepdot-mpi train \
  --data "$work/train-images-idx3-ubyte" --model "$work/mpi.ddm" "${opts[@]}" >"$work/mpi.json"
for m in single mpi; do
  build/apps/deepdot predict --model "$work/$m.ddm" --data "$work/t10k-images-idx3-ubyte" \
    --out "$work/$m-labels.npy" --quiet --json >"$work/$m-predict.json"
done
/usr/bin/python3 - "$work" "$P" <<'PY'
import json, sys
import numpy as np
work, P = sys.argv[1], int(sys.argv[2])
fit = {m: json.load(open(f"{work}/{m}.json")) for m in ("single", "mpi")}
pred = {m: json.load(open(f"{work}/{m}-predict.json")) for m in ("single", "mpi")}
labels = {m: np.load(f"{work}/{m}-labels.npy") for m in ("single", "mpi")}
single_peak = float(open(f"{work}/single.rss").read().split()[-1]) * 1024
rows = [("deepdot train, 1 process", "single", single_peak, "-"),
        (f"deepdot-mpi train, P = {P}", "mpi", fit["mpi"]["peak memory per rank (max, bytes)"],
         fit["mpi"]["fit bytes sent per rank (max)"])]
print(f"{'run':<28} {'solver':<40} {'test_acc':<9} {'fit_s':<8} {'peak_GB':<8} bytes_per_rank")
for name, m, peak, sent in rows:
    r = fit[m]
    solver = r.get("solver", "?") + (f", {r['solver iterations']} it" if "solver iterations" in r else "")
    print(f"{name:<28} {solver:<40} {pred[m]['accuracy']:<9.4f} {r['fit seconds']:<8.1f} {peak / 1e9:<8.2f} {sent}")
same = float(np.mean(labels["single"] == labels["mpi"]))
print(f"equal predicted labels on the {labels['single'].size} test images: {same:.4f}")
PY
