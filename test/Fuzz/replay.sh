#!/usr/bin/env bash
# Runs one fuzz target once over its seed corpus and the checked-in inputs
# that once crashed it (test/Fuzz/regressions/<target>/):
#   replay.sh npy|json|mlir|torchscript FUZZER WORKDIR
set -euo pipefail
target=$1 fuzzer=$2 work=$3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
"$here/make_seeds.sh" "$target" "$work/seeds" > /dev/null
inputs=("$work/seeds"/*)
if [[ -d "$here/regressions/$target" ]]; then
  inputs+=("$here/regressions/$target"/*)
fi
if "$fuzzer" -rss_limit_mb=4096 "${inputs[@]}" > "$work/replay.log" 2>&1; then
  echo "fuzz-replay $target: ${#inputs[@]} inputs, no crash"
else
  tail -40 "$work/replay.log"
  echo "fuzz-replay $target: FAILED (log: $work/replay.log)"
  exit 1
fi
