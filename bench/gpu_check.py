"""The device check: qtensor's CUDA artifacts against PyTorch on this GPU.

Runs in the folder that bench/make_gpu_check.sh packs (through
gpu_check.sh), on a machine with a CUDA driver, Python and PyTorch, and none
of qtensor's build dependencies. For the ToyModel and for 4096x4096 and
4096x11008 layers at M in {1, 16, 256, 4096}, fp32 and bf16 activations:

- correctness: qtensor's output against the seed's formula
  (x @ int8.t().to(x.dtype)) * scale.t() run by PyTorch here, on the same
  input and the same quantized weights (made here from a seed with the
  seed's int8_symmetric_quantize, given to the artifact as parameters);
- speed: qtensor's kernels as CUDA-graph replays of one call per parameter
  copy (--rotate 4, the way the baselines are timed), the GPU time of its
  launches with events around each, and the whole call (host copies
  included), against torch.matmul (cuBLAS, in the activation dtype, on float weights)
  and the seed's Int8SymmetricTensor under torch.compile (M in {1, 4096}),
  both timed with CUDA events over CUDA-graph replays across 4 rotating
  weight copies, plus one eager call each as single-launch latency;
- the GPU's read bandwidth measured in the same run, and each M = 1 row's
  share of it;
- the same layers compiled with other kernel options (VARIANTS: 2 and 4
  output columns per split-K warp at M = 1; 1 and 2 rows per thread in
  the fp32 tiled kernel at M = 16), checked and timed as CUDA-graph
  replays, to choose those options' defaults.

- transformer models (bench/make_gpu_check.sh's transformers/: traced
  nanoGPT- and Llama-style decoders, nn.TransformerEncoder's fused fast
  path; 16 tokens, fp32 and bf16 weights): qtensor's int8 output against
  the module-swap oracle (module_swap.py) run by PyTorch on the CPU on the
  same input, timed next to the float model on this GPU in PyTorch eager
  and under torch.compile (the model's Python modules from
  make_transformer_models.py with its weights), one call each.

Prints one table; every row names the GPU and the dtype. Exit status 0 when
every output matches, 1 otherwise, 2 when there is no GPU.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
EXEC = HERE / "bin" / "qtensor-exec"
ROTATE = 4
# Kernel options timed next to the defaults, by batch size: artifact
# suffix and --gpu-kernel-options (bench/make_gpu_check.sh builds them).
VARIANTS = {
    1: (("c2", "splitk-columns=2"), ("c4", "splitk-columns=4")),
    16: (("t1", "tile-m=1"), ("t2", "tile-m=2")),
}


# --- The seed's quantizer and tensor subclass (the tutorial's code) --------

def int8_symmetric_quantize(fp32_tensor):
    quant_min = -128
    quant_max = 127
    min_val = torch.amin(fp32_tensor, dim=[1], keepdim=False)
    max_val = torch.amax(fp32_tensor, dim=[1], keepdim=False)
    min_val_neg = torch.min(min_val, torch.zeros_like(min_val))
    max_val_pos = torch.max(max_val, torch.zeros_like(max_val))
    max_val_pos = torch.max(-min_val_neg, max_val_pos)
    scale = max_val_pos / (float(quant_max - quant_min) / 2)
    scale = scale.view(fp32_tensor.shape[0], -1)
    out = torch.round(fp32_tensor * (1.0 / scale))
    out = torch.clamp(out, quant_min, quant_max).to(torch.int8)
    return out, scale


def seed_formula(x, w_int8, scale):
    return torch.matmul(x, w_int8.t().to(x.dtype)) * scale.t()


_OPS = {}
# torch.compile and dynamo exist from PyTorch 2.0 on.
_dynamo_disable = getattr(getattr(torch, "_dynamo", None), "disable",
                          lambda function: function)


class Int8SymmetricTensor(torch.Tensor):
    """The seed's subclass: int8 data and a scale; mm = int8 mm * scale."""

    @staticmethod
    @_dynamo_disable
    def __new__(cls, int_data, scale):
        return torch.Tensor._make_wrapper_subclass(
            cls, int_data.shape, strides=int_data.stride(),
            storage_offset=int_data.storage_offset(), dtype=scale.dtype,
            device=int_data.device)

    @_dynamo_disable
    def __init__(self, int_data, scale):
        self.int_data = int_data
        self.scale = scale

    def __tensor_flatten__(self):
        return ["int_data", "scale"], None

    @classmethod
    def __tensor_unflatten__(cls, inner, meta, outer_size=None,
                             outer_stride=None):
        return Int8SymmetricTensor(inner["int_data"], inner["scale"])

    @classmethod
    def __torch_dispatch__(cls, func, types, args, kwargs):
        return _OPS[func](func, *args, **(kwargs or {}))


def _mixed_mm(func, x, weight):
    return torch.mm(x, weight.int_data.to(x.dtype)) * weight.scale


def _int8_view(func, *args, **kwargs):
    from torch.utils._python_dispatch import return_and_correct_aliasing
    out = Int8SymmetricTensor(func(args[0].int_data, *args[1:], **kwargs),
                              func(args[0].scale, *args[1:], **kwargs))
    return return_and_correct_aliasing(func, args, kwargs, out)


_OPS[torch.ops.aten.mm.default] = _mixed_mm
_OPS[torch.ops.aten.detach.default] = _int8_view
_OPS[torch.ops.aten.t.default] = _int8_view


# --- Timing -----------------------------------------------------------------

def event_ms(work):
    """GPU ms of `work()`, between two CUDA events on the current stream."""
    start = torch.cuda.Event(enable_timing=True)
    end = torch.cuda.Event(enable_timing=True)
    start.record()
    work()
    end.record()
    end.synchronize()
    return start.elapsed_time(end)


def time_graph(calls, replays=20):
    """Median ms per call: CUDA events around graph replays of `calls`
    (one callable per rotating weight copy, captured in one graph)."""
    stream = torch.cuda.Stream()
    with torch.cuda.stream(stream):
        for call in calls:  # warm-up and autotuning outside the capture
            call()
    torch.cuda.synchronize()
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        for call in calls:
            call()
    graph.replay()
    torch.cuda.synchronize()
    times = [event_ms(graph.replay) / len(calls) for _ in range(replays)]
    return float(np.median(times))


def time_eager(call, runs=10):
    """Median ms of one call launched on its own (single-launch latency)."""
    call()
    torch.cuda.synchronize()
    return float(np.median([event_ms(call) for _ in range(runs)]))


def read_bandwidth_gbs():
    """The GPU's read bandwidth: a sum over 2 GiB, timed over graph replays."""
    data = torch.ones(1 << 29, device="cuda", dtype=torch.float32)
    out = torch.empty((), device="cuda")
    ms = time_graph([lambda: torch.sum(data, out=out)])
    return data.numel() * 4 / (ms * 1e-3) / 1e9


# --- qtensor through qtensor-exec -------------------------------------------

def to_npy(tensor):
    cpu = tensor.detach().cpu().contiguous()
    if cpu.dtype == torch.bfloat16:
        return cpu.view(torch.int16).numpy().view(np.uint16)
    return cpu.numpy()


def from_npy(array, dtype):
    if dtype == torch.bfloat16:
        return torch.from_numpy(array.view(np.int16)).view(torch.bfloat16)
    return torch.from_numpy(array)


def write_weights(manifest, tensors, path):
    """weights.bin in the manifest's layout, from name -> tensor."""
    blob = bytearray(manifest["weights_bytes"])
    for parameter in manifest["parameters"]:
        data = to_npy(tensors[parameter["name"]]).tobytes()
        if len(data) != parameter["bytes"]:
            raise SystemExit(f"parameter {parameter['name']}: {len(data)} "
                             f"bytes, the manifest says {parameter['bytes']}")
        offset = parameter["offset"]
        blob[offset:offset + len(data)] = data
    Path(path).write_bytes(bytes(blob))


def run_qtensor(artifact, x, weights, work, bench, out_dtype=None):
    """Runs qtensor-exec; returns (output, {row name: ms or why not}); the
    output has x's dtype unless `out_dtype` says otherwise (token ids in,
    bf16 logits out)."""
    x_path, y_path = work / "x.npy", work / "y.npy"
    np.save(x_path, to_npy(x))
    command = [str(EXEC), str(artifact), "--input", str(x_path),
               "--output", str(y_path), "--bench", str(bench),
               "--rotate", str(ROTATE)]
    if weights:
        command += ["--params", str(weights)]
    env = dict(os.environ)
    env["LD_LIBRARY_PATH"] = f"{HERE / 'lib'}:{env.get('LD_LIBRARY_PATH', '')}"
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip() or done.stdout.strip())
    fields = {}
    for line in done.stdout.splitlines():
        if line.startswith("bench "):
            words = line.split()
            fields[words[1]] = dict(w.split("=") for w in words[2:])
    graph = fields.get("qtensor-exec-graph")
    warning = next((line for line in done.stderr.splitlines()
                    if line.startswith("warning:")), "no graph timing")
    times = {
        "qtensor, CUDA graph": (float(graph["median_ms"]) if graph
                                else warning),
        "qtensor, events per launch":
            float(fields["qtensor-exec-kernels"]["median_ms"]),
        "qtensor call": float(fields["qtensor-exec"]["median_ms"]),
    }
    return from_npy(np.load(y_path), out_dtype or x.dtype).cuda(), times


# --- The check ----------------------------------------------------------------

def variant_rows(row, work, layer, name, m, x, weights):
    """Rows (through `row`) of the artifacts of this layer compiled with
    other kernel options (VARIANTS), on `weights` = (float, int8, scale):
    their CUDA-graph time and whether they match. Returns the number of
    mismatches and errors."""
    bad = 0
    for suffix, options in VARIANTS.get(m, ()):
        artifact = (HERE / "artifacts" /
                    f"linear_{layer}_{name}_{suffix}.qta")
        if not artifact.exists():  # e.g. tile-m: f32 only
            continue
        impl = f"qtensor {options}, CUDA graph"
        try:
            manifest = json.loads(
                (artifact / "manifest.json").read_text())
            data_name = next(p["name"] for p in manifest["parameters"]
                             if p["name"].endswith(".weight.data"))
            path = work / f"{artifact.name}.bin"
            write_weights(manifest, {
                data_name: weights[1],
                data_name[:-len("data")] + "scale": weights[2]}, path)
            y, times = run_qtensor(artifact, x, path, work, 50)
            ok, diff = matches(y, seed_formula(x, weights[1], weights[2]))
            bad += not ok
            ms = times["qtensor, CUDA graph"]
            note = (f"{'match' if ok else 'MISMATCH'} "
                    f"max_abs_diff={diff:.2e}")
            if isinstance(ms, str):  # no graph: events, and why
                ms, note = (times["qtensor, events per launch"],
                            f"{note}; {ms[:100]}")
                impl = f"qtensor {options}, events per launch"
            row(layer, name, m, impl, ms, weights[1].numel(), note)
        except (Exception, SystemExit) as error:
            bad += 1
            row(layer, name, m, impl, 0, 0, f"ERROR {error}"[:160])
    return bad


def matches(ours, reference):
    if ours.shape != reference.shape:
        return False, float("inf")
    diff = (ours.float() - reference.float()).abs().max().item()
    scale = reference.float().abs().max().item() or 1.0
    # bf16 outputs are rounded to 8 bits of mantissa, in a different order.
    tolerance = 2e-2 if ours.dtype == torch.bfloat16 else 1e-4
    return diff <= tolerance * scale, diff


# name, input shape, input dtype, the model's float dtype and its builder in
# make_transformer_models.py (bench/make_gpu_check.sh compiles them; the
# bf16 models are the traced decoders with their weights cast to bf16;
# the encoder's fused fast-path op has no bf16 CPU kernel for the oracle).
TRANSFORMERS = (
    ("gpt_traced", (1, 16), torch.long, torch.float32, "gpt"),
    ("llama_traced", (1, 16, 64), torch.float32, torch.float32, "llama"),
    ("encoder_fast", (1, 16, 64), torch.float32, torch.float32, "encoder"),
    ("gpt_traced_bf16", (1, 16), torch.long, torch.bfloat16, "gpt"),
    ("llama_traced_bf16", (1, 16, 64), torch.bfloat16, torch.bfloat16,
     "llama"),
)


def python_model(builder, scripted, dtype):
    """The float model as Python modules (what torch.compile traces), with
    the TorchScript model's weights, on the GPU."""
    sys.path.insert(0, str(HERE))
    import make_transformer_models as models

    model = {"gpt": models.Gpt, "llama": models.Llama,
             "encoder": models.encoder}[builder]().eval()
    model.load_state_dict({key: value.float() for key, value
                           in scripted.state_dict().items()})
    return model.to(dtype).cuda()


def transformer_input(shape, dtype):
    if dtype == torch.long:
        return torch.randint(0, 16, shape)
    return torch.randn(*shape).to(dtype)


def transformer_rows(row, qtensor_rows, work):
    """The transformer models' rows; returns the number of failures."""
    sys.path.insert(0, str(HERE))
    from module_swap import module_swap

    failures = 0
    folder = HERE / "transformers"
    for name, shape, input_dtype, dtype, builder in TRANSFORMERS:
        tokens = shape[1]
        label = "bf16" if dtype == torch.bfloat16 else "f32"
        x = transformer_input(shape, input_dtype)
        try:
            model = torch.jit.load(str(folder / f"{name}.pt")).eval()
            with torch.no_grad():
                ref = module_swap(model)(x)
            y, times = run_qtensor(folder / f"{name}.qta", x, None, work, 20,
                                   dtype)
            ok, diff = matches(y.cpu(), ref)
            failures += not ok
            qtensor_rows(name, label, tokens, times, 0,
                         f"{'match' if ok else 'MISMATCH'} "
                         f"max_abs_diff={diff:.2e}")
        except Exception as error:  # one row, not a traceback
            failures += 1
            row(name, label, tokens, "qtensor", 0, 0, f"ERROR {error}"[:160])
            continue
        # The baselines run the Python modules: a traced model keeps the
        # device it was traced on in its graph (GPT's positions on the CPU).
        x_gpu = x.cuda()

        def baseline(impl, make):
            """The row of `make()`'s model, timed; None when it failed."""
            try:
                timed = make()
                with torch.no_grad():
                    row(name, label, tokens, impl,
                        time_eager(lambda: timed(x_gpu)), 0)
                return timed
            except Exception as error:
                row(name, label, tokens, impl, 0, 0,
                    f"ERROR {type(error).__name__}: {error}"[:120])
                return None

        eager = baseline("PyTorch eager (float)",
                         lambda: python_model(builder, model, dtype))
        if eager is not None and hasattr(torch, "compile"):
            baseline("torch.compile (float)", lambda: torch.compile(eager))
    return failures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true",
                        help="M in {1, 256} only, no torch.compile")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("error: PyTorch sees no CUDA GPU here", file=sys.stderr)
        return 2
    gpu = torch.cuda.get_device_name()
    torch.manual_seed(0)
    bandwidth = read_bandwidth_gbs()
    print(f"GPU: {gpu}; read bandwidth {bandwidth:.0f} GB/s "
          f"(sum over 2 GiB, CUDA graph replays); torch {torch.__version__}")
    rows, failures = [], 0
    work = Path(tempfile.mkdtemp(prefix="qtensor-gpu-check-"))
    batches = [1, 256] if args.quick else [1, 16, 256, 4096]

    def qtensor_rows(layer, dtype, m, times, weight_bytes, check):
        """The first timed row carries the correctness note; a missing
        graph time is shown (its reason), not counted as a mismatch."""
        for impl, ms in times.items():
            if isinstance(ms, str):
                row(layer, dtype, m, impl, 0, 0, ms[:120])
                continue
            note, check = check, ""
            if impl == "qtensor call":
                note = "host copies included"
            row(layer, dtype, m, impl, ms, weight_bytes, note)

    def row(layer, dtype, m, impl, ms, weight_bytes, note=""):
        gbs = weight_bytes / (ms * 1e-3) / 1e9 if ms else 0.0
        share = f"{100 * gbs / bandwidth:.0f}%" if m == 1 else ""
        rows.append((gpu, dtype, layer, m, impl, f"{ms * 1e3:.1f}",
                     f"{gbs:.0f}", share, note))

    # The ToyModel: its weights travel in the artifact; the reference uses
    # the same quantized parameters.
    toy = HERE / "artifacts" / "toy_f32.qta"
    manifest = json.loads((toy / "manifest.json").read_text())
    blob = (toy / "weights.bin").read_bytes()
    params = {}
    for p in manifest["parameters"]:
        dtype = np.int8 if p["dtype"] == "i8" else np.float32
        params[p["name"]] = torch.from_numpy(np.frombuffer(
            blob, dtype, int(np.prod(p["shape"])), p["offset"]).reshape(
                p["shape"]).copy()).cuda()
    x = torch.randn(64, 64, device="cuda")
    try:
        y, times = run_qtensor(toy, x, None, work, 20)
        h = seed_formula(x, params["linear1.weight.data"],
                         params["linear1.weight.scale"])
        ref = seed_formula(h, params["linear2.weight.data"],
                           params["linear2.weight.scale"])
        ok, diff = matches(y, ref)
        failures += not ok
        qtensor_rows("toy", "f32", 64, times, 0,
                     f"{'match' if ok else 'MISMATCH'} "
                     f"max_abs_diff={diff:.2e}")
    except Exception as error:  # one row, not a traceback
        failures += 1
        row("toy", "f32", 64, "qtensor", 0, 0, f"ERROR {error}")

    for k, n in ((4096, 4096), (4096, 11008)):
        for dtype, name in ((torch.float32, "f32"), (torch.bfloat16, "bf16")):
            layer = f"{k}x{n}"
            artifact = HERE / "artifacts" / f"linear_{layer}_{name}.qta"
            manifest = json.loads((artifact / "manifest.json").read_text())
            data_name = next(p["name"] for p in manifest["parameters"]
                             if p["name"].endswith(".weight.data"))
            scale_name = data_name[:-len("data")] + "scale"
            copies = []
            for copy in range(ROTATE):
                weight = (torch.randn(n, k, device="cuda") * 0.02).to(dtype)
                w_int8, scale = int8_symmetric_quantize(weight)
                copies.append((weight, w_int8, scale))
            weights_path = work / f"{layer}_{name}.bin"
            write_weights(manifest, {data_name: copies[0][1],
                                     scale_name: copies[0][2]}, weights_path)
            int8_bytes, float_bytes = n * k, n * k * dtype.itemsize
            subclass = [Int8SymmetricTensor(w, s) for _, w, s in copies]
            compiled = (torch.compile(
                lambda x, w: torch.nn.functional.linear(x, w))
                if hasattr(torch, "compile") else None)
            for m in batches:
                x = torch.randn(m, k, device="cuda").to(dtype)
                try:
                    y, times = run_qtensor(
                        artifact, x, weights_path, work, 50)
                    ref = seed_formula(x, copies[0][1], copies[0][2])
                    ok, diff = matches(y, ref)
                    failures += not ok
                    qtensor_rows(layer, name, m, times, int8_bytes,
                                 f"{'match' if ok else 'MISMATCH'} "
                                 f"max_abs_diff={diff:.2e}")
                except Exception as error:
                    failures += 1
                    row(layer, name, m, "qtensor", 0, 0, f"ERROR {error}")
                failures += variant_rows(row, work, layer, name, m, x,
                                         copies[0])
                outs = [torch.empty(m, n, device="cuda", dtype=dtype)
                        for _ in copies]
                calls = [lambda w=w, o=o: torch.matmul(x, w.t(), out=o)
                         for (w, _, _), o in zip(copies, outs)]
                row(layer, name, m, "torch.matmul (cuBLAS)",
                    time_graph(calls), float_bytes)
                row(layer, name, m, "torch.matmul, one launch",
                    time_eager(calls[0]), float_bytes)
                if m in (1, 4096) and not args.quick and compiled:
                    try:
                        calls = [lambda w=w: compiled(x, w) for w in subclass]
                        row(layer, name, m, "seed subclass, torch.compile",
                            time_graph(calls), int8_bytes)
                    except Exception as error:
                        row(layer, name, m, "seed subclass, torch.compile",
                            0, 0, f"ERROR {type(error).__name__}: {error}"
                            [:120])

    failures += transformer_rows(row, qtensor_rows, work)

    header = ("GPU", "dtype", "layer", "M", "implementation", "median_us",
              "weight GB/s", "of read BW", "note")
    widths = [max(len(str(r[i])) for r in rows + [header])
              for i in range(len(header))]
    for line in [header] + rows:
        print(" | ".join(str(v).ljust(w) for v, w in zip(line, widths)))
    print(f"{failures} mismatches or errors")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    started = time.time()
    status = main()
    print(f"gpu_check: {time.time() - started:.0f} s")
    sys.exit(status)
