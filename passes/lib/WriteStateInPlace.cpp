//===- WriteStateInPlace.cpp - state results into their arguments ---------===//
//
// After bufferization, a state result (`qtensor.state`) of a function is
// its state argument's buffer: the result goes, and the caller's buffer
// holds the update. See the pass description in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "llvm/ADT/BitVector.h"

namespace mlir {
namespace qtensor {
#define GEN_PASS_DEF_QTENSORWRITESTATEINPLACE
#include "qtensor/Passes/Passes.h.inc"
} // namespace qtensor
} // namespace mlir

using namespace mlir;
using namespace mlir::qtensor;

namespace {

/// The buffer `value` is, seen through memref.casts, scf.for results whose
/// iteration yields its own iter_arg, and scf.if results that both branches
/// yield the same buffer for: the forms a write in place takes once
/// bufferized (an scf.if around a loop of writes into the state).
Value bufferOf(Value value) {
  if (auto cast = value.getDefiningOp<memref::CastOp>())
    return bufferOf(cast.getSource());
  auto result = dyn_cast<OpResult>(value);
  if (!result)
    return value;
  unsigned index = result.getResultNumber();
  if (auto loop = dyn_cast<scf::ForOp>(result.getOwner())) {
    Value yielded = loop.getYieldedValues()[index];
    if (bufferOf(yielded) == loop.getRegionIterArgs()[index])
      return bufferOf(loop.getInitArgs()[index]);
    return value;
  }
  if (auto branch = dyn_cast<scf::IfOp>(result.getOwner())) {
    if (!branch.elseBlock())
      return value;
    Value then = bufferOf(branch.thenYield().getOperand(index));
    Value otherwise = bufferOf(branch.elseYield().getOperand(index));
    return then == otherwise ? then : value;
  }
  return value;
}

class WriteStateInPlacePass
    : public mlir::qtensor::impl::QTensorWriteStateInPlaceBase<
          WriteStateInPlacePass> {
public:
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (!func.isExternal() && failed(rewrite(func)))
        return signalPassFailure();
  }

private:
  LogicalResult rewrite(func::FuncOp func) {
    llvm::StringMap<BlockArgument> arguments;
    for (BlockArgument argument : func.getArguments())
      if (auto name = func.getArgAttrOfType<StringAttr>(argument.getArgNumber(),
                                                        "qtensor.state"))
        arguments[name.getValue()] = argument;
    llvm::BitVector dropped(func.getNumResults());
    SmallVector<std::pair<unsigned, BlockArgument>> states;
    for (unsigned i = 0; i < func.getNumResults(); ++i) {
      auto name = func.getResultAttrOfType<StringAttr>(i, "qtensor.state");
      if (!name)
        continue;
      auto found = arguments.find(name.getValue());
      if (found == arguments.end())
        return func.emitError("result ")
               << i << " is the state '" << name.getValue()
               << "', which no argument of @" << func.getSymName() << " holds";
      states.emplace_back(i, found->second);
      dropped.set(i);
    }
    if (states.empty())
      return success();
    for (Block &block : func.getBody()) {
      auto ret = dyn_cast<func::ReturnOp>(block.getTerminator());
      if (!ret)
        continue;
      OpBuilder builder(ret);
      for (auto [index, argument] : states) {
        Value value = ret.getOperand(index);
        if (!isa<MemRefType>(value.getType()) ||
            value.getType() != argument.getType())
          return ret.emitError("the state result ")
                 << index << " is not a buffer of its argument's type (run "
                 << "this pass after bufferization)";
        if (bufferOf(value) != argument)
          memref::CopyOp::create(builder, ret.getLoc(), value, argument);
      }
      ret->eraseOperands(dropped);
    }
    return func.eraseResults(dropped);
  }
};

} // namespace
