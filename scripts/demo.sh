#!/usr/bin/env bash
# The main job: sets up the machine, builds qtensor, writes the seed's
# ToyModel(64, 128, 32) with PyTorch, then compiles it with int8 weights,
# runs it from C++ and checks it the way the seed does:
#   allclose(compiled, module swap)  -- against the seed's own quantizer and
#                                       module swap, run by LibTorch
#   allclose(fused, unfused)         -- our fused kernels against our own
#                                       stage-2 program, compiled separately
# and times it against LibTorch. Then it shows the IR stage by stage.
#
# Environment: QTENSOR_BUILD_DIR (default: build/ in the source tree).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${QTENSOR_BUILD_DIR:-$root/build}

"$root/scripts/setup.sh"
cmake -S "$root" -B "$build" -G Ninja
cmake --build "$build"

work="$build/demo"
rm -rf "$work"
mkdir -p "$work"

echo
echo "== the seed's ToyModel(64, 128, 32), x = randn(64, 64, 64) =="
/usr/bin/python3 "$root/examples/toy_model.py" "$work/toy.pt"
"$build/bin/qtensor-run" "$work/toy.pt" --input-shape 64x64x64 --quantize int8 \
  --compare --bench 20

echo
echo "== the IR, stage by stage =="
"$build/bin/qtensor-import" "$work/toy.pt" --input-shape 64x64x64 -o "$work/stage0.mlir"
opt="$build/bin/qtensor-opt"
elide=(--mlir-elide-resource-strings-if-larger=32)
show() {
  echo "-- $1"
  "$opt" "${elide[@]}" "$2" | sed -n '/func.func @forward/,/^  }/p'
}
show "stage 0: imported, float weights" "$work/stage0.mlir"
"$opt" --qtensor-quantize-weights "$work/stage0.mlir" -o "$work/stage1.mlir"
show "stage 1: --qtensor-quantize-weights" "$work/stage1.mlir"
"$opt" --qtensor-decompose-linear "$work/stage1.mlir" -o "$work/stage2.mlir"
show "stage 2: --qtensor-decompose-linear (the seed's t + mm + scale)" "$work/stage2.mlir"
"$opt" --qtensor-fuse-mixed-matmul "$work/stage2.mlir" -o "$work/stage3.mlir"
show "stage 3: --qtensor-fuse-mixed-matmul" "$work/stage3.mlir"
"$opt" --qtensor-extract-parameters "$work/stage3.mlir" -o "$work/params.mlir"
show "parameters: --qtensor-extract-parameters" "$work/params.mlir"
