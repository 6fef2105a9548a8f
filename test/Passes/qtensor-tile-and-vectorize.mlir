// RUN: qtensor-opt --qtensor-lower-to-linalg --canonicalize %s | qtensor-opt --pass-pipeline='builtin.module(func.func(qtensor-tile-and-vectorize),canonicalize,cse)' | FileCheck %s
// RUN: qtensor-opt --qtensor-lower-to-linalg --canonicalize %s | qtensor-opt --pass-pipeline='builtin.module(func.func(qtensor-tile-and-vectorize{vectorize=false}),canonicalize,cse)' | FileCheck %s --check-prefix=SCALAR
// RUN: qtensor-opt --qtensor-lower-to-linalg --canonicalize %s | qtensor-opt --pass-pipeline='builtin.module(func.func(qtensor-tile-and-vectorize{tile-m=2 tile-n=8 tile-k=8}),canonicalize,cse)' | FileCheck %s --check-prefix=SMALL
// RUN: qtensor-opt --qtensor-lower-to-linalg --canonicalize %s | qtensor-opt --pass-pipeline='builtin.module(func.func(qtensor-tile-and-vectorize{parallel-chunk=40}),canonicalize,cse)' | FileCheck %s --check-prefix=PARALLEL
// RUN: qtensor-opt --qtensor-lower-to-linalg --canonicalize %s | qtensor-opt --pass-pipeline='builtin.module(func.func(qtensor-tile-and-vectorize{tile-m=16}),canonicalize,cse)' | FileCheck %s --check-prefix=TILE16
// RUN: qtensor-opt --qtensor-lower-to-linalg %s | %expect_exit 2 qtensor-opt --pass-pipeline='builtin.module(func.func(qtensor-tile-and-vectorize{tile-k=0}))' 2>&1 | FileCheck %s --check-prefix=BAD-TILE

// Tests that a fused kernel with a dynamic batch is tiled into blocks of
// 256 rows, then 16 columns; that each column tile of a block with at
// least tile-m (4) rows converts its int8 weights once into a float panel
// [K, 16] (16 x 16 tiles, transposed in registers), which every 4 x 16
// register tile of the block reads row by row with no conversion or
// transpose of its own; that K is walked in steps of 16 by a sequential loop
// (fixed reduction order); and that the rows after the last full tile go one
// at a time. (tile-m is 4 in the default run, so only the 1-row step shows;
// the TILE16 run has 4-row steps too.) A one-row tile is a GEMV: it keeps 16
// partial sums per column (K in vector lanes, the int8 weights converted in
// the loop, no transpose) and adds them up after its K loop, which is marked
// for qtensor-prefetch-weights.
// CHECK-LABEL: func.func @fused_dynamic_batch
// CHECK-NOT: linalg.copy
// CHECK: scf.for %{{.*}} = %c0 to %{{.*}} step %c256
// CHECK:   %[[ROWS:.*]] = affine.min
// CHECK:   %[[ENOUGH:.*]] = arith.cmpi sge, %[[ROWS]], %c4 : index
// CHECK:   %[[PANEL:.*]] = scf.if %[[ENOUGH]] -> (tensor<32x16xf32>) {
// CHECK:     scf.for %{{.*}} = %c0 to %c32 step %c16
// CHECK:       vector.transfer_read {{.*}} : tensor<16x16xi8>, vector<16x16xi8>
// CHECK:       arith.sitofp {{.*}} : vector<16x16xi8> to vector<16x16xf32>
// CHECK:       vector.transpose {{.*}} [1, 0] : vector<16x16xf32> to vector<16x16xf32>
// CHECK:   } else {
// CHECK:   } {qtensor.weight_panel}
// CHECK:   %[[MAIN:.*]] = scf.for %{{.*}} = %c0 to %{{.*}} step %c4
// CHECK:     vector.transfer_write %{{.*}} : vector<4x16xf32>, tensor<4x16xf32>
// CHECK:     scf.for %{{.*}} = %c0 to %c32 step %c16
// CHECK:       tensor.extract_slice %[[PANEL]][%{{.*}}, 0] [16, 16] [1, 1] : tensor<32x16xf32> to tensor<16x16xf32>
// CHECK-NOT:   arith.sitofp
// CHECK:       vector.contract {{.*}} : vector<4x16xf32>, vector<16x16xf32> into vector<4x16xf32>
// CHECK:     arith.mulf {{.*}} : vector<4x16xf32>
// CHECK:     arith.maximumf {{.*}} : vector<4x16xf32>
// CHECK:   scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c4 iter_args(%{{.*}} = %[[MAIN]])
// CHECK-NOT: linalg.generic
// CHECK:   scf.for %{{.*}} = %c0 to %{{.*}} step %c1
// CHECK:     %[[PARTIAL:.*]] = scf.for %{{.*}} = %c0 to %c32 step %c16 iter_args(%{{.*}} = %{{.*}}) -> (tensor<1x16x16xf32>)
// CHECK:       %[[X:.*]] = vector.transfer_read {{.*}} : tensor<1x16xf32>, vector<1x16xf32>
// CHECK:       %[[XB:.*]] = vector.broadcast %[[X]] : vector<1x16xf32> to vector<1x16x16xf32>
// CHECK:       %[[W8:.*]] = vector.transfer_read {{.*}} : tensor<16x16xi8>, vector<16x16xi8>
// CHECK:       %[[WB:.*]] = vector.broadcast %[[W8]] : vector<16x16xi8> to vector<1x16x16xi8>
// CHECK:       %[[ACC:.*]] = vector.transfer_read {{.*}} : tensor<1x16x16xf32>, vector<1x16x16xf32>
// CHECK:       %[[W:.*]] = arith.sitofp %[[WB]] : vector<1x16x16xi8> to vector<1x16x16xf32>
// CHECK:       math.fma %[[XB]], %[[W]], %[[ACC]] : vector<1x16x16xf32>
// CHECK-NOT:   vector.transpose
// CHECK:     } {qtensor.gemv}
// CHECK:     %[[SUMS:.*]] = vector.transfer_read %[[PARTIAL]]
// CHECK:     vector.multi_reduction <add>, %[[SUMS]], %{{.*}} [2] : vector<1x16x16xf32> to vector<1x16xf32>
// CHECK:     arith.maximumf {{.*}} : vector<1x16xf32>

// TILE16-LABEL: func.func @fused_dynamic_batch
// TILE16: arith.cmpi sge, %{{.*}}, %c16 : index
// TILE16: %[[MAIN16:.*]] = scf.for %{{.*}} = %c0 to %{{.*}} step %c16
// TILE16:   vector.contract {{.*}} : vector<16x16xf32>, vector<16x16xf32> into vector<16x16xf32>
// TILE16: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c16 iter_args(%{{.*}} = %[[MAIN16]])
// TILE16-NOT: linalg.generic
// TILE16:   %[[ROWS4:.*]] = scf.for %{{.*}} = %c0 to %{{.*}} step %c4
// TILE16:     arith.sitofp {{.*}} : vector<16x16xi8> to vector<16x16xf32>
// TILE16:     vector.contract {{.*}} : vector<4x16xf32>, vector<16x16xf32> into vector<4x16xf32>
// TILE16:   scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c4 iter_args(%{{.*}} = %[[ROWS4]])
// TILE16:     scf.for %{{.*}} = %c0 to %{{.*}} step %c1
// TILE16:       math.fma {{.*}} : vector<1x16x16xf32>
// TILE16:       vector.multi_reduction <add>, {{.*}} [2] : vector<1x16x16xf32> to vector<1x16xf32>

// SCALAR-LABEL: func.func @fused_dynamic_batch
// SCALAR-NOT: vector.
// SCALAR: scf.for
// SCALAR: linalg.generic {{.*}} ins(%{{.*}} : tensor<16x16xi8>) outs(%{{.*}} : tensor<16x16xf32>) attrs = {qtensor.weight_convert}
// SCALAR: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]{{.*}} ins(%{{.*}}, %{{.*}} : tensor<4x16xf32>, tensor<16x16xf32>)

// SMALL-LABEL: func.func @fused_dynamic_batch
// SMALL: scf.for %{{.*}} step %c2
// SMALL: scf.for %{{.*}} step %c8
// SMALL: vector.contract {{.*}} : vector<2x8xf32>, vector<8x8xf32> into vector<2x8xf32>

// BAD-TILE: error: qtensor-tile-and-vectorize: tile sizes must be positive, got tile-m=4 tile-n=16 tile-k=0
func.func @fused_dynamic_batch(%x: tensor<?x32xf32>, %d: tensor<16x32xi8>, %s: tensor<16x1xf32>) -> tensor<?x16xf32> {
  %y = qtensor.fused_mixed_matmul %x, %d, %s relu : tensor<?x32xf32>, tensor<16x32xi8>, tensor<16x1xf32> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// Tests that parallel-chunk splits N into an scf.forall of chunks (the
// largest multiple of tile-n up to 40 that divides 64: 32), with the whole
// tiling (row blocks, column tiles and their weight panels, register tiles,
// K loops) inside each chunk; and that a layer too
// narrow for two chunks (N = 16 above) stays sequential.
// PARALLEL-LABEL: func.func @fused_dynamic_batch
// PARALLEL-NOT: scf.forall
// PARALLEL-LABEL: func.func @parallel_columns
// PARALLEL: scf.forall (%[[CHUNK:.*]]) = (0) to (64) step (32)
// PARALLEL:   tensor.extract_slice %{{.*}}[%[[CHUNK]], 0] [32, 32] [1, 1] : tensor<64x32xi8> to tensor<32x32xi8>
// PARALLEL:   scf.for %{{.*}} step %c256
// PARALLEL:     scf.for %{{.*}} = %c0 to %c32 step %c16
// PARALLEL:       scf.if
// PARALLEL:       scf.for %{{.*}} step %c4
// PARALLEL:         scf.for %{{.*}} = %c0 to %c32 step %c16
// PARALLEL:           vector.contract
// PARALLEL:   scf.forall.in_parallel
// PARALLEL:     tensor.parallel_insert_slice %{{.*}} into %{{.*}}[0, %[[CHUNK]]] [%{{.*}}, 32] [1, 1]
func.func @parallel_columns(%x: tensor<?x32xf32>, %d: tensor<64x32xi8>, %s: tensor<64x1xf32>) -> tensor<?x64xf32> {
  %y = qtensor.fused_mixed_matmul %x, %d, %s : tensor<?x32xf32>, tensor<64x32xi8>, tensor<64x1xf32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// Tests that input rows whose stride is a multiple of 2 KiB (K = 512 f32
// values) are copied once, before the kernel, into rows 64 bytes longer,
// and that the tiles read the copy; the kernels above (K = 32) read their
// input in place. The copy (dynamic rows) is vector-tiled like any op
// around the kernels: 16 values at a time.
// CHECK-LABEL: func.func @padded_input_rows
// CHECK-SAME: (%[[X:.*]]: tensor<?x512xf32>
// CHECK: %[[BUF:.*]] = tensor.empty(%{{.*}}) : tensor<?x528xf32>
// CHECK: %[[VIEW:.*]] = tensor.extract_slice %[[BUF]][0, 0] [%{{.*}}, 512] [1, 1] : tensor<?x528xf32> to tensor<?x512xf32>
// CHECK: %[[COPY:.*]] = scf.for %{{.*}} iter_args(%{{.*}} = %[[VIEW]]) -> (tensor<?x512xf32>)
// CHECK:   tensor.extract_slice %[[X]][%{{.*}}, %{{.*}}] [1, 16] [1, 1]
// CHECK: scf.for
// CHECK: tensor.extract_slice %[[COPY]]
// CHECK-NOT: linalg.copy
// CHECK-LABEL: func.func @gemv_packed_weight
func.func @padded_input_rows(%x: tensor<?x512xf32>, %d: tensor<16x512xi8>, %s: tensor<16x1xf32>) -> tensor<?x16xf32> {
  %y = qtensor.fused_mixed_matmul %x, %d, %s : tensor<?x512xf32>, tensor<16x512xi8>, tensor<16x1xf32> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// Tests that a batch of one with weights packed as [K, N] is a GEMV too,
// with N in the vector lanes: each step multiplies 16 contiguous weight rows
// by 16 broadcast inputs into 16 partial rows, added up after the K loop.
// CHECK: %[[PARTIAL:.*]] = scf.for %{{.*}} = %c0 to %c64 step %c16 iter_args(%{{.*}} = %{{.*}}) -> (tensor<1x16x16xf32>)
// CHECK:   vector.transfer_read {{.*}} : tensor<1x16xf32>, vector<1x16xf32>
// CHECK:   vector.transfer_read {{.*}} : tensor<16x16xi8>, vector<16x16xi8>
// CHECK:   %[[W:.*]] = arith.sitofp %{{.*}} : vector<1x16x16xi8> to vector<1x16x16xf32>
// CHECK:   math.fma %{{.*}}, %[[W]], %{{.*}} : vector<1x16x16xf32>
// CHECK: }
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "parallel"]{{.*}} ins(%[[PARTIAL]] : tensor<1x16x16xf32>)
func.func @gemv_packed_weight(%x: tensor<1x64xf32>, %d: tensor<64x16xi8>, %s: tensor<16x1xf32>) -> tensor<1x16xf32> {
  %y = qtensor.fused_mixed_matmul %x, %d, %s weight_transposed : tensor<1x64xf32>, tensor<64x16xi8>, tensor<16x1xf32> -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// Tests that a kernel whose float panel would not fit the L2 budget (K =
// 4160: 16 x 4160 floats, 260 KiB > 256 KiB) converts its weights per
// register tile instead.
// CHECK-LABEL: func.func @no_panel_for_deep_weights
// CHECK-NOT: qtensor.weight_panel
// CHECK: arith.sitofp {{.*}} : vector<16x16xi8> to vector<16x16xf32>
// CHECK: vector.contract {{.*}} : vector<4x16xf32>, vector<16x16xf32> into vector<4x16xf32>
// CHECK-NOT: qtensor.weight_panel
// CHECK: return
func.func @no_panel_for_deep_weights(%x: tensor<?x4160xf32>, %d: tensor<16x4160xi8>, %s: tensor<16x1xf32>) -> tensor<?x16xf32> {
  %y = qtensor.fused_mixed_matmul %x, %d, %s : tensor<?x4160xf32>, tensor<16x4160xi8>, tensor<16x1xf32> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// Tests that an op around the kernels with a dynamic size (a decoder's token
// count) is vector-tiled too: 16 lanes along its static last dimension, one
// row at a time along the dynamic one.
// CHECK-LABEL: func.func @dynamic_rows_elementwise
// CHECK: scf.for %{{.*}} = %c0 to %{{.*}} step %c1
// CHECK:   scf.for %{{.*}} = %c0 to %c64 step %c16
// CHECK:     arith.addf %{{.*}}, %{{.*}} : vector<1x16xf32>
func.func @dynamic_rows_elementwise(%x: tensor<?x64xf32>, %y: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %sum = linalg.add ins(%x, %y : tensor<?x64xf32>, tensor<?x64xf32>) outs(%x : tensor<?x64xf32>) -> tensor<?x64xf32>
  return %sum : tensor<?x64xf32>
}
