#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs what deepdot needs to build, test and run its main job on Debian 12
# (as root, with apt-get), then configures the build directory. Safe to rerun:
# it installs only what is missing and reconfigures only when needed.
set -euo pipefail

# dataset-fashion-mnist: the main job's data (70,000 images, about 30 MB).
# python3-*: the Python package (python/) and its tests; pandas lets scikit-learn's
# estimator checks run their DataFrame cases instead of skipping them.
# python3-mesonpy, python3-pip: `pip install .` / the wheel (pyproject.toml, scripts/check-wheel.sh).
# python3-skimage: the photographs behind the natural-image backgrounds of `deepdot experiment table1`
# (scripts/get-backgrounds.sh turns them into one grey background file).
packages=(meson ninja-build g++ pkg-config libarmadillo-dev libopenblas-dev doctest-dev zlib1g-dev gnuplot-nox
          libopenmpi-dev openmpi-bin dataset-fashion-mnist
          python3-dev python3-pybind11 python3-pytest python3-numpy python3-sklearn python3-pandas
          python3-mesonpy python3-pip python3-skimage)
# Extra packages can be requested by the caller (e.g. the sanitizer build's compiler runtime).
packages+=(${DEEPDOT_EXTRA_PACKAGES:-})

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deepdot setup: installing ${missing[*]}" >&2
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "deepdot setup: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    sudo=sudo
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
