"""The seed's int8 weight quantizer, run by PyTorch on the CPU: the oracle.

`int8_symmetric_quantize` below is copied verbatim from the seed tutorial
(shared/seed/subclass_basic.zh.md). qtensor's quantizer must reproduce its
output bit for bit, except on rows where the seed's own arithmetic breaks:
where `1.0 / scale` is not finite (an all-zero row, or denormals only) the seed
yields NaN scales and an undefined int8 cast, and qtensor defines q = 0 and
scale = the smallest normal value of the float type (docs/dialect.md).

    python3 seed_quantize.py --out DIR

writes DIR/cases.txt, one line per case: `name dtype rows cols`, and for each
case the raw little-endian files name.w (weights, dtype), name.q (int8 data)
and name.s (scales, dtype). Used by test/unit/Int8SymmetricQuantizerTest.cpp.
"""

import argparse
from pathlib import Path
from typing import Tuple

import torch


# ---- verbatim from the seed ----------------------------------------------
def int8_symmetric_quantize(
    fp32_tensor: torch.Tensor,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """
    Symmetrically quantize the torch.float32 tensor into torch.int8.
    Return a 2-tuple of (quantized value, scale).
    input: dimensions=[M, N], dtype=torch.float32
    output: dimensions=[M, N], dtype=torch.int8
    scale: dimensions=[M, 1], dtype=torch.float32
    """
    quant_min = -128
    quant_max = 127
    min_val = torch.amin(fp32_tensor, dim=[1], keepdim=False)
    max_val = torch.amax(fp32_tensor, dim=[1], keepdim=False)
    min_val_neg = torch.min(min_val, torch.zeros_like(min_val))
    max_val_pos = torch.max(max_val, torch.zeros_like(max_val))
    max_val_pos = torch.max(-min_val_neg, max_val_pos)
    scale = max_val_pos / (float(quant_max - quant_min) / 2)
    scale = scale.view(fp32_tensor.shape[0], -1)
    out = torch.round(fp32_tensor * (1.0 / scale))
    out = torch.clamp(out, quant_min, quant_max).to(torch.int8)
    return out, scale
# ---------------------------------------------------------------------------


def reference_quantize(weights: torch.Tensor):
    """The seed's quantizer plus qtensor's definition for its broken rows."""
    data, scale = int8_symmetric_quantize(weights)
    broken = ~torch.isfinite(1.0 / scale).view(-1)
    data[broken] = 0
    scale[broken] = torch.finfo(weights.dtype).tiny
    return data, scale


def emulated_reduced_quantize(weights: torch.Tensor):
    """The seed's formula with each op rounded to the weights' type."""
    dtype = weights.dtype
    w = weights.float()
    amax = torch.max(-torch.min(w.amin(dim=1), torch.zeros(1)),
                     torch.max(w.amax(dim=1), torch.zeros(1)))
    scale = (amax / 127.5).to(dtype).float().view(-1, 1)
    inverse = (1.0 / scale).to(dtype).float()
    data = torch.clamp(torch.round((w * inverse).to(dtype).float()), -128, 127)
    data = data.to(torch.int8)
    broken = ~torch.isfinite(inverse).view(-1)
    data[broken] = 0
    scale[broken] = torch.finfo(dtype).tiny
    return data, scale.to(dtype)


def edge_rows(cols: int) -> torch.Tensor:
    """Rows crafted to hit every branch of the arithmetic (float32)."""
    rows = []
    # Exact .5 ties: amax 127.5 gives scale 1.0, so w * (1/scale) == w.
    ties = torch.tensor([127.5, -127.5, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5,
                         126.5, -126.5, 3.5, 4.5])
    rows.append(ties.repeat(cols // len(ties) + 1)[:cols])
    # Ties at another power-of-two scale (scale 0.25).
    rows.append(ties.repeat(cols // len(ties) + 1)[:cols] * 0.25)
    rows.append(torch.zeros(cols))                            # all zeros
    rows.append(torch.full((cols,), 1e-40))                   # denormals only
    rows.append(torch.linspace(-1e-39, 1e-39, cols))          # denormals, signs
    denormal_and_normal = torch.full((cols,), 1e-41)
    denormal_and_normal[cols // 2] = 1e-30
    rows.append(denormal_and_normal)                          # tiny but valid
    rows.append(torch.linspace(-1.0, 1.0, cols) * 3.4e38)     # huge values
    rows.append(-torch.rand(cols) * 7.0)                      # negative only
    rows.append(torch.rand(cols) * 1e-20)                     # tiny normals
    one_hot = torch.zeros(cols)
    one_hot[3] = -2.0                                         # -128 from -amax
    rows.append(one_hot)
    rows.append(torch.full((cols,), -0.0))                    # negative zeros
    return torch.stack(rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    torch.manual_seed(20261128)
    generator = torch.Generator().manual_seed(20261128)
    cols = 97
    random_rows = torch.randn(64, cols, generator=generator)
    # Scales spread over many binades.
    spread = random_rows * torch.logspace(-30, 30, 64).view(-1, 1)
    cases = {
        "random_f32": random_rows,
        "spread_f32": spread.to(torch.float32),
        "edge_f32": edge_rows(cols),
        "toy_linear1_f32": torch.nn.Linear(64, 128, bias=False).weight.detach(),
    }
    # Reduced-precision weights, where PyTorch supports the ops on the CPU.
    for dtype, suffix in ((torch.bfloat16, "bf16"), (torch.float16, "f16")):
        try:
            int8_symmetric_quantize(random_rows.to(dtype))
        except RuntimeError as error:
            print(f"seed_quantize: skipping {suffix}: {error}")
            continue
        cases[f"random_{suffix}"] = (random_rows * 3).to(dtype)
        cases[f"small_{suffix}"] = (random_rows * 1e-3).to(dtype)
        edge = torch.stack([
            torch.zeros(cols), torch.full((cols,), 1e-3), torch.linspace(-4, 4, cols),
        ]).to(dtype)
        cases[f"edge_{suffix}"] = edge

    # torch 1.13 has no CPU round for float16, so the seed cannot run on f16
    # weights. The reference there is the rule PyTorch's CPU kernels follow
    # for reduced types, checked above against the real kernels for bf16:
    # each op computed in float32, its result rounded to the weight's type.
    if "random_f16" not in cases:
        for name, scale_by in (("random_f16", 3.0), ("small_f16", 1e-3)):
            cases[name] = (random_rows * scale_by).to(torch.float16)

    names = {torch.float32: "f32", torch.float16: "f16", torch.bfloat16: "bf16"}
    lines = []
    for name, weights in cases.items():
        weights = weights.contiguous()
        if not torch.isfinite(weights).all():
            raise SystemExit(f"seed_quantize: case {name} has non-finite weights")
        if weights.dtype == torch.float16:
            data, scale = emulated_reduced_quantize(weights)
        else:
            data, scale = reference_quantize(weights)
        if weights.dtype == torch.bfloat16:
            # The emulation used for f16 must agree with the real kernels.
            emulated = emulated_reduced_quantize(weights)
            if not (torch.equal(emulated[0], data) and torch.equal(emulated[1], scale)):
                raise SystemExit(f"seed_quantize: per-op emulation differs from "
                                 f"PyTorch on {name}")
        rows, cols_ = weights.shape
        lines.append(f"{name} {names[weights.dtype]} {rows} {cols_}")
        # Raw bytes through a uint8 view: numpy has no bfloat16.
        for suffix, tensor in (("w", weights), ("q", data), ("s", scale)):
            raw = tensor.contiguous().view(-1).view(torch.uint8).numpy().tobytes()
            (args.out / f"{name}.{suffix}").write_bytes(raw)
    (args.out / "cases.txt").write_text("\n".join(lines) + "\n")
    print(f"seed_quantize: wrote {len(lines)} cases to {args.out}")


if __name__ == "__main__":
    main()
