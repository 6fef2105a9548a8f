// RUN: qtensor-opt --qtensor-quantize-weights --split-input-file %s | FileCheck %s
// RUN: qtensor-opt --qtensor-quantize-weights="ops=matmul" --split-input-file %s | FileCheck %s --check-prefix=MATMUL-ONLY
// RUN: qtensor-opt --qtensor-quantize-weights="min-elements=33" --split-input-file %s | FileCheck %s --check-prefix=MIN-SIZE
// RUN: qtensor-opt --qtensor-quantize-weights="exclude=fc.weight" --split-input-file %s | FileCheck %s --check-prefix=EXCLUDE
// The scheme option: int8 is the default; none leaves every weight in float.
// RUN: qtensor-opt --qtensor-quantize-weights="scheme=int8" --split-input-file %s | FileCheck %s
// RUN: qtensor-opt --qtensor-quantize-weights="scheme=none" --split-input-file %s | FileCheck %s --check-prefix=NONE
// NONE-NOT: qtensor.pack
// NONE-NOT: !qtensor.tensor

// The bytes equal the seed's int8_symmetric_quantize run by PyTorch, on
// random rows and on the crafted edge rows (test/reference/seed_quantize.py).
// RUN: rm -rf %t && %torch_python %qtensor_src/test/reference/seed_quantize_ir.py %t
// RUN: qtensor-opt --qtensor-quantize-weights %t/input.mlir | FileCheck %t/expected.txt

// Tests that a constant linear weight becomes int8 data + a per-row scale,
// named after the weight, and that the linear itself is untouched.
// CHECK-LABEL: func.func @linear_weight
// CHECK-DAG: %[[DATA:.*]] = arith.constant dense_resource<fc.weight.data> : tensor<4x8xi8>
// CHECK-DAG: %[[SCALE:.*]] = arith.constant dense_resource<fc.weight.scale> : tensor<4x1xf32>
// CHECK: %[[Q:.*]] = qtensor.pack %[[DATA]], %[[SCALE]] : tensor<4x8xi8>, tensor<4x1xf32> -> !qtensor.tensor<4x8xi8, f32, per_row>
// CHECK: qtensor.linear %{{.*}}, %[[Q]], %{{.*}} : tensor<2x8xf32>, !qtensor.tensor<4x8xi8, f32, per_row>, tensor<4xf32>
// CHECK-NOT: tensor<4x8xf32>
// Row 0: amax 7 -> scale 7/127.5; row 1: zeros -> q 0, scale FLT_MIN;
// row 2: amax 8; row 3: amax 127.5 -> scale 1, ties round to even.
// CHECK: fc.weight.data: "0x0800000012DC3709051B81240000000000000000102030405060707F7F00020200FE0480"
// CHECK: fc.weight.scale: "0x08000000E1E0603D000080008180803D0000803F"
// MATMUL-ONLY-LABEL: func.func @linear_weight
// MATMUL-ONLY: qtensor.linear %{{.*}}, %{{.*}}, %{{.*}} : tensor<2x8xf32>, tensor<4x8xf32>
// MIN-SIZE-LABEL: func.func @linear_weight
// MIN-SIZE: qtensor.linear %{{.*}}, %{{.*}}, %{{.*}} : tensor<2x8xf32>, tensor<4x8xf32>
// EXCLUDE-LABEL: func.func @linear_weight
// EXCLUDE: qtensor.linear %{{.*}}, %{{.*}}, %{{.*}} : tensor<2x8xf32>, tensor<4x8xf32>
func.func @linear_weight(%x: tensor<2x8xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense<[[1.0, -2.0, 3.0, 0.5, 0.25, 1.5, -7.0, 2.0],
                             [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                             [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
                             [127.5, 0.5, 1.5, 2.5, -0.5, -1.5, 3.5, -127.5]]> : tensor<4x8xf32> loc("fc.weight")
  %b = arith.constant dense<[0.1, 0.2, 0.3, 0.4]> : tensor<4xf32> loc("fc.bias")
  %y = qtensor.linear %x, %w, %b : tensor<2x8xf32>, tensor<4x8xf32>, tensor<4xf32> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// Tests that `x @ w` with a constant [K, N] right-hand side (what freezing
// makes of `x @ w.t()`) becomes a linear on the quantized [N, K] transpose:
// one scale per output channel, and the zero init disappears.
// CHECK-LABEL: func.func @matmul_rhs
// CHECK-DAG: %[[DATA:.*]] = arith.constant dense_resource<proj.data> : tensor<3x2xi8>
// CHECK-DAG: %[[SCALE:.*]] = arith.constant dense_resource<proj.scale> : tensor<3x1xf32>
// CHECK: %[[Q:.*]] = qtensor.pack %[[DATA]], %[[SCALE]]
// CHECK: %[[Y:.*]] = qtensor.linear %{{.*}}, %[[Q]] : tensor<5x2xf32>, !qtensor.tensor<3x2xi8, f32, per_row> -> tensor<5x3xf32>
// CHECK-NOT: linalg.fill
// CHECK-NOT: linalg.matmul
// CHECK: return %[[Y]]
// Rows of the transpose: [1, 4], [2, 5], [3, 6].
// CHECK: proj.data: "0x08000000207F337F407F"
// MATMUL-ONLY-LABEL: func.func @matmul_rhs
// MATMUL-ONLY-NOT: linalg.matmul
// MATMUL-ONLY: qtensor.linear
// MATMUL-ONLY-NOT: linalg.matmul
// MATMUL-ONLY-LABEL: func.func @matmul_accumulates
func.func @matmul_rhs(%x: tensor<5x2xf32>) -> tensor<5x3xf32> {
  %w = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32> loc("proj")
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<5x3xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<5x3xf32>) -> tensor<5x3xf32>
  %y = linalg.matmul ins(%x, %w : tensor<5x2xf32>, tensor<2x3xf32>) outs(%init : tensor<5x3xf32>) -> tensor<5x3xf32>
  return %y : tensor<5x3xf32>
}

// -----

// Tests that a matmul accumulating into a non-zero init is left alone: it is
// not `x @ w`.
// CHECK-LABEL: func.func @matmul_accumulates
// CHECK: linalg.matmul
// CHECK-NOT: qtensor.
func.func @matmul_accumulates(%x: tensor<5x2xf32>, %acc: tensor<5x3xf32>) -> tensor<5x3xf32> {
  %w = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %y = linalg.matmul ins(%x, %w : tensor<5x2xf32>, tensor<2x3xf32>) outs(%acc : tensor<5x3xf32>) -> tensor<5x3xf32>
  return %y : tensor<5x3xf32>
}

// -----

// Tests that a weight shared by two linears is quantized once, that an
// unnamed weight gets a fallback name, and that non-constant weights stay.
// CHECK-LABEL: func.func @shared_weight
// CHECK-COUNT-1: qtensor.pack
// CHECK-NOT: qtensor.pack
// CHECK: qtensor.linear %{{.*}}, %[[Q:.*]] :
// CHECK: qtensor.linear %{{.*}}, %[[Q]] :
// CHECK: qtensor.linear %{{.*}}, %{{.*}} : tensor<2x2xf32>, tensor<3x2xf32>
// CHECK: constant_0.data:
func.func @shared_weight(%x: tensor<2x2xf32>, %dynamic: tensor<3x2xf32>)
    -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]> : tensor<3x2xf32>
  %a = qtensor.linear %x, %w : tensor<2x2xf32>, tensor<3x2xf32> -> tensor<2x3xf32>
  %b = qtensor.linear %x, %w : tensor<2x2xf32>, tensor<3x2xf32> -> tensor<2x3xf32>
  %c = qtensor.linear %x, %dynamic : tensor<2x2xf32>, tensor<3x2xf32> -> tensor<2x3xf32>
  return %a, %b, %c : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// Tests that bf16 weights keep bf16 scales (each op rounded to bf16, as
// PyTorch computes them).
// CHECK-LABEL: func.func @bf16_weight
// CHECK: qtensor.pack %{{.*}}, %{{.*}} : tensor<2x4xi8>, tensor<2x1xbf16> -> !qtensor.tensor<2x4xi8, bf16, per_row>
func.func @bf16_weight(%x: tensor<3x4xbf16>) -> tensor<3x2xbf16> {
  %w = arith.constant dense<[[1.0, -2.0, 3.0, 0.5], [0.25, 8.0, -7.0, 2.0]]> : tensor<2x4xbf16>
  %y = qtensor.linear %x, %w : tensor<3x4xbf16>, tensor<2x4xbf16> -> tensor<3x2xbf16>
  return %y : tensor<3x2xbf16>
}
