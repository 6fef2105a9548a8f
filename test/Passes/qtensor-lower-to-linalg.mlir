// RUN: qtensor-opt --qtensor-lower-to-linalg --split-input-file %s | FileCheck %s

// Tests that a quantized function argument becomes its data and scale
// tensors, and that pack/data/scale disappear into them.
// CHECK-LABEL: func.func @flatten_arguments
// CHECK-SAME: (%[[D:.*]]: tensor<4x8xi8>, %[[S:.*]]: tensor<4x1xf32>, %[[D2:.*]]: tensor<4x8xi8>, %[[S2:.*]]: tensor<4x1xf32>)
// CHECK-SAME: -> (tensor<4x8xi8>, tensor<4x1xf32>)
// CHECK-NEXT: return %[[D]], %[[S2]]
func.func @flatten_arguments(%a: !qtensor.tensor<4x8xi8, f32, per_row>, %d: tensor<4x8xi8>, %s: tensor<4x1xf32>)
    -> !qtensor.tensor<4x8xi8, f32, per_row> {
  %data = qtensor.data %a : !qtensor.tensor<4x8xi8, f32, per_row> -> tensor<4x8xi8>
  %q = qtensor.pack %data, %s : tensor<4x8xi8>, tensor<4x1xf32> -> !qtensor.tensor<4x8xi8, f32, per_row>
  return %q : !qtensor.tensor<4x8xi8, f32, per_row>
}

// -----

// Tests that the fused kernel becomes an elementwise int8 -> f32 conversion
// of the weight (marked qtensor.weight_convert, so that tiling converts each
// weight tile once), a contraction reading it through (m, n, k) -> (n, k),
// then one epilogue generic (scale, bias, relu) marked for tiling.
// CHECK-DAG: #[[$ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$LHS:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[$W:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[$OUT:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[$SCALE:.*]] = affine_map<(d0, d1) -> (d1, 0)>
// CHECK-LABEL: func.func @fused
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>, %[[D:.*]]: tensor<4x8xi8>, %[[S:.*]]: tensor<4x1xf32>, %[[B:.*]]: tensor<4xf32>)
// CHECK: %[[WF:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[D]] : tensor<4x8xi8>) outs(%{{.*}} : tensor<4x8xf32>) attrs = {qtensor.weight_convert}
// CHECK: arith.sitofp %{{.*}} : i8 to f32
// CHECK: %[[FILL:.*]] = linalg.fill
// CHECK: %[[ACC:.*]] = linalg.generic {indexing_maps = [#[[$LHS]], #[[$W]], #[[$OUT]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[X]], %[[WF]] : tensor<?x8xf32>, tensor<4x8xf32>) outs(%[[FILL]] : tensor<?x4xf32>)
// CHECK-NOT: arith.sitofp
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: linalg.generic {{.*}} ins(%[[ACC]], %[[S]], %[[B]] : tensor<?x4xf32>, tensor<4x1xf32>, tensor<4xf32>) {{.*}} attrs = {qtensor.epilogue}
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: arith.maximumf
// CHECK-NOT: qtensor.
func.func @fused(%x: tensor<?x8xf32>, %d: tensor<4x8xi8>, %s: tensor<4x1xf32>, %b: tensor<4xf32>) -> tensor<?x4xf32> {
  %y = qtensor.fused_mixed_matmul %x, %d, %s, %b relu : tensor<?x8xf32>, tensor<4x8xi8>, tensor<4x1xf32>, tensor<4xf32> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// Tests the unfused stage-2 ops: the transpose copies the data and reshapes
// the [N, 1] scale to [1, N]; mixed_mm reads (k, n); scale_mul broadcasts.
// CHECK-DAG: #[[$RHS:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[$ROW:.*]] = affine_map<(d0, d1) -> (0, d1)>
// CHECK-LABEL: func.func @stage2
// CHECK-SAME: (%[[X:.*]]: tensor<2x8xf32>, %[[D:.*]]: tensor<4x8xi8>, %[[S:.*]]: tensor<4x1xf32>)
// CHECK: %[[T:.*]] = linalg.transpose ins(%[[D]] : tensor<4x8xi8>) outs(%{{.*}} : tensor<8x4xi8>) permutation = [1, 0]
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %[[S]] {{\[\[}}0, 1]] : tensor<4x1xf32> into tensor<4xf32>
// CHECK: %[[ROWS:.*]] = tensor.expand_shape %[[FLAT]] {{\[\[}}0, 1]] output_shape [1, 4] : tensor<4xf32> into tensor<1x4xf32>
// CHECK: %[[TF:.*]] = linalg.generic {{.*}} ins(%[[T]] : tensor<8x4xi8>) outs(%{{.*}} : tensor<8x4xf32>) attrs = {qtensor.weight_convert}
// CHECK: %[[ACC:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #[[$RHS]], #{{.*}}], {{.*}} ins(%[[X]], %[[TF]] : tensor<2x8xf32>, tensor<8x4xf32>)
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[$ROW]], #{{.*}}], {{.*}} ins(%[[ACC]], %[[ROWS]] : tensor<2x4xf32>, tensor<1x4xf32>)
func.func @stage2(%x: tensor<2x8xf32>, %w: !qtensor.tensor<4x8xi8, f32, per_row>) -> tensor<2x4xf32> {
  %t = qtensor.transpose %w : !qtensor.tensor<4x8xi8, f32, per_row> -> !qtensor.tensor<8x4xi8, f32, per_column>
  %d = qtensor.data %t : !qtensor.tensor<8x4xi8, f32, per_column> -> tensor<8x4xi8>
  %s = qtensor.scale %t : !qtensor.tensor<8x4xi8, f32, per_column> -> tensor<1x4xf32>
  %acc = qtensor.mixed_mm %x, %d : tensor<2x8xf32>, tensor<8x4xi8> -> tensor<2x4xf32>
  %y = qtensor.scale_mul %acc, %s : tensor<2x4xf32>, tensor<1x4xf32> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// Tests that a linear with a float weight takes the float path: a
// contraction with the [N, K] weight read through (n, k), then the bias.
// CHECK-LABEL: func.func @float_linear
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<6x8xf32>, tensor<4x8xf32>)
// CHECK-NOT: arith.sitofp
// CHECK: arith.addf
// CHECK: tensor.expand_shape {{.*}} into tensor<2x3x4xf32>
func.func @float_linear(%x: tensor<2x3x8xf32>, %w: tensor<4x8xf32>, %b: tensor<4xf32>) -> tensor<2x3x4xf32> {
  %y = qtensor.linear %x, %w, %b : tensor<2x3x8xf32>, tensor<4x8xf32>, tensor<4xf32> -> tensor<2x3x4xf32>
  return %y : tensor<2x3x4xf32>
}

// -----

// Tests that a quantized linear is decomposed on the way down.
// CHECK-LABEL: func.func @quantized_linear
// CHECK: linalg.transpose
// CHECK: arith.sitofp
// CHECK-NOT: qtensor.
func.func @quantized_linear(%x: tensor<2x8xf32>, %w: !qtensor.tensor<4x8xi8, f32, per_row>) -> tensor<2x4xf32> {
  %y = qtensor.linear %x, %w : tensor<2x8xf32>, !qtensor.tensor<4x8xi8, f32, per_row> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// Tests that dequantize broadcasts the scale by layout (per_group: c / G).
// CHECK-DAG: #[[$GROUP:.*]] = affine_map<(d0, d1) -> (d0, d1 floordiv 4)>
// CHECK-LABEL: func.func @dequantize_group
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[$GROUP]], #{{.*}}]
// CHECK: arith.sitofp %{{.*}} : i4 to f32
func.func @dequantize_group(%q: !qtensor.tensor<2x8xi4, f32, per_group<4>>) -> tensor<2x8xf32> {
  %f = qtensor.dequantize %q : !qtensor.tensor<2x8xi4, f32, per_group<4>> -> tensor<2x8xf32>
  return %f : tensor<2x8xf32>
}

// -----

// Tests that quantize of a run-time weight computes the reference
// arithmetic: row max of |w|, amax / 127.5, reciprocal, round half to even,
// clamp, and the fallback for rows whose reciprocal is not finite.
// CHECK-LABEL: func.func @runtime_quantize
// CHECK: math.absf
// CHECK: arith.maximumf
// CHECK: arith.divf %{{.*}}, %{{.*}} : f32
// CHECK: arith.cmpf olt
// CHECK: arith.select
// CHECK: math.roundeven
// CHECK: arith.fptosi %{{.*}} : f32 to i8
func.func @runtime_quantize(%w: tensor<4x8xf32>) -> !qtensor.tensor<4x8xi8, f32, per_row> {
  %q = qtensor.quantize %w : tensor<4x8xf32> -> !qtensor.tensor<4x8xi8, f32, per_row>
  return %q : !qtensor.tensor<4x8xi8, f32, per_row>
}

// -----

// Tests that a quantized linear without a transpose + mixed_mm form (a scale
// varying along K) is computed from its dequantized weight, and that a
// weight with dynamic rows gets its N from the data at run time.
// CHECK-LABEL: func.func @per_group_linear
// CHECK-SAME: (%[[X:.*]]: tensor<2x16xf32>, %[[D:.*]]: tensor<8x16xi4>, %[[S:.*]]: tensor<8x4xf32>)
// CHECK: %[[W:.*]] = linalg.generic {{.*}} ins(%[[D]], %[[S]] : tensor<8x16xi4>, tensor<8x4xf32>)
// CHECK: arith.sitofp %{{.*}} : i4 to f32
// CHECK: linalg.generic {{.*}} ins(%[[X]], %[[W]] : tensor<2x16xf32>, tensor<8x16xf32>)
// CHECK-LABEL: func.func @dynamic_rows_linear
// CHECK-SAME: (%[[X:.*]]: tensor<2x16xf32>, %[[D:.*]]: tensor<?x16xi8>, %[[S:.*]]: tensor<?x1xf32>)
// CHECK: %[[N:.*]] = tensor.dim %{{.*}}, %{{.*}} : tensor<?x16xf32>
// CHECK: tensor.empty(%[[N]]) : tensor<2x?xf32>
func.func @per_group_linear(%x: tensor<2x16xf32>, %w: !qtensor.tensor<8x16xi4, f32, per_group<4>>) -> tensor<2x8xf32> {
  %y = qtensor.linear %x, %w : tensor<2x16xf32>, !qtensor.tensor<8x16xi4, f32, per_group<4>> -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}
func.func @dynamic_rows_linear(%x: tensor<2x16xf32>, %w: !qtensor.tensor<?x16xi8, f32, per_row>) -> tensor<2x?xf32> {
  %y = qtensor.linear %x, %w : tensor<2x16xf32>, !qtensor.tensor<?x16xi8, f32, per_row> -> tensor<2x?xf32>
  return %y : tensor<2x?xf32>
}
