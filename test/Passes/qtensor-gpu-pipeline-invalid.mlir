// RUN: %expect_exit 2 qtensor-opt --qtensor-gpu-pipeline="chip=sm_70" %s 2>&1 | FileCheck %s --check-prefix=CHIP
// RUN: %expect_exit 2 qtensor-opt --qtensor-gpu-pipeline="chip=sm_100" %s 2>&1 | FileCheck %s --check-prefix=CHIP100
// RUN: %expect_exit 2 qtensor-opt --qtensor-gpu-pipeline="format=elf" %s 2>&1 | FileCheck %s --check-prefix=FORMAT
// RUN: %expect_exit 2 env PATH=/nonexistent CUDA_ROOT= CUDA_HOME= CUDA_PATH= qtensor-opt --qtensor-gpu-pipeline="format=bin" %s 2>&1 | FileCheck %s --check-prefix=NO-PTXAS
// RUN: %expect_exit 2 env PATH=/nonexistent CUDA_ROOT= CUDA_HOME= CUDA_PATH= qtensor-opt --qtensor-gpu-pipeline="format=fatbin toolkit=/nonexistent" %s 2>&1 | FileCheck %s --check-prefix=NO-PTXAS-FATBIN
// RUN: %expect_exit 2 qtensor-opt --qtensor-gpu-pipeline="small-m=-1" %s 2>&1 | FileCheck %s --check-prefix=SMALL-M
// RUN: %expect_exit 2 qtensor-opt --qtensor-gpu-pipeline="tile-m=0" %s 2>&1 | FileCheck %s --check-prefix=TILE-M
// RUN: %expect_exit 2 qtensor-opt --qtensor-gpu-pipeline="splitk-columns=0" %s 2>&1 | FileCheck %s --check-prefix=COLUMNS0
// RUN: %expect_exit 2 qtensor-opt --qtensor-gpu-pipeline="splitk-columns=5" %s 2>&1 | FileCheck %s --check-prefix=COLUMNS5
// RUN: %expect_exit 2 qtensor-opt --qtensor-gpu-pipeline="parameters=false" %s 2>&1 | FileCheck %s --check-prefix=GLOBALS

// Tests that a chip NVPTX or the runtime does not support is one error
// before any code is generated (NVPTX itself would abort the process with
// `LLVM ERROR` for some), and that nothing else is printed.
// CHIP-NOT: LLVM ERROR
// CHIP: error: qtensor-gpu-pipeline: unsupported chip 'sm_70' (expected sm_80, sm_86, sm_89, sm_90 or sm_90a)
// CHIP-NOT: LLVM ERROR
// CHIP100: error: qtensor-gpu-pipeline: unsupported chip 'sm_100'

// Tests that an unknown binary format is refused.
// FORMAT: error: qtensor-gpu-pipeline: unknown format 'elf' (expected isa, bin or fatbin)

// Tests that format=bin / fatbin without the toolkit's ptxas is one error
// that says where it looked, before the module is lowered.
// NO-PTXAS: error: qtensor-gpu-pipeline: format=bin needs 'ptxas' from the CUDA toolkit, not found in toolkit=, PATH, $CUDA_ROOT, $CUDA_HOME or $CUDA_PATH (format=isa needs no toolkit)
// NO-PTXAS-FATBIN: error: qtensor-gpu-pipeline: format=fatbin needs 'ptxas'

// Tests that kernel-mapping options are checked as well.
// SMALL-M: error: qtensor-configure-gpu-kernels: small-m must be >= 0, got -1
// TILE-M: error: qtensor-configure-gpu-kernels: tile-m must be in [1, 16], got 0
// COLUMNS0: error: qtensor-configure-gpu-kernels: splitk-columns must be in [1, 4], got 0
// COLUMNS5: error: qtensor-configure-gpu-kernels: splitk-columns must be in [1, 4], got 5

// Tests that weights kept as host globals are refused on the GPU: a kernel
// would read a host pointer.
// GLOBALS: error: loc("fc.weight"): global '{{.*}}' is host memory read by a GPU kernel; compile with parameters=true (weights as arguments in device memory)
func.func @forward(%x: tensor<?x32xf32>) -> tensor<?x16xf32> {
  %w = arith.constant dense<0.5> : tensor<16x32xf32> loc("fc.weight")
  %y = qtensor.linear %x, %w : tensor<?x32xf32>, tensor<16x32xf32> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
