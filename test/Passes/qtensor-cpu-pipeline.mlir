// RUN: qtensor-opt --qtensor-cpu-pipeline %s | FileCheck %s
// RUN: qtensor-opt --qtensor-cpu-pipeline="quantization=none" %s | FileCheck %s --check-prefix=FLOAT
// RUN: qtensor-opt --qtensor-cpu-pipeline="parameters=false" %s | FileCheck %s --check-prefix=BAKED
// RUN: qtensor-opt --qtensor-cpu-pipeline="tile-n=8 parallel-chunk=8" %s | FileCheck %s --check-prefix=OMP

// Tests that stage-0 IR (float weights) compiles to the LLVM dialect: the
// int8 data and f32 scales become trailing parameters of @forward (in the
// manifest, not in the code), and the kernel is vector code.
// CHECK: module attributes {qtensor.parameters = [{{.*}}name = "fc.weight.data", type = tensor<16x32xi8>{{.*}}name = "fc.weight.scale", type = tensor<16x1xf32>
// CHECK: llvm.func @forward(
// CHECK-NOT: qtensor.
// CHECK-NOT: linalg.
// CHECK: llvm.intr.fmuladd{{.*}}vector<16xf32>
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

// BAKED-NOT: qtensor.parameters
// BAKED: llvm.mlir.global private constant @{{.*}} : !llvm.array<16 x array<32 x i8>>
// BAKED: llvm.func @forward(
func.func @forward(%x: tensor<?x32xf32>) -> tensor<?x16xf32> {
  %w = arith.constant dense<0.5> : tensor<16x32xf32> loc("fc.weight")
  %y = qtensor.linear %x, %w : tensor<?x32xf32>, tensor<16x32xf32> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
