// RUN: %expect_exit 2 qtensor-opt --qtensor-quantize-weights --split-input-file %s 2>&1 | FileCheck %s
// RUN: %expect_exit 2 qtensor-opt --qtensor-quantize-weights="ops=conv" %s 2>&1 | FileCheck %s --check-prefix=BAD-OPS
// RUN: %expect_exit 2 qtensor-opt --qtensor-quantize-weights="min-elements=-1" %s 2>&1 | FileCheck %s --check-prefix=BAD-MIN

// RUN: %expect_exit 2 qtensor-opt --qtensor-quantize-weights="scheme=int3" %s 2>&1 | FileCheck %s --check-prefix=BAD-SCHEME
// RUN: %expect_exit 2 qtensor-opt --qtensor-quantize-weights="scheme=w8a8" %s 2>&1 | FileCheck %s --check-prefix=LATER-SCHEME
// BAD-SCHEME: error: qtensor-quantize-weights: unknown quantization scheme 'int3' (expected none, int8, int4, int4:g32, int4:g64, int4:g128, int4:g256 or w8a8)
// LATER-SCHEME: error: qtensor-quantize-weights: quantization scheme 'w8a8' is not implemented yet (implemented: none, int8)
// BAD-OPS: error: qtensor-quantize-weights: unknown op kind 'conv' in ops= (expected 'linear' or 'matmul')
// BAD-MIN: error: qtensor-quantize-weights: min-elements must be >= 0, got -1

// Tests that a NaN in a weight is an error naming the weight and the element.
// CHECK: error: loc("fc.weight"): weight 'fc.weight' contains NaN at [1, 2]; it cannot be quantized (leave it in float with exclude=fc.weight)
func.func @nan_weight(%x: tensor<2x3xf32>) -> tensor<2x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 0x7FC00000]]> : tensor<2x3xf32> loc("fc.weight")
  %y = qtensor.linear %x, %w : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// Tests that an infinity in a transposed matmul weight is reported at its
// position in the stored [K, N] constant.
// CHECK: error: loc("proj"): weight 'proj' contains an infinity at [2, 0]; it cannot be quantized (leave it in float with exclude=proj)
func.func @inf_matmul_weight(%x: tensor<2x3xf32>) -> tensor<2x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0], [0x7F800000, 6.0]]> : tensor<3x2xf32> loc("proj")
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<2x2xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<2x2xf32>) -> tensor<2x2xf32>
  %y = linalg.matmul ins(%x, %w : tensor<2x3xf32>, tensor<3x2xf32>) outs(%init : tensor<2x2xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// Tests that an infinity in a bf16 weight is named too.
// CHECK: qtensor-quantize-weights-invalid.mlir:[[# @LINE + 2]]:{{[0-9]+}}: error: weight 'constant_0' contains an infinity at [0, 1]
func.func @inf_bf16_weight(%x: tensor<2x2xbf16>) -> tensor<2x2xbf16> {
  %w = arith.constant dense<[[1.0, 0x7F80], [3.0, 4.0]]> : tensor<2x2xbf16>
  %y = qtensor.linear %x, %w : tensor<2x2xbf16>, tensor<2x2xbf16> -> tensor<2x2xbf16>
  return %y : tensor<2x2xbf16>
}

// -----

// Tests that a weight whose resource blob is missing is an error, not a
// silent skip.
// CHECK: qtensor-quantize-weights-invalid.mlir:[[# @LINE + 2]]:{{[0-9]+}}: error: weight 'elided' has no data to quantize (elided resource, or a blob whose size does not fit its type?)
func.func @elided_weight(%x: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %w = arith.constant dense_resource<elided> : tensor<2x2xf32>
  %y = qtensor.linear %x, %w : tensor<2x2xf32>, tensor<2x2xf32> -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// Tests that a blob whose size does not fit its type is refused, not read
// past its end.
// CHECK: qtensor-quantize-weights-invalid.mlir:[[# @LINE + 2]]:{{[0-9]+}}: error: weight 'short' has no data to quantize
func.func @short_blob(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense_resource<short> : tensor<4x4xf32>
  %y = qtensor.linear %x, %w : tensor<2x4xf32>, tensor<4x4xf32> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

{-#
  dialect_resources: {
    builtin: {
      short: "0x040000000000803F0000803F"
    }
  }
#-}
