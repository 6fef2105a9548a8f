"""Checks a bf16 model's result: computed in f32, rounded once to bf16.

    python3 check_bf16.py inputs OUTDIR SHAPE [SHAPE ...]
    python3 check_bf16.py compare MODEL.pt Y.npy X.npy [X.npy ...]
    python3 check_bf16.py sqnr MIN_DB MODEL.pt Y.npy X.npy [X.npy ...]
    python3 check_bf16.py same Y.npy Y.npy [Y.npy ...]

`inputs` writes OUTDIR/x0.npy, x1.npy, ...: seeded random bf16 tensors of
the given shapes ("8x64") as their bits (uint16), the form qtensor-run
reads. `compare` runs MODEL.pt eagerly on those inputs widened to f32,
rounds its result to bf16 once, and checks qtensor-run's first result
(Y.npy, float32) element by element against it. That is how PyTorch 2's
CPU kernels and every GPU kernel compute a bf16 matmul, sum, mean, softmax
or layer_norm (f32 accumulation, one rounding), and how qtensor does; two
f32 results that differ in their last bits may round to neighbouring bf16
values, so each element may differ by one bf16 unit in the last place of
the larger of the two. Debian's torch 1.13 is no reference here: its bf16
matmul rounds the sum to bf16 after every product (0.44 off on this test's
8x64 @ 64x16) and its bf16 layer_norm rounds its intermediates. A result
accumulated in bf16 misses by several units. Exits 1 on a miss.
"""

import sys

import numpy as np
import torch


def to_bits(tensor):
    return tensor.contiguous().view(torch.int16).numpy().view(np.uint16)


def from_npy(array):
    """A bf16 tensor from its bits (uint16) or from float32 values (what
    qtensor-run writes for a bf16 result: exact)."""
    if array.dtype == np.uint16:
        return torch.from_numpy(array.view(np.int16)).view(torch.bfloat16)
    return torch.from_numpy(array).to(torch.bfloat16)


def ulp(values):
    """bf16's unit in the last place at |values| (8 significant bits)."""
    magnitude = values.abs().clamp(min=torch.finfo(torch.bfloat16).tiny)
    return torch.pow(2.0, torch.floor(torch.log2(magnitude)) - 7)


def main():
    if sys.argv[1] == "inputs":
        torch.manual_seed(0)
        for i, shape in enumerate(sys.argv[3:]):
            x = torch.randn(*[int(d) for d in shape.split("x")]).to(torch.bfloat16)
            np.save(f"{sys.argv[2]}/x{i}.npy", to_bits(x))
        return 0
    if sys.argv[1] == "same":
        results = [from_npy(np.load(path)) for path in sys.argv[2:]]
        same = all(torch.equal(results[0].view(torch.int16), r.view(torch.int16))
                   for r in results[1:])
        print(f"{len(results)} results {'the same' if same else 'DIFFER'}")
        return 0 if same else 1
    if sys.argv[1] == "sqnr":
        model = torch.jit.load(sys.argv[3]).eval().float()
        inputs = [from_npy(np.load(path)).float() for path in sys.argv[5:]]
        with torch.no_grad():
            reference = model(*inputs).float()
        ours = from_npy(np.load(sys.argv[4])).float()
        noise = (ours - reference).pow(2).sum().item()
        sqnr = 10 * np.log10(reference.pow(2).sum().item() / max(noise, 1e-30))
        print(f"SQNR vs the float model: {sqnr:.1f} dB (at least {sys.argv[2]})")
        return 0 if ours.shape == reference.shape and sqnr >= float(sys.argv[2]) else 1
    model = torch.jit.load(sys.argv[2]).eval()
    inputs = [from_npy(np.load(path)) for path in sys.argv[4:]]
    with torch.no_grad():
        reference = model(*[x.float() for x in inputs])
    reference = reference.to(torch.bfloat16).float()
    ours = from_npy(np.load(sys.argv[3])).float()
    if ours.shape != reference.shape:
        print(f"shape {tuple(ours.shape)} != {tuple(reference.shape)}")
        return 1
    bound = torch.maximum(ulp(reference), ulp(ours))
    error = (ours - reference).abs()
    misses = int((error > bound).sum())
    print(f"bf16 vs f32 rounded once: {misses} of {ours.numel()} elements more than one "
          f"bf16 ulp apart, max_abs_err={error.max().item():.3e}")
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
