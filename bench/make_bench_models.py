"""Writes the benchmark's TorchScript models, from a fixed seed.

    python3 make_bench_models.py OUTDIR KxN [KxN ...]

For each layer shape: linear_KxN.pt, one bias-free nn.Linear(K, N) (float
weights, the model qtensor compiles and the LibTorch fp32 baselines run),
and linear_KxN_dynamic.pt, the same layer through
torch.ao.quantization.quantize_dynamic (LibTorch's dynamically quantized
int8 Linear). Also toy.pt, the seed's ToyModel(64, 128, 32).
"""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
from toy_model import ToyModel  # noqa: E402

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
torch.manual_seed(0)
for spec in sys.argv[2:]:
    k, n = (int(v) for v in spec.split("x"))
    path = out / f"linear_{k}x{n}.pt"
    dynamic_path = out / f"linear_{k}x{n}_dynamic.pt"
    if path.exists() and dynamic_path.exists():
        continue
    layer = torch.nn.Sequential(torch.nn.Linear(k, n, bias=False)).eval()
    with torch.no_grad():
        layer[0].weight.normal_(0.0, 0.02)
    torch.jit.script(layer).save(str(path))
    dynamic = torch.ao.quantization.quantize_dynamic(
        layer, {torch.nn.Linear}, dtype=torch.qint8)
    torch.jit.script(dynamic).save(str(dynamic_path))
toy = out / "toy.pt"
if not toy.exists():
    torch.jit.script(ToyModel(64, 128, 32).eval()).save(str(toy))
