// RUN: qtensor-opt --qtensor-map-kernels-to-gpu --verify-diagnostics %s

// Tests that a kernel configuration the emitters cannot follow is an error
// on the epilogue, and that nothing is rewritten then. The functions are
// what qtensor-lower-to-linalg and one-shot-bufferize make of a fused
// linear with K = 24 (f32).

#id = affine_map<(d0, d1) -> (d0, d1)>
#x = affine_map<(d0, d1, d2) -> (d0, d2)>
#w = affine_map<(d0, d1, d2) -> (d1, d2)>
#acc = affine_map<(d0, d1, d2) -> (d0, d1)>
#scale = affine_map<(d0, d1) -> (d1, 0)>

// Tensor cores take f16 and bf16 only.
func.func @mma_f32(%x: memref<?x24xf32>, %w: memref<8x24xi8>, %s: memref<8x1xf32>) -> memref<?x8xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %wf = memref.alloc() : memref<8x24xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%w : memref<8x24xi8>) outs(%wf : memref<8x24xf32>) attrs = {qtensor.weight_convert} {
  ^bb0(%in: i8, %out: f32):
    %0 = arith.sitofp %in : i8 to f32
    linalg.yield %0 : f32
  }
  %m = memref.dim %x, %c0 : memref<?x24xf32>
  %acc = memref.alloc(%m) : memref<?x8xf32>
  linalg.fill ins(%zero : f32) outs(%acc : memref<?x8xf32>)
  linalg.generic {indexing_maps = [#x, #w, #acc], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %wf : memref<?x24xf32>, memref<8x24xf32>) outs(%acc : memref<?x8xf32>) {
  ^bb0(%in: f32, %in_1: f32, %out: f32):
    %0 = arith.mulf %in, %in_1 : f32
    %1 = arith.addf %out, %0 : f32
    linalg.yield %1 : f32
  }
  %out = memref.alloc(%m) : memref<?x8xf32>
  // expected-error @+1 {{'qtensor.gpu_kernels': 'mma' needs f16 or bf16 activations, got f32}}
  linalg.generic {indexing_maps = [#id, #scale, #id], iterator_types = ["parallel", "parallel"]} ins(%acc, %s : memref<?x8xf32>, memref<8x1xf32>) outs(%out : memref<?x8xf32>) attrs = {qtensor.epilogue, qtensor.gpu_kernels = [#qtensor.gpu_kernel<mma, chunks = 1>]} {
  ^bb0(%in: f32, %in_1: f32, %out_1: f32):
    %0 = arith.mulf %in, %in_1 : f32
    linalg.yield %0 : f32
  }
  return %out : memref<?x8xf32>
}

// A load width that does not divide K would read past the row.
func.func @width(%x: memref<?x24xf32>, %w: memref<8x24xi8>, %s: memref<8x1xf32>) -> memref<?x8xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %wf = memref.alloc() : memref<8x24xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%w : memref<8x24xi8>) outs(%wf : memref<8x24xf32>) attrs = {qtensor.weight_convert} {
  ^bb0(%in: i8, %out: f32):
    %0 = arith.sitofp %in : i8 to f32
    linalg.yield %0 : f32
  }
  %m = memref.dim %x, %c0 : memref<?x24xf32>
  %acc = memref.alloc(%m) : memref<?x8xf32>
  linalg.fill ins(%zero : f32) outs(%acc : memref<?x8xf32>)
  linalg.generic {indexing_maps = [#x, #w, #acc], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %wf : memref<?x24xf32>, memref<8x24xf32>) outs(%acc : memref<?x8xf32>) {
  ^bb0(%in: f32, %in_1: f32, %out: f32):
    %0 = arith.mulf %in, %in_1 : f32
    %1 = arith.addf %out, %0 : f32
    linalg.yield %1 : f32
  }
  %out = memref.alloc(%m) : memref<?x8xf32>
  // expected-error @+1 {{'qtensor.gpu_kernels': 'tiled' needs vector_width to divide K = 24, got 16}}
  linalg.generic {indexing_maps = [#id, #scale, #id], iterator_types = ["parallel", "parallel"]} ins(%acc, %s : memref<?x8xf32>, memref<8x1xf32>) outs(%out : memref<?x8xf32>) attrs = {qtensor.epilogue, qtensor.gpu_kernels = [#qtensor.gpu_kernel<tiled, vector_width = 16, tile_m = 4>]} {
  ^bb0(%in: f32, %in_1: f32, %out_1: f32):
    %0 = arith.mulf %in, %in_1 : f32
    linalg.yield %0 : f32
  }
  return %out : memref<?x8xf32>
}

// A shared tile that does not divide K.
func.func @tile_k(%x: memref<?x24xf32>, %w: memref<8x24xi8>, %s: memref<8x1xf32>) -> memref<?x8xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %wf = memref.alloc() : memref<8x24xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%w : memref<8x24xi8>) outs(%wf : memref<8x24xf32>) attrs = {qtensor.weight_convert} {
  ^bb0(%in: i8, %out: f32):
    %0 = arith.sitofp %in : i8 to f32
    linalg.yield %0 : f32
  }
  %m = memref.dim %x, %c0 : memref<?x24xf32>
  %acc = memref.alloc(%m) : memref<?x8xf32>
  linalg.fill ins(%zero : f32) outs(%acc : memref<?x8xf32>)
  linalg.generic {indexing_maps = [#x, #w, #acc], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %wf : memref<?x24xf32>, memref<8x24xf32>) outs(%acc : memref<?x8xf32>) {
  ^bb0(%in: f32, %in_1: f32, %out: f32):
    %0 = arith.mulf %in, %in_1 : f32
    %1 = arith.addf %out, %0 : f32
    linalg.yield %1 : f32
  }
  %out = memref.alloc(%m) : memref<?x8xf32>
  // expected-error @+1 {{'qtensor.gpu_kernels': 'shared_tiled' needs tile_k to divide K = 24, got 64}}
  linalg.generic {indexing_maps = [#id, #scale, #id], iterator_types = ["parallel", "parallel"]} ins(%acc, %s : memref<?x8xf32>, memref<8x1xf32>) outs(%out : memref<?x8xf32>) attrs = {qtensor.epilogue, qtensor.gpu_kernels = [#qtensor.gpu_kernel<shared_tiled, tile_m = 4, tile_k = 64>]} {
  ^bb0(%in: f32, %in_1: f32, %out_1: f32):
    %0 = arith.mulf %in, %in_1 : f32
    linalg.yield %0 : f32
  }
  return %out : memref<?x8xf32>
}

// The last variant runs every batch the others leave: no bound.
func.func @last_bounded(%x: memref<?x24xf32>, %w: memref<8x24xi8>, %s: memref<8x1xf32>) -> memref<?x8xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %wf = memref.alloc() : memref<8x24xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%w : memref<8x24xi8>) outs(%wf : memref<8x24xf32>) attrs = {qtensor.weight_convert} {
  ^bb0(%in: i8, %out: f32):
    %0 = arith.sitofp %in : i8 to f32
    linalg.yield %0 : f32
  }
  %m = memref.dim %x, %c0 : memref<?x24xf32>
  %acc = memref.alloc(%m) : memref<?x8xf32>
  linalg.fill ins(%zero : f32) outs(%acc : memref<?x8xf32>)
  linalg.generic {indexing_maps = [#x, #w, #acc], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %wf : memref<?x24xf32>, memref<8x24xf32>) outs(%acc : memref<?x8xf32>) {
  ^bb0(%in: f32, %in_1: f32, %out: f32):
    %0 = arith.mulf %in, %in_1 : f32
    %1 = arith.addf %out, %0 : f32
    linalg.yield %1 : f32
  }
  %out = memref.alloc(%m) : memref<?x8xf32>
  // expected-error @+1 {{'qtensor.gpu_kernels': every variant but the last needs max_rows, the last has none}}
  linalg.generic {indexing_maps = [#id, #scale, #id], iterator_types = ["parallel", "parallel"]} ins(%acc, %s : memref<?x8xf32>, memref<8x1xf32>) outs(%out : memref<?x8xf32>) attrs = {qtensor.epilogue, qtensor.gpu_kernels = [#qtensor.gpu_kernel<splitk, max_rows = 4, vector_width = 8, columns = 1>]} {
  ^bb0(%in: f32, %in_1: f32, %out_1: f32):
    %0 = arith.mulf %in, %in_1 : f32
    linalg.yield %0 : f32
  }
  return %out : memref<?x8xf32>
}

// A variant before the last needs its bound.
func.func @first_unbounded(%x: memref<?x24xf32>, %w: memref<8x24xi8>, %s: memref<8x1xf32>) -> memref<?x8xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %wf = memref.alloc() : memref<8x24xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%w : memref<8x24xi8>) outs(%wf : memref<8x24xf32>) attrs = {qtensor.weight_convert} {
  ^bb0(%in: i8, %out: f32):
    %0 = arith.sitofp %in : i8 to f32
    linalg.yield %0 : f32
  }
  %m = memref.dim %x, %c0 : memref<?x24xf32>
  %acc = memref.alloc(%m) : memref<?x8xf32>
  linalg.fill ins(%zero : f32) outs(%acc : memref<?x8xf32>)
  linalg.generic {indexing_maps = [#x, #w, #acc], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %wf : memref<?x24xf32>, memref<8x24xf32>) outs(%acc : memref<?x8xf32>) {
  ^bb0(%in: f32, %in_1: f32, %out: f32):
    %0 = arith.mulf %in, %in_1 : f32
    %1 = arith.addf %out, %0 : f32
    linalg.yield %1 : f32
  }
  %out = memref.alloc(%m) : memref<?x8xf32>
  // expected-error @+1 {{'qtensor.gpu_kernels': every variant but the last needs max_rows, the last has none}}
  linalg.generic {indexing_maps = [#id, #scale, #id], iterator_types = ["parallel", "parallel"]} ins(%acc, %s : memref<?x8xf32>, memref<8x1xf32>) outs(%out : memref<?x8xf32>) attrs = {qtensor.epilogue, qtensor.gpu_kernels = [#qtensor.gpu_kernel<splitk, vector_width = 8, columns = 1>, #qtensor.gpu_kernel<tiled, vector_width = 8, tile_m = 4>]} {
  ^bb0(%in: f32, %in_1: f32, %out_1: f32):
    %0 = arith.mulf %in, %in_1 : f32
    linalg.yield %0 : f32
  }
  return %out : memref<?x8xf32>
}

// A single variant, not a list of them.
func.func @not_array(%x: memref<?x24xf32>, %w: memref<8x24xi8>, %s: memref<8x1xf32>) -> memref<?x8xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %wf = memref.alloc() : memref<8x24xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%w : memref<8x24xi8>) outs(%wf : memref<8x24xf32>) attrs = {qtensor.weight_convert} {
  ^bb0(%in: i8, %out: f32):
    %0 = arith.sitofp %in : i8 to f32
    linalg.yield %0 : f32
  }
  %m = memref.dim %x, %c0 : memref<?x24xf32>
  %acc = memref.alloc(%m) : memref<?x8xf32>
  linalg.fill ins(%zero : f32) outs(%acc : memref<?x8xf32>)
  linalg.generic {indexing_maps = [#x, #w, #acc], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %wf : memref<?x24xf32>, memref<8x24xf32>) outs(%acc : memref<?x8xf32>) {
  ^bb0(%in: f32, %in_1: f32, %out: f32):
    %0 = arith.mulf %in, %in_1 : f32
    %1 = arith.addf %out, %0 : f32
    linalg.yield %1 : f32
  }
  %out = memref.alloc(%m) : memref<?x8xf32>
  // expected-error @+1 {{'qtensor.gpu_kernels' must be a non-empty array of #qtensor.gpu_kernel}}
  linalg.generic {indexing_maps = [#id, #scale, #id], iterator_types = ["parallel", "parallel"]} ins(%acc, %s : memref<?x8xf32>, memref<8x1xf32>) outs(%out : memref<?x8xf32>) attrs = {qtensor.epilogue, qtensor.gpu_kernels = #qtensor.gpu_kernel<tiled, vector_width = 8, tile_m = 4>} {
  ^bb0(%in: f32, %in_1: f32, %out_1: f32):
    %0 = arith.mulf %in, %in_1 : f32
    linalg.yield %0 : f32
  }
  return %out : memref<?x8xf32>
}
