//===- SplitKKernel.cpp - the split-K GPU kernel --------------------------===//
//
// The kernel of small batches (GEMV-like): a warp per `columns` output
// elements of one row, its lanes splitting K.
//
//===----------------------------------------------------------------------===//

#include "KernelEmitter.h"
#include "KernelGeometry.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::qtensor;

SplitKEmitter::SplitKEmitter(const KernelEmitter &base, GpuKernelAttr config)
    : KernelEmitter(base), vectorWidth(config.getVectorWidth()),
      columnsPerWarp(config.getColumns()) {}

/// Each warp computes `columnsPerWarp` neighbouring output elements of
/// one row: lanes split K, each activation slice serves all the warp's
/// columns, a butterfly of xor shuffles adds each column's partial sums
/// in a fixed order (the same for any column count).
void SplitKEmitter::emit() {
  int64_t columnsPerBlock = kWarpsPerBlock * columnsPerWarp;
  Value gridX = constant(llvm::divideCeil(kernel.n, columnsPerBlock));
  // With emulate, the lanes are a loop inside each emulated warp.
  int64_t blockX = emulate ? 1 : kWarpSize;
  emitGrid("splitk", gridX, rows, blockX, kWarpsPerBlock, [&](ThreadIds ids) {
    Value firstColumn =
        mul(add(mul(ids.blockX, kWarpsPerBlock), ids.threadY), columnsPerWarp);
    Value row = ids.blockY;
    // A warp that starts below N but ends past it reads the last weight
    // row for its columns past N and stores nothing there; its first
    // column is below N (the body's guard).
    bool ragged = kernel.n % columnsPerWarp != 0;
    SmallVector<Value> columns, clampedColumns;
    for (int64_t c = 0; c < columnsPerWarp; ++c) {
      columns.push_back(add(firstColumn, constant(c)));
      clampedColumns.push_back(
          ragged && c > 0 ? arith::MinUIOp::create(b, loc, columns.back(),
                                                   constant(kernel.n - 1))
                          : columns.back());
    }
    auto storeColumns = [&](ArrayRef<Value> sums) {
      for (size_t c = 0; c < columns.size(); ++c) {
        Value column = columns[c], sum = sums[c];
        if (!ragged || c == 0) {
          emitEpilogueStore(sum, row, column);
          continue;
        }
        emitIf(isBelow(column, constant(kernel.n)),
               [&] { emitEpilogueStore(sum, row, column); });
      }
    };
    auto body = [&] {
      if (emulate)
        return storeColumns(emitEmulatedWarpSums(row, clampedColumns));
      SmallVector<Value> sums = emitWarpSums(ids.threadX, row, clampedColumns);
      Value isFirstLane = arith::CmpIOp::create(
          b, loc, arith::CmpIPredicate::eq, ids.threadX, constant(0));
      emitIf(isFirstLane, [&] { storeColumns(sums); });
    };
    if (kernel.n % columnsPerBlock == 0)
      return body();
    emitIf(isBelow(firstColumn, constant(kernel.n)), body);
  });
}

/// Lane `lane`'s partial sums for each column: slices k = lane * V +
/// 32 * V * j, in order of j. Groups of kSplitKLoadsInFlight k steps (a
/// weight slice of each column per step) are loaded before the first of
/// them is used; the k steps left over (the lane's count of j need not be
/// a multiple) go one at a time.
SmallVector<Value> SplitKEmitter::emitLanePartialSums(Value lane, Value row,
                                                      ValueRange columns) {
  Value lower = mul(lane, vectorWidth);
  int64_t step = kWarpSize * vectorWidth;
  int64_t group = kSplitKLoadsInFlight;
  // The lane's slice count ceil((K - lower) / step); lower < step, so the
  // dividend is at least K.
  Value slices = arith::DivUIOp::create(
      b, loc,
      arith::SubIOp::create(b, loc, constant(kernel.k + step - 1), lower),
      constant(step));
  Value grouped =
      add(lower, mul(arith::DivUIOp::create(b, loc, slices, constant(group)),
                     group * step));
  int64_t inputAlign = getInputAlignment(vectorWidth);
  SmallVector<Value> zeros(columns.size(), zeroVector(VectorType::get(
                                               {vectorWidth}, b.getF32Type())));
  auto groups = scf::ForOp::create(
      b, loc, lower, grouped, constant(group * step), zeros,
      [&](OpBuilder &nb, Location, Value k0, ValueRange accs) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
        SmallVector<Value> ks;
        SmallVector<SmallVector<Value>> weights(group);
        for (int64_t i = 0; i < group; ++i) {
          ks.push_back(add(k0, constant(i * step)));
          for (Value column : columns)
            weights[i].push_back(loadWeightSlice(column, ks[i], vectorWidth));
        }
        SmallVector<Value> sums(accs);
        for (int64_t i = 0; i < group; ++i)
          sums = emitFmas(weights[i], row, ks[i], sums, inputAlign);
        scf::YieldOp::create(b, loc, sums);
      });
  return emitPartialSums(vectorWidth, row, columns, grouped, step,
                         groups.getResults());
}

/// Each column's sum over the warp: lane `lane`'s partial sums reduced,
/// then a butterfly of xor shuffles (offsets 16, 8, 4, 2, 1), which leaves
/// the same sum, added in the same order, in every lane.
SmallVector<Value> SplitKEmitter::emitWarpSums(Value lane, Value row,
                                               ValueRange columns) {
  SmallVector<Value> sums = emitLanePartialSums(lane, row, columns);
  for (Value &sum : sums) {
    sum = reduce(sum);
    for (int64_t offset = kWarpSize / 2; offset > 0; offset /= 2) {
      Value other = gpu::ShuffleOp::create(b, loc, sum, offset, kWarpSize,
                                           gpu::ShuffleMode::XOR)
                        .getShuffleResult();
      sum = arith::AddFOp::create(b, loc, sum, other);
    }
  }
  return sums;
}
