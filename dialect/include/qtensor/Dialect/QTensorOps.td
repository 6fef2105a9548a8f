//===- QTensorOps.td - qtensor operations ------------------*- tablegen -*-===//

#ifndef QTENSOR_DIALECT_QTENSOROPS_TD
#define QTENSOR_DIALECT_QTENSOROPS_TD

include "qtensor/Dialect/QTensorDialect.td"
include "qtensor/Dialect/QTensorAttrs.td"
include "qtensor/Dialect/QTensorTypes.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Building and taking apart quantized tensors
//===----------------------------------------------------------------------===//

def QTensor_QuantizeOp : QTensor_Op<"quantize", [Pure]> {
  let summary = "int8 symmetric quantization of a float tensor, one scale per row";
  let description = [{
    Quantizes a float tensor `w` of shape `[N, K]` row by row, exactly as the
    reference `int8_symmetric_quantize` computes it on the CPU:

    ```
    amax  = max(-min(min_row, 0), max(max_row, 0))
    scale = amax / 127.5                       // true division in the float type
    q     = clamp(round_half_even(w * (1 / scale)), -128, 127)
    ```

    The reciprocal is computed once per row and then multiplied, never
    `w / scale`. Rows whose reciprocal is not finite (all zeros, or denormals
    only) get `q = 0` and `scale` equal to the smallest normal value of the
    float type, so that they dequantize to exactly zero.

    The result type must be `per_row` with `i8` storage, and its logical shape
    and expressed type must equal the input's shape and element type.

    Example:

    ```mlir
    %q = qtensor.quantize %w : tensor<128x64xf32>
           -> !qtensor.tensor<128x64xi8, f32, per_row>
    ```
  }];
  let arguments = (ins QTensor_FloatTensor:$input);
  let results = (outs QTensor_QuantizedTensor:$result);
  let assemblyFormat = [{
    $input attr-dict `:` type($input) `->` qualified(type($result))
  }];
  let hasVerifier = 1;
}

def QTensor_PackOp : QTensor_Op<"pack", [Pure]> {
  let summary = "combines integer data and a float scale into a quantized tensor";
  let description = [{
    The inverse of `qtensor.data` + `qtensor.scale`, the counterpart of
    `__tensor_unflatten__`. The data must have the logical shape and storage
    element type of the result; the scale must have the shape that the
    result's scale layout implies and the expressed element type.

    Example:

    ```mlir
    %q = qtensor.pack %data, %scale : tensor<128x64xi8>, tensor<128x1xf32>
           -> !qtensor.tensor<128x64xi8, f32, per_row>
    ```
  }];
  let arguments = (ins QTensor_StorageTensor:$data, QTensor_FloatTensor:$scale);
  let results = (outs QTensor_QuantizedTensor:$result);
  let assemblyFormat = [{
    $data `,` $scale attr-dict `:` type($data) `,` type($scale) `->`
    qualified(type($result))
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def QTensor_DataOp : QTensor_Op<"data", [Pure]> {
  let summary = "the integer data of a quantized tensor";
  let description = [{
    Returns the data tensor, of the logical shape and storage element type.

    Example:

    ```mlir
    %d = qtensor.data %q : !qtensor.tensor<128x64xi8, f32, per_row>
           -> tensor<128x64xi8>
    ```
  }];
  let arguments = (ins QTensor_QuantizedTensor:$input);
  let results = (outs QTensor_StorageTensor:$result);
  let assemblyFormat = [{
    $input attr-dict `:` qualified(type($input)) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def QTensor_ScaleOp : QTensor_Op<"scale", [Pure]> {
  let summary = "the float scale of a quantized tensor";
  let description = [{
    Returns the scale tensor, of the shape the scale layout implies and the
    expressed element type.

    Example:

    ```mlir
    %s = qtensor.scale %q : !qtensor.tensor<128x64xi8, f32, per_row>
           -> tensor<128x1xf32>
    ```
  }];
  let arguments = (ins QTensor_QuantizedTensor:$input);
  let results = (outs QTensor_FloatTensor:$result);
  let assemblyFormat = [{
    $input attr-dict `:` qualified(type($input)) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def QTensor_DequantizeOp : QTensor_Op<"dequantize", [Pure]> {
  let summary = "the float values `data * scale` of a quantized tensor";
  let description = [{
    Converts the data to the expressed type and multiplies it by the scale,
    broadcast according to the layout. The result has the logical shape and
    the expressed element type.

    Example:

    ```mlir
    %w = qtensor.dequantize %q : !qtensor.tensor<128x64xi8, f32, per_row>
           -> tensor<128x64xf32>
    ```
  }];
  let arguments = (ins QTensor_QuantizedTensor:$input);
  let results = (outs QTensor_FloatTensor:$result);
  let assemblyFormat = [{
    $input attr-dict `:` qualified(type($input)) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Compute
//===----------------------------------------------------------------------===//

def QTensor_LinearOp : QTensor_Op<"linear", [Pure]> {
  let summary = "`torch.nn.functional.linear`: y = x W^T (+ b)";
  let description = [{
    Applies a linear layer to an input of rank 1 or more, as PyTorch does: the
    input's last dimension `K` is contracted with the weight's columns, every
    leading dimension is kept, and the result's last dimension is `N`.

    The weight is in PyTorch's layout `[N, K]`, either a float tensor or a
    quantized tensor whose expressed type is the input's element type. The
    optional bias has shape `[N]`. All float element types must agree.

    Example:

    ```mlir
    %y = qtensor.linear %x, %w, %b
           : tensor<64x64x64xf32>, !qtensor.tensor<128x64xi8, f32, per_row>,
             tensor<128xf32> -> tensor<64x64x128xf32>
    %z = qtensor.linear %x, %wf : tensor<?x64xf32>, tensor<128x64xf32>
           -> tensor<?x128xf32>
    ```
  }];
  let arguments = (ins
    QTensor_FloatTensor:$input,
    QTensor_FloatOrQuantizedTensor:$weight,
    Optional<QTensor_FloatTensor>:$bias
  );
  let results = (outs QTensor_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` type($input) `,`
    qualified(type($weight)) (`,` type($bias)^)? `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// True when the weight is a `!qtensor.tensor`.
    bool hasQuantizedWeight() {
      return ::llvm::isa<QuantizedTensorType>(getWeight().getType());
    }
  }];
}

def QTensor_TransposeOp : QTensor_Op<"transpose", [Pure]> {
  let summary = "`aten.t`: swaps the two dimensions of a rank-2 tensor";
  let description = [{
    Transposes a rank-2 float tensor, or a quantized tensor, in which case the
    data and the scale are transposed together: a `per_row` tensor `[N, K]`
    with scale `[N, 1]` becomes a `per_column` tensor `[K, N]` with scale
    `[1, N]`, and back. `per_tensor` stays `per_tensor`. `per_group` cannot
    be transposed, since its groups run along rows.

    `transpose(transpose(x))` folds to `x`.

    Example:

    ```mlir
    %t = qtensor.transpose %q : !qtensor.tensor<128x64xi8, f32, per_row>
           -> !qtensor.tensor<64x128xi8, f32, per_column>
    ```
  }];
  let arguments = (ins QTensor_FloatOrQuantizedTensor:$input);
  let results = (outs QTensor_FloatOrQuantizedTensor:$result);
  let assemblyFormat = [{
    $input attr-dict `:` qualified(type($input)) `->` qualified(type($result))
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def QTensor_MixedMmOp : QTensor_Op<"mixed_mm", [Pure]> {
  let summary = "float [M, K] x int8 [K, N] matrix product, without scale";
  let description = [{
    Computes `mm(lhs, rhs.to(lhs.dtype))`: every int8 value of `rhs` is
    converted exactly to the float type of `lhs`, and the products are
    accumulated in that float type. No scale is applied; `qtensor.scale_mul`
    applies it after the reduction. `M` may be dynamic.

    Example:

    ```mlir
    %acc = qtensor.mixed_mm %x, %d : tensor<?x64xf32>, tensor<64x128xi8>
             -> tensor<?x128xf32>
    ```
  }];
  let arguments = (ins QTensor_FloatTensor:$lhs, RankedTensorOf<[I8]>:$rhs);
  let results = (outs QTensor_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let hasVerifier = 1;
}

def QTensor_ScaleMulOp : QTensor_Op<"scale_mul", [Pure]> {
  let summary = "multiplies a tensor by a broadcast scale";
  let description = [{
    Multiplies `input` elementwise by `scale`, which has the same rank and in
    every dimension either the input's size or 1 (broadcast). Element types
    of input, scale and result agree; the result has the input's type.

    Example:

    ```mlir
    %y = qtensor.scale_mul %acc, %s : tensor<?x128xf32>, tensor<1x128xf32>
           -> tensor<?x128xf32>
    ```
  }];
  let arguments = (ins QTensor_FloatTensor:$input, QTensor_FloatTensor:$scale);
  let results = (outs QTensor_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $scale attr-dict `:` type($input) `,` type($scale) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Kernel-level ops
//===----------------------------------------------------------------------===//

def QTensor_FusedMixedMatmulOp : QTensor_Op<"fused_mixed_matmul", [Pure]> {
  let summary = "one kernel: x [M, K] times int8 weight [N, K] transposed, then scale, bias, relu";
  let description = [{
    The fused form of `transpose` + `mixed_mm` + `scale_mul` (+ bias, + relu):

    ```
    result[m, n] = act((sum_k x[m, k] * float(weight_data[n, k]))
                       * weight_scale[n, 0] + bias[n])
    ```

    `weight_data` keeps the weight's `[N, K]` layout: the transpose is part of
    the indexing, no transposed copy exists. With `weight_transposed`, the data
    is stored `[K, N]` instead, the layout the CPU kernel reads contiguously;
    `qtensor-pack-weights` packs constant weights that way at compile time.
    Each int8 value is converted to
    the float type inside the reduction; the scale, the optional bias and the
    optional relu (`act`, present when `relu` is set) are applied once per
    output element, after the reduction over `k`. `M` may be dynamic.

    Example:

    ```mlir
    %y = qtensor.fused_mixed_matmul %x, %d, %s, %b relu
           : tensor<?x64xf32>, tensor<128x64xi8>, tensor<128x1xf32>,
             tensor<128xf32> -> tensor<?x128xf32>
    ```
  }];
  let arguments = (ins
    QTensor_FloatTensor:$input,
    RankedTensorOf<[I8]>:$weight_data,
    QTensor_FloatTensor:$weight_scale,
    Optional<QTensor_FloatTensor>:$bias,
    UnitAttr:$relu,
    UnitAttr:$weight_transposed
  );
  let results = (outs QTensor_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight_data `,` $weight_scale (`,` $bias^)? (`relu` $relu^)?
    (`weight_transposed` $weight_transposed^)? attr-dict `:` type($input) `,` type($weight_data) `,` type($weight_scale)
    (`,` type($bias)^)? `->` type($result)
  }];
  let hasVerifier = 1;
}

#endif // QTENSOR_DIALECT_QTENSOROPS_TD
