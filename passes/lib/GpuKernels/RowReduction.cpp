//===- RowReduction.cpp - a warp per row of a linalg reduction ------------===//
//
// The lanes of a warp read neighbouring elements of the reduced loop (one
// coalesced 128-byte read per step when it is the innermost dimension),
// fold them with the op's own body, then add up across the warp in the
// butterfly order of five xor shuffles; lane 0 folds the result into the
// output. Four warps per block, one row each.
//
//===----------------------------------------------------------------------===//

#include "RowReduction.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;
using namespace mlir::qtensor;

/// Rows (warps) per block of 128 threads.
static constexpr int64_t kRowsPerBlock = 4;

/// Whether `value` is computed in `body` from `arg`.
static bool dependsOn(Value value, BlockArgument arg) {
  if (value == arg)
    return true;
  Operation *def = value.getDefiningOp();
  return def && llvm::any_of(def->getOperands(), [&](Value operand) {
           return dependsOn(operand, arg);
         });
}

std::optional<RowReduction>
mlir::qtensor::matchRowReduction(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInits() != 1 ||
      op.getNumReductionLoops() != 1)
    return std::nullopt;
  RowReduction reduction;
  reduction.op = op;
  for (auto [dim, type] : llvm::enumerate(op.getIteratorTypesArray()))
    if (type == utils::IteratorType::reduction)
      reduction.reductionDim = dim;
  // The output is one element per row: its map does not read the reduced
  // loop.
  // Each parallel loop appears once in it: one warp per output element.
  AffineMap outputMap = op.getIndexingMapsArray().back();
  if (!outputMap.isProjectedPermutation() ||
      outputMap.isFunctionOfDim(reduction.reductionDim) ||
      outputMap.getNumResults() + 1 != op.getNumLoops())
    return std::nullopt;
  Block &body = op.getRegion().front();
  BlockArgument output = body.getArguments().back();
  if (!output.hasOneUse())
    return std::nullopt;
  Operation *combiner = *output.user_begin();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  if (combiner->getNumOperands() != 2 || combiner->getNumResults() != 1 ||
      yield.getValues().front() != combiner->getResult(0) ||
      !combiner->hasTrait<OpTrait::IsCommutative>())
    return std::nullopt;
  Value element = combiner->getOperand(combiner->getOperand(0) == output);
  if (dependsOn(element, output))
    return std::nullopt;
  // gpu.shuffle moves 32-bit values.
  Type type = combiner->getResult(0).getType();
  if (!(type.isF32() || type.isInteger(32)))
    return std::nullopt;
  // The lanes reassociate the sum: an overflow flag could turn a partial
  // sum that the sequential order never forms into poison.
  if (auto flags =
          dyn_cast<arith::ArithIntegerOverflowFlagsInterface>(combiner);
      flags &&
      flags.getOverflowAttr().getValue() != arith::IntegerOverflowFlags::none)
    return std::nullopt;
  std::optional<TypedAttr> identity = arith::getNeutralElement(combiner);
  if (!identity)
    return std::nullopt;
  reduction.combiner = combiner;
  reduction.identity = *identity;
  // x + 0.0 turns -0.0 into +0.0; -0.0 is addf's exact neutral element.
  if (isa<arith::AddFOp>(combiner))
    reduction.identity = FloatAttr::get(type, -0.0);
  return reduction;
}

RowReductionEmitter::RowReductionEmitter(OpBuilder &builder,
                                         RowReduction reduction, bool emulate,
                                         std::string stem)
    : GridEmitter(builder, reduction.op.getLoc(), emulate, std::move(stem)),
      reduction(reduction) {
  auto op = cast<linalg::LinalgOp>(reduction.op.getOperation());
  rows = constant(1);
  for (auto [dim, range] : llvm::enumerate(op.createLoopRanges(b, loc))) {
    Value size = getValueOrCreateConstantIndexOp(b, loc, range.size);
    sizes.push_back(size);
    if (dim == reduction.reductionDim)
      reducedSize = size;
    else
      rows = arith::MulIOp::create(b, loc, rows, size);
  }
}

Value RowReductionEmitter::combine(Value lhs, Value rhs) {
  OperationState state(loc, reduction.combiner->getName());
  state.addOperands({lhs, rhs});
  state.addTypes(lhs.getType());
  state.addAttributes(reduction.combiner->getAttrs());
  return b.create(state)->getResult(0);
}

/// The row's index along each parallel loop, the last loop varying
/// fastest; 0 along the reduced loop.
SmallVector<Value> RowReductionEmitter::getLoopIndices(Value row) {
  SmallVector<Value> indices(sizes.size());
  Value rest = row;
  for (int64_t dim = sizes.size() - 1; dim >= 0; --dim) {
    if (dim == static_cast<int64_t>(reduction.reductionDim)) {
      indices[dim] = constant(0);
      continue;
    }
    indices[dim] = arith::RemUIOp::create(b, loc, rest, sizes[dim]);
    rest = arith::DivUIOp::create(b, loc, rest, sizes[dim]);
  }
  return indices;
}

/// The indices `map` gives for the loop indices `ivs`.
static SmallVector<Value> applyMap(OpBuilder &b, Location loc, AffineMap map,
                                   ValueRange ivs) {
  SmallVector<Value> indices;
  for (AffineExpr expr : map.getResults()) {
    if (auto dim = dyn_cast<AffineDimExpr>(expr)) {
      indices.push_back(ivs[dim.getPosition()]);
      continue;
    }
    indices.push_back(affine::AffineApplyOp::create(
        b, loc, AffineMap::get(map.getNumDims(), 0, expr), ivs));
  }
  return indices;
}

Value RowReductionEmitter::emitLanePartial(ArrayRef<Value> rowIndices,
                                           Value lane) {
  linalg::GenericOp op = reduction.op;
  Block &body = op.getRegion().front();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  Value identity = arith::ConstantOp::create(b, loc, reduction.identity);
  auto loop = scf::ForOp::create(
      b, loc, lane, reducedSize, constant(kWarpSize), ValueRange{identity},
      [&](OpBuilder &nb, Location, Value k, ValueRange partial) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
        SmallVector<Value> ivs(rowIndices);
        ivs[reduction.reductionDim] = k;
        IRMapping mapping;
        for (OpOperand *input : op.getDpsInputOperands()) {
          Value element = input->get();
          if (isa<MemRefType>(element.getType()))
            element = memref::LoadOp::create(
                b, loc, element,
                applyMap(b, loc, maps[input->getOperandNumber()], ivs));
          mapping.map(body.getArgument(input->getOperandNumber()), element);
        }
        mapping.map(body.getArguments().back(), partial.front());
        for (Operation &bodyOp : body.without_terminator()) {
          if (auto index = dyn_cast<linalg::IndexOp>(bodyOp)) {
            mapping.map(index.getResult(), ivs[index.getDim()]);
            continue;
          }
          b.clone(bodyOp, mapping);
        }
        scf::YieldOp::create(
            b, loc, mapping.lookup(body.getTerminator()->getOperand(0)));
      });
  return loop.getResult(0);
}

void RowReductionEmitter::emitStore(ArrayRef<Value> rowIndices, Value total) {
  Value output = reduction.op.getDpsInitOperand(0)->get();
  AffineMap map = reduction.op.getIndexingMapsArray().back();
  SmallVector<Value> indices = applyMap(b, loc, map, rowIndices);
  Value initial = memref::LoadOp::create(b, loc, output, indices);
  memref::StoreOp::create(b, loc, combine(total, initial), output, indices);
}

void RowReductionEmitter::emit() {
  if (emulate)
    emitEmulatedWarps();
  else
    emitWarps();
  reduction.op->erase();
}

void RowReductionEmitter::emitWarps() {
  emitGrid("rows", ceilDiv(rows, kRowsPerBlock), constant(1), kWarpSize,
           kRowsPerBlock, [&](ThreadIds ids) {
             Value row = add(mul(ids.blockX, kRowsPerBlock), ids.threadY);
             // The whole warp takes the branch: its shuffles see all lanes.
             emitIf(isBelow(row, rows), [&] {
               SmallVector<Value> rowIndices = getLoopIndices(row);
               Value partial = emitLanePartial(rowIndices, ids.threadX);
               for (int64_t offset = kWarpSize / 2; offset > 0; offset /= 2) {
                 Value other =
                     gpu::ShuffleOp::create(b, loc, partial, offset, kWarpSize,
                                            gpu::ShuffleMode::XOR)
                         .getShuffleResult();
                 partial = combine(partial, other);
               }
               Value first = arith::CmpIOp::create(
                   b, loc, arith::CmpIPredicate::eq, ids.threadX, constant(0));
               emitIf(first, [&] { emitStore(rowIndices, partial); });
             });
           });
}

/// One emulated warp per row: its lanes one after the other, their partial
/// results in one vector, then the butterfly in the GPU's order (lane l
/// combines lane l ^ offset) with vector shuffles.
void RowReductionEmitter::emitEmulatedWarps() {
  Type type = reduction.combiner->getResult(0).getType();
  auto lanesType = VectorType::get({kWarpSize}, type);
  emitEmulatedBlocks(rows, constant(1), [&](Value row, Value) {
    SmallVector<Value> rowIndices = getLoopIndices(row);
    Value identity = arith::ConstantOp::create(
        b, loc, lanesType,
        DenseElementsAttr::get(lanesType, reduction.identity));
    auto lanes = scf::ForOp::create(
        b, loc, constant(0), constant(kWarpSize), constant(1),
        ValueRange{identity},
        [&](OpBuilder &nb, Location, Value lane, ValueRange partials) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
          Value partial = emitLanePartial(rowIndices, lane);
          scf::YieldOp::create(b, loc,
                               vector::InsertOp::create(b, loc, partial,
                                                        partials.front(),
                                                        OpFoldResult(lane))
                                   .getResult());
        });
    Value partials = lanes.getResult(0);
    for (int64_t offset = kWarpSize / 2; offset > 0; offset /= 2) {
      SmallVector<int64_t> partner;
      for (int64_t lane = 0; lane < kWarpSize; ++lane)
        partner.push_back(lane ^ offset);
      partials = combine(partials, vector::ShuffleOp::create(
                                       b, loc, partials, partials, partner));
    }
    emitStore(rowIndices,
              vector::ExtractOp::create(b, loc, partials, int64_t(0)));
  });
}
