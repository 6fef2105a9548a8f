"""The device check's folder, exercised on the fake CUDA driver.

Usage: check-gpu-check-package.py PACKAGE_DIR FAKE_LIBCUDA

bench/make_gpu_check.sh packs PACKAGE_DIR for a GPU machine; this runs, on
the build machine, the parts of gpu_check.py that do not need a GPU, with
its own functions: the folder is complete and under 60 MB, each artifact's
manifest names its parameters, weights drawn and quantized as there are
written in the manifest's layout, and qtensor-exec (from the folder, with
its libraries) runs every artifact on the fake driver with those weights,
giving results of the right shape and dtype and the three timing lines the
check parses; the transformer artifacts run on their inputs next to the
module-swap oracle. The fake runs no kernels: values are checked on a GPU only.
"""

import json
import os
import sys
import tempfile
from pathlib import Path

import torch

package, fake = Path(sys.argv[1]), sys.argv[2]
sys.path.insert(0, str(package))
import gpu_check  # noqa: E402  (the packed copy)

# Without a GPU, "device" tensors stay on the CPU.
torch.Tensor.cuda = lambda self, *args, **kwargs: self
os.environ["QTENSOR_CUDA_DRIVER"] = fake

size = sum(f.stat().st_size for f in package.rglob("*") if f.is_file())
assert size < 60 * 2**20, f"package is {size / 2**20:.1f} MB"
print(f"package: {size / 2**20:.1f} MB")

work = Path(tempfile.mkdtemp(prefix="qtensor-gpu-check-package-"))
torch.manual_seed(0)
checked = 0
for artifact in sorted((package / "artifacts").iterdir()):
    manifest = json.loads((artifact / "manifest.json").read_text())
    dtype = {"f32": torch.float32, "bf16": torch.bfloat16}[
        manifest["inputs"][0]["dtype"]]
    k = manifest["inputs"][0]["shape"][-1]
    weights = None
    if not (artifact / "weights.bin").exists():
        names = [p["name"] for p in manifest["parameters"]]
        data = next(n for n in names if n.endswith(".weight.data"))
        scale = data[:-len("data")] + "scale"
        n = next(p["shape"][0] for p in manifest["parameters"]
                 if p["name"] == data)
        w_int8, w_scale = gpu_check.int8_symmetric_quantize(
            (torch.randn(n, k) * 0.02).to(dtype))
        weights = work / f"{artifact.name}.bin"
        gpu_check.write_weights(manifest, {data: w_int8, scale: w_scale},
                                weights)
    for m in (1, 16):
        x = torch.randn(m, k).to(dtype)
        y, times = gpu_check.run_qtensor(artifact, x, weights, work, 2)
        # The last layer's weight rows (the ToyModel's linear2).
        n_out = [p["shape"][0] for p in manifest["parameters"]
                 if p["name"].endswith(".weight.data")][-1]
        assert tuple(y.shape) == (m, n_out), (artifact.name, y.shape)
        assert y.dtype == dtype, (artifact.name, y.dtype)
        for row, ms in times.items():
            assert isinstance(ms, float) and ms >= 0, (artifact.name, row, ms)
        checked += 1
    print(f"{artifact.name}: {manifest['target']} "
          f"{manifest.get('gpu_binary', '')} ran, rows {sorted(times)}")

# The option variants' rows, as gpu_check.py makes them (the 4096x4096
# layer): each variant artifact runs, its row names the options and carries
# a time and a correctness note (a mismatch on the fake, which computes
# nothing), never an ERROR.
rows = []
for name, dtype in (("f32", torch.float32), ("bf16", torch.bfloat16)):
    weight = (torch.randn(4096, 4096) * 0.02).to(dtype)
    w_int8, w_scale = gpu_check.int8_symmetric_quantize(weight)
    for m in sorted(gpu_check.VARIANTS):
        x = torch.randn(m, 4096).to(dtype)
        gpu_check.variant_rows(lambda *fields: rows.append(fields), work,
                               "4096x4096", name, m, x,
                               (weight, w_int8, w_scale))
for layer, dtype, m, impl, ms, weight_bytes, note in rows:
    assert impl.startswith("qtensor ") and "=" in impl, impl
    assert ms > 0 and weight_bytes == 4096 * 4096, (impl, ms, weight_bytes)
    assert not note.startswith("ERROR") and "max_abs_diff" in note, note
    checked += 1
print("variant rows: " + "; ".join(f"{r[1]} M={r[2]} {r[3]}" for r in rows))

# The transformer rows, as gpu_check.py makes them: each artifact runs on
# its input with the weights it carries, and the module-swap oracle runs in
# PyTorch; the qtensor row carries a time and a correctness note, never an
# ERROR (the eager GPU baseline cannot run here).
transformer = []
gpu_check.transformer_rows(
    lambda *fields: transformer.append(("row",) + fields),
    lambda *fields: transformer.append(("qtensor",) + fields), work)
for kind, name, *fields in transformer:
    if kind == "qtensor":
        times, note = fields[2], fields[4]
        assert "max_abs_diff" in note and "inf" not in note, (name, note)
        assert all(isinstance(ms, float) for ms in times.values()), times
        checked += 1
assert checked and sum(kind == "qtensor" for kind, *_ in transformer) == len(
    gpu_check.TRANSFORMERS), transformer
print("transformer rows: " + "; ".join(r[1] for r in transformer if r[0] == "qtensor"))
print(f"gpu-check package: {checked} runs on the fake driver")
