//===- ElementwiseOps.cpp - Activations and arithmetic --------------------===//
//
// The elementwise ops: activations (relu, sigmoid, tanh, silu, gelu) and
// add, sub, mul, div on tensors and numbers, each one linalg.generic with
// PyTorch's broadcasting.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"
#include "OpTable.h"

#include "qtensor/Dialect/QTensorDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/Support/ErrorHandling.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qtensor;
using namespace mlir::qtensor::importer;

Value mlir::qtensor::importer::emitElementwise(GraphImporter &importer,
                                               jit::Node *node,
                                               ArrayRef<Item> operands,
                                               ElementwiseBody body) {
  OpBuilder &builder = importer.getBuilder();
  Location loc = importer.locationOf(node);
  SmallVector<Value> tensors;
  SmallVector<int> tensorIndex(operands.size(), -1);
  for (auto [i, item] : llvm::enumerate(operands)) {
    if (item.kind == Item::Kind::Tensor) {
      Item copy = item;
      tensorIndex[i] = tensors.size();
      tensors.push_back(importer.materialize(node, copy));
    } else if (!item.isScalar()) {
      importer.fail(node, "operand " + llvm::Twine(i) + " of " +
                              node->kind().toQualString() +
                              " must be a tensor or a number");
    }
  }
  if (tensors.empty())
    importer.fail(node, "elementwise op without a tensor operand");
  Type elementType =
      cast<RankedTensorType>(tensors.front().getType()).getElementType();
  importer.requireFloat(node, elementType);
  // Broadcast shapes as PyTorch does, aligned on the right.
  int64_t rank = 0;
  for (Value tensor : tensors)
    rank = std::max(rank, cast<RankedTensorType>(tensor.getType()).getRank());
  SmallVector<int64_t> shape(rank, 1);
  SmallVector<std::string> names(rank);
  for (Value tensor : tensors) {
    auto type = cast<RankedTensorType>(tensor.getType());
    if (type.getElementType() != elementType)
      importer.fail(node, "operands of " +
                              std::string(node->kind().toQualString()) +
                              " have different element types");
    int64_t offset = rank - type.getRank();
    for (int64_t i = 0; i < type.getRank(); ++i) {
      int64_t size = type.getDimSize(i), &out = shape[offset + i];
      // Dynamic sizes that meet here are assumed equal: they must not be
      // two different names.
      if (ShapedType::isDynamic(size) &&
          (out == 1 || ShapedType::isDynamic(out)))
        names[offset + i] = importer.mergeDimNames(
            node, names[offset + i], importer.dimNameOf(tensor, i));
      if (size == 1 || size == out)
        continue;
      if (out == 1) {
        out = size;
        continue;
      }
      // Different sizes, or a dynamic size against a static one other than
      // 1: the generated code could not check that they agree at run time.
      importer.fail(
          node,
          "shapes of " + std::string(node->kind().toQualString()) +
              " operands do not broadcast: " + formatShape(type.getShape()) +
              " against " + formatShape(shape) +
              (ShapedType::isDynamic(size) || ShapedType::isDynamic(out)
                   ? " (a dynamic dimension against a static one)"
                   : ""));
    }
  }
  SmallVector<AffineMap> maps;
  SmallVector<Value> dynamicSizes(rank);
  for (Value tensor : tensors) {
    auto type = cast<RankedTensorType>(tensor.getType());
    int64_t offset = rank - type.getRank();
    SmallVector<AffineExpr> exprs;
    for (int64_t i = 0; i < type.getRank(); ++i) {
      bool broadcast = type.getDimSize(i) == 1 && shape[offset + i] != 1;
      exprs.push_back(broadcast ? builder.getAffineConstantExpr(0)
                                : builder.getAffineDimExpr(offset + i));
      if (ShapedType::isDynamic(shape[offset + i]) &&
          !dynamicSizes[offset + i] && type.isDynamicDim(i))
        dynamicSizes[offset + i] = dimSize(importer, loc, tensor, i);
    }
    maps.push_back(AffineMap::get(rank, 0, exprs, &importer.getContext()));
  }
  maps.push_back(builder.getMultiDimIdentityMap(rank));
  SmallVector<Value> sizes;
  for (int64_t i = 0; i < rank; ++i)
    if (ShapedType::isDynamic(shape[i]))
      sizes.push_back(dynamicSizes[i]);
  auto resultType = RankedTensorType::get(shape, elementType);
  Value init = tensor::EmptyOp::create(builder, loc, resultType, sizes);
  auto generic = linalg::GenericOp::create(
      builder, loc, resultType, tensors, init, maps,
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [&](OpBuilder &b, Location l, ValueRange args) {
        SmallVector<Value> values;
        for (auto [i, item] : llvm::enumerate(operands)) {
          if (tensorIndex[i] >= 0)
            values.push_back(args[tensorIndex[i]]);
          else
            values.push_back(arith::ConstantOp::create(
                b, l, b.getFloatAttr(elementType, item.scalar())));
        }
        linalg::YieldOp::create(b, l, body(b, l, elementType, values));
      });
  importer.setDimNames(generic.getResult(0), names);
  return generic.getResult(0);
}

Value mlir::qtensor::importer::emitUnary(
    GraphImporter &importer, jit::Node *node,
    function_ref<Value(OpBuilder &, Location, Value)> body) {
  Item operand = importer.lookup(node->input(0));
  return emitElementwise(
      importer, node, operand,
      [&](OpBuilder &b, Location l, Type, ArrayRef<Value> args) {
        return body(b, l, args[0]);
      });
}

/// A scalar constant of the float type `type`.
static Value floatConstant(OpBuilder &b, Location l, Type type, double value) {
  return arith::ConstantOp::create(b, l, b.getFloatAttr(type, value))
      .getResult();
}

/// 1 / (1 + exp(-x)).
static Value sigmoid(OpBuilder &b, Location l, Value x) {
  Type type = x.getType();
  Value negated = arith::NegFOp::create(b, l, x);
  Value exp = math::ExpOp::create(b, l, negated);
  Value denominator =
      arith::AddFOp::create(b, l, floatConstant(b, l, type, 1.0), exp);
  return arith::DivFOp::create(b, l, floatConstant(b, l, type, 1.0),
                               denominator)
      .getResult();
}

//===----------------------------------------------------------------------===//
// Activations
//===----------------------------------------------------------------------===//

/// aten::relu as max(x, 0), the form the fusion recognizes.
static void importRelu(GraphImporter &importer, jit::Node *node, Location) {
  importer.setResult(
      node, emitUnary(importer, node, [](OpBuilder &b, Location l, Value x) {
        return arith::MaximumFOp::create(b, l, x,
                                         floatConstant(b, l, x.getType(), 0.0))
            .getResult();
      }));
}

static void importSigmoid(GraphImporter &importer, jit::Node *node, Location) {
  importer.setResult(node, emitUnary(importer, node, sigmoid));
}

static void importTanh(GraphImporter &importer, jit::Node *node, Location) {
  importer.setResult(
      node, emitUnary(importer, node, [](OpBuilder &b, Location l, Value x) {
        return math::TanhOp::create(b, l, x).getResult();
      }));
}

/// aten::silu: x * sigmoid(x).
static void importSilu(GraphImporter &importer, jit::Node *node, Location) {
  importer.setResult(
      node, emitUnary(importer, node, [](OpBuilder &b, Location l, Value x) {
        return arith::MulFOp::create(b, l, x, sigmoid(b, l, x)).getResult();
      }));
}

/// aten::gelu, exact (erf) or with approximate='tanh'.
static void importGelu(GraphImporter &importer, jit::Node *node, Location) {
  std::string approximate = "none";
  if (node->inputs().size() > 1 &&
      importer.lookup(node->input(1)).kind == Item::Kind::String)
    approximate = importer.lookup(node->input(1)).stringValue;
  if (approximate != "none" && approximate != "tanh")
    importer.fail(node, "aten::gelu with approximate='" + approximate + "'");
  bool useTanh = approximate == "tanh";
  importer.setResult(
      node, emitUnary(importer, node, [&](OpBuilder &b, Location l, Value x) {
        Type type = x.getType();
        Value inner;
        if (useTanh) {
          // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
          Value cube =
              arith::MulFOp::create(b, l, x, arith::MulFOp::create(b, l, x, x));
          Value sum = arith::AddFOp::create(
              b, l, x,
              arith::MulFOp::create(b, l, floatConstant(b, l, type, 0.044715),
                                    cube));
          inner = math::TanhOp::create(
              b, l,
              arith::MulFOp::create(
                  b, l, floatConstant(b, l, type, std::sqrt(2.0 / M_PI)), sum));
        } else {
          // 0.5 x (1 + erf(x / sqrt(2)))
          inner = math::ErfOp::create(
              b, l,
              arith::MulFOp::create(b, l, x,
                                    floatConstant(b, l, type, M_SQRT1_2)));
        }
        Value onePlus =
            arith::AddFOp::create(b, l, floatConstant(b, l, type, 1.0), inner);
        Value half =
            arith::MulFOp::create(b, l, floatConstant(b, l, type, 0.5), x);
        return arith::MulFOp::create(b, l, half, onePlus).getResult();
      }));
}

//===----------------------------------------------------------------------===//
// Arithmetic
//===----------------------------------------------------------------------===//

enum class Arithmetic { Add, Sub, Mul, Div };

/// aten::add, sub, mul, div on two tensors, or a tensor and a number, with
/// PyTorch's broadcasting; add and sub scale the second operand by alpha.
template <Arithmetic Op>
static void importArithmetic(GraphImporter &importer, jit::Node *node,
                             Location) {
  std::string kind = node->kind().toQualString();
  if (Op == Arithmetic::Div && node->inputs().size() > 2 &&
      !importer.isNone(node, 2))
    importer.fail(node, "aten::div with a rounding mode is not supported");
  double alpha = 1.0;
  if ((Op == Arithmetic::Add || Op == Arithmetic::Sub) &&
      node->inputs().size() > 2)
    alpha = importer.lookup(node->input(2)).scalar();
  Item operands[] = {importer.lookup(node->input(0)),
                     importer.lookup(node->input(1))};
  if (!operands[0].isScalar() && operands[0].kind != Item::Kind::Tensor)
    importer.fail(node, kind + " of a non-tensor value");
  importer.setResult(
      node,
      emitElementwise(
          importer, node, operands,
          [&](OpBuilder &b, Location l, Type type, ArrayRef<Value> args) {
            Value rhs = args[1];
            if (alpha != 1.0)
              rhs = arith::MulFOp::create(b, l, rhs,
                                          floatConstant(b, l, type, alpha));
            switch (Op) {
            case Arithmetic::Add:
              return arith::AddFOp::create(b, l, args[0], rhs).getResult();
            case Arithmetic::Sub:
              return arith::SubFOp::create(b, l, args[0], rhs).getResult();
            case Arithmetic::Mul:
              return arith::MulFOp::create(b, l, args[0], rhs).getResult();
            case Arithmetic::Div:
              return arith::DivFOp::create(b, l, args[0], rhs).getResult();
            }
            llvm_unreachable("unknown arithmetic op");
          }));
}

void mlir::qtensor::importer::registerElementwiseOps(OpTable &table) {
  table.add("aten::relu", importRelu);
  table.add("aten::sigmoid", importSigmoid);
  table.add("aten::tanh", importTanh);
  table.add("aten::silu", importSilu);
  table.add("aten::gelu", importGelu);
  table.add("aten::add", importArithmetic<Arithmetic::Add>);
  table.add("aten::sub", importArithmetic<Arithmetic::Sub>);
  table.add("aten::mul", importArithmetic<Arithmetic::Mul>);
  table.add("aten::div", importArithmetic<Arithmetic::Div>);
}
