#!/usr/bin/env bash
# Builds qtensor's libFuzzer targets with clang + ASan + UBSan in build-fuzz/
# and runs each for a given time.
#
#   scripts/fuzz.sh [--replay] [SECONDS] [npy|mlir|torchscript ...]
#
# --replay only runs the seed corpora and the checked-in regression inputs
# (test/Fuzz/regressions/<target>/) once each: that is what the test suite
# does. Otherwise each target fuzzes for SECONDS (default 600) from its seeds
# and its corpus in build-fuzz/fuzz/<target>/corpus, and any crashing input
# is left in build-fuzz/fuzz/<target>/artifacts/. The summary line per target
# gives the run time, the executions and the number of crashes.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$root/build-fuzz"
replay=0
if [[ "${1:-}" == "--replay" ]]; then replay=1; shift; fi
seconds=600
if [[ "${1:-}" =~ ^[0-9]+$ ]]; then seconds=$1; shift; fi
targets=("$@")
((${#targets[@]})) || targets=(npy mlir torchscript)
for target in "${targets[@]}"; do
  case "$target" in
    npy|mlir|torchscript) ;;
    *) echo "error: unknown fuzz target '$target' (expected npy, mlir or torchscript)" >&2; exit 2 ;;
  esac
done

# Runs of this script for different targets may overlap: one builds at a time.
exec 9> "$build.lock"
flock 9
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_C_COMPILER=clang \
  -DCMAKE_CXX_COMPILER=clang++ -DQTENSOR_FUZZ=ON \
  -DQTENSOR_SANITIZE=address,undefined > "$build.configure.log" 2>&1 ||
  { cat "$build.configure.log"; exit 1; }
cmake --build "$build" --target qtensor-fuzzers
flock -u 9

python=/usr/bin/python3
make_seeds() {
  local target=$1 seeds=$2
  rm -rf "$seeds" && mkdir -p "$seeds"
  case "$target" in
    npy) "$python" "$root/test/Fuzz/make_npy_seeds.py" "$seeds" ;;
    mlir)
      # Every split of every lit test file that is MLIR.
      find "$root/test" -name '*.mlir' -print0 | sort -z |
        xargs -0 "$python" "$root/test/Fuzz/split_mlir_seeds.py" "$seeds" ;;
    torchscript)
      "$python" "$root/test/Importer/make_models.py" "$seeds" > /dev/null ;;
  esac
}

status=0
for target in "${targets[@]}"; do
  work="$build/fuzz/$target"
  mkdir -p "$work/corpus" "$work/artifacts"
  make_seeds "$target" "$work/seeds"
  regressions="$root/test/Fuzz/regressions/$target"
  fuzzer="$build/bin/qtensor-fuzz-$target"
  dict="$root/test/Fuzz/$target.dict"
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1:allow_user_poisoning=0}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  if ((replay)); then
    inputs=("$work/seeds"/*)
    [[ -d "$regressions" ]] && inputs+=("$regressions"/*)
    if "$fuzzer" -rss_limit_mb=4096 "${inputs[@]}" > "$work/replay.log" 2>&1; then
      echo "fuzz-replay $target: ${#inputs[@]} inputs, no crash"
    else
      tail -40 "$work/replay.log"
      echo "fuzz-replay $target: FAILED (log: $work/replay.log)"
      status=1
    fi
    continue
  fi
  inputs=("$work/corpus" "$work/seeds")
  [[ -d "$regressions" ]] && inputs+=("$regressions")
  start=$(date +%s)
  set +e
  "$fuzzer" -max_total_time="$seconds" -timeout=60 -rss_limit_mb=4096 \
    -dict="$dict" -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
    "${inputs[@]}" > "$work/fuzz.log" 2>&1
  rc=$?
  set -e
  elapsed=$(( $(date +%s) - start ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log" | tail -1)
  crashes=$(find "$work/artifacts" -type f | wc -l)
  corpus=$(find "$work/corpus" -type f | wc -l)
  echo "fuzz $target: $elapsed s, ${execs:-unknown} executions, corpus $corpus," \
    "crashes $crashes, exit $rc (log: $work/fuzz.log)"
  ((rc == 0 && crashes == 0)) || status=1
done
exit $status
