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

// Tests that #qtensor.cpu_kernel prints back as written, its default-valued
// parameters (panel_rows = 0, remainder_tile_m = 1, column_chunk = 0)
// omitted.
// CHECK-LABEL: func.func @cpu_kernels
// CHECK-SAME: a = #qtensor.cpu_kernel<gemv, tile_m = 1, tile_n = 16, tile_k = 16>
// CHECK-SAME: b = #qtensor.cpu_kernel<small_m, tile_m = 3, tile_n = 8, tile_k = 16, remainder_tile_m = 4>
// CHECK-SAME: c = #qtensor.cpu_kernel<register_tiled, tile_m = 16, tile_n = 16, tile_k = 16, panel_rows = 256, remainder_tile_m = 4, column_chunk = 128>
// CHECK-SAME: d = #qtensor.cpu_kernel<register_tiled, tile_m = 4, tile_n = 16, tile_k = 16>
func.func @cpu_kernels() attributes {
    a = #qtensor.cpu_kernel<gemv, tile_m = 1, tile_n = 16, tile_k = 16>,
    b = #qtensor.cpu_kernel<small_m, tile_m = 3, tile_n = 8, tile_k = 16, remainder_tile_m = 4>,
    c = #qtensor.cpu_kernel<register_tiled, tile_m = 16, tile_n = 16, tile_k = 16, panel_rows = 256, remainder_tile_m = 4, column_chunk = 128>,
    d = #qtensor.cpu_kernel<register_tiled, tile_m = 4, tile_n = 16, tile_k = 16, panel_rows = 0, remainder_tile_m = 1>} {
  return
}
