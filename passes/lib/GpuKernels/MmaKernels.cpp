//===- MmaKernels.cpp - the tensor-core GPU kernels -----------------------===//
//
// The kernels of larger f16/bf16 batches: warp-level mma.sync m16n8k16 on
// tensor cores, int8 weights converted to f16/bf16 in registers, f32
// accumulators; `mma_ksplit` shares one output tile among a block's warps,
// each over a quarter of K.
//
//===----------------------------------------------------------------------===//

#include "KernelEmitter.h"
#include "KernelGeometry.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::qtensor;

// mma.sync.m16n8k16 gives lane l of a warp, as (g, t) = (l / 4, l % 4),
// rows g and g + 8 of A and column g of B at the k offsets {2t, 2t + 1}
// (B register 0, A registers 0 and 1) and {2t + 8, 2t + 9} (B register 1,
// A registers 2 and 3), the results at rows g, g + 8 and columns 2t,
// 2t + 1. A sum over k does not depend on which k an offset names, so in
// a step of 16 * C the kernel gives lane (g, t) the 4 * C consecutive k
// from k0 + 4 * C * t: one load of each weight row and each activation row
// per step, whose 4-element chunk j feeds those offsets of the j-th mma.
// Both operands are renamed alike, so every product still pairs x[m, k]
// with w[n, k].

MmaEmitter::MmaEmitter(const KernelEmitter &base, GpuKernelAttr config)
    : KernelEmitter(base), family(config.getFamily()),
      chunks(config.getChunks()) {}

void MmaEmitter::emit() {
  if (family == GpuKernelFamily::MmaKSplit)
    return emitMmaKSplit();
  emitMma();
}

MmaEmitter::MmaLane MmaEmitter::getMmaLane(Value lane, Value firstRow,
                                           Value firstColumn) {
  MmaLane result;
  result.g = arith::DivUIOp::create(b, loc, lane, constant(4));
  result.t = arith::RemUIOp::create(b, loc, lane, constant(4));
  result.kOffset = mul(result.t, 4 * chunks);
  Value lastRow = arith::SubIOp::create(b, loc, rows, constant(1));
  for (int64_t p = 0; p < kMmaTilesM; ++p)
    for (int64_t h = 0; h < 2; ++h) {
      Value row =
          add(firstRow, add(result.g, constant(kMmaM * p + kMmaM / 2 * h)));
      result.rows.push_back(arith::MinUIOp::create(b, loc, row, lastRow));
    }
  for (int64_t q = 0; q < kMmaTilesN; ++q) {
    Value column = add(firstColumn, add(result.g, constant(kMmaN * q)));
    result.weightRows.push_back(
        arith::MinUIOp::create(b, loc, column, constant(kernel.n - 1)));
  }
  return result;
}

MmaEmitter::MmaOperands MmaEmitter::loadMmaOperands(const MmaLane &lane,
                                                    Value k0) {
  int64_t width = 4 * chunks;
  auto sliceType = VectorType::get({width}, elementType);
  Value k = add(k0, lane.kOffset);
  int64_t inputAlign = getInputAlignment(width);
  SmallVector<Value> x, w;
  for (Value row : lane.rows)
    x.push_back(vector::LoadOp::create(
        b, loc, sliceType, kernel.input, ValueRange{row, k},
        /*nontemporal=*/false, llvm::MaybeAlign(inputAlign)));
  for (Value row : lane.weightRows)
    w.push_back(convertInt8ToHalf(vector::LoadOp::create(
        b, loc, VectorType::get({width}, b.getI8Type()), kernel.weight,
        ValueRange{row, k}, /*nontemporal=*/false, llvm::MaybeAlign(width))));
  // A shuffle, not extract_strided_slice: the NVVM conversion lowers it.
  auto pair = [&](Value slice, int64_t offset) -> Value {
    return vector::ShuffleOp::create(b, loc, slice, slice,
                                     ArrayRef<int64_t>{offset, offset + 1});
  };
  // Fragment rows are whole registers: vector.insert lowers to one
  // llvm.insertvalue each.
  auto fragment = [&](ArrayRef<Value> rows) -> Value {
    auto type = VectorType::get({int64_t(rows.size()), 2}, elementType);
    Value result = arith::ConstantOp::create(
        b, loc, type, DenseElementsAttr::get(type, b.getZeroAttr(elementType)));
    for (auto [index, row] : llvm::enumerate(rows))
      result = vector::InsertOp::create(b, loc, row, result, int64_t(index));
    return result;
  };
  MmaOperands operands;
  for (int64_t j = 0; j < chunks; ++j) {
    int64_t first = 4 * j;
    auto &a = operands.a.emplace_back();
    for (int64_t p = 0; p < kMmaTilesM; ++p) {
      Value top = x[2 * p], bottom = x[2 * p + 1];
      a.push_back(fragment({pair(top, first), pair(bottom, first),
                            pair(top, first + 2), pair(bottom, first + 2)}));
    }
    auto &bFragments = operands.bFragments.emplace_back();
    for (Value slice : w)
      bFragments.push_back(
          fragment({pair(slice, first), pair(slice, first + 2)}));
  }
  return operands;
}

/// Result element i of tile (p, q) for lane (g, t), relative to the
/// warp's first row and column.
std::pair<Value, Value> MmaEmitter::getMmaResultPosition(const MmaLane &lane,
                                                         int64_t p, int64_t q,
                                                         int64_t i) {
  Value row = add(lane.g, constant(kMmaM * p + kMmaM / 2 * (i / 2)));
  Value column = add(mul(lane.t, 2), constant(kMmaN * q + i % 2));
  return {row, column};
}

int64_t MmaEmitter::getMmaResultIndex(int64_t p, int64_t q, int64_t i) {
  return (p * kMmaTilesN + q) * 4 + i;
}

/// Applies the epilogue to the lane's results `resultAt(index)` inside
/// the matrix.
void MmaEmitter::emitMmaStores(const MmaLane &lane, Value firstRow,
                               Value firstColumn,
                               function_ref<Value(int64_t)> resultAt) {
  for (int64_t p = 0; p < kMmaTilesM; ++p)
    for (int64_t q = 0; q < kMmaTilesN; ++q)
      for (int64_t i = 0; i < 4; ++i) {
        auto [rowOffset, columnOffset] = getMmaResultPosition(lane, p, q, i);
        Value row = add(firstRow, rowOffset);
        Value column = add(firstColumn, columnOffset);
        Value inside = arith::AndIOp::create(
            b, loc, isBelow(row, rows), isBelow(column, constant(kernel.n)));
        int64_t index = getMmaResultIndex(p, q, i);
        emitIf(inside,
               [&] { emitEpilogueStore(resultAt(index), row, column); });
      }
}

/// Blocks of 4 warps along N, each warp 32 rows x 32 columns of output.
void MmaEmitter::emitMma() {
  int64_t rowsPerBlock = kMmaWarpRows;
  int64_t columnsPerWarp = kMmaWarpColumns;
  Value gridX =
      constant(llvm::divideCeil(kernel.n, columnsPerWarp * kWarpsPerBlock));
  Value gridY = rowBlocks(rowsPerBlock);
  // With emulate, the lanes are loops inside each emulated warp.
  int64_t blockX = emulate ? 1 : kWarpSize;
  emitGrid("mma", gridX, gridY, blockX, kWarpsPerBlock, [&](ThreadIds ids) {
    Value firstRow = mul(ids.blockY, rowsPerBlock);
    Value firstColumn =
        mul(add(mul(ids.blockX, kWarpsPerBlock), ids.threadY), columnsPerWarp);
    if (emulate)
      emitEmulatedMmaWarp(firstRow, firstColumn);
    else
      emitMmaWarp(ids.threadX, firstRow, firstColumn);
  });
}

void MmaEmitter::emitMmaWarp(Value laneId, Value firstRow, Value firstColumn) {
  MmaLane lane = getMmaLane(laneId, firstRow, firstColumn);
  SmallVector<Value> accs = emitMmaSteps(lane, constant(0), constant(kernel.k));
  emitMmaStores(lane, firstRow, firstColumn,
                [&](int64_t index) { return getMmaResult(accs, index); });
}

/// Result `index` (getMmaResultIndex) of a lane's accumulators.
Value MmaEmitter::getMmaResult(ArrayRef<Value> accs, int64_t index) {
  int64_t i = index % 4;
  return vector::ExtractOp::create(b, loc, accs[index / 4],
                                   ArrayRef<int64_t>{i / 2, i % 2});
}

/// The lane's accumulators (vector<2x2xf32> per tile, getMmaResultIndex
/// order / 4) after the mma steps of k in [kBegin, kEnd).
SmallVector<Value> MmaEmitter::emitMmaSteps(const MmaLane &lane, Value kBegin,
                                            Value kEnd) {
  auto accType = VectorType::get({2, 2}, b.getF32Type());
  Value zeros = zeroVector(accType);
  SmallVector<Value> inits(kMmaTilesM * kMmaTilesN, zeros);
  auto loop = scf::ForOp::create(
      b, loc, kBegin, kEnd, constant(kMmaK * chunks), inits,
      [&](OpBuilder &nb, Location, Value k0, ValueRange iterAccs) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
        SmallVector<Value> accs(iterAccs);
        MmaOperands operands = loadMmaOperands(lane, k0);
        for (int64_t j = 0; j < chunks; ++j)
          for (int64_t p = 0; p < kMmaTilesM; ++p)
            for (int64_t q = 0; q < kMmaTilesN; ++q) {
              Value &acc = accs[p * kMmaTilesN + q];
              acc = nvgpu::MmaSyncOp::create(
                  b, loc, operands.a[j][p], operands.bFragments[j][q], acc,
                  ArrayRef<int64_t>{kMmaM, kMmaN, kMmaK});
            }
        scf::YieldOp::create(b, loc, accs);
      });
  return SmallVector<Value>(loop.getResults());
}

/// Batches of at most one 32-row block: the plain mma kernel runs only
/// N / 128 blocks then (32 for a 4096-column layer, a quarter of an
/// H100's SMs) and streams the weights through few warps. So a block of
/// 4 warps computes one 32 x 32 output tile, warp w over the w-th quarter
/// of K: N / 32 blocks, 4 times the warps reading weights. The partial
/// tiles meet in shared memory ([warp][result][lane]: a store of the 32
/// lanes hits 32 banks); warp 0 adds them in warp order and stores.
void MmaEmitter::emitMmaKSplit() {
  Value gridX = constant(llvm::divideCeil(kernel.n, kMmaWarpColumns));
  Value gridY = rowBlocks(kMmaWarpRows);
  int64_t kPerWarp = kernel.k / kWarpsPerBlock;
  if (emulate)
    return emitEmulatedMmaKSplit(gridX, gridY, kPerWarp);
  MemRefType partialType = getWarpPartialsType(getWorkgroupMemorySpace());
  emitGrid("mma_ksplit", gridX, gridY, kWarpSize, kWarpsPerBlock,
           [&](ThreadIds ids) {
             // qtensor-use-device-memory makes it a workgroup attribution.
             Value partials = memref::AllocaOp::create(b, loc, partialType);
             Value firstRow = mul(ids.blockY, kMmaWarpRows);
             Value firstColumn = mul(ids.blockX, kMmaWarpColumns);
             MmaLane lane = getMmaLane(ids.threadX, firstRow, firstColumn);
             Value kBegin = mul(ids.threadY, kPerWarp);
             SmallVector<Value> accs =
                 emitMmaSteps(lane, kBegin, add(kBegin, constant(kPerWarp)));
             for (int64_t index = 0; index < kMmaResultsPerLane; ++index)
               memref::StoreOp::create(
                   b, loc, getMmaResult(accs, index), partials,
                   ValueRange{ids.threadY, constant(index), ids.threadX});
             gpu::BarrierOp::create(b, loc);
             emitIf(isBelow(ids.threadY, constant(1)), [&] {
               emitMmaStores(lane, firstRow, firstColumn, [&](int64_t index) {
                 return sumWarpPartials(partials, ids.threadX, index);
               });
             });
           });
}

/// partials[0][index][lane] + ... + partials[3][index][lane], in that
/// order.
Value MmaEmitter::sumWarpPartials(Value partials, Value lane, int64_t index) {
  Value sum;
  for (int64_t warp = 0; warp < kWarpsPerBlock; ++warp) {
    Value partial = memref::LoadOp::create(
        b, loc, partials, ValueRange{constant(warp), constant(index), lane});
    sum = sum ? arith::AddFOp::create(b, loc, sum, partial) : partial;
  }
  return sum;
}

/// The K-split mma kernel's partial tiles, [warp][result][lane].
MemRefType MmaEmitter::getWarpPartialsType(Attribute memorySpace) {
  return MemRefType::get({kWarpsPerBlock, kMmaResultsPerLane, kWarpSize},
                         b.getF32Type(), MemRefLayoutAttrInterface(),
                         memorySpace);
}
