//===- ReductionOps.cpp - Reductions and normalization --------------------===//
//
// The ops that reduce along a dimension: softmax, as max, exp(x - max), sum
// and divide. Normalizations such as layer_norm belong here too. On f16 and
// bf16 they compute in f32 and round the result once, as PyTorch's CPU
// kernels do.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"
#include "OpTable.h"

#include "qtensor/Dialect/QTensorDialect.h"

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
  return emitReduction(importer, loc, input, ArrayRef<int64_t>{dim}, init,
                       combine);
}

Value mlir::qtensor::importer::emitReduction(
    GraphImporter &importer, Location loc, Value input, ArrayRef<int64_t> dims,
    Value init,
    function_ref<Value(OpBuilder &, Location, Value, Value)> combine) {
  OpBuilder &builder = importer.getBuilder();
  auto type = cast<RankedTensorType>(input.getType());
  int64_t rank = type.getRank();
  SmallVector<AffineExpr> kept;
  SmallVector<int64_t> shape;
  SmallVector<Value> dynamicSizes;
  SmallVector<std::string> names;
  for (int64_t i = 0; i < rank; ++i) {
    if (llvm::is_contained(dims, i))
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
  for (int64_t dim : dims)
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

/// `value` as a constant of the float type `type`.
static Value floatConstant(OpBuilder &b, Location l, Type type, double value) {
  return arith::ConstantOp::create(b, l, b.getFloatAttr(type, value));
}

static Value addCombine(OpBuilder &b, Location l, Value x, Value acc) {
  return arith::AddFOp::create(b, l, acc, x);
}

/// `reduced`, which lost dimension `dim` of `like`, with that dimension back
/// as size 1, for broadcasting against `like`.
static Item keptDim(GraphImporter &importer, jit::Node *node, Value reduced,
                    Value like, ArrayRef<int64_t> dims) {
  SmallVector<int64_t> shape(cast<RankedTensorType>(like.getType()).getShape());
  for (int64_t dim : dims)
    shape[dim] = 1;
  return Item::tensor(emitReshape(importer, node, reduced, shape));
}

/// The sum of `input` along `dims`, divided by their size for a mean.
static Value emitSumOrMean(GraphImporter &importer, jit::Node *node,
                           Value input, ArrayRef<int64_t> dims, bool mean) {
  OpBuilder &builder = importer.getBuilder();
  Location loc = importer.locationOf(node);
  auto type = cast<RankedTensorType>(input.getType());
  Type elementType = type.getElementType();
  importer.requireFloat(node, elementType);
  int64_t count = 1;
  for (int64_t dim : dims) {
    if (type.isDynamicDim(dim))
      importer.fail(node, std::string(node->kind().toQualString()) +
                              " over a dynamic dimension is not supported");
    count *= type.getDimSize(dim);
  }
  Value wide = emitWiden(importer, node, input);
  Value zero =
      floatConstant(builder, loc, getAccumulatorType(elementType), 0.0);
  Value sum = emitReduction(importer, loc, wide, dims, zero, addCombine);
  if (mean)
    sum = emitElementwise(
        importer, node, Item::tensor(sum),
        [&](OpBuilder &b, Location l, Type t, ArrayRef<Value> args) {
          return arith::DivFOp::create(b, l, args[0],
                                       floatConstant(b, l, t, double(count)))
              .getResult();
        });
  return emitConvert(importer, node, sum, elementType);
}

/// `input` minus its maximum along `dim`: the shift that keeps exp from
/// overflowing in softmax and log_softmax.
static Value emitShiftedByMax(GraphImporter &importer, jit::Node *node,
                              Value input, int64_t dim) {
  OpBuilder &builder = importer.getBuilder();
  Location loc = importer.locationOf(node);
  Type elementType = cast<RankedTensorType>(input.getType()).getElementType();
  importer.requireFloat(node, elementType);
  auto floatType = cast<FloatType>(elementType);
  Value lowest = arith::ConstantOp::create(
      builder, loc,
      builder.getFloatAttr(elementType,
                           APFloat::getInf(floatType.getFloatSemantics(),
                                           /*Negative=*/true)));
  Value max = emitReduction(
      importer, loc, input, dim, lowest,
      [](OpBuilder &b, Location l, Value x, Value acc) {
        return arith::MaximumFOp::create(b, l, acc, x).getResult();
      });
  Item operands[] = {Item::tensor(input),
                     keptDim(importer, node, max, input, dim)};
  return emitElementwise(
      importer, node, operands,
      [](OpBuilder &b, Location l, Type, ArrayRef<Value> args) {
        return arith::SubFOp::create(b, l, args[0], args[1]).getResult();
      });
}

Value mlir::qtensor::importer::emitSoftmax(GraphImporter &importer,
                                           jit::Node *node, Value input,
                                           int64_t dim) {
  OpBuilder &builder = importer.getBuilder();
  Location loc = importer.locationOf(node);
  Type resultType = cast<RankedTensorType>(input.getType()).getElementType();
  input = emitWiden(importer, node, input);
  Type elementType = cast<RankedTensorType>(input.getType()).getElementType();
  // exp(x - max) and its sum along `dim`, then the quotient.
  Value exp = emitElementwise(
      importer, node,
      Item::tensor(emitShiftedByMax(importer, node, input, dim)),
      [](OpBuilder &b, Location l, Type, ArrayRef<Value> args) {
        return math::ExpOp::create(b, l, args[0]).getResult();
      });
  Value sum =
      emitReduction(importer, loc, exp, dim,
                    floatConstant(builder, loc, elementType, 0.0), addCombine);
  Item quotient[] = {Item::tensor(exp),
                     keptDim(importer, node, sum, input, dim)};
  Value result = emitElementwise(
      importer, node, quotient,
      [](OpBuilder &b, Location l, Type, ArrayRef<Value> args) {
        return arith::DivFOp::create(b, l, args[0], args[1]).getResult();
      });
  return emitConvert(importer, node, result, resultType);
}

/// The input of softmax and log_softmax, converted to their dtype argument.
static Value softmaxInput(GraphImporter &importer, jit::Node *node,
                          int64_t &dim) {
  Value input = importer.tensorOf(node, 0);
  int64_t rank = cast<RankedTensorType>(input.getType()).getRank();
  dim = normalizeDim(importer, node, importer.intOf(node, 1),
                     std::max<int64_t>(rank, 1));
  if (!importer.isNone(node, 2)) {
    // Like aten::to's dtype: convert first.
    Item &dtype = importer.lookup(node->input(2));
    if (dtype.kind != Item::Kind::Int ||
        dtype.intValue != static_cast<int64_t>(c10::ScalarType::Float))
      importer.fail(node, std::string(node->kind().toQualString()) +
                              " with a dtype other than float32 is not "
                              "supported");
    input =
        emitConvert(importer, node, input, importer.getBuilder().getF32Type());
  }
  return input;
}

/// aten::softmax(x, dim, dtype = None).
static void importSoftmax(GraphImporter &importer, jit::Node *node, Location) {
  int64_t dim;
  Value input = softmaxInput(importer, node, dim);
  importer.setResult(node, emitSoftmax(importer, node, input, dim));
}

/// aten::log_softmax(x, dim, dtype = None): x - max - log(sum(exp(x - max))).
static void importLogSoftmax(GraphImporter &importer, jit::Node *node,
                             Location loc) {
  OpBuilder &builder = importer.getBuilder();
  int64_t dim;
  Value input = softmaxInput(importer, node, dim);
  Type resultType = cast<RankedTensorType>(input.getType()).getElementType();
  input = emitWiden(importer, node, input);
  Type elementType = cast<RankedTensorType>(input.getType()).getElementType();
  Value shifted = emitShiftedByMax(importer, node, input, dim);
  Value sum = emitReduction(
      importer, loc, shifted, dim,
      floatConstant(builder, loc, elementType, 0.0),
      [](OpBuilder &b, Location l, Value x, Value acc) {
        return arith::AddFOp::create(b, l, acc, math::ExpOp::create(b, l, x))
            .getResult();
      });
  Item result[] = {Item::tensor(shifted),
                   keptDim(importer, node, sum, input, dim)};
  Value logSoftmax = emitElementwise(
      importer, node, result,
      [](OpBuilder &b, Location l, Type, ArrayRef<Value> args) {
        return arith::SubFOp::create(b, l, args[0],
                                     math::LogOp::create(b, l, args[1]))
            .getResult();
      });
  importer.setResult(node, emitConvert(importer, node, logSoftmax, resultType));
}

/// aten::sum and aten::mean (x, dims = None, keepdim = False, dtype =
/// None): no dims, or an empty list, reduces all of them.
template <bool Mean>
static void importSumOrMean(GraphImporter &importer, jit::Node *node,
                            Location) {
  Value input = importer.tensorOf(node, 0);
  int64_t rank = cast<RankedTensorType>(input.getType()).getRank();
  std::string kind = node->kind().toQualString();
  // The overloads: (x, dtype) and (x, dims, keepdim, dtype).
  bool withDims = node->inputs().size() >= 3;
  SmallVector<int64_t> dims;
  bool keepdim = false;
  if (withDims) {
    if (!importer.isNone(node, 1))
      for (int64_t dim : importer.intListOf(node, 1))
        dims.push_back(
            normalizeDim(importer, node, dim, std::max<int64_t>(rank, 1)));
    keepdim = importer.intOf(node, 2);
  }
  unsigned dtypeIndex = withDims ? 3 : 1;
  if (!importer.isNone(node, dtypeIndex))
    importer.fail(node, kind + " with a dtype is not supported");
  if (dims.empty())
    dims = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  llvm::sort(dims);
  if (std::adjacent_find(dims.begin(), dims.end()) != dims.end())
    importer.fail(node, kind + " names a dimension twice");
  Value result = emitSumOrMean(importer, node, input, dims, Mean);
  if (keepdim)
    result = keptDim(importer, node, result, input, dims).value;
  importer.setResult(node, result);
}

Value mlir::qtensor::importer::emitLayerNorm(GraphImporter &importer,
                                             jit::Node *node, Value input,
                                             Value weight, Value bias,
                                             double eps) {
  Type resultType = cast<RankedTensorType>(input.getType()).getElementType();
  input = emitWiden(importer, node, input);
  if (weight)
    weight = emitWiden(importer, node, weight);
  if (bias)
    bias = emitWiden(importer, node, bias);
  auto type = cast<RankedTensorType>(input.getType());
  int64_t last = type.getRank() - 1;
  Value mean = emitSumOrMean(importer, node, input, last, /*mean=*/true);
  Item centeredOperands[] = {Item::tensor(input),
                             keptDim(importer, node, mean, input, last)};
  Value centered = emitElementwise(
      importer, node, centeredOperands,
      [](OpBuilder &b, Location l, Type, ArrayRef<Value> args) {
        return arith::SubFOp::create(b, l, args[0], args[1]).getResult();
      });
  Value squares = emitElementwise(
      importer, node, Item::tensor(centered),
      [](OpBuilder &b, Location l, Type, ArrayRef<Value> args) {
        return arith::MulFOp::create(b, l, args[0], args[0]).getResult();
      });
  Value variance = emitSumOrMean(importer, node, squares, last, /*mean=*/true);
  SmallVector<Item> operands = {Item::tensor(centered),
                                keptDim(importer, node, variance, input, last)};
  if (weight)
    operands.push_back(Item::tensor(weight));
  if (bias)
    operands.push_back(Item::tensor(bias));
  bool hasWeight = static_cast<bool>(weight), hasBias = static_cast<bool>(bias);
  Value normalized = emitElementwise(
      importer, node, operands,
      [&](OpBuilder &b, Location l, Type t, ArrayRef<Value> args) {
        Value denominator = math::RsqrtOp::create(
            b, l,
            arith::AddFOp::create(b, l, args[1], floatConstant(b, l, t, eps)));
        Value normalized = arith::MulFOp::create(b, l, args[0], denominator);
        unsigned next = 2;
        if (hasWeight)
          normalized = arith::MulFOp::create(b, l, normalized, args[next++]);
        if (hasBias)
          normalized = arith::AddFOp::create(b, l, normalized, args[next]);
        return normalized;
      });
  return emitConvert(importer, node, normalized, resultType);
}

/// aten::layer_norm(x, normalized_shape, weight, bias, eps, cudnn_enable)
/// and aten::native_layer_norm(x, normalized_shape, weight, bias, eps),
/// whose mean and rstd outputs are imported when used. Normalizing over
/// several trailing dimensions flattens them into one first.
static void importLayerNorm(GraphImporter &importer, jit::Node *node,
                            Location) {
  Value input = importer.tensorOf(node, 0);
  auto type = cast<RankedTensorType>(input.getType());
  std::vector<int64_t> normalized = importer.intListOf(node, 1);
  int64_t count = normalized.size(), rank = type.getRank();
  if (count == 0 || count > rank ||
      !llvm::equal(normalized, type.getShape().take_back(count)))
    importer.fail(node, "layer_norm over " + formatShape(normalized) +
                            " does not match the input's shape " +
                            formatShape(type.getShape()));
  Value weight =
      importer.isNone(node, 2) ? Value() : importer.tensorOf(node, 2);
  Value bias = importer.isNone(node, 3) ? Value() : importer.tensorOf(node, 3);
  Item &epsItem = importer.lookup(node->input(4));
  if (!epsItem.isScalar())
    importer.fail(node, "layer_norm eps must be a number");
  double eps = epsItem.scalar();
  // [..., a, b] normalized over [a, b]: as [..., a*b].
  int64_t features = 1;
  for (int64_t size : normalized)
    features *= size;
  SmallVector<int64_t> flat(type.getShape().drop_back(count));
  flat.push_back(features);
  Value flatInput = emitReshape(importer, node, input, flat);
  auto flatten = [&](Value parameter) {
    return parameter ? emitReshape(importer, node, parameter, {features})
                     : parameter;
  };
  Value result = emitLayerNorm(importer, node, flatInput, flatten(weight),
                               flatten(bias), eps);
  result = emitReshape(importer, node, result,
                       SmallVector<int64_t>(type.getShape()));
  if (node->kind() == c10::aten::native_layer_norm) {
    for (unsigned i = 1; i < 3; ++i)
      if (node->output(i)->hasUses())
        importer.fail(node, "the mean and rstd outputs of "
                            "aten::native_layer_norm are not supported");
    Item out;
    out.kind = Item::Kind::Other;
    importer.define(node->output(1), out);
    importer.define(node->output(2), out);
    importer.define(node->output(0), Item::tensor(result));
    return;
  }
  importer.setResult(node, result);
}

void mlir::qtensor::importer::registerReductionOps(OpTable &table) {
  table.add("aten::softmax", importSoftmax);
  table.add("aten::log_softmax", importLogSoftmax);
  table.add("aten::sum", importSumOrMean<false>);
  table.add("aten::mean", importSumOrMean<true>);
  table.add("aten::layer_norm", importLayerNorm);
  table.add("aten::native_layer_norm", importLayerNorm);
}
