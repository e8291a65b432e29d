#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Quick start, command 2: install what is missing, build everything, run the whole test suite.
# BUILD_DIR and MESON_ARGS select another build (the CI's sanitizer build uses them).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
build=${BUILD_DIR:-build}
[ -f "$build/build.ninja" ] || meson setup "$build" --buildtype=release ${MESON_ARGS:-} >/dev/null
ninja -C "$build"
# Registers the Python package so that /usr/bin/python3 -c "import deepdot" works (docs/python.md).
if [ "$build" = build ]; then bash scripts/python-path.sh "$build"; fi
status=0
meson test -C "$build" --print-errorlogs --num-processes 2 || status=$?
# One closing line in the plain form every CI reads: "N passed, N failed".
python3 - "$build/meson-logs/testlog.json" <<'PY' || true
import json, sys
passed = failed = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("result") in ("OK", "EXPECTEDFAIL"): passed += 1
    elif r.get("result") != "SKIP": failed += 1
print(f"tests: {passed} passed, {failed} failed")
PY
exit $status
