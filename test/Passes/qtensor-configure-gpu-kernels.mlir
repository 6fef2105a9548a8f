// RUN: qtensor-opt --qtensor-lower-to-linalg --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --qtensor-configure-gpu-kernels --split-input-file %s | FileCheck %s
// RUN: qtensor-opt --qtensor-lower-to-linalg --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --qtensor-configure-gpu-kernels="tensor-cores=false" --split-input-file %s | FileCheck %s --check-prefix=NOTC
// RUN: qtensor-opt --qtensor-lower-to-linalg --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --qtensor-configure-gpu-kernels="small-m=0 tile-m=3" --split-input-file %s | FileCheck %s --check-prefix=SMALL0
// RUN: qtensor-opt --qtensor-lower-to-linalg --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --qtensor-configure-gpu-kernels="small-m=64 splitk-columns=3" --split-input-file %s | FileCheck %s --check-prefix=SMALL64
// The attributes print and parse back, and the mapping pass follows them.
// RUN: qtensor-opt --qtensor-lower-to-linalg --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --qtensor-configure-gpu-kernels %s | qtensor-opt --qtensor-map-kernels-to-gpu | FileCheck %s --check-prefix=MAPPED

// Tests the kernel choice for each fused linear: the variants, tried in
// order on the batch size M, each but the last with its max_rows, recorded
// on the epilogue generic.

// f32, K = 64: split-K up to small-m (16-byte weight loads), then the
// shared-memory tiled kernel staging 64 bytes per row and step.
// CHECK-LABEL: func.func @f32_k64
// CHECK: attrs = {qtensor.epilogue, qtensor.gpu_kernels = [#qtensor.gpu_kernel<splitk, max_rows = 4, vector_width = 16, columns = 1>, #qtensor.gpu_kernel<shared_tiled, tile_m = 4, tile_k = 64>]}
// SMALL0-LABEL: func.func @f32_k64
// SMALL0: qtensor.gpu_kernels = [#qtensor.gpu_kernel<splitk, max_rows = 0, vector_width = 16, columns = 1>, #qtensor.gpu_kernel<shared_tiled, tile_m = 3, tile_k = 64>]
// SMALL64-LABEL: func.func @f32_k64
// SMALL64: qtensor.gpu_kernels = [#qtensor.gpu_kernel<splitk, max_rows = 64, vector_width = 16, columns = 3>, #qtensor.gpu_kernel<shared_tiled, tile_m = 4, tile_k = 64>]
// MAPPED-LABEL: func.func @f32_k64
// MAPPED-NOT: qtensor.gpu_kernels
// MAPPED: module(@linear0_splitk)
// MAPPED: module(@linear0_tiled)
// MAPPED-NOT: linalg.generic
func.func @f32_k64(%x: tensor<?x64xf32>, %w: tensor<32x64xi8>, %s: tensor<32x1xf32>) -> tensor<?x32xf32> {
  %y = qtensor.fused_mixed_matmul %x, %w, %s : tensor<?x64xf32>, tensor<32x64xi8>, tensor<32x1xf32> -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

// The deepest shared tile that divides K: 256 at K = 4096, 128 at K = 384,
// 64 at K = 192.
// CHECK-LABEL: func.func @shared_tile_depths
// CHECK: #qtensor.gpu_kernel<shared_tiled, tile_m = 4, tile_k = 256>
// CHECK: #qtensor.gpu_kernel<shared_tiled, tile_m = 4, tile_k = 128>
// CHECK: #qtensor.gpu_kernel<shared_tiled, tile_m = 4, tile_k = 64>
func.func @shared_tile_depths(%x: tensor<?x4096xf32>, %w: tensor<16x4096xi8>, %s: tensor<16x1xf32>,
                              %x2: tensor<?x384xf32>, %w2: tensor<16x384xi8>,
                              %x3: tensor<?x192xf32>, %w3: tensor<16x192xi8>) -> (tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>) {
  %y = qtensor.fused_mixed_matmul %x, %w, %s : tensor<?x4096xf32>, tensor<16x4096xi8>, tensor<16x1xf32> -> tensor<?x16xf32>
  %y2 = qtensor.fused_mixed_matmul %x2, %w2, %s : tensor<?x384xf32>, tensor<16x384xi8>, tensor<16x1xf32> -> tensor<?x16xf32>
  %y3 = qtensor.fused_mixed_matmul %x3, %w3, %s : tensor<?x192xf32>, tensor<16x192xi8>, tensor<16x1xf32> -> tensor<?x16xf32>
  return %y, %y2, %y3 : tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>
}

// -----

// Without 64 dividing K, the direct tiled kernel with the widest load that
// divides K: 16 at K = 48, then 8, 4, 2 and 1 (K = 24, 12, 6, 9), the same
// width in split-K.
// CHECK-LABEL: func.func @load_widths
// CHECK: [#qtensor.gpu_kernel<splitk, max_rows = 4, vector_width = 16, columns = 1>, #qtensor.gpu_kernel<tiled, vector_width = 16, tile_m = 4>]
// CHECK: [#qtensor.gpu_kernel<splitk, max_rows = 4, vector_width = 8, columns = 1>, #qtensor.gpu_kernel<tiled, vector_width = 8, tile_m = 4>]
// CHECK: [#qtensor.gpu_kernel<splitk, max_rows = 4, vector_width = 4, columns = 1>, #qtensor.gpu_kernel<tiled, vector_width = 4, tile_m = 4>]
// CHECK: [#qtensor.gpu_kernel<splitk, max_rows = 4, vector_width = 2, columns = 1>, #qtensor.gpu_kernel<tiled, vector_width = 2, tile_m = 4>]
// CHECK: [#qtensor.gpu_kernel<splitk, max_rows = 4, vector_width = 1, columns = 1>, #qtensor.gpu_kernel<tiled, vector_width = 1, tile_m = 4>]
func.func @load_widths(%x48: tensor<?x48xf32>, %w48: tensor<8x48xi8>, %x24: tensor<?x24xf32>, %w24: tensor<8x24xi8>,
                       %x12: tensor<?x12xf32>, %w12: tensor<8x12xi8>, %x6: tensor<?x6xf32>, %w6: tensor<8x6xi8>,
                       %x9: tensor<?x9xf32>, %w9: tensor<8x9xi8>, %s: tensor<8x1xf32>)
    -> (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>) {
  %y48 = qtensor.fused_mixed_matmul %x48, %w48, %s : tensor<?x48xf32>, tensor<8x48xi8>, tensor<8x1xf32> -> tensor<?x8xf32>
  %y24 = qtensor.fused_mixed_matmul %x24, %w24, %s : tensor<?x24xf32>, tensor<8x24xi8>, tensor<8x1xf32> -> tensor<?x8xf32>
  %y12 = qtensor.fused_mixed_matmul %x12, %w12, %s : tensor<?x12xf32>, tensor<8x12xi8>, tensor<8x1xf32> -> tensor<?x8xf32>
  %y6 = qtensor.fused_mixed_matmul %x6, %w6, %s : tensor<?x6xf32>, tensor<8x6xi8>, tensor<8x1xf32> -> tensor<?x8xf32>
  %y9 = qtensor.fused_mixed_matmul %x9, %w9, %s : tensor<?x9xf32>, tensor<8x9xi8>, tensor<8x1xf32> -> tensor<?x8xf32>
  return %y48, %y24, %y12, %y6, %y9 : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// bf16, K = 512: tensor cores above small-m, 4 chunks of 16 per k step; up
// to one 32-row block the K-split kernel (4 warps, 128 k each: whole
// steps of 64). small-m=64 keeps the K-split variant, which no batch then
// reaches. Without tensor cores, the shared-memory tiled kernel.
// CHECK-LABEL: func.func @bf16_k512
// CHECK: [#qtensor.gpu_kernel<splitk, max_rows = 4, vector_width = 16, columns = 1>, #qtensor.gpu_kernel<mma_ksplit, max_rows = 32, chunks = 4>, #qtensor.gpu_kernel<mma, chunks = 4>]
// SMALL64-LABEL: func.func @bf16_k512
// SMALL64: [#qtensor.gpu_kernel<splitk, max_rows = 64, vector_width = 16, columns = 3>, #qtensor.gpu_kernel<mma_ksplit, max_rows = 32, chunks = 4>, #qtensor.gpu_kernel<mma, chunks = 4>]
// NOTC-LABEL: func.func @bf16_k512
// NOTC: [#qtensor.gpu_kernel<splitk, max_rows = 4, vector_width = 16, columns = 1>, #qtensor.gpu_kernel<shared_tiled, tile_m = 4, tile_k = 256>]
// MAPPED-LABEL: func.func @bf16_k512
// MAPPED: arith.cmpi ule, %{{.*}}, %c4
// MAPPED: module(@linear0_splitk)
// MAPPED: arith.cmpi ule, %{{.*}}, %c32
// MAPPED: module(@linear0_mma_ksplit)
// MAPPED: module(@linear0_mma)
func.func @bf16_k512(%x: tensor<?x512xbf16>, %w: tensor<40x512xi8>, %s: tensor<40x1xbf16>) -> tensor<?x40xbf16> {
  %y = qtensor.fused_mixed_matmul %x, %w, %s : tensor<?x512xbf16>, tensor<40x512xi8>, tensor<40x1xbf16> -> tensor<?x40xbf16>
  return %y : tensor<?x40xbf16>
}

// -----

// The most chunks that divide K / 16: 4 at K = 64 (16 * 4 = 64 divides K,
// but 256 does not: no K-split variant), 2 at K = 96, 1 at K = 16. K = 24
// is no multiple of 16: the tiled kernel.
// CHECK-LABEL: func.func @f16_chunks
// CHECK: [#qtensor.gpu_kernel<splitk, max_rows = 4, vector_width = 16, columns = 1>, #qtensor.gpu_kernel<mma, chunks = 4>]
// CHECK: [#qtensor.gpu_kernel<splitk, max_rows = 4, vector_width = 16, columns = 1>, #qtensor.gpu_kernel<mma, chunks = 2>]
// CHECK: [#qtensor.gpu_kernel<splitk, max_rows = 4, vector_width = 16, columns = 1>, #qtensor.gpu_kernel<mma, chunks = 1>]
// CHECK: [#qtensor.gpu_kernel<splitk, max_rows = 4, vector_width = 8, columns = 1>, #qtensor.gpu_kernel<tiled, vector_width = 8, tile_m = 4>]
func.func @f16_chunks(%x64: tensor<?x64xf16>, %w64: tensor<8x64xi8>, %x96: tensor<?x96xf16>, %w96: tensor<8x96xi8>,
                      %x16: tensor<?x16xf16>, %w16: tensor<8x16xi8>, %x24: tensor<?x24xf16>, %w24: tensor<8x24xi8>,
                      %s: tensor<8x1xf16>) -> (tensor<?x8xf16>, tensor<?x8xf16>, tensor<?x8xf16>, tensor<?x8xf16>) {
  %y64 = qtensor.fused_mixed_matmul %x64, %w64, %s : tensor<?x64xf16>, tensor<8x64xi8>, tensor<8x1xf16> -> tensor<?x8xf16>
  %y96 = qtensor.fused_mixed_matmul %x96, %w96, %s : tensor<?x96xf16>, tensor<8x96xi8>, tensor<8x1xf16> -> tensor<?x8xf16>
  %y16 = qtensor.fused_mixed_matmul %x16, %w16, %s : tensor<?x16xf16>, tensor<8x16xi8>, tensor<8x1xf16> -> tensor<?x8xf16>
  %y24 = qtensor.fused_mixed_matmul %x24, %w24, %s : tensor<?x24xf16>, tensor<8x24xi8>, tensor<8x1xf16> -> tensor<?x8xf16>
  return %y64, %y96, %y16, %y24 : tensor<?x8xf16>, tensor<?x8xf16>, tensor<?x8xf16>, tensor<?x8xf16>
}

// -----

// A static batch gets the one variant that applies, without max_rows:
// split-K up to small-m (4 included), then the large-batch kernel; for
// bf16 the K-split kernel up to 32 rows (included), the plain one above.
// CHECK-LABEL: func.func @static_batches
// CHECK: qtensor.gpu_kernels = [#qtensor.gpu_kernel<splitk, vector_width = 16, columns = 1>]
// CHECK: qtensor.gpu_kernels = [#qtensor.gpu_kernel<shared_tiled, tile_m = 4, tile_k = 64>]
// CHECK: qtensor.gpu_kernels = [#qtensor.gpu_kernel<mma_ksplit, chunks = 4>]
// CHECK: qtensor.gpu_kernels = [#qtensor.gpu_kernel<mma, chunks = 4>]
// SMALL0-LABEL: func.func @static_batches
// SMALL0: qtensor.gpu_kernels = [#qtensor.gpu_kernel<shared_tiled, tile_m = 3, tile_k = 64>]
func.func @static_batches(%x4: tensor<4x64xf32>, %x5: tensor<5x64xf32>, %w: tensor<8x64xi8>, %s: tensor<8x1xf32>,
                          %h32: tensor<32x512xbf16>, %h33: tensor<33x512xbf16>, %wh: tensor<8x512xi8>, %sh: tensor<8x1xbf16>)
    -> (tensor<4x8xf32>, tensor<5x8xf32>, tensor<32x8xbf16>, tensor<33x8xbf16>) {
  %y4 = qtensor.fused_mixed_matmul %x4, %w, %s : tensor<4x64xf32>, tensor<8x64xi8>, tensor<8x1xf32> -> tensor<4x8xf32>
  %y5 = qtensor.fused_mixed_matmul %x5, %w, %s : tensor<5x64xf32>, tensor<8x64xi8>, tensor<8x1xf32> -> tensor<5x8xf32>
  %y32 = qtensor.fused_mixed_matmul %h32, %wh, %sh : tensor<32x512xbf16>, tensor<8x512xi8>, tensor<8x1xbf16> -> tensor<32x8xbf16>
  %y33 = qtensor.fused_mixed_matmul %h33, %wh, %sh : tensor<33x512xbf16>, tensor<8x512xi8>, tensor<8x1xbf16> -> tensor<33x8xbf16>
  return %y4, %y5, %y32, %y33 : tensor<4x8xf32>, tensor<5x8xf32>, tensor<32x8xbf16>, tensor<33x8xbf16>
}

// -----

// Packed [K, N] weights are not for the GPU kernels: no configuration.
// CHECK-LABEL: func.func @packed
// CHECK-NOT: qtensor.gpu_kernels
// CHECK: return
func.func @packed(%x: tensor<?x64xf32>, %w: tensor<64x32xi8>, %s: tensor<32x1xf32>) -> tensor<?x32xf32> {
  %y = qtensor.fused_mixed_matmul %x, %w, %s weight_transposed : tensor<?x64xf32>, tensor<64x32xi8>, tensor<32x1xf32> -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}
