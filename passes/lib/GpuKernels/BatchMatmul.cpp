//===- BatchMatmul.cpp - register-tiled float matmuls on the GPU ----------===//
//
// Blocks of 16 x 16 threads own a 64 x 64 output tile of one batch; thread
// (x, y) accumulates rows y + 16 i and columns x + 16 j (i, j < 4), so that
// the 16 threads of a half-warp read 16 neighbouring elements of B's row k
// (one coalesced read) and one element of A (a broadcast). The sums run
// over k in order from zero and are added to C after the loop (the
// importer's matmuls start from zero C, so that is the CPU's order). Rows
// and columns past the end are clamped for loads and skipped for stores.
//
//===----------------------------------------------------------------------===//

#include "BatchMatmul.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::qtensor;

/// Threads per block along each of N (x) and M (y), outputs per thread
/// along each.
static constexpr int64_t kBlockThreads = 16;
static constexpr int64_t kThreadTile = 4;
static constexpr int64_t kBlockTile = kBlockThreads * kThreadTile;

bool mlir::qtensor::isTiledMatmulCandidate(linalg::LinalgOp op) {
  if (!isa<linalg::MatmulOp, linalg::BatchMatmulOp>(op) ||
      !op.hasPureBufferSemantics())
    return false;
  // Default maps only: no transposed or broadcast operand.
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  SmallVector<AffineMap> defaults =
      isa<linalg::MatmulOp>(op)
          ? cast<linalg::MatmulOp>(op).getDefaultIndexingMaps(op.getContext())
          : cast<linalg::BatchMatmulOp>(op).getDefaultIndexingMaps(
                op.getContext());
  if (maps != defaults)
    return false;
  // f32 results; f32 operands, or f16/bf16 ones accumulated in f32 (as
  // the importer emits half-precision matmuls).
  auto elementType = [&](unsigned i) {
    return cast<MemRefType>(op->getOperand(i).getType()).getElementType();
  };
  Type input = elementType(0);
  if (!elementType(2).isF32() || elementType(1) != input ||
      !(input.isF32() || input.isF16() || input.isBF16()))
    return false;
  return llvm::all_of(op->getOperands(), [](Value operand) {
    return cast<MemRefType>(operand.getType()).isLastDimUnitStride();
  });
}

BatchMatmulEmitter::BatchMatmulEmitter(OpBuilder &builder, linalg::LinalgOp op,
                                       bool emulate, std::string stem)
    : GridEmitter(builder, op.getLoc(), emulate, std::move(stem)), op(op) {
  a = op.getDpsInputOperand(0)->get();
  bMatrix = op.getDpsInputOperand(1)->get();
  c = op.getDpsInitOperand(0)->get();
  batched = isa<linalg::BatchMatmulOp>(op);
  int64_t first = batched ? 1 : 0;
  batches =
      batched ? memref::DimOp::create(b, loc, c, 0).getResult() : constant(1);
  m = memref::DimOp::create(b, loc, c, first);
  n = memref::DimOp::create(b, loc, c, first + 1);
  k = memref::DimOp::create(b, loc, a, first + 1);
}

SmallVector<Value> BatchMatmulEmitter::at(Value batch, Value row,
                                          Value column) {
  if (batched)
    return {batch, row, column};
  return {row, column};
}

Value BatchMatmulEmitter::load(Value matrix, ValueRange indices) {
  Value element = memref::LoadOp::create(b, loc, matrix, indices);
  if (element.getType().isF32())
    return element;
  return arith::ExtFOp::create(b, loc, b.getF32Type(), element);
}

Value BatchMatmulEmitter::clamp(Value index, Value size) {
  Value last = arith::SubIOp::create(b, loc, size, constant(1));
  return arith::MinUIOp::create(b, loc, index, last);
}

void BatchMatmulEmitter::emit() {
  // Batches times row tiles along x, whose grid limit (2^31 - 1) they
  // cannot reach, unlike y's 65535.
  Value rowBlocks = ceilDiv(m, kBlockTile);
  Value gridX = arith::MulIOp::create(b, loc, rowBlocks, batches);
  emitGrid(
      "tiled", gridX, ceilDiv(n, kBlockTile), kBlockThreads, kBlockThreads,
      [&](ThreadIds ids) {
        Value batch = arith::DivUIOp::create(b, loc, ids.blockX, rowBlocks);
        Value rowBlock = arith::RemUIOp::create(b, loc, ids.blockX, rowBlocks);
        Value firstRow = add(mul(rowBlock, kBlockTile), ids.threadY);
        Value firstColumn = add(mul(ids.blockY, kBlockTile), ids.threadX);
        SmallVector<Value> rows, columns, clampedRows, clampedColumns;
        for (int64_t i = 0; i < kThreadTile; ++i) {
          rows.push_back(add(firstRow, constant(kBlockThreads * i)));
          columns.push_back(add(firstColumn, constant(kBlockThreads * i)));
          clampedRows.push_back(clamp(rows.back(), m));
          clampedColumns.push_back(clamp(columns.back(), n));
        }
        Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0));
        SmallVector<Value> zeros(kThreadTile * kThreadTile, zero);
        auto loop = scf::ForOp::create(
            b, loc, constant(0), k, constant(1), zeros,
            [&](OpBuilder &nb, Location, Value kk, ValueRange accs) {
              OpBuilder::InsertionGuard guard(b);
              b.setInsertionPoint(nb.getInsertionBlock(),
                                  nb.getInsertionPoint());
              SmallVector<Value> lhs, rhs, next;
              for (Value row : clampedRows)
                lhs.push_back(load(a, at(batch, row, kk)));
              for (Value column : clampedColumns)
                rhs.push_back(load(bMatrix, at(batch, kk, column)));
              for (int64_t i = 0; i < kThreadTile; ++i)
                for (int64_t j = 0; j < kThreadTile; ++j)
                  next.push_back(math::FmaOp::create(
                      b, loc, lhs[i], rhs[j], accs[i * kThreadTile + j]));
              scf::YieldOp::create(b, loc, next);
            });
        for (int64_t i = 0; i < kThreadTile; ++i)
          for (int64_t j = 0; j < kThreadTile; ++j) {
            Value inside = arith::AndIOp::create(b, loc, isBelow(rows[i], m),
                                                 isBelow(columns[j], n));
            emitIf(inside, [&] {
              SmallVector<Value> indices = at(batch, rows[i], columns[j]);
              Value initial = memref::LoadOp::create(b, loc, c, indices);
              Value sum = arith::AddFOp::create(
                  b, loc, initial, loop.getResult(i * kThreadTile + j));
              memref::StoreOp::create(b, loc, sum, c, indices);
            });
          }
      });
  op->erase();
}
