"""Checks qtensor-generate against the same greedy loop run eagerly.

    python3 check_generate.py MODEL.pt LOGITS.npy PROMPT STEPS [int8|none]
        [--force IDS] [--tokens "ID ID ..."]

Runs the scripted decoder MODEL.pt in LibTorch from its saved state: the
prefill at positions 0..P-1, then STEPS decode calls, each feeding the
previous argmax (or the next id of --force) at the next position; with
int8, every linear weight is first replaced by the seed's module swap
(int8_symmetric_quantize data times scale, test/reference). Compares each
call's last-position logits with LOGITS.npy (qtensor-generate
--dump-logits): rtol 1e-4, atol 1e-5 * max|ref| per call, and, with
--tokens, the generated ids. Exits 1 on a mismatch.
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reference"))
from module_swap import module_swap  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("logits")
    parser.add_argument("prompt")
    parser.add_argument("steps", type=int)
    parser.add_argument("scheme", nargs="?", default="int8")
    parser.add_argument("--force", default="")
    parser.add_argument("--tokens", default="")
    args = parser.parse_args()
    torch.set_grad_enabled(False)
    model = torch.jit.load(args.model).eval()
    if args.scheme == "int8":
        # The frozen model keeps the buffers forward writes, as attributes.
        model = module_swap(model)
    prompt = [int(i) for i in args.prompt.split(",")]
    forced = [int(i) for i in args.force.split(",")] if args.force else []
    rows, tokens = [], []

    def call(ids, first):
        idx = torch.tensor([ids], dtype=torch.int64)
        pos = torch.arange(first, first + len(ids), dtype=torch.int64)
        row = model(idx, pos)[0, -1].float()
        rows.append(row)
        tokens.append(int(torch.argmax(row)))

    call(prompt, 0)
    for step in range(args.steps):
        call([forced[step] if forced else tokens[-1]], len(prompt) + step)
    expected = torch.stack(rows)
    got = torch.from_numpy(np.load(args.logits))
    if got.shape != expected.shape:
        print(f"logits shape {tuple(got.shape)}, expected {tuple(expected.shape)}")
        return 1
    ok = True
    for i, (g, e) in enumerate(zip(got, expected)):
        atol = 1e-5 * float(e.abs().max())
        if not torch.allclose(g, e, rtol=1e-4, atol=atol):
            print(f"call {i}: max_abs_err={float((g - e).abs().max()):.3e} "
                  f"(atol {atol:.3e})")
            ok = False
    if args.tokens:
        want = " ".join(str(t) for t in tokens)
        if args.tokens.split() != want.split():
            print(f"tokens {args.tokens}, eager {want}")
            ok = False
    print(f"{len(rows)} calls {'match' if ok else 'DIFFER'} "
          f"(eager tokens: {' '.join(str(t) for t in tokens)})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
