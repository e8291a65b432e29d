#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Quick start, command 1: install what is missing (including the Fashion-MNIST
# data), build everything, run the main job: the recursive kernel of depth 3
# on Fashion-MNIST with the best measured defaults (deepdot-fashion --help).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
[ -f build/build.ninja ] || meson setup build --buildtype=release >/dev/null
ninja -C build
# Registers the Python package so that /usr/bin/python3 -c "import deepdot" works (docs/python.md).
bash scripts/python-path.sh build
exec ./build/apps/deepdot-fashion "$@"
