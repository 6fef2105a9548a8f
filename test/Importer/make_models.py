"""Writes the TorchScript fixture models of the importer tests.

    python3 make_models.py OUTDIR [NAME ...]

Each model is scripted and saved as OUTDIR/<name>.pt with Debian's torch
1.13, at test time: no binary fixture is checked in. The bad inputs (empty,
truncated, not TorchScript) are written here too.
"""

import sys
from pathlib import Path
from typing import Tuple

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))
from toy_model import ToyModel  # noqa: E402


class MlpBiasRelu(torch.nn.Module):
    """Bias and relu on a 4-D input, odd sizes."""

    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(13, 27)
        self.fc2 = torch.nn.Linear(27, 5)

    def forward(self, x):
        h = torch.relu(self.fc1(x))
        return self.fc2(h)


class CustomLinear(torch.nn.Module):
    """A Linear-like module calling F.linear on its own parameters."""

    def __init__(self, n: int, k: int):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(n, k) * 0.1)
        self.bias = torch.nn.Parameter(torch.randn(n) * 0.1)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)


class FunctionalLinear(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = CustomLinear(16, 24)

    def forward(self, x):
        return F.gelu(self.proj(x))


class MatmulTransposed(torch.nn.Module):
    """`x @ self.w.t()`: freezing leaves a transposed [K, N] view."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.randn(12, 20) * 0.1)

    def forward(self, x):
        return x @ self.w.t()


class Ops(torch.nn.Module):
    """Every other supported op once, with two outputs."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.randn(8, 6) * 0.1)
        self.b = torch.nn.Parameter(torch.randn(6) * 0.1)
        self.scale = torch.nn.Parameter(torch.randn(6))

    def forward(self, x) -> Tuple[torch.Tensor, torch.Tensor]:
        y = torch.mm(x, self.w)                          # [4, 6]
        y = torch.addmm(self.b, x, self.w) + y           # add tensor
        y = (y - 0.5) * self.scale / 2.0                 # sub/mul/div
        y = torch.sigmoid(y) + torch.tanh(y) + F.silu(y)
        z = y.t().contiguous().transpose(0, 1)           # t, transpose
        z = z.reshape(2, 2, 6).permute(2, 0, 1)          # reshape, permute
        z = z.flatten(1).unsqueeze(0).squeeze(0)         # [6, 4]
        z = z.view(-1, 2)                                # [12, 2]
        return torch.softmax(y, dim=-1), z


class Bf16(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(32, 16)

    def forward(self, x):
        return torch.relu(self.fc(x))


class Sorts(torch.nn.Module):
    def forward(self, x):
        values, _ = torch.sort(x)
        return values


class Sequential(torch.nn.Module):
    """nn.Sequential with dropout (eval: identity) and tanh."""

    def __init__(self):
        super().__init__()
        self.body = torch.nn.Sequential(
            torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Dropout(0.1),
            torch.nn.Linear(32, 8), torch.nn.Tanh())

    def forward(self, x):
        return self.body(x)


class SharedWeight(torch.nn.Module):
    """One layer applied twice, its weight also used outside a linear."""

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(8, 8)

    def forward(self, x):
        return self.fc(self.fc(x)) - self.fc.weight.sum()


class TwoInputs(torch.nn.Module):
    """Two inputs with a batch dimension each, two outputs."""

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(8, 8)

    def forward(self, x, y) -> Tuple[torch.Tensor, torch.Tensor]:
        return self.fc(x) + y, x * 2.0


class Reshapes(torch.nn.Module):
    """Reshapes of an input that may have several dynamic sizes."""

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(8, 8)

    def forward(self, x, y) -> Tuple[torch.Tensor, torch.Tensor]:
        u = x.unsqueeze(-1) * 2.0
        return self.fc(x.flatten(0, 1)) + y, u


class SameTwice(torch.nn.Module):
    """Returns one tensor twice."""

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(8, 4)

    def forward(self, x) -> Tuple[torch.Tensor, torch.Tensor]:
        h = self.fc(x)
        return h, h


class Identity(torch.nn.Module):
    """Returns its input: the result aliases the argument."""

    def forward(self, x):
        return x


class IdentityView(torch.nn.Module):
    def forward(self, x):
        return x.t().contiguous().view(-1)


class IdentityTuple(torch.nn.Module):
    def forward(self, x) -> Tuple[torch.Tensor, torch.Tensor]:
        return x.detach(), torch.flatten(x)


class Folded(torch.nn.Module):
    """A buffer of 2^20 floats that freezing folds: LibTorch's constant
    propagation runs a parallel kernel while loading."""

    def __init__(self):
        super().__init__()
        self.register_buffer("w", torch.linspace(0, 1, 1 << 20))

    def forward(self, x):
        return x + self.w.mul(2.0).sum()


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    models = {
        "toy": ToyModel(64, 128, 32),
        "mlp4d": MlpBiasRelu(),
        "functional": FunctionalLinear(),
        "matmul_t": MatmulTransposed(),
        "ops": Ops(),
        "bf16": Bf16().to(torch.bfloat16),
        "sort": Sorts(),
        "sequential": Sequential(),
        "shared": SharedWeight(),
        "two_inputs": TwoInputs(),
        "same_twice": SameTwice(),
        "reshapes": Reshapes(),
        # Another checkpoint of the ToyModel: same architecture, new weights.
        "toy_other": ToyModel(64, 128, 32),
        "identity": Identity(),
        "identity_view": IdentityView(),
        "identity_tuple": IdentityTuple(),
        "folded": Folded(),
    }
    wanted = set(sys.argv[2:]) or set(models) | {"bad"}
    for name, model in models.items():
        if name in wanted or (name == "toy" and "bad" in wanted):
            torch.jit.script(model.eval()).save(str(out / f"{name}.pt"))
    if "bad" in wanted:
        (out / "empty.pt").write_bytes(b"")
        toy = (out / "toy.pt").read_bytes()
        (out / "truncated.pt").write_bytes(toy[: len(toy) // 2])
        (out / "garbage.pt").write_bytes(b"this is not a model\n" * 10)
        # A zip archive that is not TorchScript: a pickled state dict.
        torch.save(models["toy"].state_dict(), str(out / "state_dict.pt"))


if __name__ == "__main__":
    main()
