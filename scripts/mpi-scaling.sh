#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Weak scaling of data-parallel training (docs/distributed.md): P ranks with
# N_PER_RANK Fashion-MNIST training images each, squared loss on D features,
# P = 1, 2, 4 (oversubscribed on this machine's cores). Prints one line per P:
# fit seconds, seconds per point, bytes sent per rank, peak memory per rank
# (VmHWM), the baseline every rank pays (the peak of the same job on 20 points
# with D = 16: MPI, BLAS and the libraries, no data), the peak minus the
# baseline, and the target bound 8 d n / P (the rank's points as doubles) +
# 8 D^2 (the accumulation of ZZ') + 4 (D + d) b (one batch, b = 2,048: its
# float features and its input converted to float, which the map reads), then
# the peak above the baseline minus that bound, and for comparison the feature
# map's own state, which the bound does not count (fourier: d x D/2 doubles,
# 4 D d bytes).
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
printf "%-3s %-8s %-8s %-11s %-15s %-9s %-9s %-9s %-9s %-9s %s\n" P n fit_s s_per_point bytes_per_rank peak_MB base_MB above_MB bound_MB over_MB map_MB
# The first n images and labels as IDX files (header + the first n records).
subset() {
  python3 - "$src" "$work" "$1" <<'PY'
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
}
fit() {  # P D: the JSON report of deepdot-mpi train on the current subset
  mpirun --oversubscribe -np "$1" build/apps/deepdot-mpi train --data "$work/train-images-idx3-ubyte" \
    --model "$work/m.ddm" --kernel recursive:3 --map fourier:orf --loss squared --scaling unit-norm \
    --features "$2" --lambda 1e-4 --no-score --no-certificate --quiet --json
}
for P in $plist; do
  subset 20
  base=$(fit "$P" 16)
  n=$((P * n0))
  [ "${MODE:-weak}" = strong ] && n=$n0  # strong scaling: the same n for every P
  subset "$n"
  out=$(fit "$P" "$D")
  python3 - "$P" "$n" "$D" "$out" "$base" <<'PY'
import json, sys
P, n, D = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
r, b = json.loads(sys.argv[4]), json.loads(sys.argv[5])
MB = 1e6
peak, base = r['peak memory per rank (max, bytes)'], b['peak memory per rank (max, bytes)']
per_rank = -(-n // P)
d, b = 784, 2048
bound = 8 * d * per_rank + 8 * D * D + 4 * (D + d) * b
print(f"{P:<3} {n:<8} {r['fit seconds']:<8.2f} {r['fit seconds'] / n:<11.3e} "
      f"{r['fit bytes sent per rank (max)']:<15} {peak / MB:<9.1f} {base / MB:<9.1f} {(peak - base) / MB:<9.1f} "
      f"{bound / MB:<9.1f} {(peak - base - bound) / MB:<9.1f} {4 * D * d / MB:.1f}")
PY
done
