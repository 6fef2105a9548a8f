// RUN: qtensor-opt --pass-pipeline="builtin.module(func.func(qtensor-use-device-memory))" --split-input-file --verify-diagnostics %s | FileCheck %s

// Tests that host-side allocations, copies and frees become their async
// device forms, each waited for at once, and that a workgroup-space alloca
// in a launch body becomes a workgroup attribution of the launch while a
// private alloca and the launch's reads stay as they are.
// CHECK-LABEL: func.func @host
// CHECK: %[[T0:.*]] = gpu.wait async
// CHECK: %[[A:.*]], %[[TA:.*]] = gpu.alloc async [%[[T0]]] () : memref<4xf32>
// CHECK: gpu.wait [%[[TA]]]
// CHECK: %[[T1:.*]] = gpu.wait async
// CHECK: %[[C:.*]] = gpu.memcpy async [%[[T1]]] %[[A]], %arg0 : memref<4xf32>, memref<4xf32>
// CHECK: gpu.wait [%[[C]]]
// CHECK: gpu.launch {{.*}} workgroup(%[[TILE:.*]] : memref<8xf32, #gpu.address_space<workgroup>>) {
// CHECK-NOT: memref.alloca() : memref<8xf32
// CHECK: memref.load %[[A]]
// CHECK: memref.store %{{.*}}, %[[TILE]][%{{.*}}] : memref<8xf32, #gpu.address_space<workgroup>>
// CHECK: memref.alloca() : memref<2xf32>
// CHECK: gpu.terminator
// CHECK: gpu.dealloc async
// CHECK-NOT: memref.dealloc
// CHECK: return
func.func @host(%arg0: memref<4xf32>) -> memref<4xf32> {
  %c1 = arith.constant 1 : index
  %a = memref.alloc() : memref<4xf32>
  memref.copy %arg0, %a : memref<4xf32> to memref<4xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1) threads(%tx, %ty, %tz) in (%u = %c1, %v = %c1, %w = %c1) {
    %tile = memref.alloca() : memref<8xf32, #gpu.address_space<workgroup>>
    %c0 = arith.constant 0 : index
    %f = memref.load %a[%c0] : memref<4xf32>
    memref.store %f, %tile[%c0] : memref<8xf32, #gpu.address_space<workgroup>>
    %local = memref.alloca() : memref<2xf32>
    memref.store %f, %local[%c0] : memref<2xf32>
    gpu.terminator
  }
  %b = memref.alloc() : memref<4xf32>
  memref.copy %a, %b : memref<4xf32> to memref<4xf32>
  memref.dealloc %a : memref<4xf32>
  return %b : memref<4xf32>
}

// -----

memref.global "private" constant @weight : memref<4xf32> = dense<1.0>

func.func @host_global() {
  %c1 = arith.constant 1 : index
  // expected-error @below {{global 'weight' is host memory read by a GPU kernel; compile with parameters=true (weights as arguments in device memory)}}
  %w = memref.get_global @weight : memref<4xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1) threads(%tx, %ty, %tz) in (%u = %c1, %v = %c1, %w2 = %c1) {
    %c0 = arith.constant 0 : index
    %f = memref.load %w[%c0] : memref<4xf32>
    gpu.terminator
  }
  return
}
