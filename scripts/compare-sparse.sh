#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# TensorSketch on sparse LIBSVM input, deepdot against scikit-learn's PolynomialCountSketch
# (docs/performance.md, "Sparse input"). Whole processes (reading the file, unit-normalising,
# sketching, writing float64 .npy), timed with /usr/bin/time: wall clock, CPU time (user + sys)
# and peak memory. Then the kernel error of both against the exact (<x,y>)^3, and deepdot's
# transform time over d (fixed nnz) and over nnz (fixed d).
#   usage: scripts/compare-sparse.sh [BUILD_DIR] [N] [SKLEARN_TIMEOUT_SECONDS]
#   SCALING_ONLY=1: only the tables over d and over nnz (seconds, no scikit-learn run)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
n=${2:-20000}
sk_timeout=${3:-1800}
py=/usr/bin/python3
out=results/sparse-bench
mkdir -p "$out"
D=4096
d=$((1 << 20))
deepdot=$build/apps/deepdot
[ -x "$deepdot" ] || { echo "compare-sparse.sh: $deepdot not built" >&2; exit 1; }

measure() {  # label, command...: prints "label wall cpu rss_mb"
  local label=$1; shift
  local log=$out/time-$label.log
  if /usr/bin/time -f "%e %U %S %M" -o "$log" "$@" > "$out/$label.out" 2>&1; then
    read -r wall user sys rss < "$log"
    printf "%-28s wall %8.2f s  cpu %8.2f s  peak %7.0f MB\n" "$label" "$wall" "$(echo "$user + $sys" | bc)" "$(echo "$rss / 1024" | bc)"
  else
    printf "%-28s failed or timed out (see %s)\n" "$label" "$out/$label.out"
  fi
}

if [ "${SCALING_ONLY:-0}" != 1 ]; then
file=$out/sparse-n$n-d20.libsvm
[ -f "$file" ] || $py scripts/sparse_bench.py make "$n" "$d" 100 1 "$file"
echo "input: $file, $(du -m "$file" | cut -f1) MB, n = $n, d = 2^20, ~100 nonzeros per point; output $n x $D float64 = $((n * D * 8 / 1048576)) MB"
measure deepdot "$deepdot" transform --sparse --data "$file" --dim $d --kernel coeffs:0,0,0,1 --map tensorsketch \
  --features $D --precision double --out "$out/z-deepdot.npy" --quiet
measure sklearn timeout "$sk_timeout" $py scripts/sparse_bench.py sklearn "$file" $d $D "$out/z-sklearn.npy"
if [ -s "$out/time-sklearn.log" ] && [ -f "$out/z-sklearn.npy" ]; then
  read -r w1 u1 s1 _ < "$out/time-deepdot.log"
  read -r w2 u2 s2 _ < "$out/time-sklearn.log"
  echo "ratio sklearn / deepdot: wall $(echo "scale=1; $w2 / $w1" | bc)x, cpu $(echo "scale=1; ($u2 + $s2) / ($u1 + $s1)" | bc)x"
  $py scripts/sparse_bench.py error "$file" $d "$out/z-deepdot.npy" "$out/z-sklearn.npy"
else
  $py scripts/sparse_bench.py error "$file" $d "$out/z-deepdot.npy"
fi

fi

# The tables over d and nnz: five runs each, the median of the process CPU time (user + sys; the
# wall time of these sub-second runs is dominated by first touches of fresh memory, which vary
# from run to run on a VM) and of the wall time.
median5() {  # label, command...: prints "label cpu ... wall ... peak ..." (medians of 5 runs)
  local label=$1; shift
  local log=$out/time-scaling.log
  : > "$log.all"
  for _ in 1 2 3 4 5; do
    /usr/bin/time -f "%U %S %e %M" -o "$log" "$@" > /dev/null 2>&1 || { echo "$label failed" >&2; return 1; }
    cat "$log" >> "$log.all"
  done
  local cpu wall rss
  cpu=$(awk '{print $1 + $2}' "$log.all" | sort -g | sed -n 3p)
  wall=$(awk '{print $3}' "$log.all" | sort -g | sed -n 3p)
  rss=$(awk '{print $4}' "$log.all" | sort -g | tail -1)
  printf "%-12s cpu %6.2f s  wall %6.2f s  peak %5.0f MB  (medians of 5 runs; peak: the largest)\n" \
    "$label" "$cpu" "$wall" "$(echo "$rss / 1024" | bc)"
}
echo "deepdot transform over d at ~100 nonzeros per point (n = 5000):"
for bits in 14 16 18 20 22 24; do
  f=$out/sparse-n5000-d$bits.libsvm
  [ -f "$f" ] || $py scripts/sparse_bench.py make 5000 $((1 << bits)) 100 2 "$f"
  median5 "d=2^$bits" "$deepdot" transform --sparse --data "$f" --dim $((1 << bits)) --kernel coeffs:0,0,0,1 \
    --map tensorsketch --features $D --precision double --out "$out/z-d.npy" --quiet
done
echo "deepdot transform over nnz at d = 2^20 (n = 5000):"
for nnz in 25 50 100 200 400; do
  f=$out/sparse-n5000-nnz$nnz.libsvm
  [ -f "$f" ] || $py scripts/sparse_bench.py make 5000 $d $nnz 3 "$f"
  median5 "nnz=$nnz" "$deepdot" transform --sparse --data "$f" --dim $d --kernel coeffs:0,0,0,1 \
    --map tensorsketch --features $D --precision double --out "$out/z-n.npy" --quiet
done
