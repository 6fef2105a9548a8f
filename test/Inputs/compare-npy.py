"""Compares two .npy files: `compare-npy.py A B [--exact]`.

Prints "identical" when the arrays are bit-identical; without --exact,
"allclose" when they match to rtol=1e-5, atol=1e-5. Anything else prints the
largest difference and exits with status 1.
"""
import sys

import numpy as np


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    exact = "--exact" in sys.argv
    a, b = (np.load(path) for path in args)
    if a.shape != b.shape or a.dtype != b.dtype:
        print(f"mismatch: {a.dtype} {a.shape} vs {b.dtype} {b.shape}")
        return 1
    if a.tobytes() == b.tobytes():
        print("identical")
        return 0
    diff = float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64))))
    if not exact and np.allclose(a, b, rtol=1e-5, atol=1e-5):
        print(f"allclose max_abs_diff={diff}")
        return 0
    print(f"mismatch: max_abs_diff={diff}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
