#!/usr/bin/env bash
# The device check, run on a GPU machine from the folder that
# bench/make_gpu_check.sh packs (it copies this script there):
#
#   ./gpu_check.sh [--quick]
#
# Needs a CUDA driver, Python 3 with PyTorch (CUDA) and NumPy; nothing of
# qtensor's build. Prints one table (docs/performance.md, "GPU") and ends
# with "gpu_check: N s". Exit status: 0 all outputs match, 1 a mismatch or
# error, 2 no GPU or an incomplete folder.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
for needed in bin/qtensor-exec lib/libQTensorLightRuntime.so \
              lib/libQTensorCudaRuntime.so gpu_check.py artifacts/toy_f32.qta; do
  if [[ ! -e "$here/$needed" ]]; then
    echo "error: $here/$needed is missing: run bench/gpu_check.sh from the" \
         "folder bench/make_gpu_check.sh writes" >&2
    exit 2
  fi
done
python=${PYTHON:-python3}
if ! "$python" -c "import torch, numpy" 2>/dev/null; then
  echo "error: $python cannot import torch and numpy" >&2
  exit 2
fi
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,clocks.max.mem \
  --format=csv,noheader 2>/dev/null || true
exec "$python" "$here/gpu_check.py" "$@"
