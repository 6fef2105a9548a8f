#!/usr/bin/env bash
# Sets up the machine, builds qtensor and runs every test: the lit suite, the
# GoogleTest suites, the generated-docs and package checks, all through
# ctest; then the same suite once more in a second build with AddressSanitizer,
# UndefinedBehaviorSanitizer and LeakSanitizer; then the fuzz targets replay
# their inputs. The last line printed is the summary of all, "N passed, M
# failed".
#
# Environment: QTENSOR_BUILD_DIR (default: build/ in the source tree; the
# sanitizer build is its sibling, <dir>-asan), QTENSOR_SKIP_SANITIZERS=1 to
# run the plain suite only, QTENSOR_SKIP_FUZZ=1 to skip the replay of the
# fuzz targets' inputs (a third build, with clang).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${QTENSOR_BUILD_DIR:-$root/build}

"$root/scripts/setup.sh"

# ccache keys on the compiler's command line, which names the source tree by
# its absolute path: relative to the tree, a clone elsewhere (CI's) reuses
# the objects another clone compiled.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$root}"

status=0
results=()
skipped=()
run_suite() {
  local dir=$1
  shift
  cmake -S "$root" -B "$dir" -G Ninja "$@"
  cmake --build "$dir"
  rm -rf "$dir/test-results"
  mkdir -p "$dir/test-results"
  ctest --test-dir "$dir" --output-on-failure \
    --output-junit "$dir/test-results/ctest.xml" || status=$?
  results+=("$dir/test-results")
}

run_suite "$build"
if [[ "${QTENSOR_SKIP_SANITIZERS:-0}" != 1 ]]; then
  echo
  echo "== the same suite with AddressSanitizer, UBSan and LeakSanitizer =="
  run_suite "$build-asan" -DQTENSOR_SANITIZE=address,undefined
else
  skipped+=(--skipped "the sanitized suite (QTENSOR_SKIP_SANITIZERS=1)")
fi
if [[ "${QTENSOR_SKIP_FUZZ:-0}" != 1 ]]; then
  # The fuzz targets (clang, ASan + UBSan) replay their seeds and every input
  # that once crashed them; scripts/fuzz.sh runs them for real.
  echo
  echo "== fuzz targets: replay of seeds and regression inputs =="
  fuzz_build="$build-fuzz"
  QTENSOR_FUZZ_BUILD_DIR="$fuzz_build" "$root/scripts/fuzz.sh" --build-only
  rm -rf "$fuzz_build/test-results"
  mkdir -p "$fuzz_build/test-results"
  ctest --test-dir "$fuzz_build" -R '^fuzz-replay-' --output-on-failure \
    --output-junit "$fuzz_build/test-results/ctest.xml" || status=$?
  results+=("$fuzz_build/test-results")
else
  skipped+=(--skipped "the fuzz replay (QTENSOR_SKIP_FUZZ=1)")
fi
/usr/bin/python3 "$root/scripts/test-summary.py" "${skipped[@]}" "${results[@]}" || status=1
exit "$status"
