#!/usr/bin/env bash
# Installs every Debian package qtensor needs to build and test. Idempotent: when
# nothing is missing it makes no apt call at all.
set -euo pipefail

packages=(
  # Compiler toolchain and build.
  build-essential cmake ninja-build ccache git clang-format
  # The formatter of LLVM 22, the style the sources follow (.clang-format).
  clang-format-22
  # clang and its libFuzzer runtime for the fuzz targets (scripts/fuzz.sh).
  clang libclang-rt-14-dev
  # LLVM/MLIR 22: libraries, CMake packages, tablegen, lit, FileCheck.
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools
  # C++ test framework.
  libgtest-dev libgmock-dev
  # LibTorch (importer, reference checks) and Python torch for fixtures only.
  libtorch-dev python3-torch python3-numpy python3-matplotlib
  # BLAS for LibTorch baselines, OpenMP for CPU threads, benchmarks.
  libopenblas0-pthread libomp-dev libbenchmark-dev
)

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
"${sudo_cmd[@]}" apt-get update -q
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"

if [[ -x /usr/local/cuda/bin/ptxas ]]; then
  echo "setup: CUDA toolkit found at /usr/local/cuda"
else
  echo "setup: no CUDA toolkit at /usr/local/cuda; GPU binary steps will be skipped"
fi
