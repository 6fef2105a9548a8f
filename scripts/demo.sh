#!/usr/bin/env bash
# The main job: sets up the machine, builds qtensor and runs it on the seed's
# ToyModel(64, 128, 32).
#
# Environment: QTENSOR_BUILD_DIR (default: build/ in the source tree).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${QTENSOR_BUILD_DIR:-$root/build}

"$root/scripts/setup.sh"
cmake -S "$root" -B "$build" -G Ninja
cmake --build "$build"

opt="$build/bin/qtensor-opt"
example="$root/examples/toy_model_stage1.mlir"
echo
echo "== ToyModel at stage 1 (quantized weights), verified and canonicalized =="
"$opt" --canonicalize "$example"
