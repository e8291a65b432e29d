#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Spam/ham on the SpamAssassin corpus (docs/sparse.md, "The spam corpus"): deepdot's kernel models
# against LIBLINEAR and scikit-learn, on the same LIBLINEAR-format files and the same train/test split.
# Every model chooses its hyper-parameters on the training file only:
#   * LIBLINEAR (L2-loss SVM, -s 2): C by its own 5-fold cross-validation (liblinear-train -C), then
#     trained at that C on the whole training file;
#   * deepdot: lambda by its validation split of the training file, for each of a few kernels, maps
#     (TensorSketch; Nystroem, whose landmarks stay sparse) and D;
#     the candidate with the lowest validation error is deepdot's model (all are printed);
#   * scikit-learn: scripts/spam_sklearn.py (PolynomialCountSketch + a linear model).
# The test file is used only to score the chosen models.
# Installs liblinear-tools, npm and scikit-learn when missing (root or sudo, through scripts/setup.sh,
# as compare-peers.sh does for libsvm-tools), fetches the corpus (scripts/get-spam.sh) and builds the
# hashed files (scripts/spam_to_libsvm.py) if they are not there.
#   usage: bash scripts/compare-spam.sh [BUILD_DIR] [BITS]      (defaults: build, 18)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
bits=${2:-18}
d=$((1 << bits))
py=/usr/bin/python3
out=results/spam-compare
mkdir -p "$out"
DEEPDOT_EXTRA_PACKAGES="liblinear-tools npm python3-sklearn python3-numpy ${DEEPDOT_EXTRA_PACKAGES:-}" bash scripts/setup.sh
deepdot=$build/apps/deepdot
[ -x "$deepdot" ] || { echo "compare-spam.sh: $deepdot not built (ninja -C $build)" >&2; exit 1; }
bash scripts/get-spam.sh
train=results/spam-b$bits-train.libsvm
test=results/spam-b$bits-test.libsvm
[ -f "$train" ] && [ -f "$test" ] || $py scripts/spam_to_libsvm.py --bits "$bits" --out "results/spam-b$bits"
echo "files: $train, $test (d = 2^$bits)"

# LIBLINEAR, C by its own cross-validation on the training file.
best_c=$(liblinear-train -C -s 2 -v 5 "$train" | awk '/Best C/ {print $4}')
liblinear-train -q -s 2 -c "$best_c" "$train" "$out/liblinear.model"
ll=$(liblinear-predict "$test" "$out/liblinear.model" "$out/liblinear.out" | sed -n 's/Accuracy = \([0-9.]*\)%.*/\1/p')
printf "%-52s test accuracy %.4f\n" "LIBLINEAR -s 2, C = $best_c (5-fold CV)" "$(echo "$ll / 100" | bc -l)"

# deepdot candidates: kernel, map, D, loss; lambda by validation inside each.
best_err=2 best_line=""
for cand in "poly:2:1 tensorsketch 4096 squared-hinge" "poly:2:1 tensorsketch 16384 squared-hinge" \
            "recursive:2 tensorsketch 16384 squared-hinge" "poly:3:1 tensorsketch 16384 squared-hinge" \
            "recursive:1 nystrom 4096 squared-hinge" "recursive:2 nystrom 4096 squared-hinge" \
            "poly:2:1 nystrom 4096 squared-hinge"; do
  read -r kernel map D loss <<< "$cand"
  json=$("$deepdot" train --sparse --dim "$d" --data "$train" --test "$test" --kernel "$kernel" --map "$map" \
           --features "$D" --loss "$loss" --model "$out/deepdot.ddm" --json)
  err=$(echo "$json" | $py -c 'import json,sys; print(json.load(sys.stdin)["validation error rate"])')
  acc=$(echo "$json" | $py -c 'import json,sys; print(json.load(sys.stdin)["test accuracy"])')
  line=$(printf "deepdot %-13s %-12s D = %-5s %-13s validation error %.4f  test accuracy %.4f" \
           "$kernel" "$map" "$D" "$loss" "$err" "$acc")
  echo "$line"
  if (( $(echo "$err < $best_err" | bc -l) )); then best_err=$err best_line=$line; fi
done
echo "deepdot's choice (lowest validation error): $best_line"

$py scripts/spam_sklearn.py "$train" "$test" "$d" 4096 2 1
