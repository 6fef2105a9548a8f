// RUN: qtensor-opt --pass-pipeline="builtin.module(gpu.module(qtensor-convert-mma-sync-to-nvvm))" --split-input-file %s | FileCheck %s

// Tests that a bf16 m16n8k16 mma.sync becomes one nvvm.mma.sync whose A and
// B registers are the fragment rows as i32 and whose four f32 accumulators
// are the C fragment's elements in row-major order, regrouped into the
// vector<2x2xf32> result.
// CHECK-LABEL: gpu.func @bf16
// CHECK-SAME: (%[[A:.*]]: vector<4x2xbf16>, %[[B:.*]]: vector<2x2xbf16>, %[[C:.*]]: vector<2x2xf32>)
// CHECK-DAG: %[[A0:.*]] = vector.extract %[[A]][0] : vector<2xbf16> from vector<4x2xbf16>
// CHECK-DAG: %[[A1:.*]] = vector.extract %[[A]][1]
// CHECK-DAG: %[[A2:.*]] = vector.extract %[[A]][2]
// CHECK-DAG: %[[A3:.*]] = vector.extract %[[A]][3]
// CHECK-DAG: %[[R0:.*]] = llvm.bitcast %[[A0]] : vector<2xbf16> to i32
// CHECK-DAG: %[[R1:.*]] = llvm.bitcast %[[A1]] : vector<2xbf16> to i32
// CHECK-DAG: %[[R2:.*]] = llvm.bitcast %[[A2]] : vector<2xbf16> to i32
// CHECK-DAG: %[[R3:.*]] = llvm.bitcast %[[A3]] : vector<2xbf16> to i32
// CHECK-DAG: %[[B0:.*]] = vector.extract %[[B]][0] : vector<2xbf16> from vector<2x2xbf16>
// CHECK-DAG: %[[B1:.*]] = vector.extract %[[B]][1]
// CHECK-DAG: %[[S0:.*]] = llvm.bitcast %[[B0]] : vector<2xbf16> to i32
// CHECK-DAG: %[[S1:.*]] = llvm.bitcast %[[B1]] : vector<2xbf16> to i32
// CHECK-DAG: %[[C00:.*]] = vector.extract %[[C]][0, 0] : f32 from vector<2x2xf32>
// CHECK-DAG: %[[C01:.*]] = vector.extract %[[C]][0, 1]
// CHECK-DAG: %[[C10:.*]] = vector.extract %[[C]][1, 0]
// CHECK-DAG: %[[C11:.*]] = vector.extract %[[C]][1, 1]
// CHECK: %[[MMA:.*]] = nvvm.mma.sync A[%[[R0]], %[[R1]], %[[R2]], %[[R3]]] B[%[[S0]], %[[S1]]] C[%[[C00]], %[[C01]], %[[C10]], %[[C11]]]
// CHECK-SAME: multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>
// CHECK-SAME: (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
// CHECK: %[[D0:.*]] = llvm.extractvalue %[[MMA]][0]
// CHECK: %[[D1:.*]] = llvm.extractvalue %[[MMA]][1]
// CHECK: %[[D2:.*]] = llvm.extractvalue %[[MMA]][2]
// CHECK: %[[D3:.*]] = llvm.extractvalue %[[MMA]][3]
// CHECK: %[[D:.*]] = vector.from_elements %[[D0]], %[[D1]], %[[D2]], %[[D3]] : vector<2x2xf32>
// CHECK: gpu.return %[[D]]
gpu.module @kernels {
  gpu.func @bf16(%a: vector<4x2xbf16>, %b: vector<2x2xbf16>, %c: vector<2x2xf32>) -> vector<2x2xf32> {
    %d = nvgpu.mma.sync(%a, %b, %c) {mmaShape = [16, 8, 16]} : (vector<4x2xbf16>, vector<2x2xbf16>, vector<2x2xf32>) -> vector<2x2xf32>
    gpu.return %d : vector<2x2xf32>
  }
}

// -----

// Tests that f16 registers stay vector<2xf16>, as PTX takes f16x2 (the
// printer leaves out the f16 PTX types, which it infers from them).
// CHECK-LABEL: gpu.func @f16
// CHECK-NOT: llvm.bitcast
// CHECK: nvvm.mma.sync A[{{.*}}] B[{{.*}}] C[{{.*}}]
// CHECK-SAME: shape = #nvvm.shape<m = 16, n = 8, k = 16>
// CHECK-SAME: (vector<2xf16>, vector<2xf16>, f32) -> !llvm.struct<(f32, f32, f32, f32)>
gpu.module @kernels {
  gpu.func @f16(%a: vector<4x2xf16>, %b: vector<2x2xf16>, %c: vector<2x2xf32>) -> vector<2x2xf32> {
    %d = nvgpu.mma.sync(%a, %b, %c) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
    gpu.return %d : vector<2x2xf32>
  }
}

// -----

// Tests that other shapes and accumulator types are left to nvgpu's own
// lowering.
// CHECK-LABEL: gpu.func @others
// CHECK-NOT: nvvm.mma.sync
// CHECK: nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 8]}
// CHECK: nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf16>)
gpu.module @kernels {
  gpu.func @others(%a: vector<2x2xf16>, %b: vector<1x2xf16>, %c: vector<2x2xf32>,
                   %a16: vector<4x2xf16>, %b16: vector<2x2xf16>, %h: vector<2x2xf16>) -> (vector<2x2xf32>, vector<2x2xf16>) {
    %d = nvgpu.mma.sync(%a, %b, %c) {mmaShape = [16, 8, 8]} : (vector<2x2xf16>, vector<1x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
    %e = nvgpu.mma.sync(%a16, %b16, %h) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf16>) -> vector<2x2xf16>
    gpu.return %d, %e : vector<2x2xf32>, vector<2x2xf16>
  }
}
