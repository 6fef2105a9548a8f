//===- FuseMixedMatmul.cpp - one kernel per quantized linear
//---------------===//
//
// Stage 2 -> 3: transpose + mixed_mm + scale_mul (+ bias add, + relu) become
// one qtensor.fused_mixed_matmul that reads the weight in its [N, K] layout.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Passes/Passes.h"

#include "qtensor/Passes/PassUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace qtensor {
#define GEN_PASS_DEF_QTENSORFUSEMIXEDMATMUL
#include "qtensor/Passes/Passes.h.inc"
} // namespace qtensor
} // namespace mlir

using namespace mlir;
using namespace mlir::qtensor;

namespace {

/// A shape query of `value`, an [..., N] product of an [..., K] input, that
/// can be answered without it: a leading size (the input's) or a static N.
static bool isRedirectableShapeQuery(Operation *user, Value value) {
  auto dim = dyn_cast<tensor::DimOp>(user);
  if (!dim || dim.getSource() != value)
    return false;
  std::optional<int64_t> index = dim.getConstantIndex();
  auto type = cast<RankedTensorType>(value.getType());
  if (!index || *index < 0 || *index >= type.getRank())
    return false;
  return *index < type.getRank() - 1 || !type.isDynamicDim(*index);
}

/// The only user of `value` besides shape queries that can be redirected
/// (a dynamic batch makes each elementwise consumer ask for its size), or
/// null.
static Operation *getSoleUser(Value value, bool allowShapeQueries = true) {
  Operation *sole = nullptr;
  for (Operation *user : value.getUsers()) {
    if (allowShapeQueries && isRedirectableShapeQuery(user, value))
      continue;
    if (sole)
      return nullptr;
    sole = user;
  }
  return sole;
}

/// Answers the shape queries of `value` (see isRedirectableShapeQuery) from
/// `input`, so that `value` can go once fused.
static void redirectShapeQueries(PatternRewriter &rewriter, Value value,
                                 Value input) {
  for (Operation *user : llvm::make_early_inc_range(value.getUsers())) {
    if (!isRedirectableShapeQuery(user, value))
      continue;
    auto dim = cast<tensor::DimOp>(user);
    int64_t index = *dim.getConstantIndex();
    auto type = cast<RankedTensorType>(value.getType());
    rewriter.setInsertionPoint(dim);
    if (index < type.getRank() - 1)
      rewriter.replaceOpWithNewOp<tensor::DimOp>(dim, input, index);
    else
      rewriter.replaceOpWithNewOp<arith::ConstantIndexOp>(
          dim, type.getDimSize(index));
  }
}

struct FuseScaledMixedMatmul : OpRewritePattern<ScaleMulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ScaleMulOp scaleMul,
                                PatternRewriter &rewriter) const override {
    // scale_mul(mixed_mm(x, data(t)), scale(t)) with t = transpose(q).
    auto matmul = scaleMul.getInput().getDefiningOp<MixedMmOp>();
    if (!matmul || !matmul->hasOneUse())
      return rewriter.notifyMatchFailure(scaleMul, "input is not an mixed_mm");
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
        // The reshape's shape has other dimensions: no redirection there.
        Operation *next =
            getSoleUser(user->getResult(0), /*allowShapeQueries=*/false);
        if (next && matchRelu(next) == user->getResult(0)) {
          reshape = user;
          relu = true;
          last = next;
        }
      }
    }

    redirectShapeQueries(rewriter, scaleMul.getResult(), matmul.getLhs());
    if (bias)
      redirectShapeQueries(rewriter, result, matmul.getLhs());
    rewriter.setInsertionPoint(last);
    Location loc = scaleMul.getLoc();
    Value weightData =
        DataOp::create(rewriter, loc, weightType.getDataType(), weight);
    Value weightScale =
        ScaleOp::create(rewriter, loc, weightType.getScaleType(), weight);
    Value fused = FusedMixedMatmulOp::create(rewriter, loc, scaleMul.getType(),
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

class FuseMixedMatmulPass
    : public mlir::qtensor::impl::QTensorFuseMixedMatmulBase<
          FuseMixedMatmulPass> {
public:
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseScaledMixedMatmul>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
