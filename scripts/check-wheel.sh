#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the wheel (pyproject.toml, meson-python) in a temporary directory, offline with Debian's
# meson-python and pybind11, installs it into a temporary target (not the system) and runs a fit and
# a transform from there. A slow check (it compiles the whole library), so not one of the unit tests.
#   usage: bash scripts/check-wheel.sh [KEEP_DIR]   (KEEP_DIR: where to leave the wheel; default: removed)
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
DEEPDOT_EXTRA_PACKAGES="${DEEPDOT_EXTRA_PACKAGES:-}" bash scripts/setup.sh >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
/usr/bin/python3 -m pip wheel --no-build-isolation --no-deps -w "$work/dist" "$src" >"$work/build.log" 2>&1 ||
  { tail -40 "$work/build.log" >&2; echo "check-wheel: pip wheel failed" >&2; exit 1; }
wheel=$(ls "$work"/dist/deepdot-*.whl)
echo "built $(basename "$wheel") ($(du -k "$wheel" | cut -f1) KB)"
unzip -l "$wheel" | awk 'NR > 3 && $4 != "" {print "  " $4}' | grep -v "^  -" | head -20
/usr/bin/python3 -m pip install --no-deps --no-index --target "$work/site" "$wheel" >"$work/install.log" 2>&1 ||
  { cat "$work/install.log" >&2; exit 1; }
# From a neutral directory, with only the installed wheel on the path.
(cd "$work" && PYTHONPATH="$work/site" /usr/bin/python3 - <<'PY'
import numpy as np
import scipy.sparse as sp
import deepdot
assert deepdot.__file__.startswith(__import__("os").environ["PYTHONPATH"]), deepdot.__file__
rng = np.random.default_rng(0)
X = rng.normal(size=(300, 8))
y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
clf = deepdot.Classifier(n_components=512, random_state=0).fit(X[:200], y[:200])
acc = clf.score(X[200:], y[200:])
Z = deepdot.FeatureMap(map="tensorsketch", n_components=64, random_state=0).fit(sp.csr_matrix(X)).transform(X)
assert Z.shape == (300, 64) and Z.dtype == np.float32
assert acc > 0.8, acc
print(f"deepdot {deepdot.__version__} from the wheel: Classifier accuracy {acc:.3f}, FeatureMap {Z.shape} {Z.dtype}")
PY
)
if [ $# -ge 1 ]; then mkdir -p "$1" && cp "$wheel" "$1"/ && echo "wheel kept in $1"; fi
echo "check-wheel: OK"
