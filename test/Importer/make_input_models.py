"""Writes the fixture models of the input tests, scripted.

    python3 make_input_models.py OUTDIR

optional.pt: forward(x, mask=None, bias=None), whose `is not None` branches
depend on which inputs are given. ids.pt: a float input, int64 token ids
and a bool mask, the last two transposed (an op that takes any dtype) and
returned.
"""

import sys
from pathlib import Path
from typing import Optional, Tuple

import torch


class OptionalInputs(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(8, 8)

    def forward(self, x, mask: Optional[torch.Tensor] = None,
                bias: Optional[torch.Tensor] = None):
        y = self.fc(x)
        if mask is not None:
            y = y * mask
        if bias is not None:
            y = y + bias
        return y


class Ids(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(8, 4)

    def forward(self, x, ids, flags) -> Tuple[torch.Tensor, torch.Tensor,
                                              torch.Tensor]:
        return self.fc(x), ids.t(), flags.t()


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    for name, model in {"optional": OptionalInputs(), "ids": Ids()}.items():
        torch.jit.script(model.eval()).save(str(out / f"{name}.pt"))


if __name__ == "__main__":
    main()
