#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Weak scaling of data-parallel training (docs/distributed.md): P ranks with
# N_PER_RANK Fashion-MNIST training images each, squared loss on D features,
# P = 1, 2, 4 (oversubscribed on this machine's cores). Prints one line per P:
# fit seconds, seconds per point, bytes sent per rank, peak memory per rank.
# usage: scripts/mpi-scaling.sh [N_PER_RANK [D [P list]]]   (MODE=strong: N_PER_RANK is the total n)
set -euo pipefail
cd "$(dirname "$0")/.."
n0=${1:-5000}
D=${2:-2048}
plist=${3:-"1 2 4"}
src=/usr/share/datasets/fashion-mnist
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1  # this script only
# Ranks share the cores: one BLAS thread each.
export OPENBLAS_NUM_THREADS=1
printf "%-3s %-8s %-10s %-14s %-16s %s\n" P n fit_s s_per_point bytes_per_rank peak_rss_per_rank
for P in $plist; do
  n=$((P * n0))
  [ "${MODE:-weak}" = strong ] && n=$n0  # strong scaling: the same n for every P
  # The first n images and labels as IDX files (header + the first n records).
  python3 - "$src" "$work" "$n" <<'PY'
import gzip, struct, sys
src, work, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
with gzip.open(f"{src}/train-images-idx3-ubyte.gz") as f:
    magic, total, rows, cols = struct.unpack(">IIII", f.read(16))
    data = f.read(n * rows * cols)
with open(f"{work}/train-images-idx3-ubyte", "wb") as f:
    f.write(struct.pack(">IIII", magic, n, rows, cols) + data)
with gzip.open(f"{src}/train-labels-idx1-ubyte.gz") as f:
    magic, total = struct.unpack(">II", f.read(8))
    labels = f.read(n)
with open(f"{work}/train-labels-idx1-ubyte", "wb") as f:
    f.write(struct.pack(">II", magic, n) + labels)
PY
  out=$(mpirun --oversubscribe -np "$P" build/apps/deepdot-mpi train --data "$work/train-images-idx3-ubyte" \
        --model "$work/m.ddm" --features "$D" --lambda 1e-4 --no-score --quiet --json)
  python3 - "$P" "$n" "$out" <<'PY'
import json, sys
P, n, r = int(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[3])
print(f"{P:<3} {n:<8} {r['fit seconds']:<10.2f} {r['fit seconds'] / n:<14.3e} "
      f"{r['fit bytes sent per rank (max)']:<16} {r['peak memory per rank (max, bytes)']}")
PY
done
