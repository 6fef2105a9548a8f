//===- QuantizeWeights.cpp - int8 weights at compile time -----------------===//
//
// Stage 0 -> 1: constant float weights reaching a linear (or the right-hand
// side of a matmul) become quantized tensors whose data and scale are new
// constants, computed here with the seed's exact arithmetic.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Passes/Passes.h"

#include "qtensor/Passes/Int8SymmetricQuantizer.h"
#include "qtensor/Passes/PassUtils.h"
#include "qtensor/Support/QuantScheme.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringSet.h"

#include <cmath>

namespace mlir {
namespace qtensor {
#define GEN_PASS_DEF_QTENSORQUANTIZEWEIGHTS
#include "qtensor/Passes/Passes.h.inc"
} // namespace qtensor
} // namespace mlir

using namespace mlir;
using namespace mlir::qtensor;

namespace {

/// A weight use to quantize: the op, the operand index of the weight, and
/// whether the constant is stored transposed ([K, N], the matmul case).
struct WeightUse {
  Operation *user;
  unsigned operandIndex;
  bool transposed;
};

class QuantizeWeightsPass
    : public mlir::qtensor::impl::QTensorQuantizeWeightsBase<
          QuantizeWeightsPass> {
public:
  using Base::Base;

  LogicalResult initialize(MLIRContext *context) override {
    std::string problem;
    if (!::qtensor::parseQuantScheme(scheme, parsedScheme, problem))
      return emitError(UnknownLoc::get(context))
             << "qtensor-quantize-weights: " << problem;
    if (!parsedScheme.isImplemented())
      return emitError(UnknownLoc::get(context))
             << "qtensor-quantize-weights: "
             << ::qtensor::notImplementedMessage(parsedScheme);
    for (const std::string &op : ops) {
      if (op == "linear")
        quantizeLinear = true;
      else if (op == "matmul")
        quantizeMatmul = true;
      else
        return emitError(UnknownLoc::get(context))
               << "qtensor-quantize-weights: unknown op kind '" << op
               << "' in ops= (expected 'linear' or 'matmul')";
    }
    if (ops.empty())
      quantizeLinear = quantizeMatmul = true;
    if (minElements < 0)
      return emitError(UnknownLoc::get(context))
             << "qtensor-quantize-weights: min-elements must be >= 0, got "
             << static_cast<int64_t>(minElements);
    excluded.clear();
    for (const std::string &name : exclude)
      excluded.insert(name);
    return success();
  }

  void runOnOperation() override;

private:
  /// The `scheme` option, parsed by initialize().
  ::qtensor::QuantScheme parsedScheme;
  std::optional<WeightUse> getLinearWeightUse(LinearOp linear);
  std::optional<WeightUse> getMatmulWeightUse(linalg::MatmulOp matmul);
  FailureOr<Value> quantize(arith::ConstantOp constant, bool transposed);
  std::string nameOf(arith::ConstantOp constant);

  bool quantizeLinear = false;
  bool quantizeMatmul = false;
  llvm::StringSet<> excluded;
  /// Quantized value per (constant, transposed), so a shared weight is
  /// quantized once.
  llvm::DenseMap<std::pair<Operation *, unsigned>, Value> quantized;
  /// Fallback names for constants without one, in order of appearance.
  llvm::DenseMap<Operation *, std::string> fallbackNames;
};

} // namespace

/// The constant op defining `value` when it holds float elements.
static arith::ConstantOp getFloatConstant(Value value) {
  auto constant = value.getDefiningOp<arith::ConstantOp>();
  if (!constant)
    return {};
  auto type = dyn_cast<RankedTensorType>(constant.getType());
  if (!type || type.getRank() != 2 ||
      !getFloatElementType(type.getElementType()))
    return {};
  return isa<ElementsAttr>(constant.getValue()) ? constant
                                                : arith::ConstantOp();
}

std::optional<WeightUse>
QuantizeWeightsPass::getLinearWeightUse(LinearOp linear) {
  if (!quantizeLinear || linear.hasQuantizedWeight() ||
      !getFloatConstant(linear.getWeight()))
    return std::nullopt;
  return WeightUse{linear, linear.getWeightMutable().getOperandNumber(),
                   /*transposed=*/false};
}

std::optional<WeightUse>
QuantizeWeightsPass::getMatmulWeightUse(linalg::MatmulOp matmul) {
  if (!quantizeMatmul || matmul.hasUserDefinedMaps() ||
      !matmul.hasPureTensorSemantics())
    return std::nullopt;
  Value lhs = matmul.getDpsInputOperand(0)->get();
  Value rhs = matmul.getDpsInputOperand(1)->get();
  auto lhsType = cast<RankedTensorType>(lhs.getType());
  if (!getFloatConstant(rhs) ||
      lhsType.getElementType() != getElementTypeOrSelf(rhs.getType()) ||
      lhsType.getElementType() !=
          getElementTypeOrSelf(matmul.getResultTypes()[0]) ||
      matmul.getResultTypes()[0] !=
          matmul.getDpsInitOperand(0)->get().getType())
    return std::nullopt;
  // linalg.matmul accumulates into its init; only a zero init is `x @ w`.
  Value init = matmul.getDpsInitOperand(0)->get();
  auto fill = init.getDefiningOp<linalg::FillOp>();
  bool zeroInit = fill ? matchPattern(fill.getInputs()[0], m_AnyZeroFloat())
                       : matchPattern(init, m_AnyZeroFloat());
  if (!zeroInit)
    return std::nullopt;
  return WeightUse{matmul, matmul.getDpsInputOperand(1)->getOperandNumber(),
                   /*transposed=*/true};
}

std::string QuantizeWeightsPass::nameOf(arith::ConstantOp constant) {
  std::string name =
      getConstantName(constant, cast<ElementsAttr>(constant.getValue()));
  if (!name.empty())
    return name;
  auto it = fallbackNames.find(constant);
  if (it != fallbackNames.end())
    return it->second;
  std::string fallback = "constant_" + std::to_string(fallbackNames.size());
  fallbackNames[constant] = fallback;
  return fallback;
}

FailureOr<Value> QuantizeWeightsPass::quantize(arith::ConstantOp constant,
                                               bool transposed) {
  auto key = std::make_pair(constant.getOperation(), unsigned(transposed));
  if (Value existing = quantized.lookup(key))
    return existing;

  auto value = cast<ElementsAttr>(constant.getValue());
  auto type = cast<RankedTensorType>(constant.getType());
  Type elementType = type.getElementType();
  ::qtensor::ElementType floatType = *getFloatElementType(elementType);
  std::string name = nameOf(constant);

  SmallVector<char> splatStorage;
  FailureOr<ArrayRef<char>> bytes = getRawElementBytes(value, splatStorage);
  if (failed(bytes))
    return constant.emitError() << "weight '" << name
                                << "' has no data to quantize (elided "
                                   "resource, or a blob whose size does not "
                                   "fit its type?)";

  // A [K, N] constant is read as its [N, K] transpose in place.
  int64_t stored0 = type.getDimSize(0), stored1 = type.getDimSize(1);
  int64_t rows = transposed ? stored1 : stored0;
  int64_t cols = transposed ? stored0 : stored1;
  SmallVector<char> data(rows * cols);
  SmallVector<char> scale(rows * ::qtensor::elementByteWidth(floatType));
  std::optional<int64_t> nonFinite = quantizeInt8SymmetricRows(
      floatType, bytes->data(), rows, cols,
      reinterpret_cast<int8_t *>(data.data()), scale.data(),
      /*rowStride=*/transposed ? 1 : cols,
      /*colStride=*/transposed ? rows : 1);
  if (nonFinite) {
    int64_t row = *nonFinite / cols, col = *nonFinite % cols;
    int64_t storedRow = transposed ? col : row;
    int64_t storedCol = transposed ? row : col;
    float element = loadWeightElement(floatType, bytes->data(),
                                      storedRow * stored1 + storedCol);
    return constant.emitError()
           << "weight '" << name << "' contains "
           << (std::isnan(element) ? "NaN" : "an infinity") << " at ["
           << storedRow << ", " << storedCol
           << "]; it cannot be quantized (leave it in float with exclude="
           << name << ")";
  }

  OpBuilder builder(constant);
  builder.setInsertionPointAfter(constant);
  Location loc = constant.getLoc();
  auto quantizedType =
      QuantizedTensorType::get(&getContext(), {rows, cols}, builder.getI8Type(),
                               elementType, ScaleLayout::PerRow);
  // dense_resource blobs keep the weight's name in the IR text itself, so
  // later passes and tools can name the parameters after it.
  auto dataAttr = DenseResourceElementsAttr::get(
      quantizedType.getDataType(), name + ".data",
      HeapAsmResourceBlob::allocateAndCopyWithAlign(ArrayRef<char>(data),
                                                    alignof(int64_t)));
  auto scaleAttr = DenseResourceElementsAttr::get(
      quantizedType.getScaleType(), name + ".scale",
      HeapAsmResourceBlob::allocateAndCopyWithAlign(ArrayRef<char>(scale),
                                                    alignof(int64_t)));
  Value dataValue = arith::ConstantOp::create(builder, loc, dataAttr);
  Value scaleValue = arith::ConstantOp::create(builder, loc, scaleAttr);
  Value packed =
      PackOp::create(builder, loc, quantizedType, dataValue, scaleValue);
  quantized[key] = packed;
  return packed;
}

void QuantizeWeightsPass::runOnOperation() {
  if (!parsedScheme.quantizesWeights())
    return;
  quantized.clear();
  fallbackNames.clear();
  SmallVector<WeightUse> uses;
  getOperation()->walk([&](Operation *op) {
    std::optional<WeightUse> use;
    if (auto linear = dyn_cast<LinearOp>(op))
      use = getLinearWeightUse(linear);
    else if (auto matmul = dyn_cast<linalg::MatmulOp>(op))
      use = getMatmulWeightUse(matmul);
    if (use)
      uses.push_back(*use);
  });

  bool failedAny = false;
  // Ops this pass may leave without users.
  llvm::SetVector<Operation *> maybeDead;
  for (const WeightUse &use : uses) {
    auto constant = getFloatConstant(use.user->getOperand(use.operandIndex));
    auto type = cast<RankedTensorType>(constant.getType());
    if (type.getNumElements() < minElements ||
        excluded.contains(nameOf(constant)))
      continue;
    maybeDead.insert(constant);
    FailureOr<Value> packed = quantize(constant, use.transposed);
    if (failed(packed)) {
      failedAny = true;
      continue;
    }
    if (!use.transposed) {
      use.user->setOperand(use.operandIndex, *packed);
      continue;
    }
    // x @ W with W = [K, N] constant: linear(x, quantize(W^T)).
    auto matmul = cast<linalg::MatmulOp>(use.user);
    Value init = matmul.getDpsInitOperand(0)->get();
    if (auto fill = init.getDefiningOp<linalg::FillOp>()) {
      maybeDead.insert(fill);
      if (Operation *empty = fill.getOutputs()[0].getDefiningOp())
        maybeDead.insert(empty);
    } else if (Operation *zero = init.getDefiningOp()) {
      maybeDead.insert(zero);
    }
    OpBuilder builder(matmul);
    Value linear =
        LinearOp::create(builder, matmul.getLoc(), matmul.getResultTypes()[0],
                         matmul.getDpsInputOperand(0)->get(), *packed, Value());
    matmul->getResult(0).replaceAllUsesWith(linear);
    matmul->erase();
  }
  if (failedAny)
    return signalPassFailure();

  // Drop the float weights and zero inits nobody reads any more, repeating
  // until erasing one op frees no other.
  SmallVector<Operation *> candidates = maybeDead.takeVector();
  for (bool erased = true; erased;) {
    erased = false;
    for (Operation *&op : candidates) {
      if (op && op->use_empty()) {
        op->erase();
        op = nullptr;
        erased = true;
      }
    }
  }
}
