// RUN: qtensor-opt %s -split-input-file -verify-diagnostics

//===----------------------------------------------------------------------===//
// !qtensor.tensor
//===----------------------------------------------------------------------===//

// expected-error @+1 {{quantized tensor must have rank 2, got rank 3}}
func.func @type_rank(%a: !qtensor.tensor<2x3x4xi8, f32, per_row>)

// -----

// expected-error @+1 {{only the leading dimension of a quantized tensor may be dynamic, got '?' in dimension 1}}
func.func @type_dynamic_columns(%a: !qtensor.tensor<4x?xi8, f32, per_row>)

// -----

// expected-error @+1 {{storage type must be i8 or i4, got 'i16'}}
func.func @type_storage(%a: !qtensor.tensor<4x4xi16, f32, per_row>)

// -----

// expected-error @+1 {{expressed type must be f32, f16 or bf16, got 'f64'}}
func.func @type_expressed(%a: !qtensor.tensor<4x4xi8, f64, per_row>)

// -----

// expected-error @+1 {{per_group group size must be positive, got 0}}
func.func @type_group_zero(%a: !qtensor.tensor<4x8xi4, f32, per_group<0>>)

// -----

// expected-error @+1 {{per_group group size 3 must divide dimension 1 (8)}}
func.func @type_group_divides(%a: !qtensor.tensor<4x8xi4, f32, per_group<3>>)

// -----

// expected-error @+1 {{expected scale layout 'per_row', 'per_column', 'per_tensor' or 'per_group<G>', got 'per_channel'}}
func.func @type_layout(%a: !qtensor.tensor<4x8xi8, f32, per_channel>)

//===----------------------------------------------------------------------===//
// qtensor.quantize
//===----------------------------------------------------------------------===//

// -----

func.func @quantize_layout(%w: tensor<4x8xf32>) {
  // expected-error @+1 {{'qtensor.quantize' op result scale layout must be per_row, got per_tensor}}
  %q = qtensor.quantize %w : tensor<4x8xf32> -> !qtensor.tensor<4x8xi8, f32, per_tensor>
  return
}

// -----

func.func @quantize_storage(%w: tensor<4x8xf32>) {
  // expected-error @+1 {{'qtensor.quantize' op result storage type must be i8, got 'i4'}}
  %q = qtensor.quantize %w : tensor<4x8xf32> -> !qtensor.tensor<4x8xi4, f32, per_row>
  return
}

// -----

func.func @quantize_shape(%w: tensor<8x4xf32>) {
  // expected-error @+1 {{'qtensor.quantize' op input must have type 'tensor<4x8xf32>' (the result's logical shape and expressed type), got 'tensor<8x4xf32>'}}
  %q = qtensor.quantize %w : tensor<8x4xf32> -> !qtensor.tensor<4x8xi8, f32, per_row>
  return
}

// -----

func.func @quantize_element(%w: tensor<4x8xf16>) {
  // expected-error @+1 {{'qtensor.quantize' op input must have type 'tensor<4x8xf32>' (the result's logical shape and expressed type), got 'tensor<4x8xf16>'}}
  %q = qtensor.quantize %w : tensor<4x8xf16> -> !qtensor.tensor<4x8xi8, f32, per_row>
  return
}

// -----

func.func @quantize_integer_input(%w: tensor<4x8xi32>) {
  // expected-error @+1 {{'qtensor.quantize' op operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values}}
  %q = qtensor.quantize %w : tensor<4x8xi32> -> !qtensor.tensor<4x8xi8, f32, per_row>
  return
}

//===----------------------------------------------------------------------===//
// qtensor.pack, qtensor.data, qtensor.scale, qtensor.dequantize
//===----------------------------------------------------------------------===//

// -----

func.func @pack_data(%d: tensor<4x9xi8>, %s: tensor<4x1xf32>) {
  // expected-error @+1 {{'qtensor.pack' op data must have type 'tensor<4x8xi8>' (the result's logical shape and storage type), got 'tensor<4x9xi8>'}}
  %q = qtensor.pack %d, %s : tensor<4x9xi8>, tensor<4x1xf32> -> !qtensor.tensor<4x8xi8, f32, per_row>
  return
}

// -----

func.func @pack_data_storage(%d: tensor<4x8xi4>, %s: tensor<4x1xf32>) {
  // expected-error @+1 {{'qtensor.pack' op data must have type 'tensor<4x8xi8>' (the result's logical shape and storage type), got 'tensor<4x8xi4>'}}
  %q = qtensor.pack %d, %s : tensor<4x8xi4>, tensor<4x1xf32> -> !qtensor.tensor<4x8xi8, f32, per_row>
  return
}

// -----

func.func @pack_scale_layout(%d: tensor<4x8xi8>, %s: tensor<1x8xf32>) {
  // expected-error @+1 {{'qtensor.pack' op scale must have type 'tensor<4x1xf32>' (the result's scale layout and expressed type), got 'tensor<1x8xf32>'}}
  %q = qtensor.pack %d, %s : tensor<4x8xi8>, tensor<1x8xf32> -> !qtensor.tensor<4x8xi8, f32, per_row>
  return
}

// -----

func.func @pack_scale_element(%d: tensor<4x8xi8>, %s: tensor<4x1xf16>) {
  // expected-error @+1 {{'qtensor.pack' op scale must have type 'tensor<4x1xf32>' (the result's scale layout and expressed type), got 'tensor<4x1xf16>'}}
  %q = qtensor.pack %d, %s : tensor<4x8xi8>, tensor<4x1xf16> -> !qtensor.tensor<4x8xi8, f32, per_row>
  return
}

// -----

func.func @data_result(%q: !qtensor.tensor<4x8xi8, f32, per_row>) {
  // expected-error @+1 {{'qtensor.data' op result must have type 'tensor<4x8xi8>' (the input's logical shape and storage type), got 'tensor<8x4xi8>'}}
  %d = qtensor.data %q : !qtensor.tensor<4x8xi8, f32, per_row> -> tensor<8x4xi8>
  return
}

// -----

func.func @scale_result(%q: !qtensor.tensor<4x8xi8, f32, per_column>) {
  // expected-error @+1 {{'qtensor.scale' op result must have type 'tensor<1x8xf32>' (the input's scale layout and expressed type), got 'tensor<4x1xf32>'}}
  %s = qtensor.scale %q : !qtensor.tensor<4x8xi8, f32, per_column> -> tensor<4x1xf32>
  return
}

// -----

func.func @dequantize_result(%q: !qtensor.tensor<4x8xi8, bf16, per_row>) {
  // expected-error @+1 {{'qtensor.dequantize' op result must have type 'tensor<4x8xbf16>' (the input's logical shape and expressed type), got 'tensor<4x8xf32>'}}
  %f = qtensor.dequantize %q : !qtensor.tensor<4x8xi8, bf16, per_row> -> tensor<4x8xf32>
  return
}

//===----------------------------------------------------------------------===//
// qtensor.linear
//===----------------------------------------------------------------------===//

// -----

func.func @linear_scalar_input(%x: tensor<f32>, %w: tensor<4x8xf32>) {
  // expected-error @+1 {{'qtensor.linear' op input must have rank >= 1, got rank 0}}
  %y = qtensor.linear %x, %w : tensor<f32>, tensor<4x8xf32> -> tensor<4xf32>
  return
}

// -----

func.func @linear_weight_rank(%x: tensor<2x8xf32>, %w: tensor<4x8x1xf32>) {
  // expected-error @+1 {{'qtensor.linear' op weight must have rank 2 ([N, K]), got rank 3}}
  %y = qtensor.linear %x, %w : tensor<2x8xf32>, tensor<4x8x1xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @linear_weight_element(%x: tensor<2x8xf32>, %w: tensor<4x8xf16>) {
  // expected-error @+1 {{'qtensor.linear' op weight element type must be 'f32' (the input's), got 'f16'}}
  %y = qtensor.linear %x, %w : tensor<2x8xf32>, tensor<4x8xf16> -> tensor<2x4xf32>
  return
}

// -----

func.func @linear_quantized_expressed(%x: tensor<2x8xf16>, %w: !qtensor.tensor<4x8xi8, f32, per_row>) {
  // expected-error @+1 {{'qtensor.linear' op weight element type must be 'f16' (the input's), got 'f32'}}
  %y = qtensor.linear %x, %w : tensor<2x8xf16>, !qtensor.tensor<4x8xi8, f32, per_row> -> tensor<2x4xf16>
  return
}

// -----

func.func @linear_in_features(%x: tensor<2x8xf32>, %w: !qtensor.tensor<4x6xi8, f32, per_row>) {
  // expected-error @+1 {{'qtensor.linear' op weight must have 8 columns (the input's last dimension), got 6 (weight shape [4, 6])}}
  %y = qtensor.linear %x, %w : tensor<2x8xf32>, !qtensor.tensor<4x6xi8, f32, per_row> -> tensor<2x4xf32>
  return
}

// -----

func.func @linear_bias(%x: tensor<2x8xf32>, %w: tensor<4x8xf32>, %b: tensor<8xf32>) {
  // expected-error @+1 {{'qtensor.linear' op bias must have type 'tensor<4xf32>' ([N] with N the weight's rows, in the input's element type), got 'tensor<8xf32>'}}
  %y = qtensor.linear %x, %w, %b : tensor<2x8xf32>, tensor<4x8xf32>, tensor<8xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @linear_result(%x: tensor<3x2x8xf32>, %w: tensor<4x8xf32>) {
  // expected-error @+1 {{'qtensor.linear' op result must have type 'tensor<3x2x4xf32>' (the input's leading dimensions, then N), got 'tensor<6x4xf32>'}}
  %y = qtensor.linear %x, %w : tensor<3x2x8xf32>, tensor<4x8xf32> -> tensor<6x4xf32>
  return
}

//===----------------------------------------------------------------------===//
// qtensor.transpose
//===----------------------------------------------------------------------===//

// -----

func.func @transpose_group(%q: !qtensor.tensor<4x8xi4, f32, per_group<4>>) {
  // expected-error @+1 {{'qtensor.transpose' op cannot transpose a per_group quantized tensor: its groups run along rows}}
  %t = qtensor.transpose %q : !qtensor.tensor<4x8xi4, f32, per_group<4>> -> !qtensor.tensor<8x4xi4, f32, per_tensor>
  return
}

// -----

func.func @transpose_dynamic(%q: !qtensor.tensor<?x8xi8, f32, per_row>) {
  // expected-error @+1 {{'qtensor.transpose' op cannot transpose a quantized tensor with a dynamic leading dimension: only the leading dimension of the result could be dynamic}}
  %t = qtensor.transpose %q : !qtensor.tensor<?x8xi8, f32, per_row> -> tensor<8x?xf32>
  return
}

// -----

func.func @transpose_layout(%q: !qtensor.tensor<4x8xi8, f32, per_row>) {
  // expected-error @+1 {{'qtensor.transpose' op result must have type '!qtensor.tensor<8x4xi8, f32, per_column>' (the input with dimensions swapped and its scale layout transposed), got '!qtensor.tensor<8x4xi8, f32, per_row>'}}
  %t = qtensor.transpose %q : !qtensor.tensor<4x8xi8, f32, per_row> -> !qtensor.tensor<8x4xi8, f32, per_row>
  return
}

// -----

func.func @transpose_rank(%f: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'qtensor.transpose' op input must have rank 2, got rank 3}}
  %t = qtensor.transpose %f : tensor<2x3x4xf32> -> tensor<4x3x2xf32>
  return
}

// -----

func.func @transpose_float_result(%f: tensor<2x3xf32>) {
  // expected-error @+1 {{'qtensor.transpose' op result must have type 'tensor<3x2xf32>' (the input with dimensions swapped), got 'tensor<2x3xf32>'}}
  %t = qtensor.transpose %f : tensor<2x3xf32> -> tensor<2x3xf32>
  return
}

//===----------------------------------------------------------------------===//
// qtensor.mixed_mm
//===----------------------------------------------------------------------===//

// -----

func.func @mixed_mm_lhs_rank(%x: tensor<2x3x8xf32>, %d: tensor<8x4xi8>) {
  // expected-error @+1 {{'qtensor.mixed_mm' op lhs must have rank 2 ([M, K]), got rank 3}}
  %y = qtensor.mixed_mm %x, %d : tensor<2x3x8xf32>, tensor<8x4xi8> -> tensor<2x4xf32>
  return
}

// -----

func.func @mixed_mm_rhs_rank(%x: tensor<2x8xf32>, %d: tensor<8xi8>) {
  // expected-error @+1 {{'qtensor.mixed_mm' op rhs must have rank 2 ([K, N]), got rank 1}}
  %y = qtensor.mixed_mm %x, %d : tensor<2x8xf32>, tensor<8xi8> -> tensor<2x4xf32>
  return
}

// -----

func.func @mixed_mm_contraction(%x: tensor<2x8xf32>, %d: tensor<6x4xi8>) {
  // expected-error @+1 {{'qtensor.mixed_mm' op rhs must have 8 rows (lhs columns), got 6}}
  %y = qtensor.mixed_mm %x, %d : tensor<2x8xf32>, tensor<6x4xi8> -> tensor<2x4xf32>
  return
}

// -----

func.func @mixed_mm_result(%x: tensor<2x8xf32>, %d: tensor<8x4xi8>) {
  // expected-error @+1 {{'qtensor.mixed_mm' op result must have type 'tensor<2x4xf32>' ([M, N] in the lhs element type), got 'tensor<2x4xf16>'}}
  %y = qtensor.mixed_mm %x, %d : tensor<2x8xf32>, tensor<8x4xi8> -> tensor<2x4xf16>
  return
}

// -----

func.func @mixed_mm_rhs_storage(%x: tensor<2x8xf32>, %d: tensor<8x4xi4>) {
  // expected-error @+1 {{'qtensor.mixed_mm' op operand #1 must be ranked tensor of 8-bit signless integer values}}
  %y = qtensor.mixed_mm %x, %d : tensor<2x8xf32>, tensor<8x4xi4> -> tensor<2x4xf32>
  return
}

//===----------------------------------------------------------------------===//
// qtensor.scale_mul
//===----------------------------------------------------------------------===//

// -----

func.func @scale_mul_element(%x: tensor<2x4xf32>, %s: tensor<1x4xf16>) {
  // expected-error @+1 {{'qtensor.scale_mul' op scale element type must be 'f32' (the input's), got 'f16'}}
  %y = qtensor.scale_mul %x, %s : tensor<2x4xf32>, tensor<1x4xf16> -> tensor<2x4xf32>
  return
}

// -----

func.func @scale_mul_rank(%x: tensor<2x4xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{'qtensor.scale_mul' op scale must have rank 2 (the input's), got rank 1}}
  %y = qtensor.scale_mul %x, %s : tensor<2x4xf32>, tensor<4xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @scale_mul_broadcast(%x: tensor<2x4xf32>, %s: tensor<1x3xf32>) {
  // expected-error @+1 {{'qtensor.scale_mul' op scale dimension 1 must be 1 or 4 (the input's), got 3 (scale shape [1, 3])}}
  %y = qtensor.scale_mul %x, %s : tensor<2x4xf32>, tensor<1x3xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @scale_mul_result(%x: tensor<?x4xf32>, %s: tensor<1x4xf32>) {
  // expected-error @+1 {{'qtensor.scale_mul' op result must have type 'tensor<?x4xf32>' (the input's type), got 'tensor<2x4xf32>'}}
  %y = qtensor.scale_mul %x, %s : tensor<?x4xf32>, tensor<1x4xf32> -> tensor<2x4xf32>
  return
}

//===----------------------------------------------------------------------===//
// qtensor.fused_mixed_matmul
//===----------------------------------------------------------------------===//

// -----

func.func @fused_input_rank(%x: tensor<8xf32>, %d: tensor<4x8xi8>, %s: tensor<4x1xf32>) {
  // expected-error @+1 {{'qtensor.fused_mixed_matmul' op input must have rank 2 ([M, K]), got rank 1}}
  %y = qtensor.fused_mixed_matmul %x, %d, %s : tensor<8xf32>, tensor<4x8xi8>, tensor<4x1xf32> -> tensor<4xf32>
  return
}

// -----

func.func @fused_data_rank(%x: tensor<2x8xf32>, %d: tensor<32xi8>, %s: tensor<4x1xf32>) {
  // expected-error @+1 {{'qtensor.fused_mixed_matmul' op weight_data must have rank 2 ([N, K]), got rank 1}}
  %y = qtensor.fused_mixed_matmul %x, %d, %s : tensor<2x8xf32>, tensor<32xi8>, tensor<4x1xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @fused_features(%x: tensor<2x8xf32>, %d: tensor<4x6xi8>, %s: tensor<4x1xf32>) {
  // expected-error @+1 {{'qtensor.fused_mixed_matmul' op weight_data must have 8 columns (the input's last dimension), got 6}}
  %y = qtensor.fused_mixed_matmul %x, %d, %s : tensor<2x8xf32>, tensor<4x6xi8>, tensor<4x1xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @fused_transposed_features(%x: tensor<2x8xf32>, %d: tensor<4x8xi8>, %s: tensor<8x1xf32>) {
  // expected-error @+1 {{'qtensor.fused_mixed_matmul' op weight_data must have 8 rows (the input's last dimension), got 4}}
  %y = qtensor.fused_mixed_matmul %x, %d, %s weight_transposed : tensor<2x8xf32>, tensor<4x8xi8>, tensor<8x1xf32> -> tensor<2x8xf32>
  return
}

// -----

func.func @fused_scale(%x: tensor<2x8xf32>, %d: tensor<4x8xi8>, %s: tensor<1x4xf32>) {
  // expected-error @+1 {{'qtensor.fused_mixed_matmul' op weight_scale must have type 'tensor<4x1xf32>' ([N, 1] in the input's element type), got 'tensor<1x4xf32>'}}
  %y = qtensor.fused_mixed_matmul %x, %d, %s : tensor<2x8xf32>, tensor<4x8xi8>, tensor<1x4xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @fused_bias(%x: tensor<2x8xf32>, %d: tensor<4x8xi8>, %s: tensor<4x1xf32>, %b: tensor<8xf32>) {
  // expected-error @+1 {{'qtensor.fused_mixed_matmul' op bias must have type 'tensor<4xf32>' ([N] in the input's element type), got 'tensor<8xf32>'}}
  %y = qtensor.fused_mixed_matmul %x, %d, %s, %b : tensor<2x8xf32>, tensor<4x8xi8>, tensor<4x1xf32>, tensor<8xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @fused_result(%x: tensor<2x8xf32>, %d: tensor<4x8xi8>, %s: tensor<4x1xf32>) {
  // expected-error @+1 {{'qtensor.fused_mixed_matmul' op result must have type 'tensor<2x4xf32>' ([M, N] in the input's element type), got 'tensor<2x8xf32>'}}
  %y = qtensor.fused_mixed_matmul %x, %d, %s : tensor<2x8xf32>, tensor<4x8xi8>, tensor<4x1xf32> -> tensor<2x8xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// #qtensor.gpu_kernel
//===----------------------------------------------------------------------===//

// expected-error @+1 {{max_rows must be >= 0, got -1}}
func.func private @gpu_kernel_0() attributes {qtensor.gpu_kernels = [#qtensor.gpu_kernel<tiled, max_rows = -1, vector_width = 16, tile_m = 4>]}

// -----

// expected-error @+1 {{'splitk' needs vector_width 1, 2, 4, 8 or 16, got 3}}
func.func private @gpu_kernel_1() attributes {qtensor.gpu_kernels = [#qtensor.gpu_kernel<splitk, vector_width = 3, columns = 1>]}

// -----

// expected-error @+1 {{'splitk' needs columns in [1, 4], got 0}}
func.func private @gpu_kernel_2() attributes {qtensor.gpu_kernels = [#qtensor.gpu_kernel<splitk, vector_width = 16>]}

// -----

// expected-error @+1 {{'tiled' needs tile_m in [1, 16], got 17}}
func.func private @gpu_kernel_3() attributes {qtensor.gpu_kernels = [#qtensor.gpu_kernel<tiled, vector_width = 16, tile_m = 17>]}

// -----

// expected-error @+1 {{'shared_tiled' needs tile_k 64, 128 or 256, got 32}}
func.func private @gpu_kernel_4() attributes {qtensor.gpu_kernels = [#qtensor.gpu_kernel<shared_tiled, tile_m = 4, tile_k = 32>]}

// -----

// expected-error @+1 {{'mma' needs chunks 1, 2 or 4, got 3}}
func.func private @gpu_kernel_5() attributes {qtensor.gpu_kernels = [#qtensor.gpu_kernel<mma, chunks = 3>]}

// -----

// expected-error @+1 {{'mma_ksplit' takes no tile_m}}
func.func private @gpu_kernel_6() attributes {qtensor.gpu_kernels = [#qtensor.gpu_kernel<mma_ksplit, tile_m = 4, chunks = 4>]}
//===----------------------------------------------------------------------===//
// #qtensor.cpu_kernel
//===----------------------------------------------------------------------===//

// -----

// expected-error @+1 {{tile sizes must be positive, got tile_m = 4, tile_n = 0, tile_k = 16}}
func.func @cpu_kernel_tile() attributes {k = #qtensor.cpu_kernel<register_tiled, tile_m = 4, tile_n = 0, tile_k = 16>}

// -----

// expected-error @+1 {{a gemv kernel has one row per tile, got tile_m = 4}}
func.func @cpu_kernel_gemv_rows() attributes {k = #qtensor.cpu_kernel<gemv, tile_m = 4, tile_n = 16, tile_k = 16>}

// -----

// expected-error @+1 {{only a register_tiled kernel has weight panels}}
func.func @cpu_kernel_panels() attributes {k = #qtensor.cpu_kernel<small_m, tile_m = 3, tile_n = 16, tile_k = 16, panel_rows = 3>}

// -----

// expected-error @+1 {{panel_rows and column_chunk must not be negative}}
func.func @cpu_kernel_chunk() attributes {k = #qtensor.cpu_kernel<register_tiled, tile_m = 4, tile_n = 16, tile_k = 16, column_chunk = -16>}

// -----

// expected-error @+1 {{remainder_tile_m must be positive, got 0}}
func.func @cpu_kernel_remainder() attributes {k = #qtensor.cpu_kernel<register_tiled, tile_m = 4, tile_n = 16, tile_k = 16, remainder_tile_m = 0>}
