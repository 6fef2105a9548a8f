#!/usr/bin/env bash
# Builds qtensor's libFuzzer targets with clang + ASan + UBSan in build-fuzz/
# and runs each for a given time.
#
#   scripts/fuzz.sh [--replay|--build-only] [SECONDS] [npy|json|mlir|torchscript ...]
#
# --replay only runs the seed corpora and the checked-in regression inputs
# (test/Fuzz/regressions/<target>/) once each: that is what the test suite
# does. Otherwise each target fuzzes for SECONDS (default 600) from its seeds
# and its corpus in build-fuzz/fuzz/<target>/corpus, and any crashing input
# is left in build-fuzz/fuzz/<target>/artifacts/. The summary line per target
# gives the run time, the executions and the number of crashes.
# --build-only configures and builds the targets and stops (scripts/test.sh
# then runs their replay tests through ctest). QTENSOR_FUZZ_BUILD_DIR moves
# the build (default: build-fuzz/ in the source tree).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${QTENSOR_FUZZ_BUILD_DIR:-$root/build-fuzz}
replay=0
build_only=0
if [[ "${1:-}" == "--replay" ]]; then replay=1; shift; fi
if [[ "${1:-}" == "--build-only" ]]; then build_only=1; shift; fi
seconds=600
if [[ "${1:-}" =~ ^[0-9]+$ ]]; then seconds=$1; shift; fi
targets=("$@")
((${#targets[@]})) || targets=(npy json mlir torchscript)
for target in "${targets[@]}"; do
  case "$target" in
    npy|json|mlir|torchscript) ;;
    *) echo "error: unknown fuzz target '$target' (expected npy, json, mlir or torchscript)" >&2; exit 2 ;;
  esac
done

# Runs of this script for different targets may overlap: one builds at a time.
mkdir -p "$build"
exec 9> "$build/.fuzz.lock"
flock 9
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_C_COMPILER=clang \
  -DCMAKE_CXX_COMPILER=clang++ -DQTENSOR_FUZZ=ON \
  -DQTENSOR_SANITIZE=address,undefined > "$build/configure.log" 2>&1 ||
  { cat "$build/configure.log"; exit 1; }
cmake --build "$build" --target qtensor-fuzzers
flock -u 9
if ((build_only)); then exit 0; fi

status=0
for target in "${targets[@]}"; do
  work="$build/fuzz/$target"
  mkdir -p "$work/corpus" "$work/artifacts"
  fuzzer="$build/bin/qtensor-fuzz-$target"
  regressions="$root/test/Fuzz/regressions/$target"
  dict="$root/test/Fuzz/$target.dict"
  if ((replay)); then
    "$root/test/Fuzz/replay.sh" "$target" "$fuzzer" "$work" || status=1
    continue
  fi
  "$root/test/Fuzz/make_seeds.sh" "$target" "$work/seeds"
  inputs=("$work/corpus" "$work/seeds")
  [[ -d "$regressions" ]] && inputs+=("$regressions")
  start=$(date +%s)
  set +e
  "$fuzzer" -max_total_time="$seconds" -timeout=60 -rss_limit_mb=4096 \
    -malloc_limit_mb=65536 \
    -dict="$dict" -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
    "${inputs[@]}" > "$work/fuzz.log" 2>&1
  rc=$?
  set -e
  elapsed=$(( $(date +%s) - start ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log" | tail -1)
  # Inputs that crashed the fuzzing process itself, as its log announces
  # them (slow units are reported apart).
  crashes=$(grep -c "Test unit written to .*/\(crash\|leak\|oom\|timeout\)-" "$work/fuzz.log" || true)
  corpus=$(find "$work/corpus" -type f | wc -l)
  echo "fuzz $target: $elapsed s, ${execs:-unknown} executions, corpus $corpus," \
    "crashes $crashes, exit $rc (log: $work/fuzz.log)"
  ((rc == 0 && crashes == 0)) || status=1
done
exit $status
