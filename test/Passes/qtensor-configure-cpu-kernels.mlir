// RUN: qtensor-opt --qtensor-lower-to-linalg --canonicalize %s | qtensor-opt --qtensor-configure-cpu-kernels | FileCheck %s
// RUN: qtensor-opt --qtensor-lower-to-linalg --canonicalize %s | qtensor-opt --qtensor-configure-cpu-kernels="tile-m=16 tile-n=8 parallel-chunk=20" | FileCheck %s --check-prefix=OPTIONS
// RUN: qtensor-opt --qtensor-lower-to-linalg --canonicalize %s | qtensor-opt --pass-pipeline='builtin.module(func.func(qtensor-configure-cpu-kernels{tile-m=8 tile-n=8 tile-k=8},qtensor-tile-and-vectorize),canonicalize,cse)' | FileCheck %s --check-prefix=FOLLOW
// RUN: qtensor-opt --qtensor-lower-to-linalg --canonicalize %s | qtensor-opt --qtensor-configure-cpu-kernels="gemv-tile-n=8 max-panel-kib=260" | FileCheck %s --check-prefix=GEMV-PANEL
// RUN: qtensor-opt --qtensor-lower-to-linalg --canonicalize %s | qtensor-opt --pass-pipeline='builtin.module(func.func(qtensor-configure-cpu-kernels{parallel-chunk=128}))' | FileCheck %s --check-prefix=THREADS
// RUN: qtensor-opt --qtensor-lower-to-linalg --canonicalize %s | qtensor-opt --pass-pipeline='builtin.module(func.func(qtensor-configure-cpu-kernels{parallel-chunk=128},qtensor-tile-and-vectorize{parallel-chunk=128}),canonicalize,cse)' | FileCheck %s --check-prefix=THREADS-FOLLOW
// RUN: qtensor-opt --qtensor-lower-to-linalg %s | %expect_exit 2 qtensor-opt --qtensor-configure-cpu-kernels="tile-n=0" 2>&1 | FileCheck %s --check-prefix=BAD-TILE
// RUN: qtensor-opt --qtensor-lower-to-linalg %s | %expect_exit 2 qtensor-opt --qtensor-configure-cpu-kernels="max-panel-kib=-1" 2>&1 | FileCheck %s --check-prefix=BAD-PANEL

// Tests that a static batch of one row is a GEMV (1 x 16 tiles, or
// gemv-tile-n columns), that the decision goes on the kernel's epilogue and
// not on its weight conversion, and that tile-n is clamped to a narrower N.
// CHECK-LABEL: func.func @one_row
// CHECK-NOT: qtensor.cpu_kernel
// CHECK: attrs = {qtensor.weight_convert}
// CHECK: attrs = {qtensor.cpu_kernel = #qtensor.cpu_kernel<gemv, tile_m = 1, tile_n = 16, tile_k = 16>, qtensor.epilogue}
// CHECK-LABEL: func.func @one_row_narrow
// CHECK: #qtensor.cpu_kernel<gemv, tile_m = 1, tile_n = 8, tile_k = 16>
// GEMV-PANEL-LABEL: func.func @one_row
// GEMV-PANEL: #qtensor.cpu_kernel<gemv, tile_m = 1, tile_n = 8, tile_k = 16>
// OPTIONS-LABEL: func.func @one_row
// OPTIONS: #qtensor.cpu_kernel<gemv, tile_m = 1, tile_n = 8, tile_k = 16, remainder_tile_m = 4, column_chunk = 16>
func.func @one_row(%x: tensor<1x64xf32>, %d: tensor<32x64xi8>, %s: tensor<32x1xf32>) -> tensor<1x32xf32> {
  %y = qtensor.fused_mixed_matmul %x, %d, %s : tensor<1x64xf32>, tensor<32x64xi8>, tensor<32x1xf32> -> tensor<1x32xf32>
  return %y : tensor<1x32xf32>
}
func.func @one_row_narrow(%x: tensor<1x64xf32>, %d: tensor<8x64xi8>, %s: tensor<8x1xf32>) -> tensor<1x8xf32> {
  %y = qtensor.fused_mixed_matmul %x, %d, %s : tensor<1x64xf32>, tensor<8x64xi8>, tensor<8x1xf32> -> tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}

// Tests that a static batch smaller than tile-m is one tile of all its
// rows, without weight panels (no register tile would share them).
// CHECK-LABEL: func.func @small_batch
// CHECK: #qtensor.cpu_kernel<small_m, tile_m = 3, tile_n = 16, tile_k = 16>
// OPTIONS-LABEL: func.func @small_batch
// OPTIONS: #qtensor.cpu_kernel<small_m, tile_m = 3, tile_n = 8, tile_k = 16, remainder_tile_m = 4, column_chunk = 16>
func.func @small_batch(%x: tensor<3x64xf32>, %d: tensor<32x64xi8>, %s: tensor<32x1xf32>) -> tensor<3x32xf32> {
  %y = qtensor.fused_mixed_matmul %x, %d, %s : tensor<3x64xf32>, tensor<32x64xi8>, tensor<32x1xf32> -> tensor<3x32xf32>
  return %y : tensor<3x32xf32>
}

// Tests that batches holding full register tiles share weight panels, in
// blocks of 256 rows or of the whole batch when it is smaller; that with
// tile-m = 16 the rows after the last full tile go 4 at a time; and that
// parallel-chunk splits N = 32 into chunks of 16 (the largest multiple of
// tile-n = 8 up to 20 that divides N in two or more).
// CHECK-LABEL: func.func @large_batch
// CHECK: #qtensor.cpu_kernel<register_tiled, tile_m = 4, tile_n = 16, tile_k = 16, panel_rows = 64>
// CHECK-LABEL: func.func @larger_batch
// CHECK: #qtensor.cpu_kernel<register_tiled, tile_m = 4, tile_n = 16, tile_k = 16, panel_rows = 256>
// CHECK-LABEL: func.func @dynamic_batch
// CHECK: #qtensor.cpu_kernel<register_tiled, tile_m = 4, tile_n = 16, tile_k = 16, panel_rows = 256>
// OPTIONS-LABEL: func.func @large_batch
// OPTIONS: #qtensor.cpu_kernel<register_tiled, tile_m = 16, tile_n = 8, tile_k = 16, panel_rows = 64, remainder_tile_m = 4, column_chunk = 16>
// OPTIONS-LABEL: func.func @dynamic_batch
// OPTIONS: #qtensor.cpu_kernel<register_tiled, tile_m = 16, tile_n = 8, tile_k = 16, panel_rows = 256, remainder_tile_m = 4, column_chunk = 16>
func.func @large_batch(%x: tensor<64x64xf32>, %d: tensor<32x64xi8>, %s: tensor<32x1xf32>) -> tensor<64x32xf32> {
  %y = qtensor.fused_mixed_matmul %x, %d, %s : tensor<64x64xf32>, tensor<32x64xi8>, tensor<32x1xf32> -> tensor<64x32xf32>
  return %y : tensor<64x32xf32>
}
func.func @larger_batch(%x: tensor<300x64xf32>, %d: tensor<32x64xi8>, %s: tensor<32x1xf32>) -> tensor<300x32xf32> {
  %y = qtensor.fused_mixed_matmul %x, %d, %s : tensor<300x64xf32>, tensor<32x64xi8>, tensor<32x1xf32> -> tensor<300x32xf32>
  return %y : tensor<300x32xf32>
}
func.func @dynamic_batch(%x: tensor<?x64xf32>, %d: tensor<32x64xi8>, %s: tensor<32x1xf32>) -> tensor<?x32xf32> {
  %y = qtensor.fused_mixed_matmul %x, %d, %s : tensor<?x64xf32>, tensor<32x64xi8>, tensor<32x1xf32> -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// Tests that a weight panel [K, tile-n] takes at most max-panel-kib (256
// by default): f32 with K = 4096 fits exactly, K = 4112 (257 KiB) does not,
// but does under 260; bf16 fits twice the depth (K = 8192), f16 not beyond
// it (K = 8208).
// CHECK-LABEL: func.func @panel_f32_fits
// CHECK: #qtensor.cpu_kernel<register_tiled, tile_m = 4, tile_n = 16, tile_k = 16, panel_rows = 256>
// CHECK-LABEL: func.func @panel_f32_too_deep
// CHECK: #qtensor.cpu_kernel<register_tiled, tile_m = 4, tile_n = 16, tile_k = 16>
// GEMV-PANEL-LABEL: func.func @panel_f32_too_deep
// GEMV-PANEL: #qtensor.cpu_kernel<register_tiled, tile_m = 4, tile_n = 16, tile_k = 16, panel_rows = 256>
// CHECK-LABEL: func.func @panel_bf16_fits
// CHECK: #qtensor.cpu_kernel<register_tiled, tile_m = 4, tile_n = 16, tile_k = 16, panel_rows = 256>
// CHECK-LABEL: func.func @panel_f16_too_deep
// CHECK: #qtensor.cpu_kernel<register_tiled, tile_m = 4, tile_n = 16, tile_k = 16>
func.func @panel_f32_fits(%x: tensor<?x4096xf32>, %d: tensor<16x4096xi8>, %s: tensor<16x1xf32>) -> tensor<?x16xf32> {
  %y = qtensor.fused_mixed_matmul %x, %d, %s : tensor<?x4096xf32>, tensor<16x4096xi8>, tensor<16x1xf32> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
func.func @panel_f32_too_deep(%x: tensor<?x4112xf32>, %d: tensor<16x4112xi8>, %s: tensor<16x1xf32>) -> tensor<?x16xf32> {
  %y = qtensor.fused_mixed_matmul %x, %d, %s : tensor<?x4112xf32>, tensor<16x4112xi8>, tensor<16x1xf32> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
func.func @panel_bf16_fits(%x: tensor<?x8192xbf16>, %d: tensor<16x8192xi8>, %s: tensor<16x1xbf16>) -> tensor<?x16xbf16> {
  %y = qtensor.fused_mixed_matmul %x, %d, %s : tensor<?x8192xbf16>, tensor<16x8192xi8>, tensor<16x1xbf16> -> tensor<?x16xbf16>
  return %y : tensor<?x16xbf16>
}
func.func @panel_f16_too_deep(%x: tensor<?x8208xf16>, %d: tensor<16x8208xi8>, %s: tensor<16x1xf16>) -> tensor<?x16xf16> {
  %y = qtensor.fused_mixed_matmul %x, %d, %s : tensor<?x8208xf16>, tensor<16x8208xi8>, tensor<16x1xf16> -> tensor<?x16xf16>
  return %y : tensor<?x16xf16>
}

// Tests that weights packed as [K, N] get no panel (their rows are already
// the ones a register tile reads).
// CHECK-LABEL: func.func @packed_weights
// CHECK: #qtensor.cpu_kernel<register_tiled, tile_m = 4, tile_n = 16, tile_k = 16>
func.func @packed_weights(%x: tensor<?x64xf32>, %d: tensor<64x32xi8>, %s: tensor<32x1xf32>) -> tensor<?x32xf32> {
  %y = qtensor.fused_mixed_matmul %x, %d, %s weight_transposed : tensor<?x64xf32>, tensor<64x32xi8>, tensor<32x1xf32> -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// Tests that both elementwise ops of an unfused kernel (scale, bias) are
// configured, without panels: their contraction is no fused kernel's.
// CHECK-LABEL: func.func @unfused
// CHECK-COUNT-2: #qtensor.cpu_kernel<register_tiled, tile_m = 4, tile_n = 4, tile_k = 16>
// CHECK-NOT: qtensor.cpu_kernel
// CHECK: return
func.func @unfused(%x: tensor<8x16xf32>, %d: tensor<16x4xi8>, %s: tensor<1x4xf32>, %b: tensor<4xf32>) -> tensor<8x4xf32> {
  %acc = qtensor.mixed_mm %x, %d : tensor<8x16xf32>, tensor<16x4xi8> -> tensor<8x4xf32>
  %y = qtensor.scale_mul %acc, %s : tensor<8x4xf32>, tensor<1x4xf32> -> tensor<8x4xf32>
  %e = tensor.empty() : tensor<8x4xf32>
  %z = linalg.generic {indexing_maps = [affine_map<(m, n) -> (m, n)>, affine_map<(m, n) -> (n)>, affine_map<(m, n) -> (m, n)>], iterator_types = ["parallel", "parallel"]} ins(%y, %b : tensor<8x4xf32>, tensor<4xf32>) outs(%e : tensor<8x4xf32>) {
  ^bb0(%v: f32, %c: f32, %o: f32):
    %sum = arith.addf %v, %c : f32
    linalg.yield %sum : f32
  } -> tensor<8x4xf32>
  return %z : tensor<8x4xf32>
}

// Tests that a kernel with an empty dimension is left alone.
// CHECK-LABEL: func.func @empty_batch
// CHECK-NOT: qtensor.cpu_kernel
// CHECK: return
func.func @empty_batch(%x: tensor<0x64xf32>, %d: tensor<32x64xi8>, %s: tensor<32x1xf32>) -> tensor<0x32xf32> {
  %y = qtensor.fused_mixed_matmul %x, %d, %s : tensor<0x64xf32>, tensor<32x64xi8>, tensor<32x1xf32> -> tensor<0x32xf32>
  return %y : tensor<0x32xf32>
}

// Tests that qtensor-tile-and-vectorize follows the recorded decision (8 x 8
// register tiles, K steps of 8) over its own options (4 x 16 x 16), and
// drops it.
// FOLLOW-NOT: qtensor.cpu_kernel
// FOLLOW-LABEL: func.func @dynamic_batch
// FOLLOW: scf.for %{{.*}} step %c256
// FOLLOW:   scf.for %{{.*}} step %c8
// FOLLOW:     scf.for %{{.*}} = %c0 to %c64 step %c8
// FOLLOW:       vector.contract {{.*}} : vector<8x8xf32>, vector<8x8xf32> into vector<8x8xf32>
// FOLLOW-NOT: qtensor.cpu_kernel

// BAD-TILE: error: qtensor-configure-cpu-kernels: tile sizes must be positive, got tile-m=4 tile-n=0 tile-k=16 gemv-tile-n=0 max-panel-kib=256
// BAD-PANEL: error: qtensor-configure-cpu-kernels: tile sizes must be positive, got tile-m=4 tile-n=16 tile-k=16 gemv-tile-n=0 max-panel-kib=-1

#id3 = affine_map<(b, m, n) -> (b, m, n)>
#row3 = affine_map<(b, m, n) -> (b, m)>
// Tests the ops outside the kernels (qtensor.vector_tiles): 1 per loop
// but the innermost one longer than 1 (or dynamic), which gets 16 lanes
// (clamped); a
// batch matmul gets a tile-m x tile-n register tile stepping tile-k; ops on
// bool tensors get tiles too but stay scalar (tile-and-vectorize).
// CHECK-LABEL: func.func @elementwise_3d
// CHECK: linalg.generic {{.*}}qtensor.vector_tiles = array<i64: 1, 1, 16>
// With parallel-chunk, an op this small (1280 iterations) stays on one
// thread.
// THREADS-LABEL: func.func @elementwise_3d
// THREADS-NOT: qtensor.parallel_tiles
// THREADS: return
// FOLLOW-LABEL: func.func @elementwise_3d
// FOLLOW: scf.for %{{.*}} = %c0 to %c2 step %c1
// FOLLOW:   scf.for %{{.*}} = %c0 to %c16 step %c1
// FOLLOW:     scf.for %{{.*}} = %c0 to %c32 step %c16
// FOLLOW:       arith.addf {{.*}} : vector<1x1x16xf32>
// FOLLOW:     vector.transfer_read {{.*}} vector<1x1x8xf32>
func.func @elementwise_3d(%x: tensor<2x16x40xf32>, %y: tensor<2x16x40xf32>) -> tensor<2x16x40xf32> {
  %e = tensor.empty() : tensor<2x16x40xf32>
  %z = linalg.generic {indexing_maps = [#id3, #id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %y : tensor<2x16x40xf32>, tensor<2x16x40xf32>) outs(%e : tensor<2x16x40xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<2x16x40xf32>
  return %z : tensor<2x16x40xf32>
}

// Tests that with parallel-chunk, an op of at least 16384 iterations has
// its outermost loop of more than one iteration that holds no lanes cut into
// chunks for threads (a quarter of its range, rounded up: here 2 chunks of
// 1; 16 iterations when dynamic), then each chunk into vector tiles.
// THREADS-LABEL: func.func @elementwise_large
// THREADS: linalg.generic {{.*}}qtensor.parallel_tiles = array<i64: 1, 0, 0>, qtensor.vector_tiles = array<i64: 1, 1, 16>
// THREADS-FOLLOW-LABEL: func.func @elementwise_large
// THREADS-FOLLOW: scf.forall (%{{.*}}) in (2) shared_outs
// THREADS-FOLLOW:   scf.for %{{.*}} = %c0 to %c64 step %c1
// THREADS-FOLLOW:     scf.for %{{.*}} = %c0 to %c256 step %c16
// THREADS-FOLLOW:       arith.addf {{.*}} : vector<1x1x16xf32>
func.func @elementwise_large(%x: tensor<2x64x256xf32>, %y: tensor<2x64x256xf32>) -> tensor<2x64x256xf32> {
  %e = tensor.empty() : tensor<2x64x256xf32>
  %z = linalg.generic {indexing_maps = [#id3, #id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %y : tensor<2x64x256xf32>, tensor<2x64x256xf32>) outs(%e : tensor<2x64x256xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<2x64x256xf32>
  return %z : tensor<2x64x256xf32>
}

// Tests that a dynamic outermost loop of a large op is cut into chunks of
// 16 iterations (a prompt's tokens).
// THREADS-LABEL: func.func @dynamic_rows
// THREADS: linalg.generic {{.*}}qtensor.parallel_tiles = array<i64: 16, 0, 0>, qtensor.vector_tiles = array<i64: 1, 1, 16>
// THREADS-FOLLOW-LABEL: func.func @dynamic_rows
// THREADS-FOLLOW: scf.forall (%[[ROW:.*]]) = (0) to (%{{.*}}) step (16) shared_outs
// THREADS-FOLLOW:   %[[ROWS:.*]] = affine.min #{{.*}}(%[[ROW]])
// THREADS-FOLLOW:   scf.for %{{.*}} = %c0 to %[[ROWS]] step %c1
// THREADS-FOLLOW:     arith.negf {{.*}} : vector<1x1x16xf32>
func.func @dynamic_rows(%x: tensor<?x8x4096xf32>) -> tensor<?x8x4096xf32> {
  %c0 = arith.constant 0 : index
  %t = tensor.dim %x, %c0 : tensor<?x8x4096xf32>
  %e = tensor.empty(%t) : tensor<?x8x4096xf32>
  %z = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x : tensor<?x8x4096xf32>) outs(%e : tensor<?x8x4096xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.negf %a : f32
    linalg.yield %s : f32
  } -> tensor<?x8x4096xf32>
  return %z : tensor<?x8x4096xf32>
}

// CHECK-LABEL: func.func @row_max
// CHECK: linalg.fill {qtensor.vector_tiles = array<i64: 1, 16>}
// CHECK: linalg.generic {{.*}}qtensor.vector_tiles = array<i64: 1, 1, 16>
// FOLLOW-LABEL: func.func @row_max
// FOLLOW: vector.multi_reduction <maximumf>, {{.*}} [2] : vector<1x1x16xf32> to vector<1x1xf32>
func.func @row_max(%x: tensor<4x16x16xf32>) -> tensor<4x16xf32> {
  %ninf = arith.constant 0xFF800000 : f32
  %e = tensor.empty() : tensor<4x16xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %m = linalg.generic {indexing_maps = [#id3, #row3], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x : tensor<4x16x16xf32>) outs(%init : tensor<4x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %a, %o : f32
    linalg.yield %r : f32
  } -> tensor<4x16xf32>
  return %m : tensor<4x16xf32>
}

// CHECK-LABEL: func.func @unit_inner
// CHECK: linalg.generic {{.*}}qtensor.vector_tiles = array<i64: 1, 16, 1>
// FOLLOW-LABEL: func.func @unit_inner
// FOLLOW-NOT: scf.for
// FOLLOW: math.rsqrt {{.*}} : vector<1x16x1xf32>
func.func @unit_inner(%x: tensor<1x16x1xf32>) -> tensor<1x16x1xf32> {
  %e = tensor.empty() : tensor<1x16x1xf32>
  %z = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x : tensor<1x16x1xf32>) outs(%e : tensor<1x16x1xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = math.rsqrt %a : f32
    linalg.yield %r : f32
  } -> tensor<1x16x1xf32>
  return %z : tensor<1x16x1xf32>
}

// Tests that a dynamic innermost dimension (a prompt's tokens) takes the
// lanes like a static one: rows of 16 contiguous values, not 16 values a
// row apart.
// CHECK-LABEL: func.func @dynamic_inner
// CHECK: linalg.fill {qtensor.vector_tiles = array<i64: 1, 1, 16>}
// THREADS-LABEL: func.func @dynamic_inner
// THREADS-NOT: qtensor.parallel_tiles
// THREADS: return
// FOLLOW-LABEL: func.func @dynamic_inner
// FOLLOW: vector.transfer_write {{.*}} : vector<1x1x16xf32>
func.func @dynamic_inner(%t: index) -> tensor<4x64x?xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%t) : tensor<4x64x?xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x64x?xf32>) -> tensor<4x64x?xf32>
  return %f : tensor<4x64x?xf32>
}

// Tests that a transpose moves 16 x 16 blocks: 16 lanes along the output's
// innermost dimension and 16 along the input's, transposed in registers.
// CHECK-LABEL: func.func @transpose_blocks
// CHECK: linalg.transpose {{.*}}qtensor.vector_tiles = array<i64: 1, 16, 16>
// FOLLOW-LABEL: func.func @transpose_blocks
// FOLLOW: vector.transpose %{{.*}}, [0, 2, 1] : vector<1x16x16xf32> to vector<1x16x16xf32>
func.func @transpose_blocks(%x: tensor<4x64x?xf32>) -> tensor<4x?x64xf32> {
  %c2 = arith.constant 2 : index
  %t = tensor.dim %x, %c2 : tensor<4x64x?xf32>
  %e = tensor.empty(%t) : tensor<4x?x64xf32>
  %y = linalg.transpose ins(%x : tensor<4x64x?xf32>) outs(%e : tensor<4x?x64xf32>) permutation = [0, 2, 1]
  return %y : tensor<4x?x64xf32>
}

// CHECK-LABEL: func.func @attention_scores
// CHECK: linalg.batch_matmul {qtensor.vector_tiles = array<i64: 1, 4, 16, 16>}
// THREADS-LABEL: func.func @attention_scores
// THREADS: linalg.batch_matmul {qtensor.parallel_tiles = array<i64: 1, 0, 0, 0>, qtensor.vector_tiles = array<i64: 1, 4, 16, 16>}
// THREADS-FOLLOW-LABEL: func.func @attention_scores
// THREADS-FOLLOW: scf.forall (%{{.*}}) in (4) shared_outs
// THREADS-FOLLOW:   vector.contract
// FOLLOW-LABEL: func.func @attention_scores
// FOLLOW: vector.contract {{.*}} : vector<1x8x8xf32>, vector<1x8x8xf32> into vector<1x8x8xf32>
func.func @attention_scores(%q: tensor<4x16x32xf32>, %k: tensor<4x32x24xf32>) -> tensor<4x16x24xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x16x24xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16x24xf32>) -> tensor<4x16x24xf32>
  %s = linalg.batch_matmul ins(%q, %k : tensor<4x16x32xf32>, tensor<4x32x24xf32>) outs(%init : tensor<4x16x24xf32>) -> tensor<4x16x24xf32>
  return %s : tensor<4x16x24xf32>
}

// CHECK-LABEL: func.func @bool_mask
// CHECK: linalg.generic {{.*}}qtensor.vector_tiles = array<i64: 1, 1, 16>
// THREADS-LABEL: func.func @bool_mask
// THREADS-NOT: qtensor.parallel_tiles
// THREADS: return
// FOLLOW-LABEL: func.func @bool_mask
// FOLLOW: linalg.generic
// FOLLOW-NOT: vector.
// FOLLOW: return
func.func @bool_mask(%x: tensor<2x16x24xf32>, %m: tensor<16x24xi1>) -> tensor<2x16x24xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x16x24xf32>
  %z = linalg.generic {indexing_maps = [#id3, affine_map<(b, m, n) -> (m, n)>, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %m : tensor<2x16x24xf32>, tensor<16x24xi1>) outs(%e : tensor<2x16x24xf32>) {
  ^bb0(%a: f32, %c: i1, %o: f32):
    %r = arith.select %c, %zero, %a : f32
    linalg.yield %r : f32
  } -> tensor<2x16x24xf32>
  return %z : tensor<2x16x24xf32>
}
