"""Writes the transformer benchmark's TorchScript models, from a fixed seed.

    python3 make_transformer_bench_models.py OUTDIR TOKENS [TOKENS ...]
                                             [--quick]

For each token count T, traced under no_grad with input [1, T, dim] (the
frozen traced module LibTorch runs and qtensor compiles):

    llama_T<T>.pt     a Llama-style stack: 4 blocks of dim 2048, 32 heads,
                      SwiGLU hidden 5632 (RMSNorm, rotary embedding,
                      causal attention), then RMSNorm;
    encoder_T<T>.pt   torch.nn.TransformerEncoder: 4 layers of d 1024,
                      16 heads, ff 4096, batch_first (PyTorch's fused fast
                      path, aten::_transformer_encoder_layer_fwd).

    llama_linears_T<T>.pt, encoder_linears_T<T>.pt
                      the same models' linear layers alone, in the same
                      order and with the same shapes, every result returned:
                      what qtensor's time would be without the rest (norms,
                      attention, rotary, activations, residual adds).

--quick writes the same structures at a small size (dim 128) for the test
suite's smoke test. The block code is the Llama block of the importer's
tests (test/Importer/make_transformer_models.py).
"""

import sys
from pathlib import Path
import torch
import torch.nn as nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "test" / "Importer"))
from make_transformer_models import LlamaBlock, RMSNorm  # noqa: E402

FULL = {"llama": dict(dim=2048, heads=32, hidden=5632, layers=4),
        "encoder": dict(dim=1024, heads=16, hidden=4096, layers=4)}
QUICK = {"llama": dict(dim=128, heads=4, hidden=352, layers=2),
         "encoder": dict(dim=128, heads=4, hidden=512, layers=2)}


class Llama(nn.Module):
    def __init__(self, dim, heads, hidden, layers, context):
        super().__init__()
        self.layers = nn.ModuleList(
            [LlamaBlock(dim, heads, hidden, context) for _ in range(layers)])
        self.norm = RMSNorm(dim)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return self.norm(x)


def encoder(dim, heads, hidden, layers):
    layer = nn.TransformerEncoderLayer(dim, heads, hidden, batch_first=True)
    model = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(0.02 * torch.randn_like(parameter))
    return model.eval()


class Linears(nn.Module):
    """`layers` times the given (K, N) linears; each takes the output of the
    named earlier one (-1: the layer's input) and every result is returned,
    so none is dead code."""

    def __init__(self, shapes, sources, layers):
        super().__init__()
        self.sources = sources
        self.count = len(shapes)
        self.linears = nn.ModuleList(
            [nn.Linear(k, n, bias=False) for _ in range(layers)
             for k, n in shapes])

    def forward(self, x):
        results = []
        layer_input = x
        outputs = []
        for index, linear in enumerate(self.linears):
            slot = index % self.count
            if slot == 0:
                outputs = []
            source = self.sources[slot]
            y = linear(layer_input if source < 0 else outputs[source])
            outputs.append(y)
            results.append(y)
            if slot == self.count - 1:
                layer_input = y
        return tuple(results)


def linears(name, dim, heads, hidden, layers):
    if name == "llama":
        # wq, wk, wv, wo (on wq's output), w1, w3, w2 (on w1's output): the
        # last is dim-sized and feeds the next layer.
        shapes = [(dim, dim)] * 4 + [(dim, hidden), (dim, hidden), (hidden, dim)]
        sources = [-1, -1, -1, 0, -1, -1, 4]
    else:
        # in_proj (3d), out_proj, linear1, linear2.
        shapes = [(dim, 3 * dim), (dim, dim), (dim, hidden), (hidden, dim)]
        sources = [-1, -1, 1, 2]
    return Linears(shapes, sources, layers).eval()


def main():
    args = [a for a in sys.argv[1:] if a != "--quick"]
    sizes = QUICK if "--quick" in sys.argv else FULL
    out = Path(args[0])
    out.mkdir(parents=True, exist_ok=True)
    tokens = [int(t) for t in args[1:]]
    for name, size in sizes.items():
        for t in tokens:
            path = out / f"{name}_T{t}.pt"
            if path.exists():
                continue
            torch.manual_seed(0)
            if name == "llama":
                model = Llama(context=max(tokens), **size).eval()
            else:
                model = encoder(**size)
            example = torch.randn(1, t, size["dim"])
            with torch.no_grad():
                torch.jit.trace(model, example).save(str(path))
                torch.manual_seed(0)
                torch.jit.trace(linears(name, **size), example).save(
                    str(out / f"{name}_linears_T{t}.pt"))


if __name__ == "__main__":
    main()
