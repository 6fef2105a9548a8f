// RUN: qtensor-opt %s --qtensor-write-state-in-place --split-input-file --verify-diagnostics | FileCheck %s

// Written in place (through the checked scatter's scf.if and scf.for): the
// state result goes, nothing is copied.
// CHECK-LABEL: func.func @in_place(
// CHECK-SAME: %[[X:.*]]: memref<4xf32>, %[[P:.*]]: index, %[[OK:.*]]: i1, %[[CACHE:.*]]: memref<8x4xf32> {qtensor.state = "cache"}) -> memref<4xf32>
// CHECK: memref.copy %[[X]], %{{.*}} : memref<4xf32> to memref<4xf32, strided<[1], offset: ?>>
// CHECK: memref.cast
// CHECK-NEXT: return %[[X]] : memref<4xf32>
func.func @in_place(%x: memref<4xf32>, %p: index, %ok: i1,
                    %cache: memref<8x4xf32> {qtensor.state = "cache"})
    -> (memref<4xf32>, memref<8x4xf32> {qtensor.state = "cache"}) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %written = scf.if %ok -> (memref<8x4xf32>) {
    %loop = scf.for %i = %c0 to %c1 step %c1 iter_args(%b = %cache) -> (memref<8x4xf32>) {
      %row = memref.subview %b[%p, 0] [1, 4] [1, 1] : memref<8x4xf32> to memref<4xf32, strided<[1], offset: ?>>
      memref.copy %x, %row : memref<4xf32> to memref<4xf32, strided<[1], offset: ?>>
      scf.yield %b : memref<8x4xf32>
    }
    scf.yield %loop : memref<8x4xf32>
  } else {
    scf.yield %cache : memref<8x4xf32>
  }
  %cast = memref.cast %written : memref<8x4xf32> to memref<8x4xf32>
  return %x, %cast : memref<4xf32>, memref<8x4xf32>
}

// -----

// A new buffer (bufferization could not write in place): copied into the
// state's own buffer before the return, then dropped.
// CHECK-LABEL: func.func @copied(
// CHECK-SAME: %[[CACHE:.*]]: memref<8x4xf32> {qtensor.state = "cache"}) -> memref<f32>
// CHECK: %[[NEW:.*]] = memref.alloc() : memref<8x4xf32>
// CHECK: memref.copy %[[NEW]], %[[CACHE]]
// CHECK: return %{{.*}} : memref<f32>
func.func @copied(%cache: memref<8x4xf32> {qtensor.state = "cache"})
    -> (memref<f32>, memref<8x4xf32> {qtensor.state = "cache"}) {
  %new = memref.alloc() : memref<8x4xf32>
  %status = memref.alloc() : memref<f32>
  return %status, %new : memref<f32>, memref<8x4xf32>
}

// -----

// Functions without state are left alone.
// CHECK-LABEL: func.func @stateless(%{{.*}}: memref<4xf32>) -> memref<4xf32>
func.func @stateless(%x: memref<4xf32>) -> memref<4xf32> {
  return %x : memref<4xf32>
}

// -----

// expected-error @below {{result 0 is the state 'kv', which no argument of @orphan holds}}
func.func @orphan(%cache: memref<8x4xf32> {qtensor.state = "cache"})
    -> (memref<8x4xf32> {qtensor.state = "kv"}) {
  return %cache : memref<8x4xf32>
}

// -----

func.func @tensors(%cache: tensor<8x4xf32> {qtensor.state = "cache"})
    -> (tensor<8x4xf32> {qtensor.state = "cache"}) {
  // expected-error @below {{the state result 0 is not a buffer of its argument's type (run this pass after bufferization)}}
  return %cache : tensor<8x4xf32>
}
