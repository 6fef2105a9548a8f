//===- QTensorOps.cpp - qtensor op verifiers and folders ------------------===//

#include "qtensor/Dialect/QTensorDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::qtensor;

#define GET_OP_CLASSES
#include "qtensor/Dialect/QTensorOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

std::string mlir::qtensor::formatShape(ArrayRef<int64_t> shape) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << '[';
  llvm::interleaveComma(shape, os, [&](int64_t dim) {
    if (ShapedType::isDynamic(dim))
      os << '?';
    else
      os << dim;
  });
  os << ']';
  return text;
}

/// True when two dimension sizes may be equal at run time.
static bool areCompatibleDims(int64_t lhs, int64_t rhs) {
  return ShapedType::isDynamic(lhs) || ShapedType::isDynamic(rhs) || lhs == rhs;
}

/// Checks that `actual`, the type of the value called `name`, is exactly
/// `expected`, which `why` explains.
static LogicalResult verifyExactType(Operation *op, StringRef name, Type actual,
                                     Type expected, StringRef why) {
  if (actual == expected)
    return success();
  return op->emitOpError() << name << " must have type " << expected << " ("
                           << why << "), got " << actual;
}

//===----------------------------------------------------------------------===//
// QuantizeOp
//===----------------------------------------------------------------------===//

LogicalResult QuantizeOp::verify() {
  QuantizedTensorType resultType = getResult().getType();
  if (resultType.getLayout() != ScaleLayout::PerRow)
    return emitOpError("result scale layout must be per_row, got ")
           << stringifyScaleLayout(resultType.getLayout());
  if (!resultType.getStorageType().isSignlessInteger(8))
    return emitOpError("result storage type must be i8, got ")
           << resultType.getStorageType();
  return verifyExactType(*this, "input", getInput().getType(),
                         resultType.getExpressedTensorType(),
                         "the result's logical shape and expressed type");
}

//===----------------------------------------------------------------------===//
// PackOp
//===----------------------------------------------------------------------===//

LogicalResult PackOp::verify() {
  QuantizedTensorType resultType = getResult().getType();
  if (failed(verifyExactType(*this, "data", getData().getType(),
                             resultType.getDataType(),
                             "the result's logical shape and storage type")))
    return failure();
  return verifyExactType(*this, "scale", getScale().getType(),
                         resultType.getScaleType(),
                         "the result's scale layout and expressed type");
}

OpFoldResult PackOp::fold(FoldAdaptor) {
  // pack(data(q), scale(q)) -> q
  auto dataOp = getData().getDefiningOp<DataOp>();
  auto scaleOp = getScale().getDefiningOp<ScaleOp>();
  if (!dataOp || !scaleOp || dataOp.getInput() != scaleOp.getInput() ||
      dataOp.getInput().getType() != getType())
    return {};
  return dataOp.getInput();
}

//===----------------------------------------------------------------------===//
// DataOp, ScaleOp, DequantizeOp
//===----------------------------------------------------------------------===//

LogicalResult DataOp::verify() {
  return verifyExactType(*this, "result", getType(),
                         getInput().getType().getDataType(),
                         "the input's logical shape and storage type");
}

OpFoldResult DataOp::fold(FoldAdaptor) {
  if (auto pack = getInput().getDefiningOp<PackOp>())
    return pack.getData();
  return {};
}

LogicalResult ScaleOp::verify() {
  return verifyExactType(*this, "result", getType(),
                         getInput().getType().getScaleType(),
                         "the input's scale layout and expressed type");
}

OpFoldResult ScaleOp::fold(FoldAdaptor) {
  if (auto pack = getInput().getDefiningOp<PackOp>())
    return pack.getScale();
  return {};
}

LogicalResult DequantizeOp::verify() {
  return verifyExactType(*this, "result", getType(),
                         getInput().getType().getExpressedTensorType(),
                         "the input's logical shape and expressed type");
}

//===----------------------------------------------------------------------===//
// LinearOp
//===----------------------------------------------------------------------===//

LogicalResult LinearOp::verify() {
  RankedTensorType inputType = getInput().getType();
  Type elementType = inputType.getElementType();
  if (inputType.getRank() < 1)
    return emitOpError("input must have rank >= 1, got rank 0");

  ArrayRef<int64_t> weightShape;
  Type weightElementType;
  if (auto quantized = dyn_cast<QuantizedTensorType>(getWeight().getType())) {
    weightShape = quantized.getShape();
    weightElementType = quantized.getExpressedType();
  } else {
    auto weightType = cast<RankedTensorType>(getWeight().getType());
    if (weightType.getRank() != 2)
      return emitOpError("weight must have rank 2 ([N, K]), got rank ")
             << weightType.getRank();
    weightShape = weightType.getShape();
    weightElementType = weightType.getElementType();
  }
  if (weightElementType != elementType)
    return emitOpError("weight element type must be ")
           << elementType << " (the input's), got " << weightElementType;

  int64_t inFeatures = inputType.getShape().back();
  if (!areCompatibleDims(weightShape[1], inFeatures))
    return emitOpError("weight must have ")
           << inFeatures << " columns (the input's last dimension), got "
           << weightShape[1] << " (weight shape " << formatShape(weightShape)
           << ")";
  int64_t outFeatures = weightShape[0];

  if (Value bias = getBias()) {
    auto biasType = cast<RankedTensorType>(bias.getType());
    auto expected = RankedTensorType::get({outFeatures}, elementType);
    if (failed(verifyExactType(*this, "bias", biasType, expected,
                               "[N] with N the weight's rows, in the "
                               "input's element type")))
      return failure();
  }

  SmallVector<int64_t> resultShape(inputType.getShape().drop_back());
  resultShape.push_back(outFeatures);
  return verifyExactType(*this, "result", getType(),
                         RankedTensorType::get(resultShape, elementType),
                         "the input's leading dimensions, then N");
}

//===----------------------------------------------------------------------===//
// TransposeOp
//===----------------------------------------------------------------------===//

LogicalResult TransposeOp::verify() {
  Type inputType = getInput().getType();
  Type resultType = getResult().getType();
  if (auto quantized = dyn_cast<QuantizedTensorType>(inputType)) {
    if (quantized.getLayout() == ScaleLayout::PerGroup)
      return emitOpError("cannot transpose a per_group quantized tensor: its "
                         "groups run along rows");
    FailureOr<QuantizedTensorType> transposed = quantized.getTransposed();
    if (failed(transposed))
      return emitOpError("cannot transpose a quantized tensor with a dynamic "
                         "leading dimension: only the leading dimension of "
                         "the result could be dynamic");
    return verifyExactType(*this, "result", resultType, *transposed,
                           "the input with dimensions swapped and its "
                           "scale layout transposed");
  }
  auto tensorType = cast<RankedTensorType>(inputType);
  if (tensorType.getRank() != 2)
    return emitOpError("input must have rank 2, got rank ")
           << tensorType.getRank();
  ArrayRef<int64_t> shape = tensorType.getShape();
  return verifyExactType(
      *this, "result", resultType,
      RankedTensorType::get({shape[1], shape[0]}, tensorType.getElementType()),
      "the input with dimensions swapped");
}

OpFoldResult TransposeOp::fold(FoldAdaptor) {
  // transpose(transpose(x)) -> x
  if (auto inner = getInput().getDefiningOp<TransposeOp>())
    if (inner.getInput().getType() == getType())
      return inner.getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// MixedMmOp
//===----------------------------------------------------------------------===//

LogicalResult MixedMmOp::verify() {
  RankedTensorType lhsType = getLhs().getType();
  RankedTensorType rhsType = getRhs().getType();
  if (lhsType.getRank() != 2)
    return emitOpError("lhs must have rank 2 ([M, K]), got rank ")
           << lhsType.getRank();
  if (rhsType.getRank() != 2)
    return emitOpError("rhs must have rank 2 ([K, N]), got rank ")
           << rhsType.getRank();
  if (!areCompatibleDims(lhsType.getDimSize(1), rhsType.getDimSize(0)))
    return emitOpError("rhs must have ")
           << lhsType.getDimSize(1) << " rows (lhs columns), got "
           << rhsType.getDimSize(0);
  return verifyExactType(
      *this, "result", getType(),
      RankedTensorType::get({lhsType.getDimSize(0), rhsType.getDimSize(1)},
                            lhsType.getElementType()),
      "[M, N] in the lhs element type");
}

//===----------------------------------------------------------------------===//
// ScaleMulOp
//===----------------------------------------------------------------------===//

LogicalResult ScaleMulOp::verify() {
  RankedTensorType inputType = getInput().getType();
  RankedTensorType scaleType = getScale().getType();
  if (scaleType.getElementType() != inputType.getElementType())
    return emitOpError("scale element type must be ")
           << inputType.getElementType() << " (the input's), got "
           << scaleType.getElementType();
  if (scaleType.getRank() != inputType.getRank())
    return emitOpError("scale must have rank ")
           << inputType.getRank() << " (the input's), got rank "
           << scaleType.getRank();
  for (auto [dim, sizes] : llvm::enumerate(
           llvm::zip_equal(inputType.getShape(), scaleType.getShape()))) {
    auto [inputSize, scaleSize] = sizes;
    if (scaleSize != 1 && !areCompatibleDims(scaleSize, inputSize))
      return emitOpError("scale dimension ")
             << dim << " must be 1 or " << inputSize << " (the input's), got "
             << scaleSize << " (scale shape "
             << formatShape(scaleType.getShape()) << ")";
  }
  return verifyExactType(*this, "result", getType(), inputType,
                         "the input's type");
}

//===----------------------------------------------------------------------===//
// FusedMixedMatmulOp
//===----------------------------------------------------------------------===//

LogicalResult FusedMixedMatmulOp::verify() {
  RankedTensorType inputType = getInput().getType();
  RankedTensorType dataType = getWeightData().getType();
  Type elementType = inputType.getElementType();
  if (inputType.getRank() != 2)
    return emitOpError("input must have rank 2 ([M, K]), got rank ")
           << inputType.getRank();
  bool transposed = getWeightTransposed();
  if (dataType.getRank() != 2)
    return emitOpError("weight_data must have rank 2 (")
           << (transposed ? "[K, N]" : "[N, K]") << "), got rank "
           << dataType.getRank();
  unsigned featuresDim = transposed ? 0 : 1;
  int64_t outFeatures = dataType.getDimSize(1 - featuresDim);
  if (!areCompatibleDims(dataType.getDimSize(featuresDim),
                         inputType.getDimSize(1)))
    return emitOpError("weight_data must have ")
           << inputType.getDimSize(1) << (transposed ? " rows" : " columns")
           << " (the input's last dimension), got "
           << dataType.getDimSize(featuresDim);
  if (failed(
          verifyExactType(*this, "weight_scale", getWeightScale().getType(),
                          RankedTensorType::get({outFeatures, 1}, elementType),
                          "[N, 1] in the input's element type")))
    return failure();
  if (Value bias = getBias())
    if (failed(
            verifyExactType(*this, "bias", bias.getType(),
                            RankedTensorType::get({outFeatures}, elementType),
                            "[N] in the input's element type")))
      return failure();
  return verifyExactType(
      *this, "result", getType(),
      RankedTensorType::get({inputType.getDimSize(0), outFeatures},
                            elementType),
      "[M, N] in the input's element type");
}
