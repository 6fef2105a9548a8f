//===- ExpandBf16.cpp - f32 <-> bf16 conversions as integer arithmetic ----===//
//
// bf16 is the top half of an f32, so both conversions are bit arithmetic;
// expanding them keeps the generated code free of compiler-rt calls.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Passes/Passes.h"

#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace qtensor {
#define GEN_PASS_DEF_QTENSOREXPANDBF16
#include "qtensor/Passes/Passes.h.inc"
} // namespace qtensor
} // namespace mlir

using namespace mlir;

namespace {
class ExpandBf16Pass
    : public mlir::qtensor::impl::QTensorExpandBf16Base<ExpandBf16Pass> {
public:
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    arith::populateExpandBFloat16Patterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
