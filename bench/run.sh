#!/usr/bin/env bash
# Runs qtensor's CPU benchmark: the compiled int8 model against LibTorch's
# fp32 (F.linear, torch.mv), the seed's module swap and LibTorch's dynamic
# int8 Linear, for M in {1, 4, 16, 64, 256, 1024, 4096} and the layers
# (K, N) = (4096, 4096), (4096, 11008), (11008, 4096), plus the ToyModel.
#
#   bench/run.sh [--quick] [--transformers | --decoder] [--no-build]
#                [--build-dir DIR] [--out DIR]
#
# --transformers runs the transformer benchmark instead: a Llama-style stack
# (dim 2048, 32 heads, SwiGLU 5632, 4 blocks) and nn.TransformerEncoder
# (d 1024, 16 heads, ff 4096, 4 layers), batch 1, at 16 and 128 tokens:
# qtensor int8, the same model's linears alone, LibTorch fp32 running the
# frozen traced module (bench/make_transformer_bench_models.py).
#
# --decoder runs the decoding benchmark instead (qtensor-decode-bench): a
# decoder of TinyLlama-1.1B's shape (dim 2048, 22 layers, 32 heads, 4 KV
# heads, hidden 5632, vocabulary 32000, cache 512; random weights from a
# seed, test/Importer/make_decoder_models.py), qtensor int8 against LibTorch
# fp32 running the same scripted module: prefill of 128 tokens, decode
# tokens/s and the share of the measured read bandwidth a decode step
# reaches. --quick: the same at dim 256, 2 layers.
#
# Writes DIR/results-*.jsonl (one JSON object per row), DIR/results.md (the
# table) and DIR/speedup.png (speedup against M per layer). The baselines run
# with the environment as it is and, when OPENBLAS_CORETYPE is set, once more
# without it (OpenBLAS then picks its kernel for this CPU). --quick runs a
# small layer in a few seconds: the test suite's smoke test.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$root/build"
out="$root/build/bench"
quick=0
transformers=0
decoder=0
do_build=1
while (($#)); do
  case "$1" in
    --quick) quick=1 ;;
    --transformers) transformers=1 ;;
    --decoder) decoder=1 ;;
    --no-build) do_build=0 ;;
    --build-dir) build=$2; shift ;;
    --out) out=$2; shift ;;
    *) echo "error: unknown option '$1' (expected --quick, --transformers, --decoder, --no-build, --build-dir DIR, --out DIR)" >&2; exit 2 ;;
  esac
  shift
done

if ((do_build)); then
  cmake -S "$root" -B "$build" -G Ninja > /dev/null
  cmake --build "$build" --target qtensor-bench qtensor-decode-bench
fi
bench="$build/bin/qtensor-bench"
[[ -x "$bench" ]] || { echo "error: $bench not built" >&2; exit 2; }

# Three thread pools share the cores: qtensor's libomp, LibTorch's OpenMP
# (libgomp) and OpenBLAS's pthreads. By default libomp's idle workers spin
# for 200 ms and OpenBLAS's for ~2^28 cycles, taking the cores from whichever
# candidate comes next in a round: on 2 cores that doubled or halved single
# rows at random. Here libomp's workers spin for 1 ms (KMP_BLOCKTIME, in ms)
# and OpenBLAS's hardly at all; libgomp keeps its default (a short spin).
# Sleeping at once (KMP_BLOCKTIME=0, OMP_WAIT_POLICY=PASSIVE) would instead
# wake a worker through the kernel for every parallel region: ~70 us each,
# a quarter of a decode step of ~110 kernels, which no user with libomp's
# defaults pays. Set the variables to override.
export KMP_BLOCKTIME=${KMP_BLOCKTIME:-1}
export OPENBLAS_THREAD_TIMEOUT=${OPENBLAS_THREAD_TIMEOUT:-4}

# The OpenBLAS kernels for this CPU's widest vectors, when OpenBLAS itself
# picks others (a VM's CPU model it does not know gets Prescott's SSE3
# kernels; Zen gets AVX2 kernels where AVX-512 ones exist): LibTorch runs
# once more with them.
blas_core() {
  /usr/bin/python3 -c 'import ctypes; blas = ctypes.CDLL("libblas.so.3"); blas.openblas_get_corename.restype = ctypes.c_char_p; print(blas.openblas_get_corename().decode())' 2>/dev/null || true
}
best_core=
if grep -qw avx512bw /proc/cpuinfo && grep -qw avx512vl /proc/cpuinfo; then
  best_core=SkylakeX
elif grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then
  best_core=Haswell
fi
detected_core=$(env -u OPENBLAS_CORETYPE bash -c "$(declare -f blas_core); blas_core")

mkdir -p "$out/models"
if ((decoder)); then
  if ((quick)); then
    shape=(--dim 256 --layers 2 --heads 8 --kv-heads 2 --hidden 688 --vocab 1000 --cache 64)
    args=(--prompt-tokens 16 --steps 8 --rounds 2)
    out="$out/decoder-quick"
  else
    shape=(--dim 2048 --layers 22 --heads 32 --kv-heads 4 --hidden 5632 --vocab 32000 --cache 512)
    args=(--prompt-tokens 128 --steps 32 --rounds 5)
    out="$out/decoder"
  fi
  mkdir -p "$out/model"
  # 4.4 GB at the full size: written once, kept for later runs of that size.
  if [[ ! -f "$out/model/decoder_scripted.pt" ]]; then
    /usr/bin/python3 "$root/test/Importer/make_decoder_models.py" "$out/model" "${shape[@]}" --only-scripted > /dev/null
  fi
  # OpenBLAS as it chooses, then with the best kernels when it chose others
  # (for sgemm, Cooperlake and SapphireRapids are SkylakeX, Zen is Haswell).
  first_core=${OPENBLAS_CORETYPE:-$detected_core}
  cores=(as-is)
  case "$best_core:$first_core" in
    SkylakeX:SkylakeX | SkylakeX:Cooperlake | SkylakeX:SapphireRapids) ;;
    Haswell:Haswell | Haswell:Zen | Haswell:SkylakeX | Haswell:Cooperlake) ;;
    :*) ;;
    *) cores+=("$best_core") ;;
  esac
  files=()
  for core in "${cores[@]}"; do
    file="$out/results-$core.jsonl"
    if [[ "$core" == as-is ]]; then
      echo "== decoder, OpenBLAS $first_core (as it is)" >&2
      "$build/bin/qtensor-decode-bench" "$out/model/decoder_scripted.pt" "${args[@]}" > "$file"
    else
      echo "== decoder, OpenBLAS $core (OPENBLAS_CORETYPE)" >&2
      OPENBLAS_CORETYPE=$core "$build/bin/qtensor-decode-bench" "$out/model/decoder_scripted.pt" "${args[@]}" > "$file"
    fi
    files+=("$file")
  done
  /usr/bin/python3 "$root/bench/report.py" --decoder --out "$out" "${files[@]}"
  exit 0
fi
if ((transformers)); then
  # No layers; the models at 16 and 128 tokens (--quick: small ones).
  shapes=""
  if ((quick)); then
    size=(--quick)
    args=(--transformer-tokens 16 --rounds 3 --row-budget-s 1)
    out="$out/transformers-quick"
  else
    size=()
    args=(--transformer-tokens 16,128 --rounds 7 --row-budget-s 20)
    out="$out/transformers"
  fi
  mkdir -p "$out/models"
  /usr/bin/python3 "$root/bench/make_transformer_bench_models.py" \
    "$out/models" 16 128 "${size[@]}"
elif ((quick)); then
  shapes=256x512
  args=(--batches 1,16 --rounds 3 --row-budget-s 1 --min-sample-ms 0.5)
else
  shapes=4096x4096,4096x11008,11008x4096
  args=(--batches 1,4,16,64,256,1024,4096 --rounds 9 --row-budget-s 7)
fi
if ((!transformers)); then
  /usr/bin/python3 "$root/bench/make_bench_models.py" "$out/models" ${shapes//,/ }
fi


runs=(as-is)
if [[ -n "${OPENBLAS_CORETYPE:-}" ]]; then runs+=(best-kernel); fi
files=()
for run in "${runs[@]}"; do
  file="$out/results-$run.jsonl"
  echo "== run '$run' (OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset})" >&2
  if [[ "$run" == best-kernel ]]; then
    env -u OPENBLAS_CORETYPE "$bench" --models "$out/models" ${shapes:+--shapes "$shapes"} "${args[@]}" > "$file"
  else
    "$bench" --models "$out/models" ${shapes:+--shapes "$shapes"} "${args[@]}" > "$file"
  fi
  files+=("$file")
done
/usr/bin/python3 "$root/bench/report.py" --out "$out" "${files[@]}"
