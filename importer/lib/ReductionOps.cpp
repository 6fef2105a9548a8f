//===- ReductionOps.cpp - Reductions and normalization --------------------===//
//
// The ops that reduce along a dimension: softmax, as max, exp(x - max), sum
// and divide. Normalizations such as layer_norm belong here too.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"
#include "OpTable.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::qtensor;
using namespace mlir::qtensor::importer;

Value mlir::qtensor::importer::emitReduction(
    GraphImporter &importer, Location loc, Value input, int64_t dim, Value init,
    function_ref<Value(OpBuilder &, Location, Value, Value)> combine) {
  OpBuilder &builder = importer.getBuilder();
  auto type = cast<RankedTensorType>(input.getType());
  int64_t rank = type.getRank();
  SmallVector<AffineExpr> kept;
  SmallVector<int64_t> shape;
  SmallVector<Value> dynamicSizes;
  SmallVector<std::string> names;
  for (int64_t i = 0; i < rank; ++i) {
    if (i == dim)
      continue;
    names.push_back(importer.dimNameOf(input, i).str());
    kept.push_back(builder.getAffineDimExpr(i));
    shape.push_back(type.getDimSize(i));
    if (type.isDynamicDim(i))
      dynamicSizes.push_back(dimSize(importer, loc, input, i));
  }
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  Value empty = tensor::EmptyOp::create(builder, loc, resultType, dynamicSizes);
  Value filled = linalg::FillOp::create(builder, loc, init, empty).getResult(0);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  iterators[dim] = utils::IteratorType::reduction;
  auto generic = linalg::GenericOp::create(
      builder, loc, resultType, input, filled,
      {builder.getMultiDimIdentityMap(rank),
       AffineMap::get(rank, 0, kept, &importer.getContext())},
      iterators, [&](OpBuilder &b, Location l, ValueRange args) {
        linalg::YieldOp::create(b, l, combine(b, l, args[0], args[1]));
      });
  importer.setDimNames(generic.getResult(0), names);
  return generic.getResult(0);
}

/// aten::softmax(x, dim, dtype = None): max along `dim`, exp(x - max), its
/// sum along `dim`, then the quotient; the max keeps exp from overflowing.
static void importSoftmax(GraphImporter &importer, jit::Node *node,
                          Location loc) {
  OpBuilder &builder = importer.getBuilder();
  Value input = importer.tensorOf(node, 0);
  auto type = cast<RankedTensorType>(input.getType());
  int64_t rank = type.getRank();
  int64_t dim = importer.intOf(node, 1);
  dim = dim < 0 ? dim + rank : dim;
  if (dim < 0 || dim >= rank)
    importer.fail(node, "aten::softmax dimension out of range");
  if (!importer.isNone(node, 2))
    importer.fail(node, "aten::softmax with a dtype is not supported");
  Type elementType = type.getElementType();
  importer.requireFloat(node, elementType);
  auto floatType = cast<FloatType>(elementType);
  Value lowest = arith::ConstantOp::create(
      builder, loc,
      builder.getFloatAttr(elementType,
                           APFloat::getInf(floatType.getFloatSemantics(),
                                           /*Negative=*/true)));
  Value zero =
      arith::ConstantOp::create(builder, loc, builder.getZeroAttr(elementType));
  Value max = emitReduction(
      importer, loc, input, dim, lowest,
      [](OpBuilder &b, Location l, Value x, Value acc) {
        return arith::MaximumFOp::create(b, l, acc, x).getResult();
      });
  // exp(x - max) and its sum along `dim`, then the quotient.
  SmallVector<int64_t> keptShape(type.getShape());
  keptShape[dim] = 1;
  auto unsqueezed = [&](Value reduced) {
    return Item::tensor(emitReshape(importer, node, reduced, keptShape));
  };
  Item shifted[] = {Item::tensor(input), unsqueezed(max)};
  Value exp = emitElementwise(
      importer, node, shifted,
      [](OpBuilder &b, Location l, Type, ArrayRef<Value> args) {
        Value difference = arith::SubFOp::create(b, l, args[0], args[1]);
        return math::ExpOp::create(b, l, difference).getResult();
      });
  Value sum =
      emitReduction(importer, loc, exp, dim, zero,
                    [](OpBuilder &b, Location l, Value x, Value acc) {
                      return arith::AddFOp::create(b, l, acc, x).getResult();
                    });
  Item quotient[] = {Item::tensor(exp), unsqueezed(sum)};
  importer.setResult(
      node,
      emitElementwise(
          importer, node, quotient,
          [](OpBuilder &b, Location l, Type, ArrayRef<Value> args) {
            return arith::DivFOp::create(b, l, args[0], args[1]).getResult();
          }));
}

void mlir::qtensor::importer::registerReductionOps(OpTable &table) {
  table.add("aten::softmax", importSoftmax);
}
