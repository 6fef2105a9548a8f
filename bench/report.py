"""Turns qtensor-bench's JSON lines into a markdown table and a plot.

    report.py --out DIR RESULTS.jsonl [RESULTS.jsonl ...]
    report.py --decoder --out DIR RESULTS.jsonl [...]   (qtensor-decode-bench)

Writes DIR/results.md and DIR/speedup.png. Every ratio compares times of
one run (one process, interleaved rounds); "best fp32" is the faster of
LibTorch's F.linear and, at M = 1, torch.mv.
"""

import argparse
import json
import os
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--out", required=True)
parser.add_argument("--decoder", action="store_true")
parser.add_argument("results", nargs="+")
args = parser.parse_args()
out = Path(args.out)


def profile_line(name, profile, total_ms):
    """A decode step's or prefill's time per op category (the op profile)."""
    parts = [f"{category} {ms:.3g} ms ({100 * ms / total_ms:.0f}%)"
             for category, ms in sorted(profile.items(), key=lambda kv: -kv[1])]
    return f"- {name}: " + ", ".join(parts) + f" (of {total_ms:.3g} ms)"


def decoder_report(runs):
    """The decoding benchmark's tables, one per OpenBLAS kernel choice:
    decode and prefill against LibTorch fp32, the decode step's share of
    the measured read bandwidth, and where the step's time goes."""
    lines = ["# qtensor decoding benchmark", ""]
    for run, row in runs:
        ours, torch_fp32 = row["qtensor"], row["libtorch_fp32"]
        lines += [
            f"## Run: {run}", "",
            f"Model: `{row['model']}`, {row['threads']} threads, "
            f"{row['blas']}, read bandwidth {row['dram_read_gbs']:.1f} GB/s "
            f"(same run). Idle thread pools: " + ", ".join(
                f"{name}={os.environ.get(name, 'unset')}"
                for name in ("OMP_WAIT_POLICY", "KMP_BLOCKTIME",
                             "OPENBLAS_THREAD_TIMEOUT")) + ".",
            "",
            "| | qtensor int8 | LibTorch fp32 | ratio |",
            "|---|---|---|---|",
            f"| decode tokens/s (median step) | {ours['tokens_per_s']:.2f} | "
            f"{torch_fp32['tokens_per_s']:.2f} | "
            f"{ours['tokens_per_s'] / torch_fp32['tokens_per_s']:.2f}x |",
            f"| prefill of {row['prompt_tokens']} tokens, ms | "
            f"{ours['prefill_ms']:.0f} | {torch_fp32['prefill_ms']:.0f} | "
            f"{torch_fp32['prefill_ms'] / ours['prefill_ms']:.2f}x |",
            "",
            f"A decode step reads {row['step_bytes_int8'] / 1e6:.0f} MB with "
            f"int8 weights ({row['step_bytes_fp32'] / 1e6:.0f} MB in fp32): "
            f"{ours['read_gbs']:.1f} GB/s, "
            f"{100 * ours['bandwidth_share']:.0f}% of the measured "
            f"bandwidth. The fp32 bound (fp32 bytes over the bandwidth) is "
            f"{row['fp32_bound_tokens_per_s']:.2f} tokens/s.",
            f"Compile: {row['compile_ms'] / 1e3:.1f} s, peak memory "
            f"{row['compile_peak_mb'] / 1024:.1f} GB.", "",
            "Where the time goes (op profile of one more generation):",
            profile_line("decode step",
                         ours["decode_profile_ms"],
                         sum(ours["decode_profile_ms"].values())),
            profile_line(f"prefill of {row['prompt_tokens']} tokens",
                         ours["prefill_profile_ms"],
                         sum(ours["prefill_profile_ms"].values())),
            "",
        ]
    (out / "results.md").write_text("\n".join(lines))
    print(f"wrote {out / 'results.md'}")


def read_runs(paths):
    """(run name, rows) per results file: "results-as-is.jsonl" is run
    "as-is"."""
    runs = []
    for path in paths:
        rows = [json.loads(line) for line in Path(path).read_text().splitlines()
                if line.startswith("{")]
        if not rows:
            raise SystemExit(f"error: no results in {path}")
        runs.append((Path(path).stem.removeprefix("results-"), rows))
    return runs


runs = read_runs(args.results)
if args.decoder:
    decoder_report([(run, rows[0]) for run, rows in runs])
    raise SystemExit(0)


def best_fp32(results):
    names = [n for n in ("linear", "mv") if n in results]
    return min(names, key=lambda n: results[n]["median_ms"])


def read_peak(rows):
    """The highest read bandwidth seen in a run: the stream-sum kernel's, or
    a fp32 GEMV's effective weight bandwidth when OpenBLAS beats it."""
    mv = [row["results"]["mv"]["weight_gbs"] for row in rows
          if "mv" in row["results"]]
    return max([rows[0]["dram_read_gbs"]] + mv)


TRANSFORMERS = {
    "llama": "Llama-style stack, dim {k}",
    "encoder": "nn.TransformerEncoder, d {k}",
}


def transformer_table(rows):
    """The transformer rows (qtensor-bench --transformer-tokens): qtensor,
    its linears alone, LibTorch fp32; the rest's share is the difference."""
    lines = ["| model (batch 1) | tokens | qtensor int8 ms | LibTorch fp32 ms "
             "| vs LibTorch | linears alone ms | the rest ms (share) |",
             "|---|---|---|---|---|---|---|"]
    for row in rows:
        r = row["results"]
        ours = r["qtensor"]["median_ms"]
        linears = r["qtensor_linears"]["median_ms"]
        torch_ms = r["libtorch"]["median_ms"]
        rest = max(ours - linears, 0.0)
        lines.append(
            f"| {TRANSFORMERS[row['layer']].format(k=row['k'])} | {row['m']} | "
            f"{ours:.1f} | "
            f"{torch_ms:.1f} | {torch_ms / ours:.2f}x | {linears:.1f} | "
            f"{rest:.1f} ({100 * rest / ours:.0f}%) |")
    return lines


lines = ["# qtensor CPU benchmark", ""]
for run, all_rows in runs:
    models = [row for row in all_rows if row["layer"] in TRANSFORMERS]
    rows = [row for row in all_rows if row["layer"] not in TRANSFORMERS]
    first = all_rows[0]
    if models:
        lines += [f"## Run: {run} (transformers)", "",
                  f"- BLAS: {first['blas']}",
                  f"- DRAM read bandwidth measured in this run: "
                  f"{first['dram_read_gbs']:.1f} GB/s", ""]
        lines += transformer_table(models) + [""]
    if not rows:
        continue
    peak = read_peak(rows)
    lines += [f"## Run: {run}", "",
              f"- BLAS: {first['blas']}",
              f"- DRAM read bandwidth measured in this run: "
              f"{first['dram_read_gbs']:.1f} GB/s (2 threads summing 1 GiB); "
              f"peak read seen: {peak:.1f} GB/s (the higher of that and "
              f"torch.mv's effective weight bandwidth), the 100% of the last "
              f"column",
              "- Idle thread pools: " + ", ".join(
                  f"{name}={os.environ.get(name, 'unset')}"
                  for name in ("OMP_WAIT_POLICY", "KMP_BLOCKTIME",
                               "OPENBLAS_THREAD_TIMEOUT")), "",
              "| layer (K x N) | M | qtensor ms | best fp32 ms (path) | "
              "vs best fp32 | module swap ms | vs swap | dynamic int8 ms | "
              "vs dynamic | qtensor GFLOP/s | qtensor weight GB/s (% DRAM) |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        r = row["results"]
        ours = r["qtensor"]["median_ms"]
        if row["layer"] == "toy":
            eager = r["eager"]["median_ms"]
            lines.append(
                f"| ToyModel forward (x 64x64x64) | 4096 | {ours:.3f} | "
                f"{eager:.3f} (LibTorch float module) | {eager / ours:.2f}x | "
                f"{r['swap']['median_ms']:.3f} | "
                f"{r['swap']['median_ms'] / ours:.2f}x | - | - | "
                f"{r['qtensor']['gflops']:.1f} | - |")
            continue
        best = best_fp32(r)
        bw = r["qtensor"]["weight_gbs"]
        lines.append(
            f"| {row['k']} x {row['n']} | {row['m']} | {ours:.3f} | "
            f"{r[best]['median_ms']:.3f} ({best}) | "
            f"{r[best]['median_ms'] / ours:.2f}x | "
            f"{r['swap']['median_ms']:.3f} | {r['swap']['median_ms'] / ours:.2f}x | "
            f"{r['dynamic']['median_ms']:.3f} | "
            f"{r['dynamic']['median_ms'] / ours:.2f}x | "
            f"{r['qtensor']['gflops']:.1f} | "
            f"{bw:.1f} ({100 * bw / peak:.0f}%) |")
    lines.append("")
lines += ["Times are medians over interleaved rounds; min times are in the "
          "JSON files. Ratios above 1 mean qtensor is faster.", ""]
(out / "results.md").write_text("\n".join(lines))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

run, rows = runs[-1]
layers = sorted({row["layer"] for row in rows
                 if row["layer"] != "toy" and row["layer"] not in TRANSFORMERS})
if not layers:
    print(f"wrote {out / 'results.md'}")
    raise SystemExit(0)
fig, axes = plt.subplots(1, len(layers), figsize=(5 * len(layers), 4),
                         squeeze=False)
for ax, layer in zip(axes[0], layers):
    picked = sorted((row for row in rows if row["layer"] == layer),
                    key=lambda row: row["m"])
    ms = [row["m"] for row in picked]
    for label, key in (("vs best LibTorch fp32", None),
                       ("vs seed module swap", "swap"),
                       ("vs LibTorch dynamic int8", "dynamic")):
        speedups = []
        for row in picked:
            r = row["results"]
            base = r[best_fp32(r) if key is None else key]["median_ms"]
            speedups.append(base / r["qtensor"]["median_ms"])
        ax.plot(ms, speedups, marker="o", label=label)
    ax.axhline(1.0, color="gray", linewidth=0.8)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log", base=2)
    ax.set_xlabel("M (rows)")
    ax.set_ylabel("speedup of qtensor (x)")
    ax.set_title(f"K x N = {layer} ({run})")
    ax.legend(fontsize=8)
fig.tight_layout()
fig.savefig(out / "speedup.png", dpi=110)
print(f"wrote {out / 'results.md'} and {out / 'speedup.png'}")
