// RUN: %expect_exit 2 qtensor-opt --qtensor-tile-and-vectorize %s --split-input-file 2>&1 | FileCheck %s

// Tests that recorded vector tiles must give one positive size per loop.

// CHECK: error: 'linalg.generic' op has qtensor.vector_tiles [1, 16], expected 3 positive tile sizes, one per loop
#id3 = affine_map<(b, m, n) -> (b, m, n)>
func.func @too_few(%x: tensor<2x16x40xf32>) -> tensor<2x16x40xf32> {
  %e = tensor.empty() : tensor<2x16x40xf32>
  %z = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"], qtensor.vector_tiles = array<i64: 1, 16>} ins(%x : tensor<2x16x40xf32>) outs(%e : tensor<2x16x40xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.negf %a : f32
    linalg.yield %s : f32
  } -> tensor<2x16x40xf32>
  return %z : tensor<2x16x40xf32>
}

// -----

// CHECK: error: 'linalg.fill' op has qtensor.vector_tiles [1, 0], expected 2 positive tile sizes, one per loop
func.func @zero(%v: f32) -> tensor<4x16xf32> {
  %e = tensor.empty() : tensor<4x16xf32>
  %f = linalg.fill {qtensor.vector_tiles = array<i64: 1, 0>} ins(%v : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %f : tensor<4x16xf32>
}

// -----

// Tests that recorded parallel chunks give one size per loop, none negative.

// CHECK: error: 'linalg.fill' op has qtensor.parallel_tiles [1], expected 2 chunk sizes (0: not split), one per loop
func.func @chunks_too_few(%v: f32) -> tensor<4x16xf32> {
  %e = tensor.empty() : tensor<4x16xf32>
  %f = linalg.fill {qtensor.parallel_tiles = array<i64: 1>, qtensor.vector_tiles = array<i64: 1, 16>} ins(%v : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %f : tensor<4x16xf32>
}

// -----

// CHECK: error: 'linalg.fill' op has qtensor.parallel_tiles [-1, 0], expected 2 chunk sizes (0: not split), one per loop
func.func @chunk_negative(%v: f32) -> tensor<4x16xf32> {
  %e = tensor.empty() : tensor<4x16xf32>
  %f = linalg.fill {qtensor.parallel_tiles = array<i64: -1, 0>, qtensor.vector_tiles = array<i64: 1, 16>} ins(%v : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %f : tensor<4x16xf32>
}

// -----

// CHECK: error: 'linalg.generic' op has qtensor.parallel_tiles [0, 2], which splits loop 1, a reduction
func.func @chunked_reduction(%x: tensor<4x16xf32>, %init: tensor<4xf32>) -> tensor<4xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(m, k) -> (m, k)>, affine_map<(m, k) -> (m)>], iterator_types = ["parallel", "reduction"], qtensor.parallel_tiles = array<i64: 0, 2>, qtensor.vector_tiles = array<i64: 1, 16>} ins(%x : tensor<4x16xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// CHECK: error: 'linalg.fill' op has qtensor.parallel_tiles [1, 0] but parallel-chunk is 0: nothing runs it on threads
func.func @chunks_without_threads(%v: f32) -> tensor<4x16xf32> {
  %e = tensor.empty() : tensor<4x16xf32>
  %f = linalg.fill {qtensor.parallel_tiles = array<i64: 1, 0>, qtensor.vector_tiles = array<i64: 1, 16>} ins(%v : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %f : tensor<4x16xf32>
}
