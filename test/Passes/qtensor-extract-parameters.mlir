// RUN: qtensor-opt --qtensor-extract-parameters --split-input-file %s | FileCheck %s
// RUN: qtensor-opt --qtensor-extract-parameters="min-elements=100" --split-input-file %s | FileCheck %s --check-prefix=LARGE-ONLY

// Tests that the data and scale of a quantized weight and a bias become
// trailing parameters named after the weight, with a manifest entry each, and
// that scalars stay in the code.
// CHECK-LABEL: module attributes {qtensor.parameters = [
// CHECK-SAME: {argument = 1 : i64, function = "forward", layout = "row_major", name = "fc.weight.data", type = tensor<4x8xi8>, value = dense_resource<fc.weight.data> : tensor<4x8xi8>}
// CHECK-SAME: {argument = 2 : i64, function = "forward", layout = "row_major", name = "fc.weight.scale", type = tensor<4x1xf32>, value = dense_resource<fc.weight.scale> : tensor<4x1xf32>}
// CHECK-SAME: {argument = 3 : i64, function = "forward", layout = "row_major", name = "fc.bias", type = tensor<4xf32>, value = dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]> : tensor<4xf32>}
// CHECK: func.func @forward(%[[X:.*]]: tensor<2x8xf32>, %[[D:.*]]: tensor<4x8xi8> {bufferization.writable = false, qtensor.parameter = "fc.weight.data"}, %[[S:.*]]: tensor<4x1xf32> {bufferization.writable = false, qtensor.parameter = "fc.weight.scale"}, %[[B:.*]]: tensor<4xf32> {bufferization.writable = false, qtensor.parameter = "fc.bias"})
// CHECK: arith.constant 0.000000e+00 : f32
// CHECK: qtensor.fused_mixed_matmul %[[X]], %[[D]], %[[S]], %[[B]]
// CHECK-NOT: dense_resource
// CHECK: dialect_resources
// LARGE-ONLY-NOT: qtensor.parameters
// LARGE-ONLY: func.func @forward(%{{.*}}: tensor<2x8xf32>) -> tensor<2x4xf32>
func.func @forward(%x: tensor<2x8xf32>) -> tensor<2x4xf32> {
  %d = arith.constant dense_resource<fc.weight.data> : tensor<4x8xi8>
  %s = arith.constant dense_resource<fc.weight.scale> : tensor<4x1xf32>
  %b = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32> loc("fc.bias")
  %zero = arith.constant 0.0 : f32
  %y = qtensor.fused_mixed_matmul %x, %d, %s, %b : tensor<2x8xf32>, tensor<4x8xi8>, tensor<4x1xf32>, tensor<4xf32> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

{-#
  dialect_resources: {
    builtin: {
      fc.weight.data: "0x0800000012DC3709051B81240000000000000000102030405060707F7F00020200FE0480",
      fc.weight.scale: "0x08000000E1E0603D000080008180803D0000803F"
    }
  }
#-}

// -----

// Tests that a location-named constant feeding a pack is named as the data or
// scale half of that weight, that unnamed constants get param<n>, and that
// private functions are left alone.
// CHECK-LABEL: module attributes {qtensor.parameters = [
// CHECK-SAME: name = "w.data"
// CHECK-SAME: name = "w.scale"
// CHECK-SAME: name = "param2"
// CHECK: func.func @forward(%{{.*}}: tensor<2x2xf32>, %{{.*}}: tensor<2x2xi8> {bufferization.writable = false, qtensor.parameter = "w.data"}, %{{.*}}: tensor<2x1xf32> {bufferization.writable = false, qtensor.parameter = "w.scale"}, %{{.*}}: tensor<2x2xf32> {bufferization.writable = false, qtensor.parameter = "param2"})
// CHECK: func.func private @helper() -> tensor<2x2xf32>
// CHECK-NEXT: arith.constant dense
func.func @forward(%x: tensor<2x2xf32>) -> (tensor<2x2xf32>, tensor<2x2xf32>) {
  %d = arith.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi8> loc("w")
  %s = arith.constant dense<[[0.5], [0.25]]> : tensor<2x1xf32> loc("w")
  %q = qtensor.pack %d, %s : tensor<2x2xi8>, tensor<2x1xf32> -> !qtensor.tensor<2x2xi8, f32, per_row>
  %y = qtensor.linear %x, %q : tensor<2x2xf32>, !qtensor.tensor<2x2xi8, f32, per_row> -> tensor<2x2xf32>
  %c = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  return %y, %c : tensor<2x2xf32>, tensor<2x2xf32>
}
func.func private @helper() -> tensor<2x2xf32> {
  %c = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  return %c : tensor<2x2xf32>
}
