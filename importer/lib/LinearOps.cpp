//===- LinearOps.cpp - linear, mm, addmm and matmul -----------------------===//
//
// The linear-algebra ops: aten::linear becomes qtensor.linear, which the
// passes quantize; aten::matmul on a frozen `x @ w.t()` does too. Other
// products become linalg.matmul or linalg.batch_matmul.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"
#include "OpTable.h"

#include "qtensor/Dialect/QTensorDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"

using namespace mlir;
using namespace mlir::qtensor;
using namespace mlir::qtensor::importer;

Value mlir::qtensor::importer::emitLinear(GraphImporter &importer,
                                          jit::Node *node, Value input,
                                          Value weight, Value bias,
                                          const std::string &weightName) {
  auto inputType = cast<RankedTensorType>(input.getType());
  auto weightType = cast<RankedTensorType>(weight.getType());
  std::string label =
      weightName.empty() ? "the weight" : "'" + weightName + "'";
  if (weightType.getRank() != 2)
    importer.fail(node, "linear weight " + label +
                            " must have rank 2, got shape " +
                            formatShape(weightType.getShape()));
  if (inputType.getRank() < 1)
    importer.fail(node, "linear input must have rank >= 1");
  if (inputType.getElementType() != weightType.getElementType()) {
    std::string inputName, weightTypeName;
    llvm::raw_string_ostream(inputName) << inputType.getElementType();
    llvm::raw_string_ostream(weightTypeName) << weightType.getElementType();
    importer.fail(node, "input element type " + inputName + " does not match " +
                            label + " (" + weightTypeName +
                            "); pass --input-dtype " + weightTypeName);
  }
  int64_t features = inputType.getShape().back();
  if (ShapedType::isDynamic(features))
    importer.fail(node, "the input's last dimension, the features of " + label +
                            ", must be static, not a dynamic size");
  if (features != weightType.getDimSize(1))
    importer.fail(node, "input shape " + formatShape(inputType.getShape()) +
                            " does not fit the model: " + label + " of shape " +
                            formatShape(weightType.getShape()) + " expects " +
                            llvm::Twine(weightType.getDimSize(1)) +
                            " features in the last dimension");
  SmallVector<int64_t> shape(inputType.getShape().drop_back());
  shape.push_back(weightType.getDimSize(0));
  auto resultType = RankedTensorType::get(shape, inputType.getElementType());
  Value result =
      LinearOp::create(importer.getBuilder(), importer.locationOf(node),
                       resultType, input, weight, bias);
  importer.setDimNames(result, importer.dimNamesOf(input));
  return result;
}

/// The product of two batches of matrices, [..., M, K] x [..., K, N], with
/// PyTorch's broadcasting of the batch dimensions; a 1-D operand is a
/// matrix of one row (lhs) or column (rhs), dropped from the result. The
/// batches are broadcast, flattened into one and multiplied with
/// linalg.batch_matmul.
Value mlir::qtensor::importer::emitBatchedMatmul(GraphImporter &importer,
                                                 jit::Node *node, Value lhs,
                                                 Value rhs) {
  OpBuilder &builder = importer.getBuilder();
  Location loc = importer.locationOf(node);
  auto lhsType = cast<RankedTensorType>(lhs.getType());
  auto rhsType = cast<RankedTensorType>(rhs.getType());
  std::string shapes = formatShape(lhsType.getShape()) + " and " +
                       formatShape(rhsType.getShape());
  bool lhsVector = lhsType.getRank() == 1, rhsVector = rhsType.getRank() == 1;
  if (lhsVector) {
    lhs = emitReshape(importer, node, lhs, {1, lhsType.getDimSize(0)});
    lhsType = cast<RankedTensorType>(lhs.getType());
  }
  if (rhsVector) {
    rhs = emitReshape(importer, node, rhs, {rhsType.getDimSize(0), 1});
    rhsType = cast<RankedTensorType>(rhs.getType());
  }
  Type elementType = lhsType.getElementType();
  int64_t lhsRank = lhsType.getRank(), rhsRank = rhsType.getRank();
  int64_t m = lhsType.getDimSize(lhsRank - 2);
  int64_t k = lhsType.getDimSize(lhsRank - 1);
  int64_t n = rhsType.getDimSize(rhsRank - 1);
  if (ShapedType::isDynamic(k) != rhsType.isDynamicDim(rhsRank - 2) ||
      (!ShapedType::isDynamic(k) && k != rhsType.getDimSize(rhsRank - 2)))
    importer.fail(node, "matmul shapes " + shapes + " do not fit");
  importer.checkSameDynamicSize(node, lhs, lhsRank - 1, rhs, rhsRank - 2);
  // The broadcast batch shape, aligned on the right.
  int64_t batchRank = std::max(lhsRank, rhsRank) - 2;
  SmallVector<int64_t> batch(batchRank, 1);
  SmallVector<std::string> batchNames(batchRank);
  for (Value operand : {lhs, rhs}) {
    auto type = cast<RankedTensorType>(operand.getType());
    int64_t offset = batchRank - (type.getRank() - 2);
    for (int64_t i = 0; i + 2 < type.getRank(); ++i) {
      int64_t size = type.getDimSize(i), &out = batch[offset + i];
      if (ShapedType::isDynamic(size)) {
        if (out != 1 && !ShapedType::isDynamic(out))
          importer.fail(node, "matmul batch dimensions of " + shapes +
                                  " do not broadcast");
        batchNames[offset + i] = importer.mergeDimNames(
            node, batchNames[offset + i], importer.dimNameOf(operand, i));
        out = size;
      } else if (size != 1) {
        if (out != 1 && out != size)
          importer.fail(node, "matmul batch dimensions of " + shapes +
                                  " do not broadcast");
        out = size;
      }
    }
  }
  // Each operand broadcast to the batch, with its batch flattened.
  auto prepare = [&](Value operand) {
    auto type = cast<RankedTensorType>(operand.getType());
    SmallVector<int64_t> shape(batch);
    shape.append(type.getShape().take_back(2).begin(),
                 type.getShape().take_back(2).end());
    Value full = emitBroadcast(importer, node, operand, shape);
    SmallVector<int64_t> flat = {1, shape[batchRank], shape[batchRank + 1]};
    for (int64_t size : batch)
      flat[0] = ShapedType::isDynamic(size) || ShapedType::isDynamic(flat[0])
                    ? ShapedType::kDynamic
                    : flat[0] * size;
    return emitReshape(importer, node, full, flat);
  };
  Value lhsFlat = prepare(lhs), rhsFlat = prepare(rhs);
  int64_t flatBatch = cast<RankedTensorType>(lhsFlat.getType()).getDimSize(0);
  // Half-precision operands accumulate in f32, rounded once at the end.
  Type accumulatorType = getAccumulatorType(elementType);
  auto productType = RankedTensorType::get({flatBatch, m, n}, accumulatorType);
  SmallVector<Value> dynamicSizes;
  if (productType.isDynamicDim(0))
    dynamicSizes.push_back(dimSize(importer, loc, lhsFlat, 0));
  if (productType.isDynamicDim(1))
    dynamicSizes.push_back(dimSize(importer, loc, lhsFlat, 1));
  if (productType.isDynamicDim(2))
    dynamicSizes.push_back(dimSize(importer, loc, rhsFlat, 2));
  Value empty =
      tensor::EmptyOp::create(builder, loc, productType, dynamicSizes);
  Value zero = arith::ConstantOp::create(builder, loc,
                                         builder.getZeroAttr(accumulatorType));
  Value init = linalg::FillOp::create(builder, loc, zero, empty).getResult(0);
  Value product =
      linalg::BatchMatmulOp::create(builder, loc, productType,
                                    ValueRange{lhsFlat, rhsFlat}, init)
          .getResult(0);
  product = emitConvert(importer, node, product, elementType);
  importer.setDimNames(product, {importer.dimNameOf(lhsFlat, 0).str(),
                                 importer.dimNameOf(lhsFlat, 1).str(),
                                 importer.dimNameOf(rhsFlat, 2).str()});
  // Back to the batch shape, without the vectors' unit dimensions.
  SmallVector<int64_t> shape(batch);
  if (!lhsVector)
    shape.push_back(m);
  if (!rhsVector)
    shape.push_back(n);
  return emitReshape(importer, node, product, shape);
}

Value mlir::qtensor::importer::emitMatmul(GraphImporter &importer,
                                          jit::Node *node, unsigned lhsIndex,
                                          unsigned rhsIndex) {
  OpBuilder &builder = importer.getBuilder();
  Location loc = importer.locationOf(node);
  Value lhs = importer.tensorOf(node, lhsIndex);
  Item &rhsItem = importer.lookup(node->input(rhsIndex));
  auto lhsType = cast<RankedTensorType>(lhs.getType());
  // `x @ w.t()` after freezing: a constant [K, N] view (strides [1, K]) of a
  // contiguous [N, K] parameter. That is linear(x, w), with w shared, not
  // copied.
  if (rhsItem.kind == Item::Kind::Tensor && !rhsItem.value &&
      rhsItem.constant.dim() == 2 && lhsType.getRank() >= 1 &&
      rhsItem.constant.t().is_contiguous() &&
      !rhsItem.constant.is_contiguous()) {
    Value weight =
        importer.emitConstant(rhsItem.constant.t(), rhsItem.name, loc);
    return emitLinear(importer, node, lhs, weight, Value(), rhsItem.name);
  }
  Value rhs = importer.materialize(node, rhsItem);
  auto rhsType = cast<RankedTensorType>(rhs.getType());
  Type elementType = lhsType.getElementType();
  if (rhsType.getElementType() != elementType)
    importer.fail(node, "matmul operands have different element types");
  int64_t lhsRank = lhsType.getRank(), rhsRank = rhsType.getRank();
  if (lhsRank == 0 || rhsRank == 0)
    importer.fail(node, "matmul of a 0-D tensor");
  // Vectors and batches; [..., M, K] x [K, N] below.
  if (lhsRank == 1 || rhsRank != 2)
    return emitBatchedMatmul(importer, node, lhs, rhs);
  int64_t contraction = lhsType.getShape().back();
  if (ShapedType::isDynamic(contraction) ||
      ShapedType::isDynamic(rhsType.getDimSize(0)))
    importer.fail(node, "matmul over a dynamic dimension is not supported "
                        "(the contracted size must be static)");
  if (contraction != rhsType.getDimSize(0))
    importer.fail(node,
                  "input shape " + formatShape(lhsType.getShape()) +
                      " does not fit the model: matmul with " +
                      (rhsItem.name.empty() ? std::string("a")
                                            : "'" + rhsItem.name + "' of") +
                      " shape " + formatShape(rhsType.getShape()) +
                      " expects " + llvm::Twine(rhsType.getDimSize(0)) +
                      " in the last dimension");
  // [..., M, K] x [K, N]: flatten the leading dimensions, matmul, unflatten.
  Value matrix = lhs;
  SmallVector<ReassociationIndices> groups;
  if (lhsRank > 2) {
    ReassociationIndices leading;
    for (int64_t i = 0; i + 1 < lhsRank; ++i)
      leading.push_back(i);
    groups = {leading, {lhsRank - 1}};
    matrix = tensor::CollapseShapeOp::create(builder, loc, lhs, groups);
  }
  auto matrixType = cast<RankedTensorType>(matrix.getType());
  Type accumulatorType = getAccumulatorType(elementType);
  auto productType = RankedTensorType::get(
      {matrixType.getDimSize(0), rhsType.getDimSize(1)}, accumulatorType);
  SmallVector<Value> dynamicSizes;
  if (productType.isDynamicDim(0))
    dynamicSizes.push_back(dimSize(importer, loc, matrix, 0));
  Value empty =
      tensor::EmptyOp::create(builder, loc, productType, dynamicSizes);
  Value zero = arith::ConstantOp::create(builder, loc,
                                         builder.getZeroAttr(accumulatorType));
  Value init = linalg::FillOp::create(builder, loc, zero, empty).getResult(0);
  Value product = linalg::MatmulOp::create(builder, loc, productType,
                                           ValueRange{matrix, rhs}, init)
                      .getResult(0);
  product = emitConvert(importer, node, product, elementType);
  SmallVector<std::string> names = importer.dimNamesOf(lhs);
  names.back() = "";
  if (lhsRank == 2) {
    importer.setDimNames(product, names);
    return product;
  }
  SmallVector<int64_t> shape(lhsType.getShape().drop_back());
  shape.push_back(rhsType.getDimSize(1));
  SmallVector<OpFoldResult> outputShape;
  for (int64_t i = 0; i < lhsRank; ++i) {
    if (!ShapedType::isDynamic(shape[i]))
      outputShape.push_back(builder.getIndexAttr(shape[i]));
    else
      outputShape.push_back(dimSize(importer, loc, lhs, i));
  }
  Value result = tensor::ExpandShapeOp::create(
      builder, loc, RankedTensorType::get(shape, elementType), product, groups,
      outputShape);
  importer.setDimNames(result, names);
  return result;
}

/// aten::linear, with or without a bias.
static void importLinear(GraphImporter &importer, jit::Node *node, Location) {
  Item &weight = importer.lookup(node->input(1));
  std::string weightName = weight.name;
  Value bias = importer.isNone(node, 2) ? Value() : importer.tensorOf(node, 2);
  importer.setResult(node,
                     emitLinear(importer, node, importer.tensorOf(node, 0),
                                importer.tensorOf(node, 1), bias, weightName));
}

/// Refuses a tensor among inputs `first` and `first + 1` of aten::mm or
/// aten::addmm that is not 2-D, before emitMatmul would treat it as a batch.
static void checkMatrixOperands(GraphImporter &importer, jit::Node *node,
                                unsigned first) {
  std::string kind = node->kind().toQualString();
  for (unsigned i = first; i < first + 2; ++i) {
    Item &operand = importer.lookup(node->input(i));
    int64_t rank =
        operand.value
            ? cast<RankedTensorType>(operand.value.getType()).getRank()
            : operand.constant.dim();
    if (operand.kind == Item::Kind::Tensor && rank != 2)
      importer.fail(node, kind + " needs 2-D operands, operand " +
                              llvm::Twine(i) + " has rank " +
                              llvm::Twine(rank) +
                              " (the input shape does not fit the model?)");
  }
}

/// aten::mm: 2-D operands only.
static void importMm(GraphImporter &importer, jit::Node *node, Location) {
  checkMatrixOperands(importer, node, 0);
  importer.setResult(node, emitMatmul(importer, node, 0, 1));
}

/// aten::matmul.
static void importMatmul(GraphImporter &importer, jit::Node *node, Location) {
  if (Value grouped = emitGroupedQueryMatmul(importer, node)) {
    importer.setResult(node, grouped);
    return;
  }
  importer.setResult(node, emitMatmul(importer, node, 0, 1));
}

/// The number operand `index` of `node`, `fallback` when absent or None.
static double scalarOf(GraphImporter &importer, jit::Node *node, unsigned index,
                       double fallback) {
  if (importer.isNone(node, index))
    return fallback;
  Item &item = importer.lookup(node->input(index));
  if (!item.isScalar())
    importer.fail(node, std::string(node->kind().toQualString()) + " operand " +
                            std::to_string(index) + " must be a number");
  return item.scalar();
}

/// beta * input + alpha * product, broadcast; beta = 0 ignores the input
/// (NaN included), as PyTorch does.
static Value emitScaledSum(GraphImporter &importer, jit::Node *node,
                           Value product, double alpha, double beta) {
  Item input = importer.lookup(node->input(0));
  if (beta == 0.0)
    input = Item::tensor(product);
  Item operands[] = {Item::tensor(product), input};
  return emitElementwise(
      importer, node, operands,
      [&](OpBuilder &b, Location l, Type t, ArrayRef<Value> args) {
        Value scaled = args[0];
        if (alpha != 1.0)
          scaled = arith::MulFOp::create(
              b, l, scaled,
              arith::ConstantOp::create(b, l, b.getFloatAttr(t, alpha)));
        if (beta == 0.0)
          return scaled;
        Value addend = args[1];
        if (beta != 1.0)
          addend = arith::MulFOp::create(
              b, l, addend,
              arith::ConstantOp::create(b, l, b.getFloatAttr(t, beta)));
        return arith::AddFOp::create(b, l, scaled, addend).getResult();
      });
}

/// aten::addmm(input, a, b, beta, alpha): beta * input + alpha * (a @ b).
static void importAddmm(GraphImporter &importer, jit::Node *node, Location) {
  checkMatrixOperands(importer, node, 1);
  Value product = emitMatmul(importer, node, 1, 2);
  importer.setResult(node, emitScaledSum(importer, node, product,
                                         scalarOf(importer, node, 4, 1.0),
                                         scalarOf(importer, node, 3, 1.0)));
}

/// The 3-D operands `first` and `first + 1` of bmm or baddbmm, multiplied.
static Value emitBmm(GraphImporter &importer, jit::Node *node, unsigned first) {
  Value lhs = importer.tensorOf(node, first);
  Value rhs = importer.tensorOf(node, first + 1);
  for (Value operand : {lhs, rhs})
    if (cast<RankedTensorType>(operand.getType()).getRank() != 3)
      importer.fail(node, std::string(node->kind().toQualString()) +
                              " needs 3-D operands");
  if (cast<RankedTensorType>(lhs.getType()).getDimSize(0) !=
      cast<RankedTensorType>(rhs.getType()).getDimSize(0))
    importer.fail(node, std::string(node->kind().toQualString()) +
                            " operands have different batch sizes");
  return emitBatchedMatmul(importer, node, lhs, rhs);
}

/// aten::bmm(a, b).
static void importBmm(GraphImporter &importer, jit::Node *node, Location) {
  importer.setResult(node, emitBmm(importer, node, 0));
}

/// aten::baddbmm(input, a, b, beta, alpha).
static void importBaddbmm(GraphImporter &importer, jit::Node *node, Location) {
  Value product = emitBmm(importer, node, 1);
  importer.setResult(node, emitScaledSum(importer, node, product,
                                         scalarOf(importer, node, 4, 1.0),
                                         scalarOf(importer, node, 3, 1.0)));
}

void mlir::qtensor::importer::registerLinearOps(OpTable &table) {
  table.add("aten::linear", importLinear);
  table.add("aten::mm", importMm);
  table.add("aten::addmm", importAddmm);
  table.add("aten::matmul", importMatmul);
  table.add("aten::bmm", importBmm);
  table.add("aten::baddbmm", importBaddbmm);
}
