//===- QTensorTypes.td - qtensor types ---------------------*- tablegen -*-===//

#ifndef QTENSOR_DIALECT_QTENSORTYPES_TD
#define QTENSOR_DIALECT_QTENSORTYPES_TD

include "qtensor/Dialect/QTensorDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/IR/CommonTypeConstraints.td"

def QTensor_ScaleLayout : I32EnumAttr<"ScaleLayout",
    "how the scale tensor maps onto the data", [
      I32EnumAttrCase<"PerRow", 0, "per_row">,
      I32EnumAttrCase<"PerColumn", 1, "per_column">,
      I32EnumAttrCase<"PerTensor", 2, "per_tensor">,
      I32EnumAttrCase<"PerGroup", 3, "per_group">
    ]> {
  let cppNamespace = "::mlir::qtensor";
  let genSpecializedAttr = 0;
}

def QTensor_QuantizedTensorType : TypeDef<QTensor_Dialect, "QuantizedTensor"> {
  let mnemonic = "tensor";
  let summary = "a tensor stored as integer data and a float scale";
  let description = [{
    A rank-2 tensor whose logical values are `data * scale` (symmetric
    quantization, no zero point). The type records:

    - the logical shape; the leading dimension may be dynamic (`?`);
    - the storage type of the data: `i8`, or `i4`;
    - the expressed type, which is the float type of the logical values and
      of the scale: `f32`, `f16` or `bf16`;
    - the scale layout, which fixes the shape of the scale tensor for a
      logical shape `[R, C]`:

    | layout          | scale shape  | typical origin                          |
    |-----------------|--------------|-----------------------------------------|
    | `per_row`       | `[R, 1]`     | a `[N, K]` weight, one scale per output |
    | `per_column`    | `[1, C]`     | the transpose of a `per_row` tensor     |
    | `per_tensor`    | `[1, 1]`     | one scale for the whole tensor          |
    | `per_group<G>`  | `[R, C / G]` | groups of `G` along each row            |

    The data tensor has the logical shape and the storage element type; the
    scale tensor has the layout's shape and the expressed element type.

    Example:

    ```mlir
    // The seed's int8 weight of a Linear(64, 128): data int8[128,64],
    // scale f32[128,1].
    !qtensor.tensor<128x64xi8, f32, per_row>
    // After `aten.t`: data int8[64,128], scale f32[1,128].
    !qtensor.tensor<64x128xi8, f32, per_column>
    // Grouped int4, bf16 values.
    !qtensor.tensor<?x4096xi4, bf16, per_group<128>>
    ```
  }];
  let parameters = (ins
    ArrayRefParameter<"int64_t", "logical shape">:$shape,
    "::mlir::Type":$storageType,
    "::mlir::Type":$expressedType,
    EnumParameter<QTensor_ScaleLayout>:$layout,
    // Size of a group for `per_group`; 0 for every other layout.
    "int64_t":$groupSize
  );
  let builders = [
    TypeBuilder<(ins "::llvm::ArrayRef<int64_t>":$shape,
                     "::mlir::Type":$storageType,
                     "::mlir::Type":$expressedType,
                     "::mlir::qtensor::ScaleLayout":$layout), [{
      return $_get($_ctxt, shape, storageType, expressedType, layout, 0);
    }]>
  ];
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let skipDefaultBuilders = 0;
  let extraClassDeclaration = [{
    int64_t getRank() const { return getShape().size(); }
    /// The builtin tensor type holding the integer data.
    ::mlir::RankedTensorType getDataType() const;
    /// Shape of the scale tensor implied by the layout.
    ::llvm::SmallVector<int64_t> getScaleShape() const;
    /// The builtin tensor type holding the scale.
    ::mlir::RankedTensorType getScaleType() const;
    /// The builtin float tensor type of the logical (dequantized) values.
    ::mlir::RankedTensorType getExpressedTensorType() const;
    /// The type of this tensor transposed: shape swapped, per_row and
    /// per_column exchanged. Fails for per_group, whose groups run along rows.
    ::mlir::FailureOr<QuantizedTensorType> getTransposed() const;
  }];
}

def QTensor_FloatElement : AnyTypeOf<[F32, F16, BF16]>;
def QTensor_FloatTensor : RankedTensorOf<[F32, F16, BF16]>;
def QTensor_StorageTensor : RankedTensorOf<[I8, I<4>]>;
def QTensor_QuantizedTensor : Type<
    CPred<"::llvm::isa<::mlir::qtensor::QuantizedTensorType>($_self)">,
    "quantized tensor", "::mlir::qtensor::QuantizedTensorType">;
def QTensor_FloatOrQuantizedTensor :
    AnyTypeOf<[QTensor_FloatTensor, QTensor_QuantizedTensor]>;

#endif // QTENSOR_DIALECT_QTENSORTYPES_TD
