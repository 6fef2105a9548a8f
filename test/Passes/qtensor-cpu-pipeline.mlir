// RUN: qtensor-opt --qtensor-cpu-pipeline %s | FileCheck %s
// RUN: qtensor-opt --qtensor-cpu-pipeline="quantization=none" %s | FileCheck %s --check-prefix=FLOAT
// RUN: qtensor-opt --qtensor-cpu-pipeline="parameters=false" %s | FileCheck %s --check-prefix=BAKED
// RUN: qtensor-opt --qtensor-cpu-pipeline="tile-n=8 parallel-chunk=8" %s | FileCheck %s --check-prefix=OMP
// RUN: qtensor-opt --qtensor-cpu-pipeline --mlir-print-ir-after=qtensor-configure-cpu-kernels %s -o /dev/null 2>&1 | FileCheck %s --check-prefix=AVX512
// RUN: qtensor-opt --qtensor-cpu-pipeline="vector-bits=256" --mlir-print-ir-after=qtensor-configure-cpu-kernels %s -o /dev/null 2>&1 | FileCheck %s --check-prefix=AVX2
// RUN: qtensor-opt --qtensor-cpu-pipeline="vector-bits=256 tile-m=4" --mlir-print-ir-after=qtensor-configure-cpu-kernels %s -o /dev/null 2>&1 | FileCheck %s --check-prefix=AVX2-M4

// Tests that stage-0 IR (float weights) compiles to the LLVM dialect: the
// int8 data and f32 scales become trailing parameters of @forward (in the
// manifest, not in the code), and the kernel is vector code; the one-row
// tiles of the dynamic batch prefetch the weights after theirs.
// CHECK: module attributes {qtensor.parameters = [{{.*}}name = "fc.weight.data", type = tensor<16x32xi8>{{.*}}name = "fc.weight.scale", type = tensor<16x1xf32>
// CHECK: llvm.func @forward(
// CHECK-NOT: qtensor.
// CHECK-NOT: linalg.
// CHECK: llvm.intr.fmuladd{{.*}}vector<16xf32>
// CHECK: llvm.intr.prefetch
// CHECK-NOT: llvm.mlir.global {{.*}}fc.weight

// FLOAT-NOT: xi8>
// FLOAT: llvm.func @forward(

// With parallel-chunk, the column chunks are an OpenMP worksharing loop
// that the LLVM IR translation turns into __kmpc_* runtime calls.
// OMP: llvm.func @forward(
// OMP:   omp.parallel {
// OMP:     omp.wsloop {
// OMP:       omp.loop_nest (%{{.*}}) : i64 = (%{{.*}}) to (%{{.*}}) step (%{{.*}}) {
// OMP:         llvm.intr.fmuladd{{.*}}vector<8xf32>

// Tile sizes left at 0 come from vector-bits: AVX-512's 16 x 16, AVX2's
// 8 x 8 (tile_n clamped to N = 16 here), each overridable alone.
// AVX512: #qtensor.cpu_kernel<register_tiled, tile_m = 16, tile_n = 16, tile_k = 16, panel_rows = 256, remainder_tile_m = 4>
// AVX2: #qtensor.cpu_kernel<register_tiled, tile_m = 8, tile_n = 8, tile_k = 16, panel_rows = 256, remainder_tile_m = 4>
// AVX2-M4: #qtensor.cpu_kernel<register_tiled, tile_m = 4, tile_n = 8, tile_k = 16, panel_rows = 256>

// BAKED-NOT: qtensor.parameters
// BAKED: llvm.mlir.global private constant @{{.*}} : !llvm.array<16 x array<32 x i8>>
// BAKED: llvm.func @forward(
func.func @forward(%x: tensor<?x32xf32>) -> tensor<?x16xf32> {
  %w = arith.constant dense<0.5> : tensor<16x32xf32> loc("fc.weight")
  %y = qtensor.linear %x, %w : tensor<?x32xf32>, tensor<16x32xf32> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
