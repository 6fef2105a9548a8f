// RUN: qtensor-opt --verify-roundtrip %s | FileCheck %s

// Tests that GPU kernel variants print back as written: each family with
// the parameters it takes, max_rows only where given.

// CHECK-LABEL: func.func private @gpu_kernels()
// CHECK-SAME: #qtensor.gpu_kernel<splitk, max_rows = 4, vector_width = 16, columns = 2>
// CHECK-SAME: #qtensor.gpu_kernel<mma_ksplit, max_rows = 32, chunks = 4>
// CHECK-SAME: #qtensor.gpu_kernel<mma, chunks = 1>
// CHECK-SAME: #qtensor.gpu_kernel<tiled, max_rows = 0, vector_width = 1, tile_m = 16>
// CHECK-SAME: #qtensor.gpu_kernel<shared_tiled, tile_m = 3, tile_k = 128>
func.func private @gpu_kernels() attributes {
  a = [#qtensor.gpu_kernel<splitk, max_rows = 4, vector_width = 16, columns = 2>,
       #qtensor.gpu_kernel<mma_ksplit, max_rows = 32, chunks = 4>,
       #qtensor.gpu_kernel<mma, chunks = 1>],
  b = [#qtensor.gpu_kernel<tiled, max_rows = 0, vector_width = 1, tile_m = 16>,
       #qtensor.gpu_kernel<shared_tiled, tile_k = 128, tile_m = 3>]}
