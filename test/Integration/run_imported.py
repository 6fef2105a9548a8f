"""Prepares an imported model for mlir-runner and computes its references.

    python3 run_imported.py MODEL.pt IMPORTED.mlir OUTDIR SHAPE[:i64] [...]

Writes OUTDIR/run.mlir: IMPORTED.mlir with a `main` that calls @forward on
seeded random inputs of the given shapes ("4x8x64"; "1x16:i64" for token
ids in [0, 16)) and prints each result;
OUTDIR/float.npz: LibTorch eager on the float model; OUTDIR/int8.npz: the
oracle of docs/dialect.md, LibTorch eager with every linear weight replaced
by the seed's int8_symmetric_quantize data times scale (the module-swap
model; test/reference/module_swap.py).
"""

import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "reference"))
from module_swap import module_swap  # noqa: E402


def ttype(shape, dtype="f32"):
    return "tensor<" + "x".join(str(d) for d in shape) + f"x{dtype}>"


def element(x):
    return "i64" if x.dtype == torch.long else "f32"


def main():
    model_path, imported, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    torch.manual_seed(11)
    inputs = []
    for spec in sys.argv[4:]:
        shape, _, dtype = spec.partition(":")
        shape = [int(d) for d in shape.split("x")]
        # Token ids: below every test model's vocabulary.
        inputs.append(torch.randint(0, 16, shape) if dtype == "i64" else torch.randn(*shape))

    model = torch.jit.load(model_path).eval()
    with torch.no_grad():
        float_out = model(*inputs)
        int8_out = module_swap(model)(*inputs)
    as_list = lambda o: list(o) if isinstance(o, (tuple, list)) else [o]
    np.savez(out / "float.npz", *[o.numpy() for o in as_list(float_out)])
    np.savez(out / "int8.npz", *[o.numpy() for o in as_list(int8_out)])

    # main: constant inputs, call, print every result.
    text = imported.read_text()
    lines = text.splitlines()
    close = next(i for i, line in enumerate(lines) if line.startswith("}"))
    signature = next(line for line in lines if "func.func @forward" in line)
    results = signature.split("->", 1)[1].rsplit("{", 1)[0]
    results = results.split(" attributes ", 1)[0].strip()
    result_types = [r.strip() for r in results.strip("()").split(", ") if r.strip()]
    body = ["  func.func private @printMemrefF32(tensor<*xf32>)", "  func.func @main() {"]
    args = []
    for i, x in enumerate(inputs):
        raw = x.contiguous().view(-1).view(torch.uint8).numpy().tobytes().hex().upper()
        body.append(f'    %x{i} = arith.constant dense<"0x{raw}"> : {ttype(x.shape, element(x))}')
        args.append(f"%x{i}")
    arg_types = ", ".join(ttype(x.shape, element(x)) for x in inputs)
    names = ", ".join(f"%y{i}" for i in range(len(result_types)))
    body.append(f"    {names} = func.call @forward({', '.join(args)}) : ({arg_types}) -> ({', '.join(result_types)})")
    for i, t in enumerate(result_types):
        body.append(f"    %u{i} = tensor.cast %y{i} : {t} to tensor<*xf32>")
        body.append(f"    func.call @printMemrefF32(%u{i}) : (tensor<*xf32>) -> ()")
    body += ["    return", "  }"]
    (out / "run.mlir").write_text("\n".join(lines[:close] + body + lines[close:]) + "\n")


if __name__ == "__main__":
    main()
