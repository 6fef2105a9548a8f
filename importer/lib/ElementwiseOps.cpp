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

/// The number `item` as a constant of `type`.
static Value scalarConstant(OpBuilder &b, Location l, Type type,
                            const Item &item) {
  if (isa<FloatType>(type))
    return arith::ConstantOp::create(b, l, b.getFloatAttr(type, item.scalar()));
  int64_t value = item.kind == Item::Kind::Float
                      ? static_cast<int64_t>(item.floatValue)
                      : static_cast<int64_t>(item.scalar());
  if (type.isInteger(1))
    value = value != 0;
  return arith::ConstantOp::create(b, l, b.getIntegerAttr(type, value));
}

Value mlir::qtensor::importer::emitElementwise(
    GraphImporter &importer, jit::Node *node, ArrayRef<Item> operands,
    ElementwiseBody body, Type scalarType, Type resultType) {
  OpBuilder &builder = importer.getBuilder();
  Location loc = importer.locationOf(node);
  // A 0-D constant (a traced Python number) is a number: it broadcasts and,
  // as in PyTorch's type promotion, does not change the element type.
  SmallVector<Item> items(operands.begin(), operands.end());
  for (Item &item : items)
    if (item.kind == Item::Kind::Tensor && !item.value &&
        item.constant.defined() && item.constant.dim() == 0)
      item = Item::number(item.constant);
  operands = items;
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
  bool mixed = static_cast<bool>(resultType);
  Type elementType =
      mixed
          ? scalarType
          : cast<RankedTensorType>(tensors.front().getType()).getElementType();
  if (!mixed) {
    importer.requireFloat(node, elementType);
    resultType = elementType;
  }
  // Broadcast shapes as PyTorch does, aligned on the right.
  int64_t rank = 0;
  for (Value tensor : tensors)
    rank = std::max(rank, cast<RankedTensorType>(tensor.getType()).getRank());
  SmallVector<int64_t> shape(rank, 1);
  SmallVector<std::string> names(rank);
  for (Value tensor : tensors) {
    auto type = cast<RankedTensorType>(tensor.getType());
    if (!mixed && type.getElementType() != elementType)
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
  auto resultTensorType = RankedTensorType::get(shape, resultType);
  Value init = tensor::EmptyOp::create(builder, loc, resultTensorType, sizes);
  auto generic = linalg::GenericOp::create(
      builder, loc, resultTensorType, tensors, init, maps,
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [&](OpBuilder &b, Location l, ValueRange args) {
        SmallVector<Value> values;
        for (auto [i, item] : llvm::enumerate(operands)) {
          if (tensorIndex[i] >= 0)
            values.push_back(args[tensorIndex[i]]);
          else
            values.push_back(scalarConstant(b, l, elementType, item));
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

enum class Arithmetic { Add, Sub, Mul, Div, FloorDiv };

/// aten::add, sub, mul, div on two tensors, or a tensor and a number, with
/// PyTorch's broadcasting; add and sub scale the second operand by alpha.
template <Arithmetic Op>
static void importArithmetic(GraphImporter &importer, jit::Node *node,
                             Location) {
  std::string kind = node->kind().toQualString();
  // div's rounding_mode: none, "trunc" or "floor" (floor_divide's).
  std::string rounding = Op == Arithmetic::FloorDiv ? "floor" : "";
  if (Op == Arithmetic::Div && node->inputs().size() > 2 &&
      !importer.isNone(node, 2)) {
    Item &mode = importer.lookup(node->input(2));
    if (mode.kind != Item::Kind::String ||
        (mode.stringValue != "trunc" && mode.stringValue != "floor"))
      importer.fail(node, "aten::div rounding_mode must be 'trunc' or "
                          "'floor'");
    rounding = mode.stringValue;
  }
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
            case Arithmetic::FloorDiv: {
              Value quotient = arith::DivFOp::create(b, l, args[0], rhs);
              if (rounding == "trunc")
                return math::TruncOp::create(b, l, quotient).getResult();
              if (rounding == "floor")
                return math::FloorOp::create(b, l, quotient).getResult();
              return quotient;
            }
            }
            llvm_unreachable("unknown arithmetic op");
          }));
}

//===----------------------------------------------------------------------===//
// Math
//===----------------------------------------------------------------------===//

/// A unary float op: `body` on each element.
using UnaryBody = Value (*)(OpBuilder &, Location, Value);

template <UnaryBody Body>
static void importUnaryMath(GraphImporter &importer, jit::Node *node,
                            Location) {
  importer.setResult(node, emitUnary(importer, node, Body));
}

static Value negate(OpBuilder &b, Location l, Value x) {
  return arith::NegFOp::create(b, l, x);
}
static Value absolute(OpBuilder &b, Location l, Value x) {
  return math::AbsFOp::create(b, l, x);
}
static Value exponential(OpBuilder &b, Location l, Value x) {
  return math::ExpOp::create(b, l, x);
}
static Value logarithm(OpBuilder &b, Location l, Value x) {
  return math::LogOp::create(b, l, x);
}
static Value squareRoot(OpBuilder &b, Location l, Value x) {
  return math::SqrtOp::create(b, l, x);
}
static Value reciprocalSquareRoot(OpBuilder &b, Location l, Value x) {
  return math::RsqrtOp::create(b, l, x);
}
static Value reciprocal(OpBuilder &b, Location l, Value x) {
  return arith::DivFOp::create(b, l, floatConstant(b, l, x.getType(), 1.0), x);
}
static Value sine(OpBuilder &b, Location l, Value x) {
  return math::SinOp::create(b, l, x);
}
static Value cosine(OpBuilder &b, Location l, Value x) {
  return math::CosOp::create(b, l, x);
}
static Value square(OpBuilder &b, Location l, Value x) {
  return arith::MulFOp::create(b, l, x, x);
}
static Value erf(OpBuilder &b, Location l, Value x) {
  return math::ErfOp::create(b, l, x);
}

/// aten::pow(x, y) on a float tensor and a number or tensor. The exponents
/// of RMSNorm and friends (2, 0.5, 1, -1) are exact multiplies, roots and
/// quotients; others use powf.
static void importPow(GraphImporter &importer, jit::Node *node, Location) {
  Item base = importer.lookup(node->input(0));
  Item exponent = importer.lookup(node->input(1));
  if (base.kind != Item::Kind::Tensor)
    importer.fail(node, "aten::pow of a number base is not supported");
  Item operands[] = {base, exponent};
  std::optional<double> constant;
  if (exponent.isScalar())
    constant = exponent.scalar();
  importer.setResult(
      node, emitElementwise(
                importer, node, operands,
                [&](OpBuilder &b, Location l, Type type, ArrayRef<Value> args) {
                  Value x = args[0];
                  if (constant == 2.0)
                    return square(b, l, x);
                  if (constant == 1.0)
                    return x;
                  if (constant == 0.5)
                    return squareRoot(b, l, x);
                  if (constant == -1.0)
                    return reciprocal(b, l, x);
                  return math::PowFOp::create(b, l, x, args[1]).getResult();
                }));
}

//===----------------------------------------------------------------------===//
// Conversions
//===----------------------------------------------------------------------===//

Value mlir::qtensor::importer::convertElement(OpBuilder &b, Location l,
                                              Value value, Type to) {
  Type from = value.getType();
  if (from == to)
    return value;
  auto fromFloat = dyn_cast<FloatType>(from);
  auto toFloat = dyn_cast<FloatType>(to);
  if (fromFloat && toFloat)
    return fromFloat.getWidth() < toFloat.getWidth() ||
                   (fromFloat.getWidth() == toFloat.getWidth() &&
                    fromFloat.getFPMantissaWidth() <
                        toFloat.getFPMantissaWidth())
               ? arith::ExtFOp::create(b, l, to, value).getResult()
               : arith::TruncFOp::create(b, l, to, value).getResult();
  if (to.isInteger(1)) {
    Value zero = arith::ConstantOp::create(b, l, b.getZeroAttr(from));
    if (fromFloat)
      return arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNE, value,
                                   zero);
    return arith::CmpIOp::create(b, l, arith::CmpIPredicate::ne, value, zero);
  }
  if (fromFloat)
    return arith::FPToSIOp::create(b, l, to, value);
  if (toFloat)
    return from.isInteger(1)
               ? arith::UIToFPOp::create(b, l, to, value).getResult()
               : arith::SIToFPOp::create(b, l, to, value).getResult();
  unsigned fromWidth = from.getIntOrFloatBitWidth();
  unsigned toWidth = to.getIntOrFloatBitWidth();
  if (fromWidth < toWidth)
    return from.isInteger(1)
               ? arith::ExtUIOp::create(b, l, to, value).getResult()
               : arith::ExtSIOp::create(b, l, to, value).getResult();
  return arith::TruncIOp::create(b, l, to, value);
}

Value mlir::qtensor::importer::emitConvert(GraphImporter &importer,
                                           jit::Node *node, Value input,
                                           Type elementType) {
  if (cast<RankedTensorType>(input.getType()).getElementType() == elementType)
    return input;
  return emitElementwise(
      importer, node, Item::tensor(input),
      [&](OpBuilder &b, Location l, Type, ArrayRef<Value> args) {
        return convertElement(b, l, args[0], elementType);
      },
      elementType, elementType);
}

Type mlir::qtensor::importer::getAccumulatorType(Type elementType) {
  if (elementType.isF16() || elementType.isBF16())
    return Float32Type::get(elementType.getContext());
  return elementType;
}

Value mlir::qtensor::importer::emitWiden(GraphImporter &importer,
                                         jit::Node *node, Value input) {
  Type elementType = cast<RankedTensorType>(input.getType()).getElementType();
  return emitConvert(importer, node, input, getAccumulatorType(elementType));
}

/// The MLIR element type of PyTorch's ScalarType number `code`.
static Type elementTypeOfScalarType(GraphImporter &importer,
                                    const jit::Node *node, int64_t code) {
  Builder b(&importer.getContext());
  switch (static_cast<c10::ScalarType>(code)) {
  case c10::ScalarType::Float:
    return b.getF32Type();
  case c10::ScalarType::Half:
    return b.getF16Type();
  case c10::ScalarType::BFloat16:
    return b.getBF16Type();
  case c10::ScalarType::Long:
    return b.getI64Type();
  case c10::ScalarType::Int:
    return b.getI32Type();
  case c10::ScalarType::Char:
    return b.getI8Type();
  case c10::ScalarType::Bool:
    return b.getI1Type();
  default:
    break;
  }
  importer.fail(
      node,
      std::string(node->kind().toQualString()) + " to " +
          (code >= 0 && code < static_cast<int64_t>(c10::ScalarType::NumOptions)
               ? c10::toString(static_cast<c10::ScalarType>(code))
               : "an unknown dtype") +
          " is not supported");
}

/// aten::to in its forms (dtype; device and dtype; another tensor's dtype)
/// and aten::type_as: an element type conversion, or the identity for a
/// device move (everything runs where the model was compiled for).
static void importTo(GraphImporter &importer, jit::Node *node, Location) {
  Value input = importer.tensorOf(node, 0);
  Type target;
  for (unsigned i = 1; i < node->inputs().size() && !target; ++i) {
    const jit::Value *operand = node->input(i);
    c10::TypePtr type = operand->type();
    if (type->kind() == c10::TypeKind::TensorType) {
      target = cast<RankedTensorType>(importer.tensorOf(node, i).getType())
                   .getElementType();
    } else if (type->kind() == c10::TypeKind::IntType ||
               (type->kind() == c10::TypeKind::OptionalType &&
                type->expectRef<c10::OptionalType>().getElementType()->kind() ==
                    c10::TypeKind::IntType)) {
      // The first int of every overload is the dtype.
      if (!importer.isNone(node, i))
        target =
            elementTypeOfScalarType(importer, node, importer.intOf(node, i));
      break;
    }
  }
  importer.setResult(node, target ? emitConvert(importer, node, input, target)
                                  : input);
}

//===----------------------------------------------------------------------===//
// Comparisons, masks and selection
//===----------------------------------------------------------------------===//

/// The element type of a tensor or number operand: numbers take the other
/// operand's type.
static Type elementTypeOf(GraphImporter &importer, const jit::Node *node,
                          Item &item) {
  if (item.kind != Item::Kind::Tensor)
    return {};
  return cast<RankedTensorType>(importer.materialize(node, item).getType())
      .getElementType();
}

template <arith::CmpFPredicate FloatPredicate,
          arith::CmpIPredicate IntPredicate>
static void importCompare(GraphImporter &importer, jit::Node *node, Location) {
  Item operands[] = {importer.lookup(node->input(0)),
                     importer.lookup(node->input(1))};
  Type lhs = elementTypeOf(importer, node, operands[0]);
  Type rhs = elementTypeOf(importer, node, operands[1]);
  Type type = lhs ? lhs : rhs;
  if (!type)
    importer.fail(node, std::string(node->kind().toQualString()) +
                            " without a tensor operand");
  if (lhs && rhs && lhs != rhs)
    importer.fail(node, std::string(node->kind().toQualString()) +
                            " of tensors of different element types");
  OpBuilder &builder = importer.getBuilder();
  importer.setResult(
      node, emitElementwise(
                importer, node, operands,
                [&](OpBuilder &b, Location l, Type t, ArrayRef<Value> args) {
                  if (isa<FloatType>(t))
                    return arith::CmpFOp::create(b, l, FloatPredicate, args[0],
                                                 args[1])
                        .getResult();
                  return arith::CmpIOp::create(b, l, IntPredicate, args[0],
                                               args[1])
                      .getResult();
                },
                type, builder.getI1Type()));
}

/// Refuses a non-bool tensor operand of a logical op on bools.
static Value boolOperand(GraphImporter &importer, jit::Node *node,
                         unsigned index) {
  Value operand = importer.tensorOf(node, index);
  if (!cast<RankedTensorType>(operand.getType()).getElementType().isInteger(1))
    importer.fail(node, std::string(node->kind().toQualString()) +
                            " is supported on bool tensors only");
  return operand;
}

/// aten::logical_not and aten::bitwise_not (`~mask`) on bools.
static void importNot(GraphImporter &importer, jit::Node *node, Location) {
  Value operand = boolOperand(importer, node, 0);
  Type i1 = importer.getBuilder().getI1Type();
  importer.setResult(
      node, emitElementwise(
                importer, node, Item::tensor(operand),
                [](OpBuilder &b, Location l, Type t, ArrayRef<Value> args) {
                  Value one =
                      arith::ConstantOp::create(b, l, b.getIntegerAttr(t, 1));
                  return arith::XOrIOp::create(b, l, args[0], one).getResult();
                },
                i1, i1));
}

enum class Logical { And, Or, Xor };

/// aten::logical_and/or/xor and aten::bitwise_and/or/xor on bools.
template <Logical Op>
static void importLogical(GraphImporter &importer, jit::Node *node, Location) {
  Item operands[] = {Item::tensor(boolOperand(importer, node, 0)),
                     Item::tensor(boolOperand(importer, node, 1))};
  Type i1 = importer.getBuilder().getI1Type();
  importer.setResult(
      node,
      emitElementwise(
          importer, node, operands,
          [](OpBuilder &b, Location l, Type, ArrayRef<Value> args) {
            switch (Op) {
            case Logical::And:
              return arith::AndIOp::create(b, l, args[0], args[1]).getResult();
            case Logical::Or:
              return arith::OrIOp::create(b, l, args[0], args[1]).getResult();
            case Logical::Xor:
              return arith::XOrIOp::create(b, l, args[0], args[1]).getResult();
            }
            llvm_unreachable("unknown logical op");
          },
          i1, i1));
}

void mlir::qtensor::importer::setInPlaceResult(GraphImporter &importer,
                                               jit::Node *node, Value result) {
  importer.setResult(node, result);
  StringRef kind = node->kind().toQualString();
  if (kind.ends_with("_") && !kind.ends_with("__"))
    importer.writeInPlace(node, node->input(0), result);
}

/// aten::masked_fill(x, mask, value), and its in-place form.
static void importMaskedFill(GraphImporter &importer, jit::Node *node,
                             Location) {
  Value input = importer.tensorOf(node, 0);
  Value mask = boolOperand(importer, node, 1);
  Item value = importer.lookup(node->input(2));
  Type type = cast<RankedTensorType>(input.getType()).getElementType();
  auto inputType = cast<RankedTensorType>(input.getType());
  if (cast<RankedTensorType>(mask.getType()).getRank() > inputType.getRank())
    importer.fail(node, "aten::masked_fill mask has more dimensions than its "
                        "input");
  Item operands[] = {Item::tensor(mask), Item::tensor(input), value};
  if (value.kind == Item::Kind::Tensor) {
    Value fill = importer.materialize(node, operands[2]);
    if (cast<RankedTensorType>(fill.getType()).getRank() != 0)
      importer.fail(node, "aten::masked_fill value must be a number or a 0-D "
                          "tensor");
    operands[2] = Item::tensor(emitConvert(importer, node, fill, type));
  } else if (!value.isScalar()) {
    importer.fail(node, "aten::masked_fill value must be a number");
  }
  Value result = emitElementwise(
      importer, node, operands,
      [](OpBuilder &b, Location l, Type, ArrayRef<Value> args) {
        return arith::SelectOp::create(b, l, args[0], args[2], args[1])
            .getResult();
      },
      type, type);
  setInPlaceResult(importer, node, result);
}

/// aten::where(condition, x, y).
static void importWhere(GraphImporter &importer, jit::Node *node, Location) {
  if (node->inputs().size() != 3)
    importer.fail(node, "aten::where with one operand (nonzero) is not "
                        "supported");
  Item operands[] = {Item::tensor(boolOperand(importer, node, 0)),
                     importer.lookup(node->input(1)),
                     importer.lookup(node->input(2))};
  Type x = elementTypeOf(importer, node, operands[1]);
  Type y = elementTypeOf(importer, node, operands[2]);
  Type type = x ? x : y;
  if (!type)
    importer.fail(node, "aten::where of two numbers is not supported");
  if (x && y && x != y)
    importer.fail(node, "aten::where of tensors of different element types");
  importer.setResult(
      node, emitElementwise(
                importer, node, operands,
                [](OpBuilder &b, Location l, Type, ArrayRef<Value> args) {
                  return arith::SelectOp::create(b, l, args[0], args[1],
                                                 args[2])
                      .getResult();
                },
                type, type));
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
  table.add("aten::floor_divide", importArithmetic<Arithmetic::FloorDiv>);
  table.add("aten::neg", importUnaryMath<negate>);
  table.add("aten::abs", importUnaryMath<absolute>);
  table.add("aten::exp", importUnaryMath<exponential>);
  table.add("aten::log", importUnaryMath<logarithm>);
  table.add("aten::sqrt", importUnaryMath<squareRoot>);
  table.add("aten::rsqrt", importUnaryMath<reciprocalSquareRoot>);
  table.add("aten::reciprocal", importUnaryMath<reciprocal>);
  table.add("aten::sin", importUnaryMath<sine>);
  table.add("aten::cos", importUnaryMath<cosine>);
  table.add("aten::square", importUnaryMath<square>);
  table.add("aten::erf", importUnaryMath<erf>);
  table.add("aten::pow", importPow);
  table.add("aten::to", importTo);
  table.add("aten::type_as", importTo);
  table.add("aten::eq",
            importCompare<arith::CmpFPredicate::OEQ, arith::CmpIPredicate::eq>);
  table.add("aten::ne",
            importCompare<arith::CmpFPredicate::UNE, arith::CmpIPredicate::ne>);
  table.add(
      "aten::lt",
      importCompare<arith::CmpFPredicate::OLT, arith::CmpIPredicate::slt>);
  table.add(
      "aten::le",
      importCompare<arith::CmpFPredicate::OLE, arith::CmpIPredicate::sle>);
  table.add(
      "aten::gt",
      importCompare<arith::CmpFPredicate::OGT, arith::CmpIPredicate::sgt>);
  table.add(
      "aten::ge",
      importCompare<arith::CmpFPredicate::OGE, arith::CmpIPredicate::sge>);
  table.add("aten::logical_not", importNot);
  table.add("aten::bitwise_not", importNot);
  table.add("aten::logical_and", importLogical<Logical::And>);
  table.add("aten::logical_or", importLogical<Logical::Or>);
  table.add("aten::logical_xor", importLogical<Logical::Xor>);
  table.add("aten::bitwise_and", importLogical<Logical::And>);
  table.add("aten::bitwise_or", importLogical<Logical::Or>);
  table.add("aten::bitwise_xor", importLogical<Logical::Xor>);
  table.add("aten::__and__", importLogical<Logical::And>);
  table.add("aten::__or__", importLogical<Logical::Or>);
  table.add("aten::__xor__", importLogical<Logical::Xor>);
  table.add("aten::masked_fill", importMaskedFill);
  table.add("aten::masked_fill_", importMaskedFill);
  table.add("aten::where", importWhere);
}
