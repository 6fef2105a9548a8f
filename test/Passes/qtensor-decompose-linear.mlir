// RUN: qtensor-opt --qtensor-decompose-linear --split-input-file %s | FileCheck %s

// Tests that a quantized linear on a 2-D input becomes the seed's t + mm +
// scale: transpose of the weight, mixed_mm on its data, scale_mul by its
// transposed [1, N] scale.
// CHECK-LABEL: func.func @matrix_input
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>, %[[W:.*]]: !qtensor.tensor<128x64xi8, f32, per_row>)
// CHECK: %[[T:.*]] = qtensor.transpose %[[W]] : !qtensor.tensor<128x64xi8, f32, per_row> -> !qtensor.tensor<64x128xi8, f32, per_column>
// CHECK: %[[D:.*]] = qtensor.data %[[T]] : {{.*}} -> tensor<64x128xi8>
// CHECK: %[[S:.*]] = qtensor.scale %[[T]] : {{.*}} -> tensor<1x128xf32>
// CHECK: %[[ACC:.*]] = qtensor.mixed_mm %[[X]], %[[D]] : tensor<?x64xf32>, tensor<64x128xi8> -> tensor<?x128xf32>
// CHECK: %[[Y:.*]] = qtensor.scale_mul %[[ACC]], %[[S]] : tensor<?x128xf32>, tensor<1x128xf32> -> tensor<?x128xf32>
// CHECK: return %[[Y]]
func.func @matrix_input(%x: tensor<?x64xf32>, %w: !qtensor.tensor<128x64xi8, f32, per_row>) -> tensor<?x128xf32> {
  %y = qtensor.linear %x, %w : tensor<?x64xf32>, !qtensor.tensor<128x64xi8, f32, per_row> -> tensor<?x128xf32>
  return %y : tensor<?x128xf32>
}

// -----

// Tests that an N-D input is flattened to [M, K] first and the result
// reshaped back, and that the bias is added after the scale (addmm).
// CHECK-DAG: #[[$ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$COL:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @batched_with_bias
// CHECK-SAME: (%[[X:.*]]: tensor<64x64x64xf32>, %[[W:.*]]: !qtensor.tensor<128x64xi8, f32, per_row>, %[[B:.*]]: tensor<128xf32>)
// CHECK: %[[X2:.*]] = tensor.collapse_shape %[[X]] {{\[\[}}0, 1], [2]] : tensor<64x64x64xf32> into tensor<4096x64xf32>
// CHECK: %[[ACC:.*]] = qtensor.mixed_mm %[[X2]], %{{.*}} : tensor<4096x64xf32>, tensor<64x128xi8> -> tensor<4096x128xf32>
// CHECK: %[[SCALED:.*]] = qtensor.scale_mul %[[ACC]], %{{.*}}
// CHECK: %[[BIASED:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$COL]], #[[$ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[SCALED]], %[[B]] : tensor<4096x128xf32>, tensor<128xf32>)
// CHECK: arith.addf
// CHECK: %[[Y:.*]] = tensor.expand_shape %[[BIASED]] {{\[\[}}0, 1], [2]] output_shape [64, 64, 128] : tensor<4096x128xf32> into tensor<64x64x128xf32>
// CHECK: return %[[Y]]
func.func @batched_with_bias(%x: tensor<64x64x64xf32>, %w: !qtensor.tensor<128x64xi8, f32, per_row>,
                             %b: tensor<128xf32>) -> tensor<64x64x128xf32> {
  %y = qtensor.linear %x, %w, %b : tensor<64x64x64xf32>, !qtensor.tensor<128x64xi8, f32, per_row>, tensor<128xf32> -> tensor<64x64x128xf32>
  return %y : tensor<64x64x128xf32>
}

// -----

// Tests that a dynamic leading dimension of an N-D input is carried through
// the reshape back with tensor.dim.
// CHECK-LABEL: func.func @dynamic_batch
// CHECK-SAME: (%[[X:.*]]: tensor<?x7x16xf32>
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: tensor.collapse_shape %[[X]] {{\[\[}}0, 1], [2]] : tensor<?x7x16xf32> into tensor<?x16xf32>
// CHECK: %[[DIM:.*]] = tensor.dim %[[X]], %[[C0]]
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0, 1], [2]] output_shape [%[[DIM]], 7, 8] : tensor<?x8xf32> into tensor<?x7x8xf32>
func.func @dynamic_batch(%x: tensor<?x7x16xf32>, %w: !qtensor.tensor<8x16xi8, f32, per_row>) -> tensor<?x7x8xf32> {
  %y = qtensor.linear %x, %w : tensor<?x7x16xf32>, !qtensor.tensor<8x16xi8, f32, per_row> -> tensor<?x7x8xf32>
  return %y : tensor<?x7x8xf32>
}

// -----

// Tests that a rank-1 input is treated as one row.
// CHECK-LABEL: func.func @vector_input
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0, 1]] output_shape [1, 16] : tensor<16xf32> into tensor<1x16xf32>
// CHECK: qtensor.mixed_mm %{{.*}} : tensor<1x16xf32>, tensor<16x8xi8> -> tensor<1x8xf32>
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0, 1]] : tensor<1x8xf32> into tensor<8xf32>
func.func @vector_input(%x: tensor<16xf32>, %w: !qtensor.tensor<8x16xi8, f32, per_row>) -> tensor<8xf32> {
  %y = qtensor.linear %x, %w : tensor<16xf32>, !qtensor.tensor<8x16xi8, f32, per_row> -> tensor<8xf32>
  return %y : tensor<8xf32>
}

// -----

// Tests that a linear with a float weight is left for the float path.
// CHECK-LABEL: func.func @float_weight
// CHECK: qtensor.linear
// CHECK-NOT: qtensor.mixed_mm
func.func @float_weight(%x: tensor<2x16xf32>, %w: tensor<8x16xf32>) -> tensor<2x8xf32> {
  %y = qtensor.linear %x, %w : tensor<2x16xf32>, tensor<8x16xf32> -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}
