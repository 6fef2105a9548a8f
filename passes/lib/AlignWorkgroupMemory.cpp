//===- AlignWorkgroupMemory.cpp - aligned shared-memory buffers -----------===//
//
// Gives the kernels' workgroup attributions the alignment their vector
// accesses need; the NVVM lowering otherwise emits byte-aligned .shared
// globals.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Passes/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace mlir {
namespace qtensor {
#define GEN_PASS_DEF_QTENSORALIGNWORKGROUPMEMORY
#include "qtensor/Passes/Passes.h.inc"
} // namespace qtensor
} // namespace mlir

using namespace mlir;
using namespace mlir::qtensor;

namespace {

class AlignWorkgroupMemoryPass
    : public mlir::qtensor::impl::QTensorAlignWorkgroupMemoryBase<
          AlignWorkgroupMemoryPass> {
public:
  using Base::Base;

  LogicalResult initialize(MLIRContext *context) override {
    if (alignment < 1 || !llvm::isPowerOf2_64(alignment))
      return emitError(UnknownLoc::get(context))
             << "qtensor-align-workgroup-memory: alignment must be a power "
                "of 2, got "
             << static_cast<int64_t>(alignment);
    return success();
  }

  void runOnOperation() override {
    Builder builder(&getContext());
    StringRef name = LLVM::LLVMDialect::getAlignAttrName();
    getOperation().walk([&](gpu::GPUFuncOp func) {
      for (unsigned i = 0, e = func.getNumWorkgroupAttributions(); i < e; ++i)
        if (!func.getWorkgroupAttributionAttr(i, name))
          func.setWorkgroupAttributionAttr(
              i, name, builder.getI64IntegerAttr(alignment));
    });
  }
};

} // namespace
