#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Makes `/usr/bin/python3 -c "import deepdot"` work after a build: writes
# deepdot.pth, holding the absolute path of <build>/python (where the build
# assembles the package: the extension and the .py files), into Debian's
# site directory for local packages (/usr/local/lib/python3.11/dist-packages).
# Nothing is copied, so a rebuild is picked up at once. Usage:
#   bash scripts/python-path.sh [BUILD_DIR]      (default: build)
# Skipped, with a note, when the build has no Python package (python3-dev or
# pybind11 missing, or a sanitizer build) or the site directory is not writable.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
pkg="$(cd "$build" && pwd)/python"
if [ ! -f "$pkg/deepdot/__init__.py" ] || ! ls "$pkg"/deepdot/_deepdot*.so >/dev/null 2>&1; then
  echo "deepdot python: $build has no Python package; not registering it" >&2
  exit 0
fi
site=$(/usr/bin/python3 -c 'import site; print(site.getsitepackages()[0])')
mkdir -p "$site" 2>/dev/null || true
if [ -w "$site" ]; then
  echo "$pkg" > "$site/deepdot.pth"
else
  echo "deepdot python: $site is not writable; use PYTHONPATH=$pkg instead" >&2
fi
