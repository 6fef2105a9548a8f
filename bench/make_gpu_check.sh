#!/usr/bin/env bash
# Packs everything bench/gpu_check.sh needs on a GPU machine into one folder
# (default build/gpu-check, under 60 MB): qtensor-exec and the light and CUDA
# runtime libraries from the build, CUDA artifacts compiled here for sm_90
# (the ToyModel with its weights; 4096x4096 and 4096x11008 layers in fp32 and
# bf16 without weights: gpu_check.py makes them there from a seed; again with
# other kernel options, gpu_check.py's VARIANTS; small transformer models
# with their weights), and the scripts. Needs a
# build (scripts/test.sh or cmake --build build) and the CUDA toolkit for
# cubins (PTX alone otherwise).
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
# The same layers with other kernel options, timed next to the defaults
# (gpu_check.py's VARIANTS): 2 and 4 columns per split-K warp (M = 1), and
# 1 and 2 rows per thread in the tiled kernel (fp32, M = 16; bf16 runs the
# tensor-core kernel there).
variant() { # suffix options shape dtype
  "$build/bin/qtensor-compile" "$out/models/linear_${3}_${4}.pt" \
    --input-shape "?x${3%x*}" --input-dtype "$4" \
    --target "cuda:$chip" --gpu-binary "$binary" --no-weights \
    --gpu-kernel-options "$2" -o "$out/artifacts/linear_${3}_${4}_${1}.qta"
}
for shape in 4096x4096 4096x11008; do
  for dtype in f32 bf16; do
    variant c2 splitk-columns=2 "$shape" "$dtype"
    variant c4 splitk-columns=4 "$shape" "$dtype"
  done
  variant t1 tile-m=1 "$shape" f32
  variant t2 tile-m=2 "$shape" f32
done
# Transformer models (traced nanoGPT- and Llama-style decoders, fp32 and
# bf16, and nn.TransformerEncoder's fused fast path, small): artifacts with
# their weights, the .pt files for the references, the module-swap oracle
# and the models' Python source (torch.compile's baseline).
mkdir -p "$out/transformers"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
"$python" "$root/test/Importer/make_transformer_models.py" "$scratch" > /dev/null 2>&1
# The decoders again with bf16 weights (the traced graphs, cast).
"$python" - "$scratch" <<'PY'
import sys
import torch
for name in ("gpt_traced", "llama_traced"):
    model = torch.jit.load(f"{sys.argv[1]}/{name}.pt").eval()
    model.to(torch.bfloat16).save(f"{sys.argv[1]}/{name}_bf16.pt")
PY
for spec in gpt_traced:1x16:i64 llama_traced:1x16x64:f32 encoder_fast:1x16x64:f32 \
            gpt_traced_bf16:1x16:i64 llama_traced_bf16:1x16x64:bf16; do
  IFS=: read -r model shape dtype <<< "$spec"
  cp "$scratch/$model.pt" "$out/transformers/"
  "$build/bin/qtensor-compile" "$out/transformers/$model.pt" \
    --input-shape "$shape:$dtype" --target "cuda:$chip" --gpu-binary "$binary" \
    -o "$out/transformers/$model.qta"
done
cp "$root/test/reference/module_swap.py" "$root/test/reference/seed_quantize.py" "$out/"
# The models' Python modules, for the torch.compile baseline.
cp "$root/test/Importer/make_transformer_models.py" "$out/"
# The layer models' weights are not needed there (the manifests say what
# the parameters are); the ToyModel's .pt is, for its reference.
rm -f "$out"/models/linear_*.pt

size=$(du -sm "$out" | cut -f1)
echo "packed $out: ${size} MB"
if ((size >= 60)); then
  echo "error: $out is ${size} MB, over the 60 MB the device check allows" >&2
  exit 1
fi
