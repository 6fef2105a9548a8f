//===- StridedCopiesToLinalg.cpp - strided copies as linalg.copy ----------===//
//
// A copy between views that are not contiguous cannot be one memcpy; as
// linalg.copy it becomes a loop nest, and on the GPU a kernel.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Passes/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"

namespace mlir {
namespace qtensor {
#define GEN_PASS_DEF_QTENSORSTRIDEDCOPIESTOLINALG
#include "qtensor/Passes/Passes.h.inc"
} // namespace qtensor
} // namespace mlir

using namespace mlir;

/// True when `type` is one dense block: an identity layout (dynamic sizes
/// included) or strides that are those of one.
static bool isContiguous(MemRefType type) {
  return type.getLayout().isIdentity() ||
         memref::isStaticShapeAndContiguousRowMajor(type);
}

namespace {
class StridedCopiesToLinalgPass
    : public mlir::qtensor::impl::QTensorStridedCopiesToLinalgBase<
          StridedCopiesToLinalgPass> {
public:
  using Base::Base;
  void runOnOperation() override {
    SmallVector<memref::CopyOp> strided;
    getOperation()->walk([&](memref::CopyOp copy) {
      auto source = dyn_cast<MemRefType>(copy.getSource().getType());
      auto target = dyn_cast<MemRefType>(copy.getTarget().getType());
      if (source && target && (!isContiguous(source) || !isContiguous(target)))
        strided.push_back(copy);
    });
    for (memref::CopyOp copy : strided) {
      OpBuilder builder(copy);
      linalg::CopyOp::create(builder, copy.getLoc(), copy.getSource(),
                             copy.getTarget());
      copy.erase();
    }
  }
};
} // namespace
