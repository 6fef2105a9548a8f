//===- VectorTiles.cpp - vector tiles of the ops around the kernels -------===//
//
// The ops of a model outside its fused linear kernels (normalizations,
// softmax, activations, residual adds, rotary embeddings, transposes and
// attention's batch matmuls) split among threads as qtensor.parallel_tiles
// says, then tiled as qtensor.vector_tiles says, so that each tile is a
// static vector op: one row of lanes for elementwise ops and reductions, a
// register tile for contractions.
//
//===----------------------------------------------------------------------===//

#include "CpuKernels.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"

using namespace mlir;
using namespace mlir::qtensor;
using namespace mlir::qtensor::cpu;

bool cpu::hasBoolOperand(linalg::LinalgOp op) {
  return llvm::any_of(op->getOperandTypes(), [](Type type) {
    auto shaped = dyn_cast<ShapedType>(type);
    return shaped && shaped.getElementType().isInteger(1);
  });
}

/// Tiles `op` by `sizes` into loops of `loopType`; replaces it.
static FailureOr<scf::SCFTilingResult>
tileOp(IRRewriter &rewriter, linalg::LinalgOp op, ArrayRef<int64_t> sizes,
       scf::SCFTilingOptions::LoopType loopType) {
  scf::SCFTilingOptions tiling;
  tiling.setTileSizes(getAsIndexOpFoldResult(op.getContext(), sizes));
  tiling.setLoopType(loopType);
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
      rewriter, cast<TilingInterface>(op.getOperation()), tiling);
  if (succeeded(tiled))
    rewriter.replaceOp(op, tiled->replacements);
  return tiled;
}

LogicalResult cpu::tileForVectors(IRRewriter &rewriter, linalg::LinalgOp op,
                                  ArrayRef<int64_t> tileSizes,
                                  ArrayRef<int64_t> parallelTiles) {
  if (hasBoolOperand(op))
    return success();
  if (llvm::any_of(parallelTiles, [](int64_t size) { return size > 0; })) {
    FailureOr<scf::SCFTilingResult> chunks = tileOp(
        rewriter, op, parallelTiles, scf::SCFTilingOptions::LoopType::ForallOp);
    if (failed(chunks))
      return op.emitOpError("could not be split into parallel chunks");
    op = cast<linalg::LinalgOp>(chunks->tiledOps.front());
  }
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  // A tile of the whole op: no loop, vectorized where it is.
  if (llvm::equal(ranges, tileSizes)) {
    rewriter.setInsertionPoint(op);
    FailureOr<linalg::VectorizationResult> vectorized =
        linalg::vectorize(rewriter, op);
    if (succeeded(vectorized))
      rewriter.replaceOp(op, vectorized->replacements);
    return success();
  }
  FailureOr<scf::SCFTilingResult> tiled =
      tileOp(rewriter, op, tileSizes, scf::SCFTilingOptions::LoopType::ForOp);
  if (failed(tiled))
    return op.emitOpError("could not be tiled for vectors");
  // Full tiles then one partial tile per loop: static shapes everywhere.
  SmallVector<scf::ForOp> partials;
  peelPartialIterations(rewriter, tiled->loops, partials);
  return success();
}
