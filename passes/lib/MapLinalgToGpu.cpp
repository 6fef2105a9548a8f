//===- MapLinalgToGpu.cpp - row reductions and matmuls as GPU kernels -----===//
//
// After the fused linears, the linalg ops of a transformer that the
// generic one-thread-per-element mapping runs worst: reductions along a row
// (softmax, normalizations) get a warp per row, float matmuls (attention) a
// register-tiled kernel. The emitters are in passes/lib/GpuKernels/.
//
//===----------------------------------------------------------------------===//

#include "GpuKernels/BatchMatmul.h"
#include "GpuKernels/RowReduction.h"

#include "qtensor/Passes/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace mlir {
namespace qtensor {
#define GEN_PASS_DEF_QTENSORMAPLINALGTOGPU
#include "qtensor/Passes/Passes.h.inc"
} // namespace qtensor
} // namespace mlir

using namespace mlir;
using namespace mlir::qtensor;

namespace {

class MapLinalgToGpuPass
    : public mlir::qtensor::impl::QTensorMapLinalgToGpuBase<
          MapLinalgToGpuPass> {
public:
  using Base::Base;

  void runOnOperation() override {
    SmallVector<RowReduction> reductions;
    SmallVector<linalg::LinalgOp> matmuls;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (auto generic = dyn_cast<linalg::GenericOp>(op.getOperation()))
        if (std::optional<RowReduction> reduction = matchRowReduction(generic))
          reductions.push_back(*reduction);
      if (isTiledMatmulCandidate(op))
        matmuls.push_back(op);
    });
    for (auto [index, reduction] : llvm::enumerate(reductions)) {
      OpBuilder builder(reduction.op);
      RowReductionEmitter(builder, reduction, emulate,
                          "reduce" + std::to_string(index))
          .emit();
    }
    for (auto [index, matmul] : llvm::enumerate(matmuls)) {
      OpBuilder builder(matmul);
      BatchMatmulEmitter(builder, matmul, emulate,
                         "matmul" + std::to_string(index))
          .emit();
    }
  }
};

} // namespace
