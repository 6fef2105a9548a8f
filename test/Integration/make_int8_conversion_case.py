"""Writes a model whose outputs are its int8 weights, converted to f32.

    python3 make_int8_conversion_case.py K OUT_DIR

OUT_DIR/model.mlir holds @forward, one qtensor.fused_int8_matmul with an
[N, K] int8 weight, N = ceil(256 / K), whose entries run through all 256
int8 values (w[n, k] = (n K + k) mod 256 - 128), scale 1, and @main,
which calls it on the K x K identity and prints the result: y[m, n] =
float(w[n, m]). OUT_DIR/expected.npz holds that result as integers, so
check_output.py requires every value to be exact.
"""

import sys
from pathlib import Path

import numpy as np


def dense(array, dtype):
    rows = ", ".join("[" + ", ".join(dtype(v) for v in row) + "]" for row in array)
    return f"dense<[{rows}]>"


def main():
    k, out = int(sys.argv[1]), Path(sys.argv[2])
    n = -(-256 // k)
    weight = ((np.arange(n * k) % 256) - 128).reshape(n, k)
    identity = np.eye(k)
    out.mkdir(parents=True, exist_ok=True)
    (out / "model.mlir").write_text(f"""\
func.func @forward(%x: tensor<?x{k}xf32>) -> tensor<?x{n}xf32> {{
  %w = arith.constant {dense(weight, str)} : tensor<{n}x{k}xi8>
  %s = arith.constant dense<1.0> : tensor<{n}x1xf32>
  %y = qtensor.fused_int8_matmul %x, %w, %s : tensor<?x{k}xf32>, tensor<{n}x{k}xi8>, tensor<{n}x1xf32> -> tensor<?x{n}xf32>
  return %y : tensor<?x{n}xf32>
}}
func.func private @printMemrefF32(tensor<*xf32>)
func.func @main() {{
  %x = arith.constant {dense(identity, lambda v: f"{v:.1f}")} : tensor<{k}x{k}xf32>
  %d = tensor.cast %x : tensor<{k}x{k}xf32> to tensor<?x{k}xf32>
  %y = func.call @forward(%d) : (tensor<?x{k}xf32>) -> tensor<?x{n}xf32>
  %u = tensor.cast %y : tensor<?x{n}xf32> to tensor<*xf32>
  func.call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}}
""")
    np.savez(out / "expected.npz", result_0=weight.T.astype(np.int64))


if __name__ == "__main__":
    main()
