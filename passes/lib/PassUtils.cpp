//===- PassUtils.cpp - helpers shared by the qtensor passes ---------------===//

#include "qtensor/Passes/PassUtils.h"

#include "qtensor/Dialect/ElementTypes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::qtensor;

std::string mlir::qtensor::getLocationName(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  if (auto callSite = dyn_cast<CallSiteLoc>(loc))
    return getLocationName(callSite.getCallee());
  if (auto fused = dyn_cast<FusedLoc>(loc)) {
    for (Location inner : fused.getLocations()) {
      std::string name = getLocationName(inner);
      if (!name.empty())
        return name;
    }
  }
  return "";
}

std::string mlir::qtensor::getConstantName(Operation *constant,
                                           ElementsAttr value) {
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value))
    return resource.getRawHandle().getKey().str();
  return getLocationName(constant->getLoc());
}

FailureOr<ArrayRef<char>>
mlir::qtensor::getRawElementBytes(ElementsAttr value,
                                  SmallVectorImpl<char> &storage) {
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    Type elementType = resource.getType().getElementType();
    if (!blob || !elementType.isIntOrFloat())
      return failure();
    // The parser does not check that a blob fits its type.
    int64_t width = (elementType.getIntOrFloatBitWidth() + 7) / 8;
    if (static_cast<int64_t>(blob->getData().size()) !=
        resource.getType().getNumElements() * width)
      return failure();
    return blob->getData();
  }
  auto dense = dyn_cast<DenseElementsAttr>(value);
  if (!dense)
    return failure();
  if (dense.getElementType().isInteger(1)) {
    // i1 attributes are bit-packed; buffers hold one byte per bool.
    storage.clear();
    for (bool element : dense.getValues<bool>())
      storage.push_back(element ? 1 : 0);
    return ArrayRef<char>(storage);
  }
  if (!dense.isSplat())
    return dense.getRawData();
  ArrayRef<char> element = dense.getRawData();
  int64_t count = dense.getNumElements();
  storage.reserve(element.size() * count);
  for (int64_t i = 0; i < count; ++i)
    storage.append(element.begin(), element.end());
  return ArrayRef<char>(storage);
}

std::optional<::qtensor::ElementType>
mlir::qtensor::getFloatElementType(Type type) {
  std::optional<::qtensor::ElementType> kind = getElementTypeKind(type);
  if (!kind || !::qtensor::isFloatElementType(*kind))
    return std::nullopt;
  return kind;
}

/// True for a generic whose every indexing map is the identity and whose
/// every loop is parallel: a plain elementwise op.
static bool isElementwise(linalg::GenericOp generic) {
  return generic.getNumLoops() == generic.getNumParallelLoops() &&
         llvm::all_of(generic.getIndexingMapsArray(),
                      [](AffineMap map) { return map.isIdentity(); });
}

Value mlir::qtensor::matchRelu(Operation *op) {
  auto generic = dyn_cast_or_null<linalg::GenericOp>(op);
  if (!generic || generic.getNumDpsInputs() != 1 ||
      generic.getNumDpsInits() != 1 || !isElementwise(generic))
    return {};
  Block &body = generic.getRegion().front();
  Value in = body.getArgument(0);
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  Operation *result = yield.getValues()[0].getDefiningOp();
  if (!result)
    return {};
  auto isInAndZero = [&](Value a, Value b) {
    return a == in && matchPattern(b, m_AnyZeroFloat());
  };
  auto isMaxWithZero = [&](Operation *max) {
    return isInAndZero(max->getOperand(0), max->getOperand(1)) ||
           isInAndZero(max->getOperand(1), max->getOperand(0));
  };
  // Only forms that keep NaN, as torch.relu and the fused kernel's
  // arith.maximumf do: maxnumf and `cmpf ogt` + select would turn it into 0.
  bool matched = false;
  if (isa<arith::MaximumFOp>(result)) {
    matched = isMaxWithZero(result);
  } else if (auto select = dyn_cast<arith::SelectOp>(result)) {
    auto cmp = select.getCondition().getDefiningOp<arith::CmpFOp>();
    matched = cmp && cmp.getPredicate() == arith::CmpFPredicate::UGT &&
              isInAndZero(cmp.getLhs(), cmp.getRhs()) &&
              select.getTrueValue() == in &&
              matchPattern(select.getFalseValue(), m_AnyZeroFloat());
  }
  return matched ? generic.getDpsInputOperand(0)->get() : Value();
}

Value mlir::qtensor::matchBiasAdd(Operation *op, Value input) {
  auto generic = dyn_cast_or_null<linalg::GenericOp>(op);
  if (!generic || generic.getNumDpsInputs() != 2 ||
      generic.getNumDpsInits() != 1 || generic.getNumLoops() != 2 ||
      generic.getNumParallelLoops() != 2 ||
      generic.getDpsInputOperand(0)->get() != input)
    return {};
  MLIRContext *context = generic.getContext();
  AffineMap identity = AffineMap::getMultiDimIdentityMap(2, context);
  AffineMap column = AffineMap::get(2, 0, getAffineDimExpr(1, context));
  SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
  if (maps[0] != identity || maps[1] != column || maps[2] != identity)
    return {};
  Block &body = generic.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto add = yield.getValues()[0].getDefiningOp<arith::AddFOp>();
  if (!add || add.getLhs() != body.getArgument(0) ||
      add.getRhs() != body.getArgument(1))
    return {};
  return generic.getDpsInputOperand(1)->get();
}

Value mlir::qtensor::createEmptyLike(OpBuilder &builder, Location loc,
                                     RankedTensorType type, Value like) {
  SmallVector<Value> dynamicSizes;
  for (int64_t dim = 0; dim < type.getRank(); ++dim)
    if (type.isDynamicDim(dim))
      dynamicSizes.push_back(tensor::DimOp::create(builder, loc, like, dim));
  return tensor::EmptyOp::create(builder, loc, type.getShape(),
                                 type.getElementType(), dynamicSizes);
}

Value mlir::qtensor::createBiasAdd(OpBuilder &builder, Location loc,
                                   Value input, Value bias) {
  auto type = cast<RankedTensorType>(input.getType());
  MLIRContext *context = builder.getContext();
  AffineMap identity = AffineMap::getMultiDimIdentityMap(2, context);
  AffineMap column = AffineMap::get(2, 0, getAffineDimExpr(1, context));
  Value init = createEmptyLike(builder, loc, type, input);
  auto generic = linalg::GenericOp::create(
      builder, loc, type, ValueRange{input, bias}, ValueRange{init},
      ArrayRef<AffineMap>{identity, column, identity},
      SmallVector<utils::IteratorType>(2, utils::IteratorType::parallel),
      [](OpBuilder &b, Location nestedLoc, ValueRange args) {
        Value sum = arith::AddFOp::create(b, nestedLoc, args[0], args[1]);
        linalg::YieldOp::create(b, nestedLoc, sum);
      });
  return generic.getResult(0);
}

/// [[0, ..., rank-2], [rank-1]]: every leading dimension folded into one.
static SmallVector<ReassociationIndices> leadingDimsTogether(int64_t rank) {
  ReassociationIndices leading;
  for (int64_t dim = 0; dim + 1 < rank; ++dim)
    leading.push_back(dim);
  return {leading, {rank - 1}};
}

Value mlir::qtensor::flattenToMatrix(OpBuilder &builder, Location loc,
                                     Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  if (rank == 2)
    return x;
  if (rank == 1) {
    auto matrixType =
        RankedTensorType::get({1, type.getDimSize(0)}, type.getElementType());
    return tensor::ExpandShapeOp::create(builder, loc, matrixType, x, {{0, 1}});
  }
  return tensor::CollapseShapeOp::create(builder, loc, x,
                                         leadingDimsTogether(rank));
}

Value mlir::qtensor::unflattenFromMatrix(OpBuilder &builder, Location loc,
                                         Value matrix, Value x,
                                         RankedTensorType resultType) {
  int64_t rank = resultType.getRank();
  if (rank == 2)
    return matrix;
  if (rank == 1)
    return tensor::CollapseShapeOp::create(builder, loc, resultType, matrix,
                                           {{0, 1}});
  SmallVector<OpFoldResult> outputShape;
  for (int64_t dim = 0; dim < rank; ++dim) {
    if (!resultType.isDynamicDim(dim))
      outputShape.push_back(builder.getIndexAttr(resultType.getDimSize(dim)));
    else if (dim + 1 < rank)
      outputShape.push_back(
          tensor::DimOp::create(builder, loc, x, dim).getResult());
    else
      outputShape.push_back(
          tensor::DimOp::create(builder, loc, matrix, 1).getResult());
  }
  return tensor::ExpandShapeOp::create(builder, loc, resultType, matrix,
                                       leadingDimsTogether(rank), outputShape);
}

bool mlir::qtensor::isDimMap(AffineMap map, ArrayRef<unsigned> dims) {
  if (map.getNumResults() != dims.size())
    return false;
  for (auto [expr, dim] : llvm::zip(map.getResults(), dims)) {
    auto dimExpr = dyn_cast<AffineDimExpr>(expr);
    if (!dimExpr || dimExpr.getPosition() != dim)
      return false;
  }
  return true;
}

linalg::GenericOp mlir::qtensor::createWeightConversion(OpBuilder &builder,
                                                        Location loc,
                                                        Value weights,
                                                        Type elementType,
                                                        bool transposed) {
  auto weightType = cast<RankedTensorType>(weights.getType());
  int64_t rank = weightType.getRank();
  SmallVector<OpFoldResult> sizes =
      tensor::getMixedSizes(builder, loc, weights);
  AffineMap identity = builder.getMultiDimIdentityMap(rank);
  AffineMap outputMap = identity;
  if (transposed) {
    assert(rank == 2 && "only a matrix of weights is transposed");
    std::swap(sizes[0], sizes[1]);
    outputMap = AffineMap::getPermutationMap(ArrayRef<unsigned>{1, 0},
                                             builder.getContext());
  }
  Value empty = tensor::EmptyOp::create(builder, loc, sizes, elementType);
  SmallVector<utils::IteratorType> parallel(rank,
                                            utils::IteratorType::parallel);
  auto conversion = linalg::GenericOp::create(
      builder, loc, empty.getType(), weights, empty,
      ArrayRef<AffineMap>{identity, outputMap}, parallel,
      [&](OpBuilder &b, Location bodyLoc, ValueRange args) {
        linalg::YieldOp::create(
            b, bodyLoc,
            arith::SIToFPOp::create(b, bodyLoc, elementType, args[0])
                .getResult());
      });
  return conversion;
}
