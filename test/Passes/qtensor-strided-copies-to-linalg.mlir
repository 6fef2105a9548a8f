// RUN: qtensor-opt --qtensor-strided-copies-to-linalg %s | FileCheck %s

// A copy into a slice of a larger buffer (a bufferized cat) has no memcpy
// form: it becomes linalg.copy.
// CHECK-LABEL: func.func @into_slice
// CHECK-NOT: memref.copy
// CHECK: linalg.copy ins(%{{.*}} : memref<2x4xf32>) outs(%{{.*}} : memref<2x4xf32, strided<[8, 1], offset: 4>>)
func.func @into_slice(%src: memref<2x4xf32>, %dst: memref<2x8xf32>) {
  %view = memref.subview %dst[0, 4] [2, 4] [1, 1] : memref<2x8xf32> to memref<2x4xf32, strided<[8, 1], offset: 4>>
  memref.copy %src, %view : memref<2x4xf32> to memref<2x4xf32, strided<[8, 1], offset: 4>>
  return
}

// Contiguous buffers, dynamic sizes included, keep memref.copy.
// CHECK-LABEL: func.func @contiguous
// CHECK: memref.copy %{{.*}}, %{{.*}} : memref<?x4xf32> to memref<?x4xf32>
// CHECK: memref.copy %{{.*}}, %{{.*}} : memref<4xf32, strided<[1]>> to memref<4xf32>
// CHECK-NOT: linalg.copy
func.func @contiguous(%a: memref<?x4xf32>, %b: memref<?x4xf32>, %c: memref<4xf32, strided<[1]>>, %d: memref<4xf32>) {
  memref.copy %a, %b : memref<?x4xf32> to memref<?x4xf32>
  memref.copy %c, %d : memref<4xf32, strided<[1]>> to memref<4xf32>
  return
}
