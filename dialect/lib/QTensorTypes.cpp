//===- QTensorTypes.cpp - the quantized tensor type -----------------------===//

#include "qtensor/Dialect/QTensorDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::qtensor;

#define GET_TYPEDEF_CLASSES
#include "qtensor/Dialect/QTensorTypes.cpp.inc"

void QTensorDialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "qtensor/Dialect/QTensorTypes.cpp.inc"
      >();
}

static bool isSupportedExpressedType(Type type) {
  return type.isF32() || type.isF16() || type.isBF16();
}

static bool isSupportedStorageType(Type type) {
  return type.isSignlessInteger(8) || type.isSignlessInteger(4);
}

LogicalResult
QuantizedTensorType::verify(function_ref<InFlightDiagnostic()> emitError,
                            ArrayRef<int64_t> shape, Type storageType,
                            Type expressedType, ScaleLayout layout,
                            int64_t groupSize) {
  if (shape.size() != 2)
    return emitError() << "quantized tensor must have rank 2, got rank "
                       << shape.size();
  if (shape[0] < 0 && !ShapedType::isDynamic(shape[0]))
    return emitError() << "dimension 0 must be non-negative or '?', got "
                       << shape[0];
  if (ShapedType::isDynamic(shape[1]))
    return emitError()
           << "only the leading dimension of a quantized tensor may be "
              "dynamic, got '?' in dimension 1";
  if (shape[1] < 0)
    return emitError() << "dimension 1 must be non-negative, got " << shape[1];
  if (!isSupportedStorageType(storageType))
    return emitError() << "storage type must be i8 or i4, got " << storageType;
  if (!isSupportedExpressedType(expressedType))
    return emitError() << "expressed type must be f32, f16 or bf16, got "
                       << expressedType;
  if (layout == ScaleLayout::PerGroup) {
    if (groupSize <= 0)
      return emitError() << "per_group group size must be positive, got "
                         << groupSize;
    if (shape[1] % groupSize != 0)
      return emitError() << "per_group group size " << groupSize
                         << " must divide dimension 1 (" << shape[1] << ")";
  } else if (groupSize != 0) {
    return emitError() << "group size " << groupSize << " given for layout "
                       << stringifyScaleLayout(layout)
                       << ", which has no groups";
  }
  return success();
}

Type QuantizedTensorType::parse(AsmParser &parser) {
  SMLoc loc = parser.getCurrentLocation();
  SmallVector<int64_t> shape;
  Type storageType, expressedType;
  if (parser.parseLess() ||
      parser.parseDimensionList(shape, /*allowDynamic=*/true,
                                /*withTrailingX=*/true) ||
      parser.parseType(storageType) || parser.parseComma() ||
      parser.parseType(expressedType) || parser.parseComma())
    return {};

  SMLoc layoutLoc = parser.getCurrentLocation();
  StringRef layoutName;
  if (parser.parseKeyword(&layoutName))
    return {};
  std::optional<ScaleLayout> layout = symbolizeScaleLayout(layoutName);
  if (!layout) {
    parser.emitError(layoutLoc, "expected scale layout 'per_row', "
                                "'per_column', 'per_tensor' or "
                                "'per_group<G>', got '")
        << layoutName << "'";
    return {};
  }
  int64_t groupSize = 0;
  if (*layout == ScaleLayout::PerGroup &&
      (parser.parseLess() || parser.parseInteger(groupSize) ||
       parser.parseGreater()))
    return {};
  if (parser.parseGreater())
    return {};
  return parser.getChecked<QuantizedTensorType>(loc, parser.getContext(), shape,
                                                storageType, expressedType,
                                                *layout, groupSize);
}

void QuantizedTensorType::print(AsmPrinter &printer) const {
  printer << '<';
  printer.printDimensionList(getShape());
  printer << 'x' << getStorageType() << ", " << getExpressedType() << ", "
          << stringifyScaleLayout(getLayout());
  if (getLayout() == ScaleLayout::PerGroup)
    printer << '<' << getGroupSize() << '>';
  printer << '>';
}

RankedTensorType QuantizedTensorType::getDataType() const {
  return RankedTensorType::get(getShape(), getStorageType());
}

SmallVector<int64_t> QuantizedTensorType::getScaleShape() const {
  ArrayRef<int64_t> shape = getShape();
  switch (getLayout()) {
  case ScaleLayout::PerRow:
    return {shape[0], 1};
  case ScaleLayout::PerColumn:
    return {1, shape[1]};
  case ScaleLayout::PerTensor:
    return {1, 1};
  case ScaleLayout::PerGroup:
    return {shape[0], shape[1] / getGroupSize()};
  }
  llvm_unreachable("unknown scale layout");
}

RankedTensorType QuantizedTensorType::getScaleType() const {
  return RankedTensorType::get(getScaleShape(), getExpressedType());
}

RankedTensorType QuantizedTensorType::getExpressedTensorType() const {
  return RankedTensorType::get(getShape(), getExpressedType());
}

FailureOr<QuantizedTensorType> QuantizedTensorType::getTransposed() const {
  ScaleLayout layout = getLayout();
  switch (layout) {
  case ScaleLayout::PerRow:
    layout = ScaleLayout::PerColumn;
    break;
  case ScaleLayout::PerColumn:
    layout = ScaleLayout::PerRow;
    break;
  case ScaleLayout::PerTensor:
    break;
  case ScaleLayout::PerGroup:
    return failure();
  }
  ArrayRef<int64_t> shape = getShape();
  // The transposed dimension 1 is this dimension 0, which may be dynamic; the
  // verifier rejects that, so report it as a failure rather than assert.
  if (ShapedType::isDynamic(shape[0]))
    return failure();
  return QuantizedTensorType::get(getContext(), {shape[1], shape[0]},
                                  getStorageType(), getExpressedType(), layout,
                                  /*groupSize=*/0);
}
