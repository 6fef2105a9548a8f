// RUN: qtensor-opt --qtensor-decompose-linear --split-input-file --verify-diagnostics %s

// Tests that a weight whose scale varies along K has no stage-2 form.
func.func @per_group_weight(%x: tensor<2x16xf32>, %w: !qtensor.tensor<8x16xi4, f32, per_group<4>>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'qtensor.linear' op cannot be decomposed into transpose + mixed_mm + scale_mul: the weight '!qtensor.tensor<8x16xi4, f32, per_group<4>>' needs a per_row or per_tensor scale and static rows}}
  %y = qtensor.linear %x, %w : tensor<2x16xf32>, !qtensor.tensor<8x16xi4, f32, per_group<4>> -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// Tests that a weight with dynamic rows cannot be transposed.
func.func @dynamic_rows(%x: tensor<2x16xf32>, %w: !qtensor.tensor<?x16xi8, f32, per_row>) -> tensor<2x?xf32> {
  // expected-error @+1 {{'qtensor.linear' op cannot be decomposed into transpose + mixed_mm + scale_mul: the weight '!qtensor.tensor<?x16xi8, f32, per_row>' needs a per_row or per_tensor scale and static rows}}
  %y = qtensor.linear %x, %w : tensor<2x16xf32>, !qtensor.tensor<?x16xi8, f32, per_row> -> tensor<2x?xf32>
  return %y : tensor<2x?xf32>
}
