//===- FuseInt8Matmul.cpp - one kernel per quantized linear ---------------===//
//
// Stage 2 -> 3: transpose + int8_mm + scale_mul (+ bias add, + relu) become
// one qtensor.fused_int8_matmul that reads the weight in its [N, K] layout.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Passes/Passes.h"

#include "qtensor/Passes/PassUtils.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace qtensor {
#define GEN_PASS_DEF_QTENSORFUSEINT8MATMUL
#include "qtensor/Passes/Passes.h.inc"
} // namespace qtensor
} // namespace mlir

using namespace mlir;
using namespace mlir::qtensor;

namespace {

/// The only user of `value`, or null.
static Operation *getSoleUser(Value value) {
  return value.hasOneUse() ? *value.getUsers().begin() : nullptr;
}

struct FuseScaledInt8Matmul : OpRewritePattern<ScaleMulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ScaleMulOp scaleMul,
                                PatternRewriter &rewriter) const override {
    // scale_mul(int8_mm(x, data(t)), scale(t)) with t = transpose(q).
    auto matmul = scaleMul.getInput().getDefiningOp<Int8MmOp>();
    if (!matmul || !matmul->hasOneUse())
      return rewriter.notifyMatchFailure(scaleMul, "input is not an int8_mm");
    auto data = matmul.getRhs().getDefiningOp<DataOp>();
    auto scale = scaleMul.getScale().getDefiningOp<ScaleOp>();
    if (!data || !scale || data.getInput() != scale.getInput())
      return rewriter.notifyMatchFailure(scaleMul,
                                         "data and scale of different tensors");
    auto transpose = data.getInput().getDefiningOp<TransposeOp>();
    if (!transpose)
      return rewriter.notifyMatchFailure(scaleMul, "weight is not transposed");
    Value weight = transpose.getInput();
    auto weightType = dyn_cast<QuantizedTensorType>(weight.getType());
    if (!weightType || weightType.getLayout() != ScaleLayout::PerRow)
      return rewriter.notifyMatchFailure(scaleMul, "weight is not per_row");

    // Epilogue: an optional bias add, then an optional relu, possibly behind
    // the reshape back to the input's leading dimensions.
    Operation *last = scaleMul;
    Value result = scaleMul.getResult();
    Value bias;
    if (Operation *user = getSoleUser(result)) {
      if ((bias = matchBiasAdd(user, result))) {
        last = user;
        result = user->getResult(0);
      }
    }
    Operation *reshape = nullptr;
    bool relu = false;
    if (Operation *user = getSoleUser(result)) {
      if (matchRelu(user) == result) {
        relu = true;
        last = user;
      } else if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(user)) {
        Operation *next = getSoleUser(user->getResult(0));
        if (next && matchRelu(next) == user->getResult(0)) {
          reshape = user;
          relu = true;
          last = next;
        }
      }
    }

    rewriter.setInsertionPoint(last);
    Location loc = scaleMul.getLoc();
    Value weightData =
        DataOp::create(rewriter, loc, weightType.getDataType(), weight);
    Value weightScale =
        ScaleOp::create(rewriter, loc, weightType.getScaleType(), weight);
    Value fused = FusedInt8MatmulOp::create(rewriter, loc, scaleMul.getType(),
                                            matmul.getLhs(), weightData,
                                            weightScale, bias, relu);
    if (reshape) {
      IRMapping mapping;
      mapping.map(reshape->getOperand(0), fused);
      fused = rewriter.clone(*reshape, mapping)->getResult(0);
    }
    rewriter.replaceOp(last, fused);
    return success();
  }
};

class FuseInt8MatmulPass
    : public qtensor::impl::QTensorFuseInt8MatmulBase<FuseInt8MatmulPass> {
public:
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseScaledInt8Matmul>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
