"""The seed's ToyModel(64, 128, 32), saved as TorchScript for qtensor.

    python3 examples/toy_model.py [toy.pt]

This is the model of the seed tutorial: two bias-free nn.Linear layers.
qtensor compiles the saved file without Python:

    qtensor-import toy.pt --input-shape 64x64x64 -o toy.mlir
"""

import sys

import torch


class ToyModel(torch.nn.Module):
    def __init__(self, m: int, n: int, k: int):
        super().__init__()
        self.linear1 = torch.nn.Linear(m, n, bias=False)
        self.linear2 = torch.nn.Linear(n, k, bias=False)

    def forward(self, x):
        x = self.linear1(x)
        x = self.linear2(x)
        return x


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "toy.pt"
    torch.manual_seed(0)
    model = ToyModel(64, 128, 32).eval()
    torch.jit.script(model).save(path)
    print(f"toy_model: wrote {path}")


if __name__ == "__main__":
    main()
