// RUN: qtensor-opt --pass-pipeline='builtin.module(func.func(qtensor-prefetch-weights))' %s | FileCheck %s

// Tests that each step of a GEMV tile's K loop (16 rows of 256 int8 weights,
// 16 bytes of each per step: 256 bytes) prefetches 256 bytes of the weights
// after the tile, as four cache lines in address order, starting where the
// tile ends (its offset + 16 * 256) plus 16 bytes per k, clamped to the last
// line of the 64 x 256 buffer (16384 - 64).
// CHECK-LABEL: func.func @gemv_tile
// CHECK:   %[[TILE:.*]] = memref.subview %{{.*}}[%{{.*}}, 0] [16, 256] [1, 1]
// CHECK:   %[[BASE:.*]], %[[OFFSET:.*]], %{{.*}}:2, %{{.*}}:2 = memref.extract_strided_metadata %[[TILE]]
// CHECK:   %[[TILE_BYTES:.*]] = arith.constant 4096 : index
// CHECK:   %[[NEXT:.*]] = arith.addi %[[OFFSET]], %[[TILE_BYTES]] : index
// CHECK:   %[[LAST:.*]] = arith.constant 16320 : index
// CHECK:   %[[ROWS:.*]] = arith.constant 16 : index
// CHECK:   %[[ZERO:.*]] = arith.constant 0 : index
// CHECK:   %[[L1:.*]] = arith.constant 64 : index
// CHECK:   %[[L2:.*]] = arith.constant 128 : index
// CHECK:   %[[L3:.*]] = arith.constant 192 : index
// CHECK:   scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// CHECK:     %[[DONE:.*]] = arith.muli %[[K]], %[[ROWS]] : index
// CHECK:     %[[POSITION:.*]] = arith.addi %[[NEXT]], %[[DONE]] : index
// CHECK:     %[[A0:.*]] = arith.minsi %[[POSITION]], %[[LAST]] : index
// CHECK:     %[[V0:.*]] = memref.reinterpret_cast %[[BASE]] to offset: [%[[A0]]], sizes: [1], strides: [1]
// CHECK:     memref.prefetch %[[V0]][%[[ZERO]]], read, locality<2>, data
// CHECK:     %[[P1:.*]] = arith.addi %[[POSITION]], %[[L1]] : index
// CHECK:     %[[A1:.*]] = arith.minsi %[[P1]], %[[LAST]] : index
// CHECK:     %[[V1:.*]] = memref.reinterpret_cast %[[BASE]] to offset: [%[[A1]]]
// CHECK:     memref.prefetch %[[V1]]
// CHECK:     arith.addi %[[POSITION]], %[[L2]] : index
// CHECK:     memref.prefetch
// CHECK:     arith.addi %[[POSITION]], %[[L3]] : index
// CHECK:     memref.prefetch
// CHECK-NOT: memref.prefetch
// CHECK:     vector.transfer_read
// CHECK:   } {qtensor.gemv}
func.func @gemv_tile(%x: memref<1x256xf32>, %w: memref<64x256xi8>, %n: index) -> vector<1x16x16xf32> {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c256 = arith.constant 256 : index
  %pad8 = ub.poison : i8
  %pad = ub.poison : f32
  %zero = arith.constant dense<0.0> : vector<1x16x16xf32>
  %tile = memref.subview %w[%n, 0] [16, 256] [1, 1] : memref<64x256xi8> to memref<16x256xi8, strided<[256, 1], offset: ?>>
  %sums = scf.for %k = %c0 to %c256 step %c16 iter_args(%acc = %zero) -> (vector<1x16x16xf32>) {
    %xs = memref.subview %x[0, %k] [1, 16] [1, 1] : memref<1x256xf32> to memref<1x16xf32, strided<[256, 1], offset: ?>>
    %ws = memref.subview %tile[0, %k] [16, 16] [1, 1] : memref<16x256xi8, strided<[256, 1], offset: ?>> to memref<16x16xi8, strided<[256, 1], offset: ?>>
    %xv = vector.transfer_read %xs[%c0, %c0], %pad {in_bounds = [true, true]} : memref<1x16xf32, strided<[256, 1], offset: ?>>, vector<1x16xf32>
    %xb = vector.broadcast %xv : vector<1x16xf32> to vector<1x16x16xf32>
    %wv = vector.transfer_read %ws[%c0, %c0], %pad8 {in_bounds = [true, true]} : memref<16x16xi8, strided<[256, 1], offset: ?>>, vector<16x16xi8>
    %wb = vector.broadcast %wv : vector<16x16xi8> to vector<1x16x16xi8>
    %wf = arith.sitofp %wb : vector<1x16x16xi8> to vector<1x16x16xf32>
    %next = math.fma %xb, %wf, %acc : vector<1x16x16xf32>
    scf.yield %next : vector<1x16x16xf32>
  } {qtensor.gemv}
  return %sums : vector<1x16x16xf32>
}

// Tests that a loop the GEMV emitter did not mark is left alone.
// CHECK-LABEL: func.func @unmarked
// CHECK-NOT: memref.prefetch
func.func @unmarked(%w: memref<64x256xi8>, %n: index) -> vector<16x16xi8> {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c256 = arith.constant 256 : index
  %pad8 = ub.poison : i8
  %zero = arith.constant dense<0> : vector<16x16xi8>
  %tile = memref.subview %w[%n, 0] [16, 256] [1, 1] : memref<64x256xi8> to memref<16x256xi8, strided<[256, 1], offset: ?>>
  %r = scf.for %k = %c0 to %c256 step %c16 iter_args(%acc = %zero) -> (vector<16x16xi8>) {
    %ws = memref.subview %tile[0, %k] [16, 16] [1, 1] : memref<16x256xi8, strided<[256, 1], offset: ?>> to memref<16x16xi8, strided<[256, 1], offset: ?>>
    %wv = vector.transfer_read %ws[%c0, %c0], %pad8 {in_bounds = [true, true]} : memref<16x16xi8, strided<[256, 1], offset: ?>>, vector<16x16xi8>
    %s = arith.addi %acc, %wv : vector<16x16xi8>
    scf.yield %s : vector<16x16xi8>
  }
  return %r : vector<16x16xi8>
}

// Tests that a tile of part of each row (not contiguous: the bytes after it
// are the rest of its rows, not the next tile) gets no prefetches.
// CHECK-LABEL: func.func @partial_rows
// CHECK-NOT: memref.prefetch
func.func @partial_rows(%w: memref<64x256xi8>, %n: index) -> vector<16x16xi8> {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c128 = arith.constant 128 : index
  %pad8 = ub.poison : i8
  %zero = arith.constant dense<0> : vector<16x16xi8>
  %tile = memref.subview %w[%n, 0] [16, 128] [1, 1] : memref<64x256xi8> to memref<16x128xi8, strided<[256, 1], offset: ?>>
  %r = scf.for %k = %c0 to %c128 step %c16 iter_args(%acc = %zero) -> (vector<16x16xi8>) {
    %ws = memref.subview %tile[0, %k] [16, 16] [1, 1] : memref<16x128xi8, strided<[256, 1], offset: ?>> to memref<16x16xi8, strided<[256, 1], offset: ?>>
    %wv = vector.transfer_read %ws[%c0, %c0], %pad8 {in_bounds = [true, true]} : memref<16x16xi8, strided<[256, 1], offset: ?>>, vector<16x16xi8>
    %s = arith.addi %acc, %wv : vector<16x16xi8>
    scf.yield %s : vector<16x16xi8>
  } {qtensor.gemv}
  return %r : vector<16x16xi8>
}

// Tests that a tile of every other row (row stride 512 in a 256-wide
// buffer) gets no prefetches: the bytes after it are not the next tile.
// CHECK-LABEL: func.func @strided_rows
// CHECK-NOT: memref.prefetch
func.func @strided_rows(%w: memref<64x256xi8>, %n: index) -> vector<16x16xi8> {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c256 = arith.constant 256 : index
  %pad8 = ub.poison : i8
  %zero = arith.constant dense<0> : vector<16x16xi8>
  %tile = memref.subview %w[%n, 0] [16, 256] [2, 1] : memref<64x256xi8> to memref<16x256xi8, strided<[512, 1], offset: ?>>
  %r = scf.for %k = %c0 to %c256 step %c16 iter_args(%acc = %zero) -> (vector<16x16xi8>) {
    %ws = memref.subview %tile[0, %k] [16, 16] [1, 1] : memref<16x256xi8, strided<[512, 1], offset: ?>> to memref<16x16xi8, strided<[512, 1], offset: ?>>
    %wv = vector.transfer_read %ws[%c0, %c0], %pad8 {in_bounds = [true, true]} : memref<16x16xi8, strided<[512, 1], offset: ?>>, vector<16x16xi8>
    %s = arith.addi %acc, %wv : vector<16x16xi8>
    scf.yield %s : vector<16x16xi8>
  } {qtensor.gemv}
  return %r : vector<16x16xi8>
}
