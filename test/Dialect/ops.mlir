// RUN: qtensor-opt --verify-roundtrip %s | FileCheck %s

// Tests that quantize produces a per-row int8 tensor from a float weight.
// CHECK-LABEL: func.func @quantize
// CHECK: qtensor.quantize %{{.*}} : tensor<128x64xf32> -> !qtensor.tensor<128x64xi8, f32, per_row>
func.func @quantize(%w: tensor<128x64xf32>) -> !qtensor.tensor<128x64xi8, f32, per_row> {
  %q = qtensor.quantize %w : tensor<128x64xf32> -> !qtensor.tensor<128x64xi8, f32, per_row>
  return %q : !qtensor.tensor<128x64xi8, f32, per_row>
}

// Tests that pack, data, scale and dequantize take a quantized tensor apart
// and put it together with explicit data and scale operands.
// CHECK-LABEL: func.func @pack_unpack
// CHECK-SAME: (%[[DATA:.*]]: tensor<128x64xi8>, %[[SCALE:.*]]: tensor<128x1xf32>)
// CHECK: %[[Q:.*]] = qtensor.pack %[[DATA]], %[[SCALE]] : tensor<128x64xi8>, tensor<128x1xf32> -> !qtensor.tensor<128x64xi8, f32, per_row>
// CHECK: qtensor.data %[[Q]] : !qtensor.tensor<128x64xi8, f32, per_row> -> tensor<128x64xi8>
// CHECK: qtensor.scale %[[Q]] : !qtensor.tensor<128x64xi8, f32, per_row> -> tensor<128x1xf32>
// CHECK: qtensor.dequantize %[[Q]] : !qtensor.tensor<128x64xi8, f32, per_row> -> tensor<128x64xf32>
func.func @pack_unpack(%data: tensor<128x64xi8>, %scale: tensor<128x1xf32>)
    -> (tensor<128x64xi8>, tensor<128x1xf32>, tensor<128x64xf32>) {
  %q = qtensor.pack %data, %scale : tensor<128x64xi8>, tensor<128x1xf32> -> !qtensor.tensor<128x64xi8, f32, per_row>
  %d = qtensor.data %q : !qtensor.tensor<128x64xi8, f32, per_row> -> tensor<128x64xi8>
  %s = qtensor.scale %q : !qtensor.tensor<128x64xi8, f32, per_row> -> tensor<128x1xf32>
  %f = qtensor.dequantize %q : !qtensor.tensor<128x64xi8, f32, per_row> -> tensor<128x64xf32>
  return %d, %s, %f : tensor<128x64xi8>, tensor<128x1xf32>, tensor<128x64xf32>
}

// Tests the scale shapes of the other layouts through pack.
// CHECK-LABEL: func.func @pack_layouts
// CHECK: tensor<1x128xf32> -> !qtensor.tensor<64x128xi8, f32, per_column>
// CHECK: tensor<1x1xf16> -> !qtensor.tensor<64x128xi8, f16, per_tensor>
// CHECK: tensor<64x4xbf16> -> !qtensor.tensor<64x128xi4, bf16, per_group<32>>
// CHECK: tensor<?x1xf32> -> !qtensor.tensor<?x128xi8, f32, per_row>
func.func @pack_layouts(%d8: tensor<64x128xi8>, %d4: tensor<64x128xi4>,
                        %dyn: tensor<?x128xi8>, %col: tensor<1x128xf32>,
                        %one: tensor<1x1xf16>, %grp: tensor<64x4xbf16>,
                        %rows: tensor<?x1xf32>) {
  %0 = qtensor.pack %d8, %col : tensor<64x128xi8>, tensor<1x128xf32> -> !qtensor.tensor<64x128xi8, f32, per_column>
  %1 = qtensor.pack %d8, %one : tensor<64x128xi8>, tensor<1x1xf16> -> !qtensor.tensor<64x128xi8, f16, per_tensor>
  %2 = qtensor.pack %d4, %grp : tensor<64x128xi4>, tensor<64x4xbf16> -> !qtensor.tensor<64x128xi4, bf16, per_group<32>>
  %3 = qtensor.pack %dyn, %rows : tensor<?x128xi8>, tensor<?x1xf32> -> !qtensor.tensor<?x128xi8, f32, per_row>
  return
}

// Tests linear with a quantized weight, an N-D input and a bias.
// CHECK-LABEL: func.func @linear_quantized
// CHECK: qtensor.linear %{{.*}}, %{{.*}}, %{{.*}} : tensor<64x64x64xf32>, !qtensor.tensor<128x64xi8, f32, per_row>, tensor<128xf32> -> tensor<64x64x128xf32>
func.func @linear_quantized(%x: tensor<64x64x64xf32>, %w: !qtensor.tensor<128x64xi8, f32, per_row>,
                            %b: tensor<128xf32>) -> tensor<64x64x128xf32> {
  %y = qtensor.linear %x, %w, %b : tensor<64x64x64xf32>, !qtensor.tensor<128x64xi8, f32, per_row>, tensor<128xf32> -> tensor<64x64x128xf32>
  return %y : tensor<64x64x128xf32>
}

// Tests linear with a float weight, a dynamic batch and no bias.
// CHECK-LABEL: func.func @linear_float
// CHECK: qtensor.linear %{{.*}}, %{{.*}} : tensor<?x64xf16>, tensor<32x64xf16> -> tensor<?x32xf16>
func.func @linear_float(%x: tensor<?x64xf16>, %w: tensor<32x64xf16>) -> tensor<?x32xf16> {
  %y = qtensor.linear %x, %w : tensor<?x64xf16>, tensor<32x64xf16> -> tensor<?x32xf16>
  return %y : tensor<?x32xf16>
}

// Tests linear on a rank-1 input, as torch allows.
// CHECK-LABEL: func.func @linear_vector
// CHECK: qtensor.linear %{{.*}}, %{{.*}} : tensor<64xbf16>, !qtensor.tensor<32x64xi8, bf16, per_row> -> tensor<32xbf16>
func.func @linear_vector(%x: tensor<64xbf16>, %w: !qtensor.tensor<32x64xi8, bf16, per_row>) -> tensor<32xbf16> {
  %y = qtensor.linear %x, %w : tensor<64xbf16>, !qtensor.tensor<32x64xi8, bf16, per_row> -> tensor<32xbf16>
  return %y : tensor<32xbf16>
}

// Tests the stage-2 form of a quantized linear: the seed's t + mm + scale.
// CHECK-LABEL: func.func @decomposed
// CHECK: %[[T:.*]] = qtensor.transpose %{{.*}} : !qtensor.tensor<128x64xi8, f32, per_row> -> !qtensor.tensor<64x128xi8, f32, per_column>
// CHECK: %[[D:.*]] = qtensor.data %[[T]]
// CHECK: %[[S:.*]] = qtensor.scale %[[T]]
// CHECK: %[[ACC:.*]] = qtensor.mixed_mm %{{.*}}, %[[D]] : tensor<?x64xf32>, tensor<64x128xi8> -> tensor<?x128xf32>
// CHECK: qtensor.scale_mul %[[ACC]], %[[S]] : tensor<?x128xf32>, tensor<1x128xf32> -> tensor<?x128xf32>
func.func @decomposed(%x: tensor<?x64xf32>, %w: !qtensor.tensor<128x64xi8, f32, per_row>) -> tensor<?x128xf32> {
  %t = qtensor.transpose %w : !qtensor.tensor<128x64xi8, f32, per_row> -> !qtensor.tensor<64x128xi8, f32, per_column>
  %d = qtensor.data %t : !qtensor.tensor<64x128xi8, f32, per_column> -> tensor<64x128xi8>
  %s = qtensor.scale %t : !qtensor.tensor<64x128xi8, f32, per_column> -> tensor<1x128xf32>
  %acc = qtensor.mixed_mm %x, %d : tensor<?x64xf32>, tensor<64x128xi8> -> tensor<?x128xf32>
  %y = qtensor.scale_mul %acc, %s : tensor<?x128xf32>, tensor<1x128xf32> -> tensor<?x128xf32>
  return %y : tensor<?x128xf32>
}

// Tests transpose on float tensors and per-tensor quantized tensors.
// CHECK-LABEL: func.func @transpose_other
// CHECK: qtensor.transpose %{{.*}} : tensor<3x5xf32> -> tensor<5x3xf32>
// CHECK: qtensor.transpose %{{.*}} : !qtensor.tensor<3x5xi8, f16, per_tensor> -> !qtensor.tensor<5x3xi8, f16, per_tensor>
func.func @transpose_other(%f: tensor<3x5xf32>, %q: !qtensor.tensor<3x5xi8, f16, per_tensor>) {
  %0 = qtensor.transpose %f : tensor<3x5xf32> -> tensor<5x3xf32>
  %1 = qtensor.transpose %q : !qtensor.tensor<3x5xi8, f16, per_tensor> -> !qtensor.tensor<5x3xi8, f16, per_tensor>
  return
}

// Tests scale_mul with a per-row scale and a per-tensor scale.
// CHECK-LABEL: func.func @scale_mul_broadcast
// CHECK: qtensor.scale_mul %{{.*}}, %{{.*}} : tensor<4x8xf32>, tensor<4x1xf32> -> tensor<4x8xf32>
// CHECK: qtensor.scale_mul %{{.*}}, %{{.*}} : tensor<4x8xf32>, tensor<1x1xf32> -> tensor<4x8xf32>
func.func @scale_mul_broadcast(%x: tensor<4x8xf32>, %r: tensor<4x1xf32>, %t: tensor<1x1xf32>) {
  %0 = qtensor.scale_mul %x, %r : tensor<4x8xf32>, tensor<4x1xf32> -> tensor<4x8xf32>
  %1 = qtensor.scale_mul %x, %t : tensor<4x8xf32>, tensor<1x1xf32> -> tensor<4x8xf32>
  return
}

// Tests the fused kernel op with bias and relu, and with a packed [K, N]
// weight.
// CHECK-LABEL: func.func @fused
// CHECK: qtensor.fused_mixed_matmul %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} relu : tensor<?x8xf32>, tensor<4x8xi8>, tensor<4x1xf32>, tensor<4xf32> -> tensor<?x4xf32>
// CHECK: qtensor.fused_mixed_matmul %{{.*}}, %{{.*}}, %{{.*}} weight_transposed : tensor<?x8xf32>, tensor<8x4xi8>, tensor<4x1xf32> -> tensor<?x4xf32>
func.func @fused(%x: tensor<?x8xf32>, %d: tensor<4x8xi8>, %dt: tensor<8x4xi8>, %s: tensor<4x1xf32>, %b: tensor<4xf32>) {
  %0 = qtensor.fused_mixed_matmul %x, %d, %s, %b relu : tensor<?x8xf32>, tensor<4x8xi8>, tensor<4x1xf32>, tensor<4xf32> -> tensor<?x4xf32>
  %1 = qtensor.fused_mixed_matmul %x, %dt, %s weight_transposed : tensor<?x8xf32>, tensor<8x4xi8>, tensor<4x1xf32> -> tensor<?x4xf32>
  return
}
