// RUN: qtensor-opt --qtensor-pack-weights --split-input-file %s | FileCheck %s
// RUN: qtensor-opt --qtensor-pack-weights --qtensor-extract-parameters --split-input-file %s | FileCheck %s --check-prefix=PARAMS

// Tests that a constant [N, K] weight of a fused kernel is stored [K, N]
// (bytes transposed at compile time), that the op reads it with
// weight_transposed, and that the parameter keeps the weight's name with the
// layout recorded.
// CHECK-LABEL: func.func @pack
// CHECK: %[[W:.*]] = arith.constant {qtensor.layout = "transposed", qtensor.parameter = "fc.weight.data"} dense_resource<fc.weight.data.packed> : tensor<3x2xi8>
// CHECK: qtensor.fused_mixed_matmul %{{.*}}, %[[W]], %{{.*}} weight_transposed : tensor<4x3xf32>, tensor<3x2xi8>, tensor<2x1xf32> -> tensor<4x2xf32>
// [[1, 2, 3], [4, 5, 6]] becomes [[1, 4], [2, 5], [3, 6]].
// CHECK: fc.weight.data.packed: "0x08000000010402050306"
// PARAMS: {argument = 1 : i64, function = "pack", layout = "transposed", name = "fc.weight.data", type = tensor<3x2xi8>
func.func @pack(%x: tensor<4x3xf32>) -> tensor<4x2xf32> {
  %d = arith.constant dense_resource<fc.weight.data> : tensor<2x3xi8>
  %s = arith.constant dense<[[0.5], [0.25]]> : tensor<2x1xf32>
  %y = qtensor.fused_mixed_matmul %x, %d, %s : tensor<4x3xf32>, tensor<2x3xi8>, tensor<2x1xf32> -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      fc.weight.data: "0x08000000010203040506"
    }
  }
#-}

// -----

// Tests that a weight that is not a constant (a parameter) stays as it is.
// CHECK-LABEL: func.func @argument
// CHECK: qtensor.fused_mixed_matmul %{{.*}}, %{{.*}}, %{{.*}} : tensor<4x3xf32>, tensor<2x3xi8>
// CHECK-NOT: weight_transposed
func.func @argument(%x: tensor<4x3xf32>, %d: tensor<2x3xi8>, %s: tensor<2x1xf32>) -> tensor<4x2xf32> {
  %y = qtensor.fused_mixed_matmul %x, %d, %s : tensor<4x3xf32>, tensor<2x3xi8>, tensor<2x1xf32> -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}
