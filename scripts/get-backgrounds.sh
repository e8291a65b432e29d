#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Writes third_party/backgrounds/natural-images.pgm, the natural-image backgrounds of the Table 1
# experiment (the mnist-back-image recipe): the photographs scikit-image ships, in grey, 8 bits, split
# into disjoint train and test sets (format and list: scripts/make_backgrounds.py, docs/experiments.md).
# deepdot::natural_background_file() finds it when run from the repository (or set DEEPDOT_BACKGROUNDS
# to the file). Installs python3-skimage with apt-get when it is missing (needs root or sudo then).
set -euo pipefail
cd "$(dirname "$0")/.."
out=third_party/backgrounds/natural-images.pgm
if [ -f "$out" ]; then
  echo "backgrounds already present: $out"
  exit 0
fi
if ! /usr/bin/python3 -c "import skimage, numpy" 2>/dev/null; then
  echo "get-backgrounds.sh: installing python3-skimage (the photographs and the image reader)" >&2
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "get-backgrounds.sh: need root (or sudo) to apt-get install python3-skimage" >&2; exit 1; }
    sudo=sudo
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3-skimage python3-numpy >/dev/null
fi
mkdir -p "$(dirname "$out")"
/usr/bin/python3 scripts/make_backgrounds.py "$out"
echo "(from another directory: export DEEPDOT_BACKGROUNDS=$(pwd)/$out)"
