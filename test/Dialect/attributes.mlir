// RUN: qtensor-opt --verify-roundtrip %s | FileCheck %s

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
