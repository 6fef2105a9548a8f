//===- Emulation.cpp - the GPU kernels as CPU loops -----------------------===//
//
// With `emulate`, the kernels' bodies are emitted in scf.parallel loops
// that the CPU pipeline runs, so that their tiling, their reductions and
// the mma fragment layout are checked without a GPU: a grid is an
// scf.parallel over the four ids, a warp's lanes a sequential loop, and
// what crosses a barrier or a shuffle goes through buffers and vector
// shuffles in the order the GPU adds it.
//
//===----------------------------------------------------------------------===//

#include "KernelEmitter.h"
#include "KernelGeometry.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::qtensor;

//===----------------------------------------------------------------------===//
// Grids and warps
//===----------------------------------------------------------------------===//

void GridEmitter::emitEmulatedGrid(Value gridX, Value gridY, int64_t blockX,
                                   int64_t blockY,
                                   function_ref<void(ThreadIds)> body) {
  Value one = constant(1);
  Value zero = constant(0);
  auto parallel = scf::ParallelOp::create(
      b, loc, ValueRange{zero, zero, zero, zero},
      ValueRange{gridX, gridY, constant(blockX), constant(blockY)},
      ValueRange{one, one, one, one});
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(parallel.getBody()->getTerminator());
  SmallVector<Value> ivs(parallel.getInductionVars());
  body({ivs[0], ivs[1], ivs[2], ivs[3]});
}

void GridEmitter::emitEmulatedBlocks(Value gridX, Value gridY,
                                     function_ref<void(Value, Value)> body) {
  Value zero = constant(0), one = constant(1);
  auto blocks =
      scf::ParallelOp::create(b, loc, ValueRange{zero, zero},
                              ValueRange{gridX, gridY}, ValueRange{one, one});
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(blocks.getBody()->getTerminator());
  body(blocks.getInductionVars()[0], blocks.getInductionVars()[1]);
}

void GridEmitter::emitLaneLoop(function_ref<void(Value)> body) {
  auto loop =
      scf::ForOp::create(b, loc, constant(0), constant(kWarpSize), constant(1));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(loop.getBody()->getTerminator());
  body(loop.getInductionVar());
}

//===----------------------------------------------------------------------===//
// Split-K
//===----------------------------------------------------------------------===//

/// The warp's lanes one after the other, each column's lane sums in one
/// vector, then the GPU's butterfly: lane l adds lane (l ^ offset).
SmallVector<Value> SplitKEmitter::emitEmulatedWarpSums(Value row,
                                                       ValueRange columns) {
  auto lanesType = VectorType::get({kWarpSize}, b.getF32Type());
  SmallVector<Value> zeros(columnsPerWarp, zeroVector(lanesType));
  auto lanes = scf::ForOp::create(
      b, loc, constant(0), constant(kWarpSize), constant(1), zeros,
      [&](OpBuilder &nb, Location l, Value lane, ValueRange iter) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
        SmallVector<Value> next;
        for (auto [partial, laneSums] :
             llvm::zip(emitLanePartialSums(lane, row, columns), iter))
          next.push_back(vector::InsertOp::create(
              b, l, reduce(partial), laneSums, OpFoldResult(lane)));
        scf::YieldOp::create(b, l, next);
      });
  // partners[i]: lane l ^ (16 >> i) for each lane l.
  SmallVector<SmallVector<int64_t>> partners;
  for (int64_t offset = kWarpSize / 2; offset > 0; offset /= 2) {
    SmallVector<int64_t> &partner = partners.emplace_back();
    for (int64_t lane = 0; lane < kWarpSize; ++lane)
      partner.push_back(lane ^ offset);
  }
  SmallVector<Value> sums;
  for (Value laneSums : lanes.getResults()) {
    for (ArrayRef<int64_t> partner : partners) {
      Value other =
          vector::ShuffleOp::create(b, loc, laneSums, laneSums, partner);
      laneSums = arith::AddFOp::create(b, loc, laneSums, other);
    }
    sums.push_back(vector::ExtractOp::create(b, loc, laneSums, int64_t(0)));
  }
  return sums;
}

//===----------------------------------------------------------------------===//
// Shared-memory tiled
//===----------------------------------------------------------------------===//

/// The shared-memory tiled kernel with each barrier as the end of an
/// scf.parallel over the block's threads: the tile is a buffer per
/// emulated block, the partial sums live in a [4, 32, tileM, 16] buffer
/// between the phases.
void TiledEmitter::emitEmulatedSharedTiled(Value gridX, Value gridY) {
  emitEmulatedBlocks(gridX, gridY, [&](Value blockX, Value blockY) {
    emitEmulatedSharedTiledBlock(blockX, blockY);
  });
}

void TiledEmitter::emitEmulatedSharedTiledBlock(Value blockX, Value blockY) {
  Value zero = constant(0), one = constant(1);
  Type f32 = b.getF32Type();
  auto accType = VectorType::get({16}, f32);
  // Heap buffers, freed at the end of each emulated block by the buffer
  // deallocation that follows; allocas would grow the stack with every
  // block, as the emulated grid runs as sequential loops.
  Value tile = memref::AllocOp::create(b, loc, getWeightTileType());
  Value partials = memref::AllocOp::create(
      b, loc, MemRefType::get({kTiledBlockM, kTiledBlockN, tileM, 16}, f32));
  // Runs `phase` for every thread of the block.
  auto threads = [&](function_ref<void(ThreadIds)> phase) {
    auto loop = scf::ParallelOp::create(
        b, loc, ValueRange{zero, zero},
        ValueRange{constant(kTiledBlockN), constant(kTiledBlockM)},
        ValueRange{one, one});
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(loop.getBody()->getTerminator());
    phase({blockX, blockY, loop.getInductionVars()[0],
           loop.getInductionVars()[1]});
  };
  auto partialIndices = [&](ThreadIds ids, int64_t r) -> SmallVector<Value> {
    return {ids.threadY, ids.threadX, constant(r), zero};
  };
  auto loadPartials = [&](ThreadIds ids) {
    SmallVector<Value> result;
    for (int64_t r = 0; r < tileM; ++r)
      result.push_back(vector::LoadOp::create(b, loc, accType, partials,
                                              partialIndices(ids, r)));
    return result;
  };
  threads([&](ThreadIds ids) {
    Value zeros = zeroVector(accType);
    for (int64_t r = 0; r < tileM; ++r)
      vector::StoreOp::create(b, loc, zeros, partials, partialIndices(ids, r));
  });
  auto steps =
      scf::ForOp::create(b, loc, zero, constant(kernel.k), constant(tileK));
  {
    OpBuilder::InsertionGuard stepGuard(b);
    b.setInsertionPoint(steps.getBody()->getTerminator());
    Value k0 = steps.getInductionVar();
    threads([&](ThreadIds ids) { emitWeightTileCopy(ids, k0, tile); });
    threads([&](ThreadIds ids) {
      SmallVector<Value> rowIndices, clamped;
      getTiledRows(ids, rowIndices, clamped);
      SmallVector<Value> sums =
          emitTileProducts(ids, clamped, k0, tile, loadPartials(ids));
      for (auto [r, sum] : llvm::enumerate(sums))
        vector::StoreOp::create(b, loc, sum, partials, partialIndices(ids, r));
    });
  }
  threads([&](ThreadIds ids) {
    SmallVector<Value> rowIndices, clamped;
    getTiledRows(ids, rowIndices, clamped);
    emitTiledStores(getTiledColumn(ids), rowIndices, loadPartials(ids),
                    /*checkColumn=*/kernel.n % kTiledBlockN != 0);
  });
}

//===----------------------------------------------------------------------===//
// Tensor cores
//===----------------------------------------------------------------------===//

/// The K-split kernel with its four warps one after the other in each
/// emulated block, each over its quarter of K into its own partial tile,
/// then warp 0's sums and stores.
void MmaEmitter::emitEmulatedMmaKSplit(Value gridX, Value gridY,
                                       int64_t kPerWarp) {
  emitEmulatedBlocks(gridX, gridY, [&](Value blockX, Value blockY) {
    emitEmulatedMmaKSplitBlock(mul(blockY, kMmaWarpRows),
                               mul(blockX, kMmaWarpColumns), kPerWarp);
  });
}

void MmaEmitter::emitEmulatedMmaKSplitBlock(Value firstRow, Value firstColumn,
                                            int64_t kPerWarp) {
  // As in shared memory on the GPU.
  Value partials = memref::AllocOp::create(b, loc, getWarpPartialsType());
  for (int64_t warp = 0; warp < kWarpsPerBlock; ++warp)
    emitEmulatedMmaSteps(partials, constant(warp), firstRow, firstColumn,
                         constant(warp * kPerWarp),
                         constant((warp + 1) * kPerWarp));
  emitLaneLoop([&](Value laneId) {
    MmaLane lane = getMmaLane(laneId, firstRow, firstColumn);
    emitMmaStores(lane, firstRow, firstColumn, [&](int64_t index) {
      return sumWarpPartials(partials, laneId, index);
    });
  });
}

/// The warp's 32 lanes as loops, an mma as what it computes: every lane
/// writes its registers to the [C, 32, 16] A and [C, 32, 16] (column, k)
/// B tiles at the positions the fragment layout gives them, then every
/// lane adds, for each of its results, the row-by-column products of each
/// chunk to its accumulators (kept in a [1, 32, 32] buffer, [warp][result]
/// [lane], between steps).
/// So the emulation checks the renaming of k and the fragment positions.
void MmaEmitter::emitEmulatedMmaWarp(Value firstRow, Value firstColumn) {
  // Heap buffers per emulated warp, as in emitEmulatedSharedTiled.
  Value accs = memref::AllocOp::create(
      b, loc,
      MemRefType::get({1, kMmaResultsPerLane, kWarpSize}, b.getF32Type()));
  Value warp = constant(0);
  emitEmulatedMmaSteps(accs, warp, firstRow, firstColumn, constant(0),
                       constant(kernel.k));
  emitLaneLoop([&](Value laneId) {
    MmaLane lane = getMmaLane(laneId, firstRow, firstColumn);
    emitMmaStores(lane, firstRow, firstColumn, [&](int64_t index) -> Value {
      return memref::LoadOp::create(b, loc, accs,
                                    ValueRange{warp, constant(index), laneId});
    });
  });
}

/// The emulated warp's mma steps of k in [kBegin, kEnd): each lane's
/// results go to accs[warp][result][lane].
void MmaEmitter::emitEmulatedMmaSteps(Value accs, Value warp, Value firstRow,
                                      Value firstColumn, Value kBegin,
                                      Value kEnd) {
  Type f32 = b.getF32Type();
  Value aTile = memref::AllocOp::create(
      b, loc, MemRefType::get({chunks, kMmaWarpRows, kMmaK}, f32));
  Value bTile = memref::AllocOp::create(
      b, loc, MemRefType::get({chunks, kMmaWarpColumns, kMmaK}, f32));
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0));
  emitLaneLoop([&](Value lane) {
    for (int64_t index = 0; index < kMmaResultsPerLane; ++index)
      memref::StoreOp::create(b, loc, zero, accs,
                              ValueRange{warp, constant(index), lane});
  });
  auto pairType = VectorType::get({2}, f32);
  auto storePair = [&](Value pair, Value tile, Value j, Value position,
                       Value k) {
    Value wide = arith::ExtFOp::create(b, loc, pairType, pair);
    vector::StoreOp::create(b, loc, wide, tile, ValueRange{j, position, k});
  };
  auto steps =
      scf::ForOp::create(b, loc, kBegin, kEnd, constant(kMmaK * chunks));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(steps.getBody()->getTerminator());
  Value k0 = steps.getInductionVar();
  emitLaneLoop([&](Value laneId) {
    MmaLane lane = getMmaLane(laneId, firstRow, firstColumn);
    MmaOperands operands = loadMmaOperands(lane, k0);
    Value lowK = mul(lane.t, 2);
    Value highK = add(lowK, constant(kMmaK / 2));
    for (int64_t j = 0; j < chunks; ++j) {
      Value chunk = constant(j);
      auto row = [&](Value fragment, int64_t r) -> Value {
        return vector::ExtractOp::create(b, loc, fragment, r);
      };
      for (int64_t p = 0; p < kMmaTilesM; ++p) {
        Value top = add(lane.g, constant(kMmaM * p));
        Value bottom = add(top, constant(kMmaM / 2));
        Value a = operands.a[j][p];
        storePair(row(a, 0), aTile, chunk, top, lowK);
        storePair(row(a, 1), aTile, chunk, bottom, lowK);
        storePair(row(a, 2), aTile, chunk, top, highK);
        storePair(row(a, 3), aTile, chunk, bottom, highK);
      }
      for (int64_t q = 0; q < kMmaTilesN; ++q) {
        Value column = add(lane.g, constant(kMmaN * q));
        Value fragment = operands.bFragments[j][q];
        storePair(row(fragment, 0), bTile, chunk, column, lowK);
        storePair(row(fragment, 1), bTile, chunk, column, highK);
      }
    }
  });
  auto kType = VectorType::get({kMmaK}, f32);
  emitLaneLoop([&](Value laneId) {
    MmaLane lane = getMmaLane(laneId, firstRow, firstColumn);
    for (int64_t j = 0; j < chunks; ++j)
      for (int64_t p = 0; p < kMmaTilesM; ++p)
        for (int64_t q = 0; q < kMmaTilesN; ++q)
          for (int64_t i = 0; i < 4; ++i) {
            auto [row, column] = getMmaResultPosition(lane, p, q, i);
            Value aRow = vector::LoadOp::create(
                b, loc, kType, aTile,
                ValueRange{constant(j), row, constant(0)});
            Value bColumn = vector::LoadOp::create(
                b, loc, kType, bTile,
                ValueRange{constant(j), column, constant(0)});
            Value index = constant(getMmaResultIndex(p, q, i));
            SmallVector<Value> at = {warp, index, laneId};
            Value acc = memref::LoadOp::create(b, loc, accs, at);
            Value sum = reduce(arith::MulFOp::create(b, loc, aRow, bColumn));
            memref::StoreOp::create(
                b, loc, arith::AddFOp::create(b, loc, acc, sum), accs, at);
          }
  });
}
