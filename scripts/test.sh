#!/usr/bin/env bash
# Sets up the machine, builds qtensor and runs every test: the lit suite, the
# GoogleTest suite and the generated-docs check, all through ctest. The last
# line printed is the summary "N passed, M failed".
#
# Environment: QTENSOR_BUILD_DIR (default: build/ in the source tree).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${QTENSOR_BUILD_DIR:-$root/build}

"$root/scripts/setup.sh"
cmake -S "$root" -B "$build" -G Ninja
cmake --build "$build"

results="$build/test-results"
rm -rf "$results"
mkdir -p "$results"
status=0
ctest --test-dir "$build" --output-on-failure \
  --output-junit "$results/ctest.xml" || status=$?
/usr/bin/python3 "$root/scripts/test-summary.py" "$results" || status=1
exit "$status"
