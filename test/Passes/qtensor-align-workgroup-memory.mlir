// RUN: qtensor-opt --pass-pipeline="builtin.module(gpu.module(qtensor-align-workgroup-memory))" %s | FileCheck %s
// RUN: qtensor-opt --pass-pipeline="builtin.module(gpu.module(qtensor-align-workgroup-memory{alignment=64}))" %s | FileCheck %s --check-prefix=WIDE
// RUN: not qtensor-opt --pass-pipeline="builtin.module(gpu.module(qtensor-align-workgroup-memory{alignment=12}))" %s 2>&1 | FileCheck %s --check-prefix=BAD

// Tests that workgroup attributions get llvm.align = 16 (or the option's
// value) unless they carry an alignment, and that private ones are left
// alone.
// CHECK-LABEL: gpu.func @tile
// CHECK-SAME: workgroup(%{{.*}} : memref<32x80xi8, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %{{.*}} : memref<4xf32, #gpu.address_space<workgroup>> {llvm.align = 8 : i64})
// CHECK-SAME: private(%{{.*}} : memref<4xf32, #gpu.address_space<private>>)
// CHECK-SAME: kernel
// WIDE: workgroup(%{{.*}} : memref<32x80xi8, #gpu.address_space<workgroup>> {llvm.align = 64 : i64}, %{{.*}} : memref<4xf32, #gpu.address_space<workgroup>> {llvm.align = 8 : i64})
// BAD: error: qtensor-align-workgroup-memory: alignment must be a power of 2, got 12
gpu.module @kernels {
  gpu.func @tile(%arg: memref<32x80xi8>)
      workgroup(%tile: memref<32x80xi8, #gpu.address_space<workgroup>>,
                %small: memref<4xf32, #gpu.address_space<workgroup>> {llvm.align = 8 : i64})
      private(%scratch: memref<4xf32, #gpu.address_space<private>>) kernel {
    gpu.return
  }
}
