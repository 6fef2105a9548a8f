//===- UseDeviceMemory.cpp - host-side buffers in GPU memory --------------===//
//
// Once every computation is a kernel, the buffers the host code allocates
// are only touched by kernels: they live in device memory.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Passes/Passes.h"

#include "qtensor/Passes/PassUtils.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace mlir {
namespace qtensor {
#define GEN_PASS_DEF_QTENSORUSEDEVICEMEMORY
#include "qtensor/Passes/Passes.h.inc"
} // namespace qtensor
} // namespace mlir

using namespace mlir;
using namespace mlir::qtensor;

namespace {

class UseDeviceMemoryPass
    : public mlir::qtensor::impl::QTensorUseDeviceMemoryBase<UseDeviceMemoryPass> {
public:
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    // A host global read by a kernel would be a host pointer on the device.
    WalkResult globals = func.walk([&](memref::GetGlobalOp get) {
      for (Operation *user : get->getUsers())
        if (user->getParentOfType<gpu::LaunchOp>()) {
          get.emitError() << "global '" << get.getName()
                          << "' is host memory read by a GPU kernel; compile "
                             "with parameters=true (weights as arguments in "
                             "device memory)";
          return WalkResult::interrupt();
        }
      return WalkResult::advance();
    });
    if (globals.wasInterrupted())
      return signalPassFailure();

    SmallVector<Operation *> ops;
    func.walk([&](Operation *op) {
      if (isa<memref::AllocOp, memref::DeallocOp, memref::CopyOp>(op) &&
          !op->getParentOfType<gpu::LaunchOp>())
        ops.push_back(op);
    });
    // gpu-to-llvm lowers device allocations, frees and copies only in their
    // async form, with one dependency: each runs on a stream of its own,
    // waited for at once (the runtime makes the stream a cached one).
    Type tokenType = gpu::AsyncTokenType::get(&getContext());
    for (Operation *op : ops) {
      OpBuilder builder(op);
      Location loc = op->getLoc();
      Value start = gpu::WaitOp::create(builder, loc, tokenType, ValueRange())
                        .getAsyncToken();
      Value done;
      if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
        auto device = gpu::AllocOp::create(
            builder, loc, alloc.getType(), tokenType, ValueRange{start},
            alloc.getDynamicSizes(), alloc.getSymbolOperands(),
            /*hostShared=*/false);
        alloc.replaceAllUsesWith(device.getMemref());
        done = device.getAsyncToken();
      } else if (auto dealloc = dyn_cast<memref::DeallocOp>(op)) {
        done = gpu::DeallocOp::create(builder, loc, tokenType,
                                      ValueRange{start}, dealloc.getMemref())
                   .getAsyncToken();
      } else {
        auto copy = cast<memref::CopyOp>(op);
        done = gpu::MemcpyOp::create(builder, loc, tokenType, ValueRange{start},
                                     copy.getTarget(), copy.getSource())
                   .getAsyncToken();
      }
      gpu::WaitOp::create(builder, loc, Type(), ValueRange{done});
      op->erase();
    }

    // Kernels allocate shared memory as workgroup-space allocas (which the
    // buffer-deallocation analysis accepts, where it rejects launch
    // attributions); outlining and the NVVM lowering take attributions.
    func.walk([&](memref::AllocaOp alloca) {
      auto launch = dyn_cast<gpu::LaunchOp>(alloca->getParentOp());
      auto space = dyn_cast_or_null<gpu::AddressSpaceAttr>(
          alloca.getType().getMemorySpace());
      if (!launch || !space || space.getValue() != gpu::AddressSpace::Workgroup)
        return;
      alloca.replaceAllUsesWith(
          launch.addWorkgroupAttribution(alloca.getType(), alloca.getLoc()));
      alloca->erase();
    });
  }
};

} // namespace
