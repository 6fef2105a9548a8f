// RUN: qtensor-opt --qtensor-lower-to-linalg --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --qtensor-map-kernels-to-gpu --canonicalize --cse --split-input-file %s | FileCheck %s
// RUN: qtensor-opt --qtensor-lower-to-linalg --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --qtensor-map-kernels-to-gpu="emulate=true" --canonicalize --cse --split-input-file %s | FileCheck %s --check-prefix=EMULATE

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
// CHECK:       vector.load %[[W]][{{.*}}] {alignment = 16 : i64} : memref<32x64xi8>, vector<16xi8>
// CHECK:       arith.sitofp {{.*}} : vector<16xi8> to vector<16xf32>
// CHECK:       vector.fma
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
// CHECK:   gpu.launch {{.*}} module(@fc_weight_tiled) function(@fc_weight_tiled)
// CHECK:     arith.minui
// CHECK:     scf.for
// CHECK:       vector.load %[[W]][{{.*}}] {alignment = 16 : i64} : memref<32x64xi8>, vector<16xi8>
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
  %y = qtensor.fused_int8_matmul %x, %w, %s, %b relu : tensor<?x64xf32>, tensor<32x64xi8>, tensor<32x1xf32>, tensor<32xf32> -> tensor<?x32xf32>
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
  %y = qtensor.fused_int8_matmul %x, %w, %s : tensor<?x64xf32>, tensor<32x64xi8>, tensor<32x1xf32> -> tensor<?x32xf32>
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
// CHECK:   arith.sitofp {{.*}} : vector<16xi8> to vector<16xf32>
// CHECK:   vector.load {{.*}} {alignment = 16 : i64} : memref<?x64xbf16>, vector<16xbf16>
// CHECK:   arith.extf {{.*}} : vector<16xbf16> to vector<16xf32>
// CHECK:   vector.fma
// CHECK: gpu.shuffle xor
// CHECK: arith.truncf {{.*}} : f32 to bf16
// CHECK: arith.mulf {{.*}} : bf16
// CHECK: memref.store {{.*}} : memref<?x32xbf16>
// CHECK: gpu.launch {{.*}} module(@w_tiled) function(@w_tiled)
func.func @bf16(%x: tensor<?x64xbf16>, %w: tensor<32x64xi8> {qtensor.parameter = "w.data"},
                %s: tensor<32x1xbf16>) -> tensor<?x32xbf16> {
  %y = qtensor.fused_int8_matmul %x, %w, %s : tensor<?x64xbf16>, tensor<32x64xi8>, tensor<32x1xbf16> -> tensor<?x32xbf16>
  return %y : tensor<?x32xbf16>
}

// -----

// Tests that packed [K, N] weights are left to the generic loop mapping.
// CHECK-LABEL: func.func @packed
// CHECK-NOT: gpu.launch
// CHECK: linalg.generic
func.func @packed(%x: tensor<?x64xf32>, %w: tensor<64x32xi8>, %s: tensor<32x1xf32>) -> tensor<?x32xf32> {
  %y = qtensor.fused_int8_matmul %x, %w, %s weight_transposed : tensor<?x64xf32>, tensor<64x32xi8>, tensor<32x1xf32> -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}
