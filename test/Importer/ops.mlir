// RUN: rm -rf %t && mkdir -p %t && %torch_python %S/make_models.py %t ops
// RUN: qtensor-import %t/ops.pt --input-shape 4x8 | FileCheck %s
// RUN: qtensor-import %t/ops.pt --input-shape 4x8 | qtensor-opt --verify-roundtrip -o /dev/null

// Tests mm, addmm (bias after), broadcasting add/sub/mul/div with tensors
// and scalars, sigmoid, tanh, silu, t, transpose, reshape, permute, flatten,
// unsqueeze, squeeze, view, softmax and a tuple of two outputs.
// CHECK-LABEL: func.func @forward(
// CHECK-SAME: %[[X:.*]]: tensor<4x8xf32> {{.*}}) -> (tensor<4x6xf32>, tensor<12x2xf32>)
// mm and addmm: a zero-filled linalg.matmul each, the bias added after.
// CHECK: linalg.matmul ins(%[[X]], %{{.*}} : tensor<4x8xf32>, tensor<8x6xf32>)
// CHECK: %[[ADDMM:.*]] = linalg.matmul ins(%[[X]], %{{.*}} : tensor<4x8xf32>, tensor<8x6xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[ADDMM]], %{{.*}} : tensor<4x6xf32>, tensor<6xf32>)
// CHECK:   arith.addf
// Scalars become constants in the body: y - 0.5, * scale, / 2.0.
// CHECK:   arith.constant 5.000000e-01 : f32
// CHECK:   arith.subf
// CHECK:   arith.mulf
// CHECK:   arith.constant 2.000000e+00 : f32
// CHECK:   arith.divf
// sigmoid, tanh, silu.
// CHECK:   math.exp
// CHECK:   math.tanh
// t then transpose(0, 1), reshape, permute, flatten, unsqueeze, squeeze, view.
// CHECK: linalg.transpose {{.*}} permutation = [1, 0]
// CHECK: linalg.transpose {{.*}} permutation = [1, 0]
// CHECK: tensor.expand_shape {{.*}} output_shape [2, 2, 6] : tensor<4x6xf32> into tensor<2x2x6xf32>
// CHECK: linalg.transpose {{.*}} permutation = [2, 0, 1]
// CHECK: tensor.collapse_shape {{.*}} : tensor<6x2x2xf32> into tensor<6x4xf32>
// CHECK: tensor.expand_shape {{.*}} into tensor<1x6x4xf32>
// CHECK: tensor.collapse_shape {{.*}} : tensor<1x6x4xf32> into tensor<6x4xf32>
// CHECK: %[[Z:.*]] = tensor.expand_shape {{.*}} output_shape [12, 2] : tensor<24xf32> into tensor<12x2xf32>
// softmax: max, exp(x - max), sum, divide, along the last dimension.
// CHECK: arith.constant 0xFF800000 : f32
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK:   arith.maximumf
// CHECK:   math.exp
// CHECK:   arith.addf
// CHECK: %[[SOFTMAX:.*]] = linalg.generic
// CHECK:   arith.divf
// CHECK: return %[[SOFTMAX]], %[[Z]] : tensor<4x6xf32>, tensor<12x2xf32>
