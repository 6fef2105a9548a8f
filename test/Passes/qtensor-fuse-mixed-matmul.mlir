// RUN: qtensor-opt --qtensor-fuse-mixed-matmul --split-input-file %s | FileCheck %s

// Tests that transpose + mixed_mm + scale_mul become one fused op that reads
// the weight data and scale in their [N, K] / [N, 1] layout: no transpose.
// CHECK-LABEL: func.func @scaled_matmul
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>, %[[W:.*]]: !qtensor.tensor<128x64xi8, f32, per_row>)
// CHECK-DAG: %[[D:.*]] = qtensor.data %[[W]] : !qtensor.tensor<128x64xi8, f32, per_row> -> tensor<128x64xi8>
// CHECK-DAG: %[[S:.*]] = qtensor.scale %[[W]] : !qtensor.tensor<128x64xi8, f32, per_row> -> tensor<128x1xf32>
// CHECK: %[[Y:.*]] = qtensor.fused_mixed_matmul %[[X]], %[[D]], %[[S]] : tensor<?x64xf32>, tensor<128x64xi8>, tensor<128x1xf32> -> tensor<?x128xf32>
// CHECK-NOT: qtensor.transpose
// CHECK-NOT: qtensor.mixed_mm
// CHECK: return %[[Y]]
func.func @scaled_matmul(%x: tensor<?x64xf32>, %w: !qtensor.tensor<128x64xi8, f32, per_row>) -> tensor<?x128xf32> {
  %t = qtensor.transpose %w : !qtensor.tensor<128x64xi8, f32, per_row> -> !qtensor.tensor<64x128xi8, f32, per_column>
  %d = qtensor.data %t : !qtensor.tensor<64x128xi8, f32, per_column> -> tensor<64x128xi8>
  %s = qtensor.scale %t : !qtensor.tensor<64x128xi8, f32, per_column> -> tensor<1x128xf32>
  %acc = qtensor.mixed_mm %x, %d : tensor<?x64xf32>, tensor<64x128xi8> -> tensor<?x128xf32>
  %y = qtensor.scale_mul %acc, %s : tensor<?x128xf32>, tensor<1x128xf32> -> tensor<?x128xf32>
  return %y : tensor<?x128xf32>
}

// -----

#id2 = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// Tests that the bias add and a relu behind the reshape back to the input's
// leading dimensions join the fused op, and the reshape moves after it.
// CHECK-LABEL: func.func @bias_reshape_relu
// CHECK-SAME: (%[[X:.*]]: tensor<12x8xf32>, %[[W:.*]]: !qtensor.tensor<4x8xi8, f32, per_row>, %[[B:.*]]: tensor<4xf32>)
// CHECK: %[[Y:.*]] = qtensor.fused_mixed_matmul %[[X]], %{{.*}}, %{{.*}}, %[[B]] relu : tensor<12x8xf32>, tensor<4x8xi8>, tensor<4x1xf32>, tensor<4xf32> -> tensor<12x4xf32>
// CHECK: %[[E:.*]] = tensor.expand_shape %[[Y]] {{\[\[}}0, 1], [2]] output_shape [4, 3, 4]
// CHECK-NOT: linalg.generic
// CHECK: return %[[E]]
func.func @bias_reshape_relu(%x: tensor<12x8xf32>, %w: !qtensor.tensor<4x8xi8, f32, per_row>,
                             %b: tensor<4xf32>) -> tensor<4x3x4xf32> {
  %t = qtensor.transpose %w : !qtensor.tensor<4x8xi8, f32, per_row> -> !qtensor.tensor<8x4xi8, f32, per_column>
  %d = qtensor.data %t : !qtensor.tensor<8x4xi8, f32, per_column> -> tensor<8x4xi8>
  %s = qtensor.scale %t : !qtensor.tensor<8x4xi8, f32, per_column> -> tensor<1x4xf32>
  %acc = qtensor.mixed_mm %x, %d : tensor<12x8xf32>, tensor<8x4xi8> -> tensor<12x4xf32>
  %y = qtensor.scale_mul %acc, %s : tensor<12x4xf32>, tensor<1x4xf32> -> tensor<12x4xf32>
  %e0 = tensor.empty() : tensor<12x4xf32>
  %biased = linalg.generic {indexing_maps = [#id2, #col, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%y, %b : tensor<12x4xf32>, tensor<4xf32>) outs(%e0 : tensor<12x4xf32>) {
  ^bb0(%in: f32, %bias: f32, %out: f32):
    %sum = arith.addf %in, %bias : f32
    linalg.yield %sum : f32
  } -> tensor<12x4xf32>
  %r = tensor.expand_shape %biased [[0, 1], [2]] output_shape [4, 3, 4] : tensor<12x4xf32> into tensor<4x3x4xf32>
  %e1 = tensor.empty() : tensor<4x3x4xf32>
  %relu = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%r : tensor<4x3x4xf32>) outs(%e1 : tensor<4x3x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %zero = arith.constant 0.0 : f32
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<4x3x4xf32>
  return %relu : tensor<4x3x4xf32>
}

// -----

#id2 = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>

// Tests that a dynamic batch does not stop the bias add and relu from
// joining: their result buffers ask for the batch size (tensor.dim), which
// is answered from the input instead, and the last size from the type.
// CHECK-LABEL: func.func @dynamic_bias_relu
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>, %[[W:.*]]: !qtensor.tensor<4x8xi8, f32, per_row>, %[[B:.*]]: tensor<4xf32>)
// CHECK: %[[Y:.*]] = qtensor.fused_mixed_matmul %[[X]], %{{.*}}, %{{.*}}, %[[B]] relu : tensor<?x8xf32>, tensor<4x8xi8>, tensor<4x1xf32>, tensor<4xf32> -> tensor<?x4xf32>
// CHECK-NOT: linalg.generic
// CHECK-NOT: qtensor.mixed_mm
// CHECK: return %[[Y]]
func.func @dynamic_bias_relu(%x: tensor<?x8xf32>, %w: !qtensor.tensor<4x8xi8, f32, per_row>,
                             %b: tensor<4xf32>) -> tensor<?x4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %t = qtensor.transpose %w : !qtensor.tensor<4x8xi8, f32, per_row> -> !qtensor.tensor<8x4xi8, f32, per_column>
  %d = qtensor.data %t : !qtensor.tensor<8x4xi8, f32, per_column> -> tensor<8x4xi8>
  %s = qtensor.scale %t : !qtensor.tensor<8x4xi8, f32, per_column> -> tensor<1x4xf32>
  %acc = qtensor.mixed_mm %x, %d : tensor<?x8xf32>, tensor<8x4xi8> -> tensor<?x4xf32>
  %y = qtensor.scale_mul %acc, %s : tensor<?x4xf32>, tensor<1x4xf32> -> tensor<?x4xf32>
  %m0 = tensor.dim %y, %c0 : tensor<?x4xf32>
  %e0 = tensor.empty(%m0) : tensor<?x4xf32>
  %biased = linalg.generic {indexing_maps = [#id2, #col, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%y, %b : tensor<?x4xf32>, tensor<4xf32>) outs(%e0 : tensor<?x4xf32>) {
  ^bb0(%in: f32, %bias: f32, %out: f32):
    %sum = arith.addf %in, %bias : f32
    linalg.yield %sum : f32
  } -> tensor<?x4xf32>
  %m1 = tensor.dim %biased, %c0 : tensor<?x4xf32>
  %n1 = tensor.dim %biased, %c1 : tensor<?x4xf32>
  %e1 = tensor.empty(%m1) : tensor<?x4xf32>
  %relu = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%biased : tensor<?x4xf32>) outs(%e1 : tensor<?x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %zero = arith.constant 0.0 : f32
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  } -> tensor<?x4xf32>
  return %relu : tensor<?x4xf32>
}

// -----

#id2 = affine_map<(d0, d1) -> (d0, d1)>

// Tests that a relu written as compare + select (as torch-style lowerings
// emit it) directly on the scaled result is fused too.
// CHECK-LABEL: func.func @select_relu
// CHECK: qtensor.fused_mixed_matmul %{{.*}}, %{{.*}}, %{{.*}} relu : tensor<2x8xf32>, tensor<4x8xi8>, tensor<4x1xf32> -> tensor<2x4xf32>
// CHECK-NOT: linalg.generic
func.func @select_relu(%x: tensor<2x8xf32>, %w: !qtensor.tensor<4x8xi8, f32, per_row>) -> tensor<2x4xf32> {
  %t = qtensor.transpose %w : !qtensor.tensor<4x8xi8, f32, per_row> -> !qtensor.tensor<8x4xi8, f32, per_column>
  %d = qtensor.data %t : !qtensor.tensor<8x4xi8, f32, per_column> -> tensor<8x4xi8>
  %s = qtensor.scale %t : !qtensor.tensor<8x4xi8, f32, per_column> -> tensor<1x4xf32>
  %acc = qtensor.mixed_mm %x, %d : tensor<2x8xf32>, tensor<8x4xi8> -> tensor<2x4xf32>
  %y = qtensor.scale_mul %acc, %s : tensor<2x4xf32>, tensor<1x4xf32> -> tensor<2x4xf32>
  %e = tensor.empty() : tensor<2x4xf32>
  %relu = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%y : tensor<2x4xf32>) outs(%e : tensor<2x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %zero = arith.constant 0.0 : f32
    %gt = arith.cmpf ugt, %in, %zero : f32
    %v = arith.select %gt, %in, %zero : f32
    linalg.yield %v : f32
  } -> tensor<2x4xf32>
  return %relu : tensor<2x4xf32>
}

// -----

#id2 = affine_map<(d0, d1) -> (d0, d1)>

// Tests that an elementwise op that is not a relu (max with 1) stays out.
// CHECK-LABEL: func.func @not_relu
// CHECK: qtensor.fused_mixed_matmul %{{.*}}, %{{.*}}, %{{.*}} : tensor<2x8xf32>
// CHECK: linalg.generic
// CHECK: arith.maximumf
func.func @not_relu(%x: tensor<2x8xf32>, %w: !qtensor.tensor<4x8xi8, f32, per_row>) -> tensor<2x4xf32> {
  %t = qtensor.transpose %w : !qtensor.tensor<4x8xi8, f32, per_row> -> !qtensor.tensor<8x4xi8, f32, per_column>
  %d = qtensor.data %t : !qtensor.tensor<8x4xi8, f32, per_column> -> tensor<8x4xi8>
  %s = qtensor.scale %t : !qtensor.tensor<8x4xi8, f32, per_column> -> tensor<1x4xf32>
  %acc = qtensor.mixed_mm %x, %d : tensor<2x8xf32>, tensor<8x4xi8> -> tensor<2x4xf32>
  %y = qtensor.scale_mul %acc, %s : tensor<2x4xf32>, tensor<1x4xf32> -> tensor<2x4xf32>
  %e = tensor.empty() : tensor<2x4xf32>
  %m = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%y : tensor<2x4xf32>) outs(%e : tensor<2x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %one = arith.constant 1.0 : f32
    %v = arith.maximumf %in, %one : f32
    linalg.yield %v : f32
  } -> tensor<2x4xf32>
  return %m : tensor<2x4xf32>
}

// -----

// Tests that an mixed_mm whose result is also used elsewhere is not fused
// (the unscaled product must stay available).
// CHECK-LABEL: func.func @shared_product
// CHECK: qtensor.mixed_mm
// CHECK: qtensor.scale_mul
// CHECK-NOT: qtensor.fused_mixed_matmul
func.func @shared_product(%x: tensor<2x8xf32>, %w: !qtensor.tensor<4x8xi8, f32, per_row>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %t = qtensor.transpose %w : !qtensor.tensor<4x8xi8, f32, per_row> -> !qtensor.tensor<8x4xi8, f32, per_column>
  %d = qtensor.data %t : !qtensor.tensor<8x4xi8, f32, per_column> -> tensor<8x4xi8>
  %s = qtensor.scale %t : !qtensor.tensor<8x4xi8, f32, per_column> -> tensor<1x4xf32>
  %acc = qtensor.mixed_mm %x, %d : tensor<2x8xf32>, tensor<8x4xi8> -> tensor<2x4xf32>
  %y = qtensor.scale_mul %acc, %s : tensor<2x4xf32>, tensor<1x4xf32> -> tensor<2x4xf32>
  return %acc, %y : tensor<2x4xf32>, tensor<2x4xf32>
}

// -----

// Tests that a per-tensor weight stays unfused (the fused op takes [N, 1]
// scales) but still valid.
// CHECK-LABEL: func.func @per_tensor_weight
// CHECK: qtensor.mixed_mm
// CHECK-NOT: qtensor.fused_mixed_matmul
func.func @per_tensor_weight(%x: tensor<2x8xf32>, %w: !qtensor.tensor<4x8xi8, f32, per_tensor>) -> tensor<2x4xf32> {
  %t = qtensor.transpose %w : !qtensor.tensor<4x8xi8, f32, per_tensor> -> !qtensor.tensor<8x4xi8, f32, per_tensor>
  %d = qtensor.data %t : !qtensor.tensor<8x4xi8, f32, per_tensor> -> tensor<8x4xi8>
  %s = qtensor.scale %t : !qtensor.tensor<8x4xi8, f32, per_tensor> -> tensor<1x1xf32>
  %acc = qtensor.mixed_mm %x, %d : tensor<2x8xf32>, tensor<8x4xi8> -> tensor<2x4xf32>
  %y = qtensor.scale_mul %acc, %s : tensor<2x4xf32>, tensor<1x1xf32> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}
