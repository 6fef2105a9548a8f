// The seed's ToyModel(64, 128, 32) at stage 1: both linear weights are
// quantized tensors (int8 data [N, K], f32 scale [N, 1]) passed in as
// parameters, the linears themselves untouched.
func.func @forward(%x: tensor<64x64x64xf32>,
                   %w1_data: tensor<128x64xi8>, %w1_scale: tensor<128x1xf32>,
                   %w2_data: tensor<32x128xi8>, %w2_scale: tensor<32x1xf32>)
    -> tensor<64x64x32xf32> {
  %w1 = qtensor.pack %w1_data, %w1_scale : tensor<128x64xi8>, tensor<128x1xf32>
          -> !qtensor.tensor<128x64xi8, f32, per_row>
  %w2 = qtensor.pack %w2_data, %w2_scale : tensor<32x128xi8>, tensor<32x1xf32>
          -> !qtensor.tensor<32x128xi8, f32, per_row>
  %h = qtensor.linear %x, %w1 : tensor<64x64x64xf32>,
         !qtensor.tensor<128x64xi8, f32, per_row> -> tensor<64x64x128xf32>
  %y = qtensor.linear %h, %w2 : tensor<64x64x128xf32>,
         !qtensor.tensor<32x128xi8, f32, per_row> -> tensor<64x64x32xf32>
  return %y : tensor<64x64x32xf32>
}
