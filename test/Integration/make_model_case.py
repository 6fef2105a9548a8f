"""Writes a stage-0 model, a `main` that runs it, and the oracle's answers.

    python3 make_model_case.py CASE OUTDIR

CASE is one of:
  toy          the seed's ToyModel(64, 128, 32) (two bias-free linears) on
               x of shape [4, 8, 64]
  mlp4d        three layers with bias and relu on a 4-D input [2, 3, 5, 16];
               the last layer is `x @ w.t()` as freezing leaves it: a
               linalg.matmul with a constant [K, N] right-hand side
  dynamic      a two-layer model with a dynamic batch dimension, run on
               batches of 1, 6 and 13 rows (partial register tiles)
  padded       a dynamic batch whose first layer has K = 512 (rows 2 KiB
               apart, copied with a padded stride), run on batches of 1, 5
               and 21 rows (a full 16-row tile, 4-row and 1-row ones)
  wide         three layers whose K (2056, 16, 2688) give split-K lanes
               whole groups of 4 slices and slices left over (2056: 8-wide
               slices, 9 for lane 0 and 8 for the others; 2688: 16-wide,
               6 for lanes 0-7, 5 for the others) and the shared-memory
               tiled kernel 128-byte tiles (2688), run on batches of 1 and 6
  bf16         two layers (K = 512 and 48) with bf16 activations and
               weights, on the dynamic case's batches and a 37-row one:
               6 and 13 rows take the K-split tensor-core kernel in the
               first layer (4 warps x 128 k), 37 rows the plain one (two
               32-row blocks, the second one partial); main widens the results to f32 to print them; the oracle
               runs the seed's formula in bf16 (PyTorch's CPU mm
               accumulates bf16 products in f32 and rounds once)
  quantize     `qtensor.quantize` of weights only known at run time (random
               rows and the crafted edge rows), printing the int8 data and
               the bits of the f32 scales, which must equal the seed's

OUTDIR/forward.mlir holds `func.func @forward` in stage-0 form (float
weights as named constants, qtensor.linear, relu as linalg.generic);
OUTDIR/model.mlir holds it too, with a `main` that calls it on fixed inputs
and prints each result with printMemrefF32.
OUTDIR/expected.npz holds, per printed result, the oracle of
docs/dialect.md: every weight quantized by the seed's int8_symmetric_quantize
(test/reference/seed_quantize.py), `mm(x, data.t().float()) * scale.t()`,
bias after, relu, computed by PyTorch on the CPU.
"""

import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "reference"))
from seed_quantize import edge_rows, int8_symmetric_quantize, reference_quantize  # noqa: E402


def dense(tensor):
    raw = tensor.contiguous().view(-1).view(torch.uint8).numpy().tobytes()
    return f'dense<"0x{raw.hex().upper()}">'


def ttype(shape, dtype="f32"):
    return "tensor<" + "x".join("?" if d is None else str(d) for d in shape) + f"x{dtype}>"


class Builder:
    """Emits stage-0 IR for a chain of layers and computes the oracle."""

    def __init__(self, in_shape, dtype="f32"):
        self.dtype = dtype
        self.lines = []
        self.value = "%x"
        self.shape = list(in_shape)
        self.counter = 0

    def fresh(self):
        self.counter += 1
        return f"%v{self.counter}"

    def linear(self, name, weight, bias=None):
        n, k = weight.shape
        w = self.fresh()
        t = self.dtype
        self.lines.append(f'  {w} = arith.constant {dense(weight)} : {ttype([n, k], t)} loc("{name}.weight")')
        operands, types = f"{self.value}, {w}", f"{ttype(self.shape, t)}, {ttype([n, k], t)}"
        if bias is not None:
            b = self.fresh()
            self.lines.append(f'  {b} = arith.constant {dense(bias)} : {ttype([n], t)} loc("{name}.bias")')
            operands += f", {b}"
            types += f", {ttype([n], t)}"
        out_shape = self.shape[:-1] + [n]
        y = self.fresh()
        self.lines.append(f"  {y} = qtensor.linear {operands} : {types} -> {ttype(out_shape, t)}")
        self.value, self.shape = y, out_shape

    def matmul_transposed(self, name, weight):
        """`x @ w.t()` after freezing: a [K, N] constant, x flattened to 2-D."""
        n, k = weight.shape
        lead = self.shape[:-1]
        rows = None if None in lead else int(np.prod(lead))
        w = self.fresh()
        self.lines.append(f'  {w} = arith.constant {dense(weight.t().contiguous())} : {ttype([k, n])} loc("{name}")')
        flat = self.fresh()
        groups = "[" + ", ".join(str(i) for i in range(len(lead))) + f"], [{len(lead)}]"
        self.lines.append(f"  {flat} = tensor.collapse_shape {self.value} [{groups}] : {ttype(self.shape)} into {ttype([rows, k])}")
        zero, empty, init, mm, out = (self.fresh() for _ in range(5))
        self.lines += [
            f"  {zero} = arith.constant 0.0 : f32",
            f"  {empty} = tensor.empty() : {ttype([rows, n])}",
            f"  {init} = linalg.fill ins({zero} : f32) outs({empty} : {ttype([rows, n])}) -> {ttype([rows, n])}",
            f"  {mm} = linalg.matmul ins({flat}, {w} : {ttype([rows, k])}, {ttype([k, n])}) outs({init} : {ttype([rows, n])}) -> {ttype([rows, n])}",
            f"  {out} = tensor.expand_shape {mm} [{groups}] output_shape [{', '.join(str(d) for d in lead + [n])}] : {ttype([rows, n])} into {ttype(lead + [n])}",
        ]
        self.value, self.shape = out, lead + [n]

    def relu(self):
        rank = len(self.shape)
        dims = ", ".join(f"d{i}" for i in range(rank))
        identity = f"affine_map<({dims}) -> ({dims})>"
        empty, y = self.fresh(), self.fresh()
        t = ttype(self.shape, self.dtype)
        e = self.dtype
        iterators = ", ".join(['"parallel"'] * rank)
        sizes = []
        for dim, size in enumerate(self.shape):
            if size is None:
                index, extent = self.fresh(), self.fresh()
                self.lines += [f"  {index} = arith.constant {dim} : index",
                               f"  {extent} = tensor.dim {self.value}, {index} : {t}"]
                sizes.append(extent)
        self.lines += [
            f"  {empty} = tensor.empty({', '.join(sizes)}) : {t}",
            f"  {y} = linalg.generic {{indexing_maps = [{identity}, {identity}], "
            f"iterator_types = [{iterators}]}} "
            f"ins({self.value} : {t}) outs({empty} : {t}) {{",
            f"  ^bb0(%in: {e}, %out: {e}):",
            f"    %zero = arith.constant 0.0 : {e}",
            f"    %max = arith.maximumf %in, %zero : {e}",
            f"    linalg.yield %max : {e}",
            f"  }} -> {t}",
        ]
        self.value = y

    def forward(self, in_type):
        body = "\n".join(self.lines)
        out = ttype(self.shape, self.dtype)
        return (f"func.func @forward(%x: {in_type}) -> {out} {{\n{body}\n"
                f"  return {self.value} : {out}\n}}\n")


def oracle_linear(x, weight, bias=None):
    data, scale = int8_symmetric_quantize(weight)
    flat = x.reshape(-1, x.shape[-1])
    y = torch.mm(flat, data.t().to(flat.dtype)) * scale.t()
    if bias is not None:
        y = y + bias
    return y.reshape(*x.shape[:-1], weight.shape[0])


def widen_to_f32(value, shape, dtype, name):
    """Lines that extend a [?, N] `dtype` tensor to f32 (for printing)."""
    src, dst = ttype(shape, dtype), ttype(shape)
    identity = "affine_map<(d0, d1) -> (d0, d1)>"
    return [
        f"  %zero{name} = arith.constant 0 : index",
        f"  %rows{name} = tensor.dim {value}, %zero{name} : {src}",
        f"  %empty{name} = tensor.empty(%rows{name}) : {dst}",
        f"  %wide{name} = linalg.generic {{indexing_maps = [{identity}, {identity}], "
        f'iterator_types = ["parallel", "parallel"]}} ins({value} : {src}) '
        f"outs(%empty{name} : {dst}) {{",
        f"  ^bb0(%in: {dtype}, %out: f32):",
        "    %f = arith.extf %in : " + dtype + " to f32",
        "    linalg.yield %f : f32",
        f"  }} -> {dst}",
    ]


def main_function(inputs, in_type, out_type, dtype="f32", out_shape=None):
    lines = ["func.func private @printMemrefF32(tensor<*xf32>)", "func.func @main() {"]
    for i, x in enumerate(inputs):
        xt = ttype(list(x.shape), dtype)
        lines.append(f"  %x{i} = arith.constant {dense(x)} : {xt}")
        arg = f"%x{i}"
        if xt != in_type:
            lines.append(f"  %c{i} = tensor.cast %x{i} : {xt} to {in_type}")
            arg = f"%c{i}"
        lines.append(f"  %y{i} = func.call @forward({arg}) : ({in_type}) -> {out_type}")
        printed, printed_type = f"%y{i}", out_type
        if dtype != "f32":
            lines += widen_to_f32(f"%y{i}", out_shape, dtype, str(i))
            printed, printed_type = f"%wide{i}", ttype(out_shape)
        lines += [
            f"  %u{i} = tensor.cast {printed} : {printed_type} to tensor<*xf32>",
            f"  func.call @printMemrefF32(%u{i}) : (tensor<*xf32>) -> ()",
        ]
    lines += ["  return", "}"]
    return "\n".join(lines) + "\n"


def build_quantize_case():
    """Run-time quantization: data and scale bits must be the seed's."""
    torch.manual_seed(4)
    cols = 97
    weights = torch.cat([torch.randn(20, cols) * torch.logspace(-4, 4, 20).view(-1, 1),
                         edge_rows(cols)])
    rows = weights.shape[0]
    wt, dt, st = ttype([rows, cols]), ttype([rows, cols], "i8"), ttype([rows, 1])
    qt = f"!qtensor.tensor<{rows}x{cols}xi8, f32, per_row>"
    module = f"""func.func @quantize(%w: {wt}) -> ({ttype([rows, cols], "i32")}, {ttype([rows, 1], "i32")}) {{
  %q = qtensor.quantize %w : {wt} -> {qt}
  %d = qtensor.data %q : {qt} -> {dt}
  %s = qtensor.scale %q : {qt} -> {st}
  %d32 = arith.extsi %d : {dt} to {ttype([rows, cols], "i32")}
  %bits = arith.bitcast %s : {st} to {ttype([rows, 1], "i32")}
  return %d32, %bits : {ttype([rows, cols], "i32")}, {ttype([rows, 1], "i32")}
}}
func.func private @printMemrefI32(tensor<*xi32>)
func.func @main() {{
  %w = arith.constant {dense(weights)} : {wt}
  %d, %s = func.call @quantize(%w) : ({wt}) -> ({ttype([rows, cols], "i32")}, {ttype([rows, 1], "i32")})
  %du = tensor.cast %d : {ttype([rows, cols], "i32")} to tensor<*xi32>
  %su = tensor.cast %s : {ttype([rows, 1], "i32")} to tensor<*xi32>
  func.call @printMemrefI32(%du) : (tensor<*xi32>) -> ()
  func.call @printMemrefI32(%su) : (tensor<*xi32>) -> ()
  return
}}
"""
    data, scale = reference_quantize(weights)
    forward, main = module.split("func.func private")
    return forward, "func.func private" + main, [data.to(torch.int32), scale.view(torch.int32)]


def build_case(case):
    if case == "quantize":
        return build_quantize_case()
    torch.manual_seed({"toy": 1, "mlp4d": 2, "dynamic": 3, "padded": 5, "bf16": 7,
                       "wide": 11}[case])
    if case == "bf16":
        bf16 = torch.bfloat16
        l1, l2 = torch.nn.Linear(512, 48).to(bf16), torch.nn.Linear(48, 24, bias=False).to(bf16)
        inputs = [torch.randn(rows, 512).to(bf16) for rows in (1, 6, 13, 37)]
        builder = Builder([None, 512], "bf16")
        builder.linear("l1", l1.weight.detach(), l1.bias.detach())
        builder.relu()
        builder.linear("l2", l2.weight.detach())
        reference = lambda x: oracle_linear(torch.relu(oracle_linear(x, l1.weight, l1.bias)), l2.weight)
        in_type = ttype([None, 512], "bf16")
        with torch.no_grad():
            expected = [reference(x).detach().float() for x in inputs]
        return (builder.forward(in_type),
                main_function(inputs, in_type, ttype(builder.shape, "bf16"), "bf16", builder.shape),
                expected)
    if case == "toy":
        model = torch.nn.Sequential(torch.nn.Linear(64, 128, bias=False),
                                    torch.nn.Linear(128, 32, bias=False))
        inputs = [torch.randn(4, 8, 64)]
        builder = Builder([4, 8, 64])
        builder.linear("linear1", model[0].weight.detach())
        builder.linear("linear2", model[1].weight.detach())
        reference = lambda x: oracle_linear(oracle_linear(x, model[0].weight), model[1].weight)
        in_type = ttype([4, 8, 64])
    elif case == "wide":
        l1, l2 = torch.nn.Linear(2056, 16), torch.nn.Linear(16, 2688, bias=False)
        l3 = torch.nn.Linear(2688, 8, bias=False)
        inputs = [torch.randn(rows, 2056) for rows in (1, 6)]
        builder = Builder([None, 2056])
        builder.linear("l1", l1.weight.detach(), l1.bias.detach())
        builder.relu()
        builder.linear("l2", l2.weight.detach())
        builder.relu()
        builder.linear("l3", l3.weight.detach())

        def reference(x):
            h = torch.relu(oracle_linear(x, l1.weight, l1.bias))
            return oracle_linear(torch.relu(oracle_linear(h, l2.weight)), l3.weight)
        in_type = ttype([None, 2056])
    elif case == "mlp4d":
        l1, l2 = torch.nn.Linear(16, 32), torch.nn.Linear(32, 24)
        w3 = torch.randn(8, 24) * 0.2
        inputs = [torch.randn(2, 3, 5, 16)]
        builder = Builder([2, 3, 5, 16])
        builder.linear("l1", l1.weight.detach(), l1.bias.detach())
        builder.relu()
        builder.linear("l2", l2.weight.detach(), l2.bias.detach())
        builder.relu()
        builder.matmul_transposed("w3", w3)

        def reference(x):
            h = torch.relu(oracle_linear(x, l1.weight, l1.bias))
            h = torch.relu(oracle_linear(h, l2.weight, l2.bias))
            return oracle_linear(h, w3)
        in_type = ttype([2, 3, 5, 16])
    else:
        features, batches = (24, (1, 6, 13)) if case == "dynamic" else (512, (1, 5, 21))
        l1, l2 = torch.nn.Linear(features, 40), torch.nn.Linear(40, 20, bias=False)
        inputs = [torch.randn(rows, features) for rows in batches]
        builder = Builder([None, features])
        builder.linear("l1", l1.weight.detach(), l1.bias.detach())
        builder.relu()
        builder.linear("l2", l2.weight.detach())
        reference = lambda x: oracle_linear(torch.relu(oracle_linear(x, l1.weight, l1.bias)), l2.weight)
        in_type = ttype([None, features])
    with torch.no_grad():
        expected = [reference(x).detach() for x in inputs]
    forward = builder.forward(in_type)
    return forward, main_function(inputs, in_type, ttype(builder.shape)), expected


def main():
    case, out = sys.argv[1], Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    forward, main, expected = build_case(case)
    (out / "forward.mlir").write_text(forward)
    (out / "model.mlir").write_text(forward + main)
    np.savez(out / "expected.npz",
             *[e.numpy() if e.dtype == torch.int32 else e.numpy().astype(np.float32)
               for e in expected])


if __name__ == "__main__":
    main()
