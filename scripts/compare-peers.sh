#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Side-by-side comparison of deepdot with scikit-learn and LIBSVM (the peers
# installed from Debian) on the same data, D and machine; see
# scripts/compare_peers.py for what is compared and docs/performance.md for results.
#   bash scripts/compare-peers.sh [--quick] [--work DIR] [--parts sketch,nystroem,ridge,svm]
# Installs python3-sklearn and libsvm-tools when missing (root or sudo, like
# scripts/setup.sh) and builds deepdot in $BUILD_DIR (default build) if needed.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}

# The build's packages plus the peers, through the project's installer (root or sudo; only what is missing).
DEEPDOT_EXTRA_PACKAGES="python3-sklearn python3-numpy libsvm-tools ${DEEPDOT_EXTRA_PACKAGES:-}" bash scripts/setup.sh
[ -d /usr/share/datasets/fashion-mnist ] || { echo "compare-peers: Fashion-MNIST missing (bash scripts/setup.sh installs dataset-fashion-mnist)" >&2; exit 1; }

if [ ! -x "$BUILD_DIR/apps/deepdot" ]; then
  [ -d "$BUILD_DIR" ] || meson setup "$BUILD_DIR" --buildtype=release >/dev/null
  ninja -C "$BUILD_DIR" >/dev/null
fi

# Debian's interpreter, where python3-sklearn lives (a python3 earlier in PATH may lack it).
exec /usr/bin/python3 scripts/compare_peers.py --deepdot "$BUILD_DIR/apps/deepdot" "$@"
