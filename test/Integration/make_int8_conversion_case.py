"""Writes a model whose outputs are its int8 weights, converted to float.

    python3 make_int8_conversion_case.py K OUT_DIR [--rows M] [--dtype f32|f16|bf16]

OUT_DIR/model.mlir holds @forward, one qtensor.fused_mixed_matmul with an
[N, K] int8 weight, N = ceil(256 / K), whose entries run through all 256
int8 values (w[n, k] = (n K + k) mod 256 - 128), scale 1, activations and
results of DTYPE, and @main, which calls it on K / M inputs of M rows (M
divides K, default K), call c's row m one-hot at column c M + m, and prints
each result widened to f32: y[m, n] = float(w[n, c M + m]).
OUT_DIR/expected.npz holds those results as integers, so check_output.py
requires every value to be exact (int8 values are exact in f16 and bf16).
"""

import argparse
from pathlib import Path

import numpy as np


def dense(array):
    rows = ", ".join("[" + ", ".join(str(v) for v in row) + "]" for row in array)
    return f"dense<[{rows}]>"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("k", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--rows", type=int)
    parser.add_argument("--dtype", default="f32", choices=("f32", "f16", "bf16"))
    args = parser.parse_args()
    k, t, m = args.k, args.dtype, args.rows or args.k
    assert k % m == 0, "the rows per call must divide K"
    n = -(-256 // k)
    weight = ((np.arange(n * k) % 256) - 128).reshape(n, k)
    lines = [
        f"func.func @forward(%x: tensor<?x{k}x{t}>) -> tensor<?x{n}x{t}> {{",
        f"  %w = arith.constant {dense(weight)} : tensor<{n}x{k}xi8>",
        f"  %s = arith.constant dense<1.0> : tensor<{n}x1x{t}>",
        f"  %y = qtensor.fused_mixed_matmul %x, %w, %s : tensor<?x{k}x{t}>, "
        f"tensor<{n}x{k}xi8>, tensor<{n}x1x{t}> -> tensor<?x{n}x{t}>",
        f"  return %y : tensor<?x{n}x{t}>",
        "}",
        "func.func private @printMemrefF32(tensor<*xf32>)",
        "func.func @main() {",
    ]
    expected = {}
    for call in range(k // m):
        x = np.zeros((m, k), dtype=np.int64)
        x[np.arange(m), call * m + np.arange(m)] = 1
        lines.append(f"  %x{call} = arith.constant {dense(x.astype(float))} "
                     f": tensor<{m}x{k}x{t}>")
        lines += [
            f"  %d{call} = tensor.cast %x{call} : tensor<{m}x{k}x{t}> to tensor<?x{k}x{t}>",
            f"  %y{call} = func.call @forward(%d{call}) : (tensor<?x{k}x{t}>) -> tensor<?x{n}x{t}>",
        ]
        result = f"%y{call}"
        if t != "f32":
            lines.append(f"  %f{call} = arith.extf %y{call} : tensor<?x{n}x{t}> to tensor<?x{n}xf32>")
            result = f"%f{call}"
        lines += [
            f"  %u{call} = tensor.cast {result} : tensor<?x{n}xf32> to tensor<*xf32>",
            f"  func.call @printMemrefF32(%u{call}) : (tensor<*xf32>) -> ()",
        ]
        expected[f"result_{call}"] = weight[:, call * m:(call + 1) * m].T.astype(np.int64)
    lines += ["  return", "}", ""]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "model.mlir").write_text("\n".join(lines))
    np.savez(args.out / "expected.npz", **expected)


if __name__ == "__main__":
    main()
