#!/usr/bin/env bash
# Quick start, command 1: install what is missing, build everything, run the main job.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
[ -f build/build.ninja ] || meson setup build --buildtype=release >/dev/null
ninja -C build
exec ./build/apps/deepdot-teacher "$@"
