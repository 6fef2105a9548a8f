//===- ApproximateMath.cpp - transcendental functions as polynomials ------===//
//
// LLVM lowers a vector math.exp, math.erf or math.tanh to one libm call per
// lane: softmax, GELU and SiLU then ran 3-10x slower than LibTorch's
// vectorized kernels. Polynomial approximations stay vector code.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Passes/Passes.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/StringSwitch.h"

namespace mlir {
namespace qtensor {
#define GEN_PASS_DEF_QTENSORAPPROXIMATEMATH
#include "qtensor/Passes/Passes.h.inc"
} // namespace qtensor
} // namespace mlir

using namespace mlir;

/// The functions approximated: those of normalizations, softmax and
/// activations whose approximations keep f32 accuracy within a few ulp.
static bool isApproximated(StringRef name) {
  // The patterns ask by operation name ("math.exp").
  name.consume_front("math.");
  return llvm::StringSwitch<bool>(name)
      .Cases({"exp", "expm1", "log", "log1p", "log2", "tanh", "erf"}, true)
      .Default(false);
}

namespace {
class ApproximateMathPass
    : public mlir::qtensor::impl::QTensorApproximateMathBase<
          ApproximateMathPass> {
public:
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMathF32ExpansionPatterns(patterns, isApproximated);
    populateMathPolynomialApproximationPatterns(patterns, isApproximated);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
