#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Puts the licence identifier (LICENSE, meson.build: MIT) on every source file:
#   // SPDX-License-Identifier: MIT    first line of every .cpp, .hpp, .hpp.in under lib include tests apps fuzz .ci
#   # SPDX-License-Identifier: MIT     after the shebang of every .sh and .py file and of .ci/run,
#                                      first line of every meson.build
# Files that already carry the line (a line of its own among their first three) are left alone, so rerunning
# changes nothing.
#
#   bash scripts/spdx.sh           add the line where it is missing, print each file changed
#   bash scripts/spdx.sh --check   change nothing; list the files without it and exit 1 if there are any
#                                  (the meson test `spdx`)
set -euo pipefail

mode=fix
case "${1:-}" in
  "") ;;
  --check) mode=check ;;
  -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
  *) echo "spdx.sh: unknown option '$1' (expected --check or nothing)" >&2; exit 2 ;;
esac

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
tag='SPDX-License-Identifier: MIT'

# Every file of the source tree: the git index when there is one (so build directories and untracked
# scratch files are never touched), else the tree itself without build directories.
list_files() {
  if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git -C "$root" ls-files --cached --others --exclude-standard
  else
    find . -path './build*' -prune -o -path './.git' -prune -o -path './third_party' -prune \
      -o -path './subprojects' -prune -o -type f -print | sed 's|^\./||'
  fi
}

# The comment style of a file, or nothing when the file is not a source file this script handles.
style_of() {
  local f="$1"
  case "$f" in
    lib/*|include/*|tests/*|apps/*|fuzz/*|.ci/*)
      case "$f" in *.cpp|*.hpp|*.hpp.in) echo cpp; return ;; esac ;;
  esac
  case "$f" in
    *.sh|*.py|.ci/run) echo script; return ;;
    meson.build|*/meson.build) echo meson; return ;;
  esac
}

missing=()
while IFS= read -r f; do
  [ -f "$f" ] || continue
  style="$(style_of "$f")"
  [ -n "$style" ] || continue
  if head -n 3 "$f" | grep -qxE "(//|#) $tag"; then continue; fi
  if [ "$mode" = check ]; then missing+=("$f"); continue; fi
  tmp="$(mktemp "$f.spdx.XXXXXX")"
  case "$style" in
    cpp)   { printf '// %s\n' "$tag"; cat "$f"; } >"$tmp" ;;
    meson) { printf '# %s\n' "$tag"; cat "$f"; } >"$tmp" ;;
    script)
      if head -n 1 "$f" | grep -q '^#!'; then
        { head -n 1 "$f"; printf '# %s\n' "$tag"; tail -n +2 "$f"; } >"$tmp"
      else
        { printf '# %s\n' "$tag"; cat "$f"; } >"$tmp"
      fi ;;
  esac
  chmod --reference="$f" "$tmp"
  mv "$tmp" "$f"
  echo "added: $f"
done < <(list_files | sort)

if [ "$mode" = check ]; then
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "spdx.sh --check: ${#missing[@]} source file(s) lack the line '$tag' in their first three lines:" >&2
    printf '  %s\n' "${missing[@]}" >&2
    echo "run 'bash scripts/spdx.sh' to add it" >&2
    exit 1
  fi
  echo "spdx.sh --check: every source file carries '$tag'"
fi
