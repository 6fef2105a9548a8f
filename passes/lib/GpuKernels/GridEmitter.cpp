//===- GridEmitter.cpp - GPU grids, real or emulated ----------------------===//

#include "GridEmitter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::qtensor;

Value GridEmitter::constant(int64_t value) {
  return arith::ConstantIndexOp::create(b, loc, value);
}

Value GridEmitter::add(Value lhs, Value rhs) {
  return arith::AddIOp::create(b, loc, lhs, rhs);
}

Value GridEmitter::mul(Value lhs, int64_t rhs) {
  return arith::MulIOp::create(b, loc, lhs, constant(rhs));
}

Value GridEmitter::ceilDiv(Value value, int64_t divisor) {
  return arith::DivUIOp::create(b, loc, add(value, constant(divisor - 1)),
                                constant(divisor));
}

Value GridEmitter::isBelow(Value index, Value bound) {
  return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, index, bound);
}

void GridEmitter::emitGrid(StringRef variant, Value gridX, Value gridY,
                           int64_t blockX, int64_t blockY,
                           function_ref<void(ThreadIds)> body) {
  if (emulate)
    return emitEmulatedGrid(gridX, gridY, blockX, blockY, body);
  Value one = constant(1);
  // Outlining names the kernel (and its module) after these.
  auto name =
      FlatSymbolRefAttr::get(b.getContext(), (stem + "_" + variant).str());
  auto launch = gpu::LaunchOp::create(
      b, loc, gridX, gridY, one, constant(blockX), constant(blockY), one,
      /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
      /*asyncDependencies=*/{}, /*workgroupAttributions=*/{},
      /*privateAttributions=*/{}, /*clusterSizeX=*/nullptr,
      /*clusterSizeY=*/nullptr, /*clusterSizeZ=*/nullptr, name, name);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&launch.getBody().front());
  body({launch.getBlockIds().x, launch.getBlockIds().y, launch.getThreadIds().x,
        launch.getThreadIds().y});
  gpu::TerminatorOp::create(b, loc);
}

void GridEmitter::emitIf(Value condition, function_ref<void()> then) {
  auto ifOp = scf::IfOp::create(b, loc, condition, /*withElseRegion=*/false);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
  then();
}

Attribute GridEmitter::getWorkgroupMemorySpace() {
  return gpu::AddressSpaceAttr::get(b.getContext(),
                                    gpu::AddressSpace::Workgroup);
}
