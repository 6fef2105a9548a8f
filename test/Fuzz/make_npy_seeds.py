"""Writes .npy seeds for the .npy fuzzer: the arrays qtensor's tools read
and write, in both header versions.

    python3 make_npy_seeds.py OUTDIR
"""

import sys
from pathlib import Path

import numpy as np

out = Path(sys.argv[1])
rng = np.random.RandomState(0)
arrays = {
    "f32_2x3": rng.randn(2, 3).astype(np.float32),
    "f32_scalar": np.float32(1.5),
    "f32_empty": np.zeros((0, 4), np.float32),
    "f32_4d": rng.randn(1, 2, 3, 4).astype(np.float32),
    "i8_4x4": rng.randint(-127, 128, (4, 4)).astype(np.int8),
    "f64_2": np.zeros(2),
    "f32_fortran": np.asfortranarray(rng.randn(3, 2).astype(np.float32)),
}
for name, array in arrays.items():
    np.save(out / f"{name}.npy", array)
with open(out / "f32_v2.npy", "wb") as f:
    np.lib.format.write_array(f, rng.randn(3).astype(np.float32), version=(2, 0))
print(f"{len(arrays) + 1} .npy seeds")
