#!/usr/bin/env bash
# The main job: sets up the machine, builds qtensor, compiles the seed's
# ToyModel(64, 128, 32) stage by stage, runs the compiled code and checks it
# against the seed's own quantizer and mm formula run by PyTorch.
#
# Environment: QTENSOR_BUILD_DIR (default: build/ in the source tree).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${QTENSOR_BUILD_DIR:-$root/build}

"$root/scripts/setup.sh"
cmake -S "$root" -B "$build" -G Ninja
cmake --build "$build"

opt="$build/bin/qtensor-opt"
work="$build/demo"
rm -rf "$work"
mkdir -p "$work"
elide=(--mlir-elide-resource-strings-if-larger=32 --mlir-elide-elementsattrs-if-larger=8)

stage() {
  echo
  echo "== $1 =="
}

# Stage 0: the ToyModel as the importer emits it (float weights, named).
/usr/bin/python3 "$root/test/Integration/make_model_case.py" toy "$work"
stage "stage 0: ToyModel(64, 128, 32), float weights"
"$opt" "${elide[@]}" "$work/forward.mlir" | sed -n '/func.func @forward/,/^  }/p'

stage "stage 1: --qtensor-quantize-weights (int8 data + f32 scale, bit-exact with the seed)"
"$opt" --qtensor-quantize-weights "$work/forward.mlir" -o "$work/stage1.mlir"
"$opt" "${elide[@]}" "$work/stage1.mlir" | sed -n '/func.func @forward/,/^  }/p'

stage "stage 2: --qtensor-decompose-linear (the seed's t + mm + scale)"
"$opt" --qtensor-decompose-linear "$work/stage1.mlir" -o "$work/stage2.mlir"
"$opt" "${elide[@]}" "$work/stage2.mlir" | sed -n '/func.func @forward/,/^  }/p'

stage "stage 3: --qtensor-fuse-int8-matmul (one kernel per linear)"
"$opt" --qtensor-fuse-int8-matmul "$work/stage2.mlir" -o "$work/stage3.mlir"
"$opt" "${elide[@]}" "$work/stage3.mlir" | sed -n '/func.func @forward/,/^  }/p'

stage "parameters: --qtensor-extract-parameters (weights leave the code)"
"$opt" --qtensor-extract-parameters "$work/stage3.mlir" -o "$work/params.mlir"
"$opt" "${elide[@]}" "$work/params.mlir" | sed -n '/func.func @forward/,/^  }/p'

stage "LLVM dialect: --qtensor-cpu-pipeline"
"$opt" --qtensor-cpu-pipeline "$work/forward.mlir" -o "$work/forward.llvm.mlir"
echo "$(grep -c 'llvm.intr.fmuladd' "$work/forward.llvm.mlir") vector FMAs," \
     "$(wc -l < "$work/forward.llvm.mlir") lines: $work/forward.llvm.mlir"

stage "run: fused and unfused programs under mlir-runner vs the seed's oracle"
runner=(/usr/lib/llvm-22/bin/mlir-runner -e main -entry-point-result=void
        -shared-libs=/usr/lib/llvm-22/lib/libmlir_runner_utils.so,/usr/lib/llvm-22/lib/libmlir_c_runner_utils.so)
"$opt" --qtensor-cpu-pipeline="parameters=false" "$work/model.mlir" | "${runner[@]}" > "$work/fused.txt"
"$opt" --qtensor-cpu-pipeline="parameters=false fuse=false" "$work/model.mlir" | "${runner[@]}" > "$work/unfused.txt"
/usr/bin/python3 "$root/test/Integration/check_output.py" "$work/expected.npz" \
  "$work/fused.txt" "$work/unfused.txt"
