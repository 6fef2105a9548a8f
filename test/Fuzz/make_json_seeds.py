"""Writes the JSON reader's seed corpus: manifests in the shape
qtensor-compile writes, and documents that reach each of the reader's rules
(escapes, numbers at the edges of int64 and double, nesting, errors).

Usage: make_json_seeds.py OUTDIR
"""

import json
import os
import sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)

manifest = {
    "format": "qtensor-artifact", "version": 4,
    "producer": "qtensor-compile (LLVM 22)", "target": "cpu",
    "cpu": "x86-64-v3", "cpu_features": ["avx", "avx2", "fma", "sse2"],
    "library": "model.so", "entry": "qtensor_forward",
    "weights_bytes": 12928, "weights": "weights.bin",
    "quantization": "int8",
    "inputs": [{"dtype": "f32", "shape": ["?", 64]},
               {"dtype": "i64", "shape": [1, "T"]}],
    "outputs": [{"dtype": "f32", "rank": 2}, {"dtype": "i32", "rank": 0}],
    "input_bounds": [0, 32],
    "status_messages": ["a position is out of range of the state buffer "
                        "'kv.k_cache' along dimension 2"],
    "initial_state": "state.bin",
    "states": [{"name": "kv.k_cache", "dtype": "f32",
                "shape": [1, 2, 32, 16], "offset": 0, "bytes": 4096}],
    "parameters": [
        {"name": "linear1.weight.data", "dtype": "i8", "shape": [128, 64],
         "layout": "row_major", "offset": 0, "bytes": 8192},
        {"name": "linear1.weight.scale", "dtype": "f32", "shape": [128, 1],
         "layout": "row_major", "offset": 8192, "bytes": 512},
    ],
}
cuda = dict(manifest, target="cuda", chip="sm_90", gpu_binary="fatbin",
            gpu_kernel_options="small-m=8 splitk-columns=2")

documents = {
    "manifest-cpu": json.dumps(manifest, indent=2),
    "manifest-cuda": json.dumps(cuda),
    "escapes": '"a\\"b\\\\c\\/\\b\\f\\n\\r\\t\\u0041"',
    "numbers": "[0, -0, 1.5, -2.5e-3, 1E+2, 9223372036854775807, "
               "-9223372036854775808, 9223372036854775808, 1e308]",
    "literals": '{"t": true, "f": false, "n": null, "e": {}, "a": []}',
    "nested": "[" * 64 + "]" * 64,
    "too-deep": "[" * 65 + "]" * 65,
    "duplicate-keys": '{"a": 1, "a": 2}',
    "trailing": "{} x",
    "unterminated": '"abc',
    "non-ascii-escape": '"\\u00e9"',
    "raw-utf8": '"\u00e9"',
    "bad-number": "1e999",
}
for name, text in documents.items():
    with open(os.path.join(out, name + ".json"), "w", encoding="utf-8") as f:
        f.write(text)
