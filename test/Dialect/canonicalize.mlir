// RUN: qtensor-opt --canonicalize --split-input-file %s | FileCheck %s

// Tests that data and scale of a pack fold to the pack's operands.
// CHECK-LABEL: func.func @unpack_of_pack
// CHECK-SAME: (%[[DATA:.*]]: tensor<128x64xi8>, %[[SCALE:.*]]: tensor<128x1xf32>)
// CHECK-NOT: qtensor.
// CHECK: return %[[DATA]], %[[SCALE]]
func.func @unpack_of_pack(%data: tensor<128x64xi8>, %scale: tensor<128x1xf32>)
    -> (tensor<128x64xi8>, tensor<128x1xf32>) {
  %q = qtensor.pack %data, %scale : tensor<128x64xi8>, tensor<128x1xf32> -> !qtensor.tensor<128x64xi8, f32, per_row>
  %d = qtensor.data %q : !qtensor.tensor<128x64xi8, f32, per_row> -> tensor<128x64xi8>
  %s = qtensor.scale %q : !qtensor.tensor<128x64xi8, f32, per_row> -> tensor<128x1xf32>
  return %d, %s : tensor<128x64xi8>, tensor<128x1xf32>
}

// -----

// Tests that packing the data and scale of one tensor gives that tensor back.
// CHECK-LABEL: func.func @pack_of_unpack
// CHECK-SAME: (%[[Q:.*]]: !qtensor.tensor<128x64xi8, f32, per_row>)
// CHECK-NEXT: return %[[Q]]
func.func @pack_of_unpack(%q: !qtensor.tensor<128x64xi8, f32, per_row>) -> !qtensor.tensor<128x64xi8, f32, per_row> {
  %d = qtensor.data %q : !qtensor.tensor<128x64xi8, f32, per_row> -> tensor<128x64xi8>
  %s = qtensor.scale %q : !qtensor.tensor<128x64xi8, f32, per_row> -> tensor<128x1xf32>
  %p = qtensor.pack %d, %s : tensor<128x64xi8>, tensor<128x1xf32> -> !qtensor.tensor<128x64xi8, f32, per_row>
  return %p : !qtensor.tensor<128x64xi8, f32, per_row>
}

// -----

// Tests that data and scale from two different tensors are not folded.
// CHECK-LABEL: func.func @pack_of_mixed_unpack
// CHECK: qtensor.pack
func.func @pack_of_mixed_unpack(%a: !qtensor.tensor<128x64xi8, f32, per_row>,
                                %b: !qtensor.tensor<128x64xi8, f32, per_row>) -> !qtensor.tensor<128x64xi8, f32, per_row> {
  %d = qtensor.data %a : !qtensor.tensor<128x64xi8, f32, per_row> -> tensor<128x64xi8>
  %s = qtensor.scale %b : !qtensor.tensor<128x64xi8, f32, per_row> -> tensor<128x1xf32>
  %p = qtensor.pack %d, %s : tensor<128x64xi8>, tensor<128x1xf32> -> !qtensor.tensor<128x64xi8, f32, per_row>
  return %p : !qtensor.tensor<128x64xi8, f32, per_row>
}

// -----

// Tests that transposing twice folds away, for quantized and float tensors.
// CHECK-LABEL: func.func @transpose_transpose
// CHECK-SAME: (%[[Q:.*]]: !qtensor.tensor<128x64xi8, f32, per_row>, %[[F:.*]]: tensor<3x5xf32>)
// CHECK-NEXT: return %[[Q]], %[[F]]
func.func @transpose_transpose(%q: !qtensor.tensor<128x64xi8, f32, per_row>, %f: tensor<3x5xf32>)
    -> (!qtensor.tensor<128x64xi8, f32, per_row>, tensor<3x5xf32>) {
  %t = qtensor.transpose %q : !qtensor.tensor<128x64xi8, f32, per_row> -> !qtensor.tensor<64x128xi8, f32, per_column>
  %tt = qtensor.transpose %t : !qtensor.tensor<64x128xi8, f32, per_column> -> !qtensor.tensor<128x64xi8, f32, per_row>
  %u = qtensor.transpose %f : tensor<3x5xf32> -> tensor<5x3xf32>
  %uu = qtensor.transpose %u : tensor<5x3xf32> -> tensor<3x5xf32>
  return %tt, %uu : !qtensor.tensor<128x64xi8, f32, per_row>, tensor<3x5xf32>
}
