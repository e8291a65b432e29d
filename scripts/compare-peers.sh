#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Side-by-side comparison of deepdot with scikit-learn and LIBSVM (the peers
# installed from Debian) on the same data, D and machine; see
# scripts/compare_peers.py for what is compared and docs/performance.md for results.
#   bash scripts/compare-peers.sh [--quick] [--work DIR] [--parts sketch,nystroem,ridge,svm]
#   bash scripts/compare-peers.sh --parts tabular [--quick] [--sets SETS] [--deepdot-args "..."] [--repeats N]
# Installs python3-sklearn and libsvm-tools when missing (root or sudo, like
# scripts/setup.sh) and builds deepdot in $BUILD_DIR (default build) if needed.
# The tabular part (UCI data sets, not run by default) also installs liblinear-tools and
# r-cran-mlbench, and exports its CSV files with scripts/uci_export.R when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}

# Which parts run decides what they need: Fashion-MNIST for the default ones, R and LIBLINEAR for tabular.
parts=sketch,nystroem,ridge,svm
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --parts) parts=${args[i + 1]:-} ;;
    --parts=*) parts=${args[i]#--parts=} ;;
  esac
done
extra="python3-sklearn python3-numpy libsvm-tools"
[[ ",$parts," == *,tabular,* ]] && extra+=" python3-pandas liblinear-tools r-cran-mlbench"

# The build's packages plus the peers, through the project's installer (root or sudo; only what is missing).
DEEPDOT_EXTRA_PACKAGES="$extra ${DEEPDOT_EXTRA_PACKAGES:-}" bash scripts/setup.sh
if [[ ",$parts," =~ ,(sketch|nystroem|ridge|svm), ]]; then
  [ -d /usr/share/datasets/fashion-mnist ] || { echo "compare-peers: Fashion-MNIST missing (bash scripts/setup.sh installs dataset-fashion-mnist)" >&2; exit 1; }
fi

if [ ! -x "$BUILD_DIR/apps/deepdot" ]; then
  [ -d "$BUILD_DIR" ] || meson setup "$BUILD_DIR" --buildtype=release >/dev/null
  ninja -C "$BUILD_DIR" >/dev/null
fi

# Debian's interpreter, where python3-sklearn lives (a python3 earlier in PATH may lack it).
exec /usr/bin/python3 scripts/compare_peers.py --deepdot "$BUILD_DIR/apps/deepdot" "$@"
