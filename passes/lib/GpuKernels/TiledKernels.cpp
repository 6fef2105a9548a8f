//===- TiledKernels.cpp - the tiled GPU kernels ---------------------------===//
//
// The kernels of larger batches without tensor cores: blocks of 32 x 4
// threads, each thread `tile_m` rows of one output column, reading its
// weight row directly or (`shared_tiled`) from a tile the block stages in
// shared memory.
//
//===----------------------------------------------------------------------===//

#include "KernelEmitter.h"
#include "KernelGeometry.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::qtensor;

TiledEmitter::TiledEmitter(const KernelEmitter &base, GpuKernelAttr config)
    : KernelEmitter(base), vectorWidth(config.getVectorWidth()),
      tileM(config.getTileM()), tileK(config.getTileK()) {}

void TiledEmitter::emit() {
  if (tileK > 0)
    return emitSharedTiled();
  emitTiled();
}

/// Each thread computes `tileM` rows of one column; a block covers 32
/// columns x (4 * tileM) rows.
void TiledEmitter::emitTiled() {
  int64_t rowsPerBlock = kTiledBlockM * tileM;
  Value gridX = constant(llvm::divideCeil(kernel.n, kTiledBlockN));
  Value gridY = rowBlocks(rowsPerBlock);
  emitGrid("tiled", gridX, gridY, kTiledBlockN, kTiledBlockM,
           [&](ThreadIds ids) {
             Value column = getTiledColumn(ids);
             auto body = [&] {
               // Rows past the end read the last row (valid memory, no
               // divergence in the K loop) and store nothing.
               SmallVector<Value> rowIndices, clamped;
               getTiledRows(ids, rowIndices, clamped);
               SmallVector<Value> sums = emitPartialSums(
                   vectorWidth, clamped, column, constant(0), vectorWidth);
               // The whole body is inside the column check.
               emitTiledStores(column, rowIndices, sums, /*checkColumn=*/false);
             };
             if (kernel.n % kTiledBlockN == 0)
               return body();
             emitIf(arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                          column, constant(kernel.n)),
                    body);
           });
}

// The shared-memory tiled kernel: the tiled kernel's threads and sums,
// with the weight staged per block. Per step of 64 k, thread i of the
// block's 128 copies bytes 16 (i % 4) .. + 16 of weight row i / 4 (four
// threads read 64 contiguous bytes of a row: coalesced) into the shared
// tile; after a barrier, each thread reads its column's row from there.
// The sums are the tiled kernel's, in the same order.

/// The tiled kernel's rows of thread `ids` (tileM of them), as they are
/// and clamped into the matrix.
void TiledEmitter::getTiledRows(ThreadIds ids, SmallVector<Value> &rowIndices,
                                SmallVector<Value> &clamped) {
  Value firstRow = mul(add(mul(ids.blockY, kTiledBlockM), ids.threadY), tileM);
  Value lastRow = arith::SubIOp::create(b, loc, rows, constant(1));
  for (int64_t r = 0; r < tileM; ++r) {
    Value row = add(firstRow, constant(r));
    rowIndices.push_back(row);
    clamped.push_back(arith::MinUIOp::create(b, loc, row, lastRow));
  }
}

Value TiledEmitter::getTiledColumn(ThreadIds ids) {
  return add(mul(ids.blockX, kTiledBlockN), ids.threadX);
}

/// Thread `ids`' part of staging weight bytes [k0, k0 + tileK) of
/// the block's rows in `tile`: in each 64 bytes of row i / 4, the 16 at
/// 16 (i % 4), so that four threads read 64 contiguous bytes. All its
/// loads are issued before the first store.
void TiledEmitter::emitWeightTileCopy(ThreadIds ids, Value k0, Value tile) {
  Value thread = add(mul(ids.threadY, kTiledBlockN), ids.threadX);
  Value tileRow = arith::DivUIOp::create(b, loc, thread, constant(4));
  Value offset = mul(arith::RemUIOp::create(b, loc, thread, constant(4)), 16);
  // Rows past N copy row N - 1; their columns store nothing.
  Value weightRow = arith::MinUIOp::create(
      b, loc, add(mul(ids.blockX, kTiledBlockN), tileRow),
      constant(kernel.n - 1));
  auto sliceType = VectorType::get({16}, b.getI8Type());
  SmallVector<Value> offsets, slices;
  for (int64_t chunk = 0; chunk < tileK; chunk += kSharedTileChunk) {
    offsets.push_back(add(offset, constant(chunk)));
    slices.push_back(
        vector::LoadOp::create(b, loc, sliceType, kernel.weight,
                               ValueRange{weightRow, add(k0, offsets.back())},
                               /*nontemporal=*/false, llvm::MaybeAlign(16)));
  }
  for (auto [slice, at] : llvm::zip(slices, offsets))
    vector::StoreOp::create(b, loc, slice, tile, ValueRange{tileRow, at},
                            /*nontemporal=*/false, llvm::MaybeAlign(16));
}

MemRefType TiledEmitter::getWeightTileType(Attribute memorySpace) {
  return MemRefType::get({kTiledBlockN, tileK + kSharedRowPadding},
                         b.getI8Type(), MemRefLayoutAttrInterface(),
                         memorySpace);
}

/// The partial sums of thread `ids` after the products of k in
/// [k0, k0 + tileK), its column's weights read from `tile`.
SmallVector<Value> TiledEmitter::emitTileProducts(ThreadIds ids,
                                                  ArrayRef<Value> rowIndices,
                                                  Value k0, Value tile,
                                                  ValueRange partials) {
  // A loop, not unrolled here: unrolled, the loads of all four slices
  // were scheduled first and the accumulators spilled.
  auto loop = scf::ForOp::create(
      b, loc, constant(0), constant(tileK), constant(16), partials,
      [&](OpBuilder &nb, Location, Value kk, ValueRange iterSums) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
        Value weight =
            vector::LoadOp::create(b, loc, VectorType::get({16}, b.getI8Type()),
                                   tile, ValueRange{ids.threadX, kk},
                                   /*nontemporal=*/false, llvm::MaybeAlign(16));
        scf::YieldOp::create(b, loc,
                             emitFmas(weight, rowIndices, add(k0, kk), iterSums,
                                      /*inputAlign=*/16));
      });
  return SmallVector<Value>(loop.getResults());
}

/// The epilogue of each of the thread's rows inside the matrix, in
/// `column` (checked against N only with `checkColumn`).
void TiledEmitter::emitTiledStores(Value column, ArrayRef<Value> rowIndices,
                                   ArrayRef<Value> partials, bool checkColumn) {
  Value columnInside =
      checkColumn ? isBelow(column, constant(kernel.n)) : Value();
  for (auto [rowIndex, rowSum] : llvm::zip(rowIndices, partials)) {
    // Lambdas cannot capture structured bindings in C++17.
    Value row = rowIndex, partial = rowSum;
    Value inside = isBelow(row, rows);
    if (columnInside)
      inside = arith::AndIOp::create(b, loc, inside, columnInside);
    emitIf(inside, [&] { emitEpilogueStore(reduce(partial), row, column); });
  }
}

void TiledEmitter::emitSharedTiled() {
  int64_t rowsPerBlock = kTiledBlockM * tileM;
  Value gridX = constant(llvm::divideCeil(kernel.n, kTiledBlockN));
  Value gridY = rowBlocks(rowsPerBlock);
  if (emulate)
    return emitEmulatedSharedTiled(gridX, gridY);
  auto accType = VectorType::get({16}, b.getF32Type());
  MemRefType tileType = getWeightTileType(getWorkgroupMemorySpace());
  emitGrid(
      "tiled", gridX, gridY, kTiledBlockN, kTiledBlockM, [&](ThreadIds ids) {
        // qtensor-use-device-memory makes it a workgroup attribution.
        Value tile = memref::AllocaOp::create(b, loc, tileType);
        SmallVector<Value> rowIndices, clamped;
        getTiledRows(ids, rowIndices, clamped);
        Value zeros = zeroVector(accType);
        SmallVector<Value> inits(tileM, zeros);
        // Every thread takes part in the copies and barriers, also those
        // whose column is past N.
        auto loop = scf::ForOp::create(
            b, loc, constant(0), constant(kernel.k), constant(tileK), inits,
            [&](OpBuilder &nb, Location, Value k0, ValueRange partials) {
              OpBuilder::InsertionGuard guard(b);
              b.setInsertionPoint(nb.getInsertionBlock(),
                                  nb.getInsertionPoint());
              emitWeightTileCopy(ids, k0, tile);
              gpu::BarrierOp::create(b, loc);
              SmallVector<Value> sums =
                  emitTileProducts(ids, clamped, k0, tile, partials);
              // The next step overwrites the tile.
              gpu::BarrierOp::create(b, loc);
              scf::YieldOp::create(b, loc, sums);
            });
        emitTiledStores(getTiledColumn(ids), rowIndices,
                        SmallVector<Value>(loop.getResults()),
                        /*checkColumn=*/kernel.n % kTiledBlockN != 0);
      });
}
