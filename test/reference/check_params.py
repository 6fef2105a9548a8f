"""Checks `qtensor-run --dump-params DIR` against the seed, byte for byte.

    python3 check_params.py MODEL.pt DIR

For every DIR/<weight>.data.npy, the seed's int8_symmetric_quantize of the
model's parameter <weight> (seed_quantize.py) must give exactly the int8
data and DIR/<weight>.scale.npy exactly the scale (the seed's definition for
rows whose reciprocal is not finite aside, see seed_quantize.py); every other
dumped parameter must equal the model's parameter of that name. Prints one
line per file and exits 1 on the first difference.
"""

import sys
from pathlib import Path

import numpy as np
import torch

from seed_quantize import reference_quantize


def main():
    model = torch.jit.load(sys.argv[1])
    params = {name: p.detach() for name, p in model.named_parameters()}
    directory = Path(sys.argv[2])
    files = sorted(directory.glob("*.npy"))
    if not files:
        sys.exit(f"check_params: no .npy files in {directory}")
    for path in files:
        name = path.name[: -len(".npy")]
        dumped = np.load(path)
        if name.endswith(".data") or name.endswith(".scale"):
            weight_name, part = name.rsplit(".", 1)
            data, scale = reference_quantize(params[weight_name].float())
            expected = (data if part == "data" else scale).numpy()
        else:
            expected = params[name].numpy()
        equal = dumped.dtype == expected.dtype and dumped.shape == expected.shape \
            and dumped.tobytes() == expected.tobytes()
        print(f"{name}: {dumped.dtype} {list(dumped.shape)} equal={equal}")
        if not equal:
            sys.exit(1)


if __name__ == "__main__":
    main()
