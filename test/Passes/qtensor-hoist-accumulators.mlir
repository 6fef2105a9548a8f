// RUN: qtensor-opt --qtensor-hoist-accumulators --split-input-file %s | FileCheck %s

// Tests that a tile accumulator read and written back at the same place in
// every step of a K loop that runs at least once becomes a loop-carried
// vector: one read before the loop, one write after it.
// CHECK-LABEL: func.func @hoisted
// CHECK: %[[INIT:.*]] = vector.transfer_read %[[ACC:.*]][%c0, %c0]
// CHECK: %[[SUM:.*]] = scf.for {{.*}} iter_args(%[[CARRY:.*]] = %[[INIT]]) -> (vector<4x16xf32>)
// CHECK-NOT: vector.transfer_write
// CHECK:   %[[B:.*]] = vector.transfer_read %{{.*}}[%{{.*}}, %c0]
// CHECK:   %[[NEXT:.*]] = arith.addf %[[CARRY]], %[[B]]
// CHECK:   scf.yield %[[NEXT]]
// CHECK: vector.transfer_write %[[SUM]], %[[ACC]][%c0, %c0]
func.func @hoisted(%acc: memref<4x16xf32>, %b: memref<64x16xf32>) {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c64 = arith.constant 64 : index
  %pad = arith.constant 0.0 : f32
  scf.for %k = %c0 to %c64 step %c4 {
    %a = vector.transfer_read %acc[%c0, %c0], %pad {in_bounds = [true, true]} : memref<4x16xf32>, vector<4x16xf32>
    %x = vector.transfer_read %b[%k, %c0], %pad {in_bounds = [true, true]} : memref<64x16xf32>, vector<4x16xf32>
    %s = arith.addf %a, %x : vector<4x16xf32>
    vector.transfer_write %s, %acc[%c0, %c0] {in_bounds = [true, true]} : vector<4x16xf32>, memref<4x16xf32>
  }
  return
}

// -----

// Tests that a loop that may run zero times keeps its read/write pair: a
// hoisted write would store to a tile the loop never touched.
// CHECK-LABEL: func.func @maybe_zero_trips
// CHECK: scf.for
// CHECK-NOT: iter_args
// CHECK:   vector.transfer_read %{{.*}}[%c0, %c0]
// CHECK:   vector.transfer_write
// CHECK: return
func.func @maybe_zero_trips(%acc: memref<4x16xf32>, %b: memref<64x16xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %pad = arith.constant 0.0 : f32
  scf.for %k = %c0 to %n step %c4 {
    %a = vector.transfer_read %acc[%c0, %c0], %pad {in_bounds = [true, true]} : memref<4x16xf32>, vector<4x16xf32>
    %x = vector.transfer_read %b[%k, %c0], %pad {in_bounds = [true, true]} : memref<64x16xf32>, vector<4x16xf32>
    %s = arith.addf %a, %x : vector<4x16xf32>
    vector.transfer_write %s, %acc[%c0, %c0] {in_bounds = [true, true]} : vector<4x16xf32>, memref<4x16xf32>
  }
  return
}

// -----

// Tests that an accumulator also read elsewhere in the loop (another view of
// the same buffer) stays in memory: hoisting would change what that read
// sees.
// CHECK-LABEL: func.func @aliased
// CHECK: scf.for
// CHECK-NOT: iter_args
// CHECK: vector.transfer_write
// CHECK: return
func.func @aliased(%acc: memref<4x16xf32>, %out: memref<64x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c64 = arith.constant 64 : index
  %pad = arith.constant 0.0 : f32
  scf.for %k = %c0 to %c64 step %c4 {
    %a = vector.transfer_read %acc[%c0, %c0], %pad {in_bounds = [true, true]} : memref<4x16xf32>, vector<4x16xf32>
    %s = arith.addf %a, %a : vector<4x16xf32>
    vector.transfer_write %s, %acc[%c0, %c0] {in_bounds = [true, true]} : vector<4x16xf32>, memref<4x16xf32>
    %row = vector.transfer_read %acc[%c1, %c0], %pad {in_bounds = [true]} : memref<4x16xf32>, vector<16xf32>
    vector.transfer_write %row, %out[%k, %c0] {in_bounds = [true]} : vector<16xf32>, memref<64x16xf32>
  }
  return
}
