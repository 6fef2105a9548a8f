#!/usr/bin/env bash
# Packs everything bench/gpu_check.sh needs on a GPU machine into one folder
# (default build/gpu-check, under 60 MB): qtensor-exec and the light and CUDA
# runtime libraries from the build, CUDA artifacts compiled here for sm_90
# (the ToyModel with its weights; 4096x4096 and 4096x11008 layers in fp32 and
# bf16 without weights: gpu_check.py makes them there from a seed; again with
# 2 and 4 columns per split-K warp, for M = 1), and the scripts. Needs a build (scripts/test.sh or cmake --build build) and the
# CUDA toolkit for cubins (PTX alone otherwise).
#
#   [QTENSOR_GPU_CHECK_CHIP=sm_90] [QTENSOR_GPU_CHECK_BINARY=auto|isa|fatbin]
#   bench/make_gpu_check.sh [BUILD_DIR] [OUT_DIR]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
out=${2:-$build/gpu-check}
python=/usr/bin/python3
chip=${QTENSOR_GPU_CHECK_CHIP:-sm_90}
# fatbin (cubin + PTX) where the toolkit is; isa (PTX, which the fake
# driver of the tests can read) on request.
binary=${QTENSOR_GPU_CHECK_BINARY:-auto}

for tool in qtensor-compile qtensor-exec; do
  [[ -x "$build/bin/$tool" ]] || { echo "error: $build/bin/$tool not built" >&2; exit 2; }
done

rm -rf "$out"
mkdir -p "$out/bin" "$out/lib" "$out/artifacts" "$out/models"
cp "$build/bin/qtensor-exec" "$out/bin/"
cp "$build/lib/libQTensorLightRuntime.so" "$build/lib/libQTensorCudaRuntime.so" "$out/lib/"
cp "$root/bench/gpu_check.sh" "$root/bench/gpu_check.py" "$out/"

# The models: the seed's ToyModel, and one bias-free linear per layer shape
# and activation dtype (their weights do not travel: --no-weights).
"$python" "$root/examples/toy_model.py" "$out/models/toy.pt" > /dev/null
"$python" - "$out/models" <<'PY'
import sys
from pathlib import Path
import torch
out = Path(sys.argv[1])
for k, n in ((4096, 4096), (4096, 11008)):
    for dtype, name in ((torch.float32, "f32"), (torch.bfloat16, "bf16")):
        layer = torch.nn.Sequential(torch.nn.Linear(k, n, bias=False)).eval()
        layer = layer.to(dtype)
        torch.jit.script(layer).save(str(out / f"linear_{k}x{n}_{name}.pt"))
PY

"$build/bin/qtensor-compile" "$out/models/toy.pt" --input-shape '?x64' \
  --target "cuda:$chip" --gpu-binary "$binary" -o "$out/artifacts/toy_f32.qta"
for shape in 4096x4096 4096x11008; do
  for dtype in f32 bf16; do
    "$build/bin/qtensor-compile" "$out/models/linear_${shape}_${dtype}.pt" \
      --input-shape "?x${shape%x*}" --input-dtype "$dtype" \
      --target "cuda:$chip" --gpu-binary "$binary" --no-weights \
      -o "$out/artifacts/linear_${shape}_${dtype}.qta"
  done
done
# The same layers with 2 and 4 output columns per split-K warp, timed at
# M = 1 next to the default (one column) to choose it on the GPU.
for columns in 2 4; do
  for shape in 4096x4096 4096x11008; do
    for dtype in f32 bf16; do
      "$build/bin/qtensor-compile" "$out/models/linear_${shape}_${dtype}.pt" \
        --input-shape "?x${shape%x*}" --input-dtype "$dtype" \
        --target "cuda:$chip" --gpu-binary "$binary" --no-weights \
        --gpu-kernel-options "splitk-columns=$columns" \
        -o "$out/artifacts/linear_${shape}_${dtype}_c${columns}.qta"
    done
  done
done
# The layer models' weights are not needed there (the manifests say what
# the parameters are); the ToyModel's .pt is, for its reference.
rm -f "$out"/models/linear_*.pt

size=$(du -sm "$out" | cut -f1)
echo "packed $out: ${size} MB"
if ((size >= 60)); then
  echo "error: $out is ${size} MB, over the 60 MB the device check allows" >&2
  exit 1
fi
