// RUN: qtensor-opt --qtensor-lower-to-linalg --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --qtensor-map-kernels-to-gpu --canonicalize --cse --split-input-file %s | FileCheck %s
// RUN: qtensor-opt --qtensor-lower-to-linalg --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --qtensor-map-kernels-to-gpu="emulate=true" --canonicalize --cse --split-input-file %s | FileCheck %s --check-prefix=EMULATE
// RUN: qtensor-opt --qtensor-lower-to-linalg --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --qtensor-map-kernels-to-gpu="tensor-cores=false" --canonicalize --cse --split-input-file %s | FileCheck %s --check-prefix=NOTC
// RUN: qtensor-opt --qtensor-lower-to-linalg --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --qtensor-map-kernels-to-gpu="splitk-columns=3" --canonicalize --cse --split-input-file %s | FileCheck %s --check-prefix=COLS
// RUN: qtensor-opt --qtensor-lower-to-linalg --cse --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --qtensor-map-kernels-to-gpu --canonicalize --cse --split-input-file %s | FileCheck %s --check-prefix=SHARED

// Tests that a fused kernel with a dynamic batch becomes an scf.if on the
// batch size between the split-K and the tiled kernel, both reading the
// int8 weight in 16-byte aligned vector loads, and that no linalg op of the
// kernel (conversion, fill, contraction, epilogue) is left.
// CHECK-LABEL: func.func @fused
// CHECK-SAME: (%[[X:.*]]: memref<?x64xf32>, %[[W:.*]]: memref<32x64xi8> {qtensor.parameter = "fc.weight.data"}, %[[S:.*]]: memref<32x1xf32>, %[[B:.*]]: memref<32xf32>)
// CHECK-NOT: linalg.
// CHECK: %[[OUT:.*]] = memref.alloc(%[[M:.*]]) {{.*}} : memref<?x32xf32>
// CHECK: %[[SMALL:.*]] = arith.cmpi ule, %[[M]], %c4
// CHECK: scf.if %[[SMALL]] {
// CHECK:   gpu.launch blocks({{.*}}) in ({{.*}} = %c8, {{.*}} = %[[M]], {{.*}} = %c1{{.*}}) threads({{.*}}) in ({{.*}} = %c32, {{.*}} = %c4, {{.*}} = %c1{{.*}}) module(@fc_weight_splitk) function(@fc_weight_splitk)
// CHECK:     scf.for
// The weight widened without a conversion instruction: each byte xor 0x80
// (w + 128) becomes the low byte of 2^23 (0x4B in byte 3), 2^23 + 128 is
// subtracted.
// CHECK:       %[[SLICE:.*]] = vector.load %[[W]][{{.*}}] {alignment = 16 : i64} : memref<32x64xi8>, vector<16xi8>
// CHECK:       %[[BIASED:.*]] = arith.xori %[[SLICE]], %{{.*}} : vector<16xi8>
// CHECK:       %[[WORDS:.*]] = vector.shuffle %[[BIASED]], %{{.*}} [0, 16, 16, 19, 1, 16, 16, 19, 2, 16, 16, 19,
// CHECK:       %[[SHIFTED:.*]] = vector.bitcast %[[WORDS]] : vector<64xi8> to vector<16xf32>
// CHECK:       %[[WEIGHT:.*]] = arith.subf %[[SHIFTED]], %{{.*}} : vector<16xf32>
// CHECK:       vector.fma %{{.*}}, %[[WEIGHT]], %{{.*}} : vector<16xf32>
// CHECK:     vector.reduction <add>
// CHECK:     gpu.shuffle  xor {{.*}}, %c16_i32, %c32_i32 : f32
// CHECK:     gpu.shuffle  xor {{.*}}, %c8_i32, %c32_i32 : f32
// CHECK:     gpu.shuffle  xor {{.*}}, %c4_i32, %c32_i32 : f32
// CHECK:     gpu.shuffle  xor {{.*}}, %c2_i32, %c32_i32 : f32
// CHECK:     gpu.shuffle  xor {{.*}}, %c1_i32, %c32_i32 : f32
// The epilogue's own body: scale, bias, relu, stored by lane 0.
// CHECK:     arith.mulf
// CHECK:     arith.addf
// CHECK:     arith.maximumf
// CHECK:     memref.store {{.*}}, %[[OUT]]
// CHECK: } else {
// The tiled kernel stages the block's 32 weight rows in shared memory
// (rows padded to 80 bytes): thread i copies 16 bytes at 16 (i % 4) of row
// i / 4, a barrier, then each thread reads its column's row from the tile.
// CHECK:   gpu.launch {{.*}} module(@fc_weight_tiled) function(@fc_weight_tiled)
// CHECK:     %[[TILE:.*]] = memref.alloca() : memref<32x80xi8, #gpu.address_space<workgroup>>
// CHECK:     arith.minui
// CHECK:     %[[TROW:.*]] = arith.divui %[[THREAD:.*]], %c4
// CHECK:     %[[PART:.*]] = arith.remui %[[THREAD]], %c4
// CHECK:     %[[OFFSET:.*]] = arith.muli %[[PART]], %c16
// CHECK:     %[[SLICE:.*]] = vector.load %[[W]][{{.*}}, %[[OFFSET]]] {alignment = 16 : i64} : memref<32x64xi8>, vector<16xi8>
// CHECK:     vector.store %[[SLICE]], %[[TILE]][%[[TROW]], %[[OFFSET]]] {alignment = 16 : i64}
// CHECK:     gpu.barrier
// CHECK:     scf.for %[[KK:.*]] = %c0 to %c64 step %c16
// CHECK:       vector.load %[[TILE]][%{{.*}}, %[[KK]]] {alignment = 16 : i64} : memref<32x80xi8, #gpu.address_space<workgroup>>, vector<16xi8>
// CHECK-COUNT-4: vector.fma
// CHECK:     gpu.barrier
// CHECK-NOT:   gpu.shuffle
// CHECK:       memref.store {{.*}}, %[[OUT]]
// CHECK-NOT: linalg.
// CHECK: return %[[OUT]]

// Tests that emulate=true emits the same bodies in scf.parallel loops, the
// lanes as a loop and the butterfly as vector shuffles (lane l ^ 16 first).
// EMULATE-LABEL: func.func @fused
// EMULATE-NOT: gpu.launch
// EMULATE: scf.if
// EMULATE: scf.parallel
// EMULATE: scf.for %{{.*}} = %c0 to %c32 step %c1 iter_args
// EMULATE: vector.shuffle {{.*}} [16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 0, 1,
// EMULATE: vector.extract {{.*}}[0] : f32 from vector<32xf32>
// EMULATE: } else {
// EMULATE: scf.parallel
// EMULATE-NOT: gpu.launch
func.func @fused(%x: tensor<?x64xf32>, %w: tensor<32x64xi8> {qtensor.parameter = "fc.weight.data"},
                 %s: tensor<32x1xf32>, %b: tensor<32xf32>) -> tensor<?x32xf32> {
  %y = qtensor.fused_mixed_matmul %x, %w, %s, %b relu : tensor<?x64xf32>, tensor<32x64xi8>, tensor<32x1xf32>, tensor<32xf32> -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

// Tests that kernel names are PTX identifiers when the weight's name is not
// (nn.Sequential: "0.weight").
// CHECK-LABEL: func.func @sequential
// CHECK: gpu.launch {{.*}} module(@linear_0_weight_splitk) function(@linear_0_weight_splitk)
// CHECK: gpu.launch {{.*}} module(@linear_0_weight_tiled) function(@linear_0_weight_tiled)
func.func @sequential(%x: tensor<?x64xf32>, %w: tensor<32x64xi8> {qtensor.parameter = "0.weight.data"},
                      %s: tensor<32x1xf32>) -> tensor<?x32xf32> {
  %y = qtensor.fused_mixed_matmul %x, %w, %s : tensor<?x64xf32>, tensor<32x64xi8>, tensor<32x1xf32> -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

// Tests that bf16 activations get the fused kernels too: loaded as bf16,
// widened to f32 in registers, accumulated in f32, the sum rounded once to
// bf16 before the epilogue (the scale multiply) runs in bf16.
// CHECK-LABEL: func.func @bf16
// CHECK: gpu.launch {{.*}} module(@w_splitk) function(@w_splitk)
// CHECK: scf.for
// CHECK:   vector.load {{.*}} : memref<32x64xi8>, vector<16xi8>
// CHECK:   vector.bitcast {{.*}} : vector<64xi8> to vector<16xf32>
// CHECK:   vector.load {{.*}} {alignment = 16 : i64} : memref<?x64xbf16>, vector<16xbf16>
// CHECK:   arith.extf {{.*}} : vector<16xbf16> to vector<16xf32>
// CHECK:   vector.fma
// CHECK: gpu.shuffle xor
// CHECK: arith.truncf {{.*}} : f32 to bf16
// CHECK: arith.mulf {{.*}} : bf16
// CHECK: memref.store {{.*}} : memref<?x32xbf16>
// Larger batches run on tensor cores: grid [ceil(N / 128), ceil(M / 32)],
// blocks of 4 warps; with K = 64, one k step in which each lane loads 16
// consecutive k of its two rows per row tile and of its weight row per
// column tile, converts the weight to bf16 (exact) and issues
// 4 chunks x 2 row tiles x 4 column tiles m16n8k16 mma.sync.
// CHECK: } else {
// CHECK: %[[PADDED:.*]] = arith.addi %{{.*}}, %c31
// CHECK: %[[GRIDY:.*]] = arith.divui %[[PADDED]], %c32
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %c1{{.*}}, {{.*}} = %[[GRIDY]]{{.*}}) threads({{.*}}) in ({{.*}} = %c32{{.*}}, {{.*}} = %c4{{.*}}) module(@w_mma) function(@w_mma)
// CHECK-COUNT-4: vector.load {{.*}} {alignment = 16 : i64} : memref<?x64xbf16>, vector<16xbf16>
// CHECK: vector.load {{.*}} {alignment = 16 : i64} : memref<32x64xi8>, vector<16xi8>
// The bf16 weight: the f32 widening (as split-K), then the high half of
// each f32.
// CHECK: %[[WIDE:.*]] = vector.bitcast %{{.*}} : vector<64xi8> to vector<16xf32>
// CHECK: %[[FLOATS:.*]] = arith.subf %[[WIDE]], %{{.*}} : vector<16xf32>
// CHECK: %[[HALVES:.*]] = vector.bitcast %[[FLOATS]] : vector<16xf32> to vector<32xbf16>
// CHECK: vector.shuffle %[[HALVES]], %[[HALVES]] [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31] : vector<32xbf16>, vector<32xbf16>
// CHECK-NOT: arith.sitofp
// CHECK-COUNT-32: nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 16]} : (vector<4x2xbf16>, vector<2x2xbf16>, vector<2x2xf32>) -> vector<2x2xf32>
// CHECK-NOT: nvgpu.mma.sync
// CHECK: arith.truncf {{.*}} : f32 to bf16
// CHECK: arith.mulf {{.*}} : bf16
// CHECK: memref.store {{.*}} : memref<?x32xbf16>
// CHECK: return
// EMULATE-LABEL: func.func @bf16
// EMULATE-NOT: nvgpu.mma.sync
// EMULATE: memref.alloc() : memref<1x32x32xf32>
// EMULATE: memref.alloc() : memref<4x32x16xf32>
// EMULATE: memref.alloc() : memref<4x32x16xf32>
// EMULATE: vector.reduction <add>
// EMULATE-NOT: nvgpu.mma.sync
// EMULATE: return
func.func @bf16(%x: tensor<?x64xbf16>, %w: tensor<32x64xi8> {qtensor.parameter = "w.data"},
                %s: tensor<32x1xbf16>) -> tensor<?x32xbf16> {
  %y = qtensor.fused_mixed_matmul %x, %w, %s : tensor<?x64xbf16>, tensor<32x64xi8>, tensor<32x1xbf16> -> tensor<?x32xbf16>
  return %y : tensor<?x32xbf16>
}

// -----

// Batches of at most 32 rows whose K splits into 4 whole k steps (K = 512:
// 128 per warp, two steps of 64) run the K-split tensor-core kernel: grid
// [ceil(N / 32), ceil(M / 32)], blocks of 4 warps on one 32 x 32 tile, warp
// w from k = 128 w; the partial tiles go to a [warp][result][lane]
// workgroup buffer, and after a barrier warp 0 adds the four in order and
// stores. Larger batches keep the plain kernel.
// CHECK-LABEL: func.func @ksplit
// CHECK: module(@k_splitk)
// CHECK: %[[FITS:.*]] = arith.cmpi ule, %{{.*}}, %c32
// CHECK: scf.if %[[FITS]]
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %c2{{.*}}, {{.*}}) threads({{.*}}) in ({{.*}} = %c32{{.*}}, {{.*}} = %c4{{.*}}) module(@k_mma_ksplit) function(@k_mma_ksplit)
// CHECK: %[[PARTIALS:.*]] = memref.alloca() : memref<4x32x32xf32, #gpu.address_space<workgroup>>
// CHECK: %[[KBEGIN:.*]] = arith.muli %{{.*}}, %c128
// CHECK: %[[KEND:.*]] = arith.addi %[[KBEGIN]], %c128
// CHECK: scf.for %{{.*}} = %[[KBEGIN]] to %[[KEND]] step %c64
// CHECK-COUNT-32: nvgpu.mma.sync
// CHECK: memref.store {{.*}}, %[[PARTIALS]]
// CHECK: gpu.barrier
// CHECK: scf.if
// CHECK-COUNT-4: memref.load %[[PARTIALS]]
// CHECK: arith.addf
// CHECK: } else {
// CHECK: module(@k_mma) function(@k_mma)
// CHECK: return
// EMULATE-LABEL: func.func @ksplit
// EMULATE: memref.alloc() : memref<4x32x32xf32>
// EMULATE-NOT: nvgpu.mma.sync
// EMULATE: return
func.func @ksplit(%x: tensor<?x512xbf16>, %w: tensor<40x512xi8> {qtensor.parameter = "k.data"},
                  %s: tensor<40x1xbf16>) -> tensor<?x40xbf16> {
  %y = qtensor.fused_mixed_matmul %x, %w, %s : tensor<?x512xbf16>, tensor<40x512xi8>, tensor<40x1xbf16> -> tensor<?x40xbf16>
  return %y : tensor<?x40xbf16>
}

// -----

// Tests the tensor-core kernel's k loop for f16 (K = 96: steps of 32, two
// chunks of 8 consecutive k per lane), the f32 accumulators carried across
// steps, and that the f16 kernel keeps the split-K variant for small batches.
// CHECK-LABEL: func.func @f16
// CHECK: module(@h_splitk)
// CHECK: module(@h_mma)
// CHECK: scf.for %{{.*}} = %c0 to %c96 step %c32 iter_args({{.*}}) -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>)
// CHECK: vector.load {{.*}} {alignment = 16 : i64} : memref<?x96xf16>, vector<8xf16>
// CHECK: %[[SLICE:.*]] = vector.load {{.*}} {alignment = 8 : i64} : memref<40x96xi8>, vector<8xi8>
// The f16 weight: each w ^ 0x80 below the byte 0x64 (1024), minus 1152.
// CHECK: %[[BIASED:.*]] = arith.xori %[[SLICE]], %{{.*}} : vector<8xi8>
// CHECK: %[[PAIRS:.*]] = vector.shuffle %[[BIASED]], %{{.*}} [0, 8, 1, 8, 2, 8, 3, 8, 4, 8, 5, 8, 6, 8, 7, 8] : vector<8xi8>, vector<8xi8>
// CHECK: %[[HALVES:.*]] = vector.bitcast %[[PAIRS]] : vector<16xi8> to vector<8xf16>
// CHECK: arith.subf %[[HALVES]], %{{.*}} : vector<8xf16>
// CHECK-NOT: arith.sitofp
// CHECK-COUNT-16: nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
// CHECK: scf.yield
// CHECK: arith.truncf {{.*}} : f32 to f16
// NOTC-LABEL: func.func @f16
// NOTC: module(@h_tiled)
// NOTC-NOT: nvgpu.mma.sync
// NOTC: return
func.func @f16(%x: tensor<?x96xf16>, %w: tensor<40x96xi8> {qtensor.parameter = "h.data"},
               %s: tensor<40x1xf16>) -> tensor<?x40xf16> {
  %y = qtensor.fused_mixed_matmul %x, %w, %s : tensor<?x96xf16>, tensor<40x96xi8>, tensor<40x1xf16> -> tensor<?x40xf16>
  return %y : tensor<?x40xf16>
}

// -----

// Tests that a K that is not a multiple of 16 keeps the tiled kernel.
// CHECK-LABEL: func.func @f16_odd_k
// CHECK: module(@o_tiled)
// CHECK-NOT: nvgpu.mma.sync
// CHECK: return
func.func @f16_odd_k(%x: tensor<?x24xf16>, %w: tensor<16x24xi8> {qtensor.parameter = "o.data"},
                     %s: tensor<16x1xf16>) -> tensor<?x16xf16> {
  %y = qtensor.fused_mixed_matmul %x, %w, %s : tensor<?x24xf16>, tensor<16x24xi8>, tensor<16x1xf16> -> tensor<?x16xf16>
  return %y : tensor<?x16xf16>
}

// -----

// Tests that packed [K, N] weights are left to the generic loop mapping.
// CHECK-LABEL: func.func @packed
// CHECK-NOT: gpu.launch
// CHECK: linalg.generic
func.func @packed(%x: tensor<?x64xf32>, %w: tensor<64x32xi8>, %s: tensor<32x1xf32>) -> tensor<?x32xf32> {
  %y = qtensor.fused_mixed_matmul %x, %w, %s weight_transposed : tensor<?x64xf32>, tensor<64x32xi8>, tensor<32x1xf32> -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

// Tests that splitk-columns=3 gives each warp 3 neighbouring columns: a grid
// of ceil(40 / 12) blocks, the body guarded on the warp's first column, the
// others clamped to the last weight row (40 is not a multiple of 3) so the
// loads stay in bounds, 3 weight loads per activation load, a butterfly per
// column, and stores of the clamped columns guarded.
// COLS-LABEL: func.func @columns
// COLS: gpu.launch blocks({{.*}}) in ({{.*}} = %c4, {{.*}}) threads({{.*}}) in ({{.*}} = %c32, {{.*}} = %c4, {{.*}} = %c1{{.*}}) module(@c_splitk)
// COLS: %[[WARP:.*]] = arith.addi
// COLS: %[[FIRST:.*]] = arith.muli %[[WARP]], %c3
// COLS: %[[SECOND:.*]] = arith.addi %[[FIRST]], %c1
// COLS: %[[SECOND_READ:.*]] = arith.minui %[[SECOND]], %c39
// COLS: %[[THIRD:.*]] = arith.addi %[[FIRST]], %c2
// COLS: %[[THIRD_READ:.*]] = arith.minui %[[THIRD]], %c39
// COLS: %[[INSIDE:.*]] = arith.cmpi ult, %[[FIRST]], %c40
// COLS: scf.if %[[INSIDE]] {
// COLS: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>)
// COLS-NEXT: vector.load %{{.*}}[%[[FIRST]], {{.*}}] {alignment = 16 : i64} : memref<40x64xi8>, vector<16xi8>
// COLS-NEXT: vector.load %{{.*}}[%[[SECOND_READ]], {{.*}}] {alignment = 16 : i64} : memref<40x64xi8>, vector<16xi8>
// COLS-NEXT: vector.load %{{.*}}[%[[THIRD_READ]], {{.*}}] {alignment = 16 : i64} : memref<40x64xi8>, vector<16xi8>
// COLS-COUNT-3: arith.subf {{.*}} : vector<16xf32>
// COLS-NEXT: vector.load {{.*}} : memref<?x64xf32>, vector<16xf32>
// COLS-COUNT-3: vector.fma
// COLS-COUNT-15: gpu.shuffle  xor
// COLS: scf.if
// COLS-NOT: scf.if
// COLS: memref.store {{.*}}[%{{.*}}, %[[FIRST]]]
// COLS: %[[SECOND_IN:.*]] = arith.cmpi ult, %[[SECOND]], %c40
// COLS-NEXT: scf.if %[[SECOND_IN]] {
// COLS: memref.store {{.*}}[%{{.*}}, %[[SECOND]]]
// COLS: %[[THIRD_IN:.*]] = arith.cmpi ult, %[[THIRD]], %c40
// COLS-NEXT: scf.if %[[THIRD_IN]] {
// COLS: memref.store {{.*}}[%{{.*}}, %[[THIRD]]]
func.func @columns(%x: tensor<?x64xf32>, %w: tensor<40x64xi8> {qtensor.parameter = "c.data"},
                   %s: tensor<40x1xf32>) -> tensor<?x40xf32> {
  %y = qtensor.fused_mixed_matmul %x, %w, %s : tensor<?x64xf32>, tensor<40x64xi8>, tensor<40x1xf32> -> tensor<?x40xf32>
  return %y : tensor<?x40xf32>
}

// -----

// Tests the buffers CSE and bufferization share between linears of one
// shape (a transformer's q, k and v projections): one zero-filled
// accumulator that the first two kernels copy and the last one writes in
// place, and one buffer that receives each weight's conversion in turn.
// Each linear still becomes its own kernel reading its own int8 weight,
// and no fill, copy or conversion is left.
// SHARED-LABEL: func.func @shared
// SHARED-SAME: (%{{.*}}: memref<4x64xf32>, %[[W1:.*]]: memref<64x64xi8> {qtensor.parameter = "q.weight.data"}, %{{.*}}: memref<64x1xf32>, %[[W2:.*]]: memref<64x64xi8> {qtensor.parameter = "k.weight.data"}, %{{.*}}: memref<64x1xf32>, %[[W3:.*]]: memref<64x64xi8> {qtensor.parameter = "v.weight.data"}
// SHARED-NOT: linalg.
// SHARED-NOT: memref.copy
// SHARED: gpu.launch {{.*}} module(@q_weight_splitk)
// SHARED: vector.load %[[W1]]
// SHARED: gpu.launch {{.*}} module(@k_weight_splitk)
// SHARED: vector.load %[[W2]]
// SHARED: gpu.launch {{.*}} module(@v_weight_splitk)
// SHARED: vector.load %[[W3]]
// SHARED-NOT: linalg.
// SHARED-NOT: memref.copy
// SHARED: return
func.func @shared(%x: tensor<4x64xf32>, %w1: tensor<64x64xi8> {qtensor.parameter = "q.weight.data"},
                  %s1: tensor<64x1xf32>, %w2: tensor<64x64xi8> {qtensor.parameter = "k.weight.data"},
                  %s2: tensor<64x1xf32>, %w3: tensor<64x64xi8> {qtensor.parameter = "v.weight.data"},
                  %s3: tensor<64x1xf32>) -> (tensor<4x64xf32>, tensor<4x64xf32>, tensor<4x64xf32>) {
  %q = qtensor.fused_mixed_matmul %x, %w1, %s1 : tensor<4x64xf32>, tensor<64x64xi8>, tensor<64x1xf32> -> tensor<4x64xf32>
  %k = qtensor.fused_mixed_matmul %x, %w2, %s2 : tensor<4x64xf32>, tensor<64x64xi8>, tensor<64x1xf32> -> tensor<4x64xf32>
  %v = qtensor.fused_mixed_matmul %x, %w3, %s3 : tensor<4x64xf32>, tensor<64x64xi8>, tensor<64x1xf32> -> tensor<4x64xf32>
  return %q, %k, %v : tensor<4x64xf32>, tensor<4x64xf32>, tensor<4x64xf32>
}

// -----

// Tests that a linear whose converted weight buffer something else writes
// between the conversion and the contraction is not fused: the kernel
// would read the int8 weight and miss that write.
// SHARED-LABEL: func.func @overwritten_conversion
// SHARED-NOT: gpu.launch
// SHARED: linalg.generic {{.*}} attrs = {qtensor.weight_convert}
// SHARED: linalg.fill
// SHARED: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @overwritten_conversion(%x: memref<4x64xf32>, %w: memref<32x64xi8>, %s: memref<32x1xf32>, %y: memref<4x32xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %conv = memref.alloc() : memref<32x64xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%w : memref<32x64xi8>) outs(%conv : memref<32x64xf32>) attrs = {qtensor.weight_convert} {
  ^bb0(%in: i8, %out: f32):
    %f = arith.sitofp %in : i8 to f32
    linalg.yield %f : f32
  }
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]} outs(%conv : memref<32x64xf32>) {
  ^bb0(%out: f32):
    linalg.yield %one : f32
  }
  %acc = memref.alloc() : memref<4x32xf32>
  linalg.fill ins(%zero : f32) outs(%acc : memref<4x32xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %conv : memref<4x64xf32>, memref<32x64xf32>) outs(%acc : memref<4x32xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %q = arith.addf %c, %p : f32
    linalg.yield %q : f32
  }
  linalg.generic {indexing_maps = [#id, affine_map<(d0, d1) -> (d1, 0)>, #id], iterator_types = ["parallel", "parallel"]} ins(%acc, %s : memref<4x32xf32>, memref<32x1xf32>) outs(%y : memref<4x32xf32>) attrs = {qtensor.epilogue} {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  }
  return
}
