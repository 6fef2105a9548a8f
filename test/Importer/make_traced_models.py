"""Writes the fixture models of the location tests, traced and scripted.

    python3 make_traced_models.py OUTDIR

One nested model (a ModuleList of blocks, each with a submodule holding an
nn.Linear) is saved twice: traced (OUTDIR/traced.pt, OUTDIR/traced_sort.pt)
and scripted (OUTDIR/scripted_sort.pt). The *_sort variants call
torch.sort, which the importer refuses, in the second block's attention.
The tests check line numbers of this file: keep the forward methods where
they are.
"""

import sys
from pathlib import Path

import torch


class Attention(torch.nn.Module):
    def __init__(self, sort: bool):
        super().__init__()
        self.proj = torch.nn.Linear(8, 8)
        self.sort = sort

    def forward(self, x):
        y = self.proj(x)  # line 26
        if self.sort:
            y = torch.sort(y)[0]  # line 28
        return torch.relu(y)


class Block(torch.nn.Module):
    def __init__(self, sort: bool):
        super().__init__()
        self.attn = Attention(sort)

    def forward(self, x):
        return x + self.attn(x)  # line 38


class Nested(torch.nn.Module):
    def __init__(self, sort: bool):
        super().__init__()
        self.blocks = torch.nn.ModuleList([Block(False), Block(sort)])

    def forward(self, x):
        for block in self.blocks:
            x = block(x)  # line 48
        return x


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    x = torch.randn(4, 8)
    with torch.no_grad():
        torch.jit.trace(Nested(False).eval(), x).save(str(out / "traced.pt"))
        torch.jit.trace(Nested(True).eval(), x, check_trace=False).save(
            str(out / "traced_sort.pt"))
    torch.jit.script(Nested(True).eval()).save(str(out / "scripted_sort.pt"))


if __name__ == "__main__":
    main()
