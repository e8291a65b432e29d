#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the libFuzzer targets of the data readers (fuzz_csv, fuzz_libsvm,
# fuzz_npy, fuzz_idx) with clang, ASan and UBSan, and runs each for a bounded
# time seeded with the corpora in tests/data. Exits non-zero if any target
# finds a crash, a leak, undefined behaviour or an unexpected exception; the
# input that triggered it is saved in $FUZZ_BUILD_DIR/artifacts/.
#
#   FUZZ_SECONDS=20 bash fuzz/run.sh          # seconds per target (default 20)
#   bash fuzz/run.sh csv npy                  # only some targets
#   build-fuzz/fuzz_csv build-fuzz/artifacts/csv-crash-...   # replay a finding
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-20}
out=${FUZZ_BUILD_DIR:-build-fuzz}
targets=("$@")
((${#targets[@]})) || targets=(csv libsvm npy idx)

# clang and its fuzzer runtime are needed only here, so they are installed
# here (Debian 12: clang-14 and libclang-rt-14-dev), not in scripts/setup.sh.
probe() {
  local dir
  dir=$(mktemp -d)
  printf '#include <cstddef>\n#include <cstdint>\nextern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }\n' >"$dir/p.cpp"
  clang++ -fsanitize=fuzzer,address,undefined "$dir/p.cpp" -o "$dir/p" >/dev/null 2>&1
  local rc=$?
  rm -rf "$dir"
  return $rc
}
if ! command -v clang++ >/dev/null || ! probe; then
  echo "fuzz: installing clang and its fuzzer runtime" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends clang libclang-rt-14-dev zlib1g-dev libarmadillo-dev >/dev/null
  probe || { echo "fuzz: clang cannot build libFuzzer targets" >&2; exit 1; }
fi

mkdir -p "$out/obj" "$out/artifacts"
flags=(-std=c++17 -g -O1 -fno-omit-frame-pointer -fno-sanitize-recover=undefined
       -Iinclude -Ilib -DARMA_DONT_USE_WRAPPER -DARMA_DONT_PRINT_ERRORS -Wall -Wextra)
libs=(-lz)

echo "== fuzz: building (clang++ -fsanitize=fuzzer,address,undefined)"
sources=(lib/io/data_source.cpp lib/io/data_text.cpp lib/io/data_npy.cpp lib/io/dataset.cpp lib/io/idx.cpp)
pids=()
for s in "${sources[@]}"; do
  o="$out/obj/$(basename "${s%.cpp}").o"
  if [ ! -f "$o" ] || [ "$s" -nt "$o" ] || [ -n "$(find lib include -name '*.hpp' -newer "$o" -print -quit)" ]; then
    clang++ "${flags[@]}" -fsanitize=fuzzer-no-link,address,undefined -c "$s" -o "$o" &
    pids+=($!)
  fi
done
for p in "${pids[@]}"; do wait "$p"; done
pids=()
for t in "${targets[@]}"; do
  clang++ "${flags[@]}" -fsanitize=fuzzer,address,undefined "fuzz/fuzz_$t.cpp" "$out"/obj/*.o "${libs[@]}" \
    -o "$out/fuzz_$t" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done

seeds() {  # the seed files of one target
  case $1 in
    csv) ls tests/data/good/*.csv tests/data/good/*.txt tests/data/broken/*.csv tests/data/broken/*.csv.gz ;;
    libsvm) ls tests/data/good/*.libsvm tests/data/broken/*.libsvm ;;
    npy) ls tests/data/good/*.npy tests/data/broken/*.npy ;;
    idx) ls tests/data/good/*ubyte* tests/data/broken/*ubyte* ;;
  esac
}

run() {
  local t=$1 corpus="$out/corpus-$1"
  rm -rf "$corpus" && mkdir -p "$corpus"
  local s
  for s in $(seeds "$t"); do
    if [ "$t" = csv ]; then printf '\000' | cat - "$s" >"$corpus/$(basename "$s")"  # first byte: options
    else cp "$s" "$corpus/"; fi
  done
  "$out/fuzz_$t" "$corpus" -max_total_time="$seconds" -max_len=4096 -rss_limit_mb=2048 -timeout=10 \
    -artifact_prefix="$out/artifacts/$t-" -print_final_stats=1 >"$out/fuzz_$t.log" 2>&1
}

echo "== fuzz: running ${targets[*]} for ${seconds}s each, two at a time"
status=0
declare -A pid_of
for ((i = 0; i < ${#targets[@]}; i += 2)); do
  for t in "${targets[@]:i:2}"; do
    run "$t" &
    pid_of[$t]=$!
  done
  for t in "${targets[@]:i:2}"; do
    if wait "${pid_of[$t]}"; then
      echo "fuzz_$t: ok, $(grep -h 'stat::number_of_executed_units' "$out/fuzz_$t.log" | awk '{print $2}') runs"
    else
      status=1
      echo "fuzz_$t: FAILED; the last lines of $out/fuzz_$t.log:"
      tail -n 40 "$out/fuzz_$t.log"
    fi
  done
done
exit $status
