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
  if (lhsRank < 2 || rhsRank != 2) {
    if (lhsRank == 3 && rhsRank == 3) {
      if (!ShapedType::isDynamic(lhsType.getDimSize(2)) &&
          lhsType.getDimSize(2) != rhsType.getDimSize(1))
        importer.fail(node, "matmul shapes " + formatShape(lhsType.getShape()) +
                                " and " + formatShape(rhsType.getShape()) +
                                " do not fit");
      // The batches and the contraction are assumed equal.
      if (lhsType.getDimSize(0) != rhsType.getDimSize(0) &&
          !(lhsType.isDynamicDim(0) && rhsType.isDynamicDim(0)))
        importer.fail(node, "matmul shapes " + formatShape(lhsType.getShape()) +
                                " and " + formatShape(rhsType.getShape()) +
                                " have different batch sizes");
      importer.checkSameDynamicSize(node, lhs, 0, rhs, 0);
      importer.checkSameDynamicSize(node, lhs, 2, rhs, 1);
      if (ShapedType::isDynamic(lhsType.getDimSize(2)) !=
          ShapedType::isDynamic(rhsType.getDimSize(1)))
        importer.fail(node, "matmul shapes " + formatShape(lhsType.getShape()) +
                                " and " + formatShape(rhsType.getShape()) +
                                " contract a dynamic size with a static one");
      auto resultType = RankedTensorType::get(
          {lhsType.getDimSize(0), lhsType.getDimSize(1), rhsType.getDimSize(2)},
          elementType);
      SmallVector<Value> dynamicSizes;
      if (resultType.isDynamicDim(0))
        dynamicSizes.push_back(dimSize(importer, loc, lhs, 0));
      if (resultType.isDynamicDim(1))
        dynamicSizes.push_back(dimSize(importer, loc, lhs, 1));
      if (resultType.isDynamicDim(2))
        dynamicSizes.push_back(dimSize(importer, loc, rhs, 2));
      Value empty =
          tensor::EmptyOp::create(builder, loc, resultType, dynamicSizes);
      Value zero = arith::ConstantOp::create(builder, loc,
                                             builder.getZeroAttr(elementType));
      Value init =
          linalg::FillOp::create(builder, loc, zero, empty).getResult(0);
      Value product = linalg::BatchMatmulOp::create(builder, loc, resultType,
                                                    ValueRange{lhs, rhs}, init)
                          .getResult(0);
      importer.setDimNames(product, {importer.dimNameOf(lhs, 0).str(),
                                     importer.dimNameOf(lhs, 1).str(),
                                     importer.dimNameOf(rhs, 2).str()});
      return product;
    }
    importer.fail(node, "matmul of shapes " + formatShape(lhsType.getShape()) +
                            " and " + formatShape(rhsType.getShape()) +
                            " is not supported (supported: [..., M, K] x "
                            "[K, N] and batched [B, M, K] x [B, K, N])");
  }
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
  auto productType = RankedTensorType::get(
      {matrixType.getDimSize(0), rhsType.getDimSize(1)}, elementType);
  SmallVector<Value> dynamicSizes;
  if (productType.isDynamicDim(0))
    dynamicSizes.push_back(dimSize(importer, loc, matrix, 0));
  Value empty =
      tensor::EmptyOp::create(builder, loc, productType, dynamicSizes);
  Value zero =
      arith::ConstantOp::create(builder, loc, builder.getZeroAttr(elementType));
  Value init = linalg::FillOp::create(builder, loc, zero, empty).getResult(0);
  Value product = linalg::MatmulOp::create(builder, loc, productType,
                                           ValueRange{matrix, rhs}, init)
                      .getResult(0);
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
  importer.setResult(node, emitMatmul(importer, node, 0, 1));
}

/// aten::addmm(bias, a, b) with beta = alpha = 1: the product, then the bias
/// added with broadcasting.
static void importAddmm(GraphImporter &importer, jit::Node *node, Location) {
  checkMatrixOperands(importer, node, 1);
  if ((!importer.isNone(node, 3) &&
       importer.lookup(node->input(3)).scalar() != 1.0) ||
      (!importer.isNone(node, 4) &&
       importer.lookup(node->input(4)).scalar() != 1.0))
    importer.fail(node, "aten::addmm with beta or alpha other than 1 is not "
                        "supported");
  Value product = emitMatmul(importer, node, 1, 2);
  Item sum[] = {Item::tensor(product), importer.lookup(node->input(0))};
  importer.setResult(
      node,
      emitElementwise(
          importer, node, sum,
          [](OpBuilder &b, Location l, Type, ArrayRef<Value> args) {
            return arith::AddFOp::create(b, l, args[0], args[1]).getResult();
          }));
}

void mlir::qtensor::importer::registerLinearOps(OpTable &table) {
  table.add("aten::linear", importLinear);
  table.add("aten::mm", importMm);
  table.add("aten::addmm", importAddmm);
  table.add("aten::matmul", importMatmul);
}
