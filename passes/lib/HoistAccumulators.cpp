//===- HoistAccumulators.cpp - tile accumulators in registers -------------===//
//
// Hoists the per-step read and write of a tile's accumulator out of its K
// loop, once the IR is on buffers.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Passes/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Hoisting.h"

namespace mlir {
namespace qtensor {
#define GEN_PASS_DEF_QTENSORHOISTACCUMULATORS
#include "qtensor/Passes/Passes.h.inc"
} // namespace qtensor
} // namespace mlir

using namespace mlir;

namespace {
class HoistAccumulatorsPass
    : public mlir::qtensor::impl::QTensorHoistAccumulatorsBase<
          HoistAccumulatorsPass> {
public:
  using Base::Base;
  void runOnOperation() override {
    // Only loops known to run at least once: a hoisted read/write pair must
    // not store to a tile a zero-trip loop never touched.
    linalg::hoistRedundantVectorTransfers(getOperation(),
                                          /*verifyNonZeroTrip=*/true);
  }
};
} // namespace
