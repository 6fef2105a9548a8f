"""Writes a stage-0 module and the FileCheck lines its quantized weights must match.

    python3 seed_quantize_ir.py DIR

DIR/input.mlir has a function whose weights (random rows, and the crafted edge
rows of seed_quantize.py) reach a `qtensor.linear` and, stored transposed, a
`linalg.matmul`; DIR/expected.txt holds CHECK lines with the bytes of the data
and scale blobs that `--qtensor-quantize-weights` must produce: the seed's
`int8_symmetric_quantize` run by PyTorch (see seed_quantize.py).
"""

import sys
from pathlib import Path

import torch

from seed_quantize import edge_rows, reference_quantize


def hex_bytes(tensor: torch.Tensor) -> str:
    raw = tensor.contiguous().view(-1).view(torch.uint8).numpy().tobytes()
    return raw.hex().upper()


def dense_hex(tensor: torch.Tensor) -> str:
    return f'dense<"0x{hex_bytes(tensor)}">'


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(7)
    cols = 97
    w1 = torch.randn(40, cols) * torch.logspace(-3, 3, 40).view(-1, 1)
    w2 = edge_rows(cols)  # [11, 97]
    n1, n2 = w1.shape[0], w2.shape[0]

    module = f"""
func.func @forward(%x: tensor<5x{cols}xf32>) -> (tensor<5x{n1}xf32>, tensor<5x{n2}xf32>) {{
  %w1 = arith.constant {dense_hex(w1)} : tensor<{n1}x{cols}xf32> loc("random.weight")
  %y1 = qtensor.linear %x, %w1 : tensor<5x{cols}xf32>, tensor<{n1}x{cols}xf32> -> tensor<5x{n1}xf32>
  %w2t = arith.constant {dense_hex(w2.t().contiguous())} : tensor<{cols}x{n2}xf32> loc("edge.weight")
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<5x{n2}xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<5x{n2}xf32>) -> tensor<5x{n2}xf32>
  %y2 = linalg.matmul ins(%x, %w2t : tensor<5x{cols}xf32>, tensor<{cols}x{n2}xf32>)
                      outs(%init : tensor<5x{n2}xf32>) -> tensor<5x{n2}xf32>
  return %y1, %y2 : tensor<5x{n1}xf32>, tensor<5x{n2}xf32>
}}
"""
    (out / "input.mlir").write_text(module)

    checks = ["CHECK-LABEL: func.func @forward", "CHECK-NOT: linalg.matmul"]
    blobs = []
    for name, weights in (("random.weight", w1), ("edge.weight", w2)):
        data, scale = reference_quantize(weights)
        blobs.append(f'CHECK-DAG: {name}.data: "0x08000000{hex_bytes(data)}"')
        blobs.append(f'CHECK-DAG: {name}.scale: "0x08000000{hex_bytes(scale)}"')
    checks.append("CHECK: dialect_resources")
    (out / "expected.txt").write_text("\n".join(checks + blobs) + "\n")


if __name__ == "__main__":
    main()
