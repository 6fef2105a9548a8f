"""Compares printMemrefF32 output of compiled models with the oracle.

    python3 check_output.py EXPECTED.npz OUTPUT.txt [OUTPUT.txt ...]

Each OUTPUT.txt is the stdout of one compiled program (for instance the
fused and the unfused pipeline) that printed one result per array of
EXPECTED.npz, in order. Every result must be allclose to the oracle with
rtol 1e-4 and atol 1e-5 * max|oracle| (docs/dialect.md), and integer
results (quantized data, scale bits) must be equal; with several
outputs, each pair must agree to the same tolerance. Prints one line per
comparison and exits 1 on the first mismatch.
"""

import re
import sys

import numpy as np

NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf)")


def parse_results(path):
    """The data of each printed memref, flattened, in order."""
    results = []
    for block in open(path).read().split("Unranked Memref")[1:]:
        header, _, data = block.partition("data =")
        # A rank-0 result prints "sizes = []".
        sizes = [int(s) for s in re.search(r"sizes = \[([^\]]*)\]", header).group(1).split(",") if s.strip()]
        values = np.array([float(v) for v in NUMBER.findall(data)], dtype=np.float64)
        if values.size != int(np.prod(sizes)):
            sys.exit(f"check_output: {path}: expected {np.prod(sizes)} values, parsed {values.size}")
        results.append(values.reshape(sizes))
    return results


def compare(label, actual, reference):
    if np.issubdtype(reference.dtype, np.integer):
        mismatches = int(np.count_nonzero(actual != reference))
        print(f"{label}: equal={mismatches == 0} mismatches={mismatches}")
        if mismatches:
            sys.exit(1)
        return
    atol = 1e-5 * float(np.max(np.abs(reference)))
    close = np.allclose(actual, reference, rtol=1e-4, atol=atol)
    error = np.abs(actual - reference)
    print(f"{label}: allclose={close} max_abs_err={error.max():.3e} "
          f"max_rel_err={(error / np.maximum(np.abs(reference), atol)).max():.3e}")
    if not close:
        sys.exit(1)


def main():
    expected = np.load(sys.argv[1])
    oracle = []
    for key in sorted(expected.files, key=lambda k: int(k.split("_")[1])):
        array = expected[key]
        oracle.append(array.astype(np.int64 if np.issubdtype(array.dtype, np.integer) else np.float64))
    outputs = {path: parse_results(path) for path in sys.argv[2:]}
    for path, results in outputs.items():
        if len(results) != len(oracle):
            sys.exit(f"check_output: {path}: {len(results)} results printed, {len(oracle)} expected")
        for i, (actual, reference) in enumerate(zip(results, oracle)):
            if actual.shape != reference.shape:
                sys.exit(f"check_output: {path} result {i}: shape {actual.shape}, expected {reference.shape}")
            compare(f"{path} result {i} vs oracle", actual, reference)
    paths = list(outputs)
    for other in paths[1:]:
        for i, (a, b) in enumerate(zip(outputs[paths[0]], outputs[other])):
            compare(f"{paths[0]} vs {other} result {i}", a, b)


if __name__ == "__main__":
    main()
