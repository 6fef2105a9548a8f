//===- DecomposeLinear.cpp - linear -> t + int8 mm + scale ----------------===//
//
// Stage 1 -> 2: a linear with a quantized weight becomes the ops the
// reference tensor subclass receives from PyTorch's linear decomposition.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Passes/Passes.h"

#include "qtensor/Passes/PassUtils.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace qtensor {
#define GEN_PASS_DEF_QTENSORDECOMPOSELINEAR
#include "qtensor/Passes/Passes.h.inc"
} // namespace qtensor
} // namespace mlir

using namespace mlir;
using namespace mlir::qtensor;

namespace {

struct DecomposeQuantizedLinear : OpRewritePattern<LinearOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(LinearOp linear,
                                PatternRewriter &rewriter) const override {
    auto weightType =
        dyn_cast<QuantizedTensorType>(linear.getWeight().getType());
    if (!weightType)
      return rewriter.notifyMatchFailure(linear, "float weight");
    // mm(x, data^T) * scale^T only holds when the scale is constant along K.
    ScaleLayout layout = weightType.getLayout();
    if (layout != ScaleLayout::PerRow && layout != ScaleLayout::PerTensor)
      return rewriter.notifyMatchFailure(linear, "scale varies along K");
    FailureOr<QuantizedTensorType> transposedType = weightType.getTransposed();
    if (failed(transposedType))
      return rewriter.notifyMatchFailure(linear, "weight not transposable");

    Location loc = linear.getLoc();
    Value x = linear.getInput();
    Value matrix = flattenToMatrix(rewriter, loc, x);
    auto matrixType = cast<RankedTensorType>(matrix.getType());
    int64_t outFeatures = weightType.getShape()[0];
    auto accType = RankedTensorType::get(
        {matrixType.getDimSize(0), outFeatures}, matrixType.getElementType());

    Value transposed =
        TransposeOp::create(rewriter, loc, *transposedType, linear.getWeight());
    Value data = DataOp::create(rewriter, loc, transposedType->getDataType(),
                                transposed);
    Value scale = ScaleOp::create(rewriter, loc, transposedType->getScaleType(),
                                  transposed);
    Value acc = MixedMmOp::create(rewriter, loc, accType, matrix, data);
    Value result = ScaleMulOp::create(rewriter, loc, accType, acc, scale);
    if (Value bias = linear.getBias())
      result = createBiasAdd(rewriter, loc, result, bias);
    rewriter.replaceOp(linear, unflattenFromMatrix(rewriter, loc, result, x,
                                                   linear.getType()));
    return success();
  }
};

} // namespace

void mlir::qtensor::populateDecomposeLinearPatterns(
    RewritePatternSet &patterns) {
  patterns.add<DecomposeQuantizedLinear>(patterns.getContext());
}

namespace {

class DecomposeLinearPass
    : public mlir::qtensor::impl::QTensorDecomposeLinearBase<DecomposeLinearPass> {
public:
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateDecomposeLinearPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    // What the pattern could not rewrite has no stage-2 form.
    WalkResult result = getOperation()->walk([](LinearOp linear) {
      if (!linear.hasQuantizedWeight())
        return WalkResult::advance();
      linear.emitOpError("cannot be decomposed into transpose + mixed_mm + "
                         "scale_mul: the weight ")
          << linear.getWeight().getType()
          << " needs a per_row or per_tensor scale and static rows";
      return WalkResult::interrupt();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
