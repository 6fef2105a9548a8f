#!/usr/bin/env bash
# Sets up the machine, builds qtensor and runs every test: the lit suite, the
# GoogleTest suites, the generated-docs and package checks, all through
# ctest; then the same suite once more in a second build with AddressSanitizer,
# UndefinedBehaviorSanitizer and LeakSanitizer. The last line printed is the
# summary of both, "N passed, M failed".
#
# Environment: QTENSOR_BUILD_DIR (default: build/ in the source tree; the
# sanitizer build is its sibling, <dir>-asan), QTENSOR_SKIP_SANITIZERS=1 to
# run the plain suite only.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${QTENSOR_BUILD_DIR:-$root/build}

"$root/scripts/setup.sh"

status=0
results=()
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
fi
/usr/bin/python3 "$root/scripts/test-summary.py" "${results[@]}" || status=1
exit "$status"
