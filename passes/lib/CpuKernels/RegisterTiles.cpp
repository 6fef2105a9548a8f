//===- RegisterTiles.cpp - register tiles, remainder rows, K loops --------===//
//
// The tiles of the gemv, small_m and register_tiled kernels that convert
// their own weights, the tiles of the rows after the last full register
// tile, and the K loop that every shape ends with.
//
//===----------------------------------------------------------------------===//

#include "CpuKernels.h"

#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace mlir::qtensor;
using namespace mlir::qtensor::cpu;

FailureOr<Operation *>
cpu::tileRegisterTiles(IRRewriter &rewriter, linalg::GenericOp root,
                       CpuKernelAttr config,
                       SmallVectorImpl<scf::ForOp> &partials) {
  scf::SCFTilingOptions tiling;
  tiling.setTileSizes({rewriter.getIndexAttr(config.getTileM()),
                       rewriter.getIndexAttr(config.getTileN())});
  FailureOr<scf::SCFTileAndFuseResult> fused =
      tileAndFuse(rewriter, root, tiling);
  if (failed(fused))
    return root.emitOpError("could not be tiled");
  if (fused->loops.empty())
    return nullptr;
  // The partial M and N tiles, innermost first.
  peelPartialIterations(rewriter, llvm::to_vector(llvm::reverse(fused->loops)),
                        partials);
  return fused->loops.front().getOperation();
}

LogicalResult cpu::tileRemainderRows(IRRewriter &rewriter,
                                     ArrayRef<scf::ForOp> partials,
                                     int64_t remainderTileM) {
  // Static remainderTileM x tile-n and 1 x tile-n tiles still vectorize.
  // In a partial column tile of a static batch, the generic matched is the
  // tile's weight conversion (its rows are the tile's columns): it is
  // converted row by row, once, before the K loop.
  auto findRowRoot = [](Operation *scope) {
    linalg::GenericOp root;
    scope->walk([&](linalg::GenericOp generic) {
      if (generic.getNumLoops() == 2 && generic.getNumReductionLoops() == 0 &&
          ShapedType::isDynamic(generic.getStaticLoopRanges()[0]))
        root = generic;
    });
    return root;
  };
  SmallVector<int64_t, 2> rowSteps;
  if (remainderTileM > 1)
    rowSteps.push_back(remainderTileM);
  rowSteps.push_back(1);
  for (scf::ForOp partial : partials) {
    Operation *scope = partial;
    for (int64_t step : rowSteps) {
      linalg::GenericOp remainder = findRowRoot(scope);
      if (!remainder)
        break;
      scf::SCFTilingOptions rows;
      rows.setTileSizes(
          {rewriter.getIndexAttr(step), rewriter.getIndexAttr(0)});
      FailureOr<scf::SCFTileAndFuseResult> tiled =
          tileAndFuse(rewriter, remainder, rows);
      if (failed(tiled))
        return remainder.emitOpError("could not be tiled by rows");
      if (step == 1 || tiled->loops.empty())
        break;
      // The last, partial step of the multi-row loop holds the last rows.
      auto loop = dyn_cast<scf::ForOp>(tiled->loops.front().getOperation());
      scf::ForOp rest;
      if (!loop ||
          failed(scf::peelForLoopAndSimplifyBounds(rewriter, loop, rest)) ||
          !rest)
        break;
      scope = rest;
    }
  }
  return success();
}

LogicalResult cpu::tileReductions(IRRewriter &rewriter, Operation *nest,
                                  ArrayRef<scf::ForOp> partials,
                                  int64_t tileK) {
  // A set: a partial N loop lies inside the main M loop, so scopes nest.
  llvm::SetVector<linalg::GenericOp> contractions;
  auto collect = [&](Operation *scope) {
    scope->walk([&](linalg::GenericOp generic) {
      if (generic.getNumReductionLoops() > 0)
        contractions.insert(generic);
    });
  };
  collect(nest);
  // Tiles in the peeled row loops hold fewer rows than a full register tile.
  llvm::SmallPtrSet<Operation *, 8> remainderTiles;
  for (scf::ForOp partial : partials) {
    collect(partial);
    partial->walk([&](linalg::GenericOp generic) {
      if (generic.getNumReductionLoops() > 0)
        remainderTiles.insert(generic);
    });
  }
  for (linalg::GenericOp contraction : contractions) {
    // One-row tiles (the rows of a dynamic batch after the last full tile,
    // or a batch of one) take the GEMV form instead.
    FailureOr<bool> gemv = rewriteRowAsGemv(rewriter, contraction, tileK);
    if (failed(gemv))
      return failure();
    if (*gemv)
      continue;
    if (remainderTiles.contains(contraction))
      readWeightsUnpacked(rewriter, contraction);
    // A step never exceeds a static K, so a short reduction is one step.
    SmallVector<OpFoldResult> sizes(contraction.getNumLoops(),
                                    rewriter.getIndexAttr(0));
    SmallVector<int64_t> ranges = contraction.getStaticLoopRanges();
    for (auto [index, iterator] :
         llvm::enumerate(contraction.getIteratorTypesArray()))
      if (linalg::isReductionIterator(iterator))
        sizes[index] =
            rewriter.getIndexAttr(ShapedType::isDynamic(ranges[index])
                                      ? tileK
                                      : std::min(tileK, ranges[index]));
    FailureOr<scf::SCFTileAndFuseResult> reduced = tileAndFuse(
        rewriter, contraction, scf::SCFTilingOptions().setTileSizes(sizes),
        /*onlyWeightConversions=*/true);
    if (failed(reduced))
      return contraction.emitOpError("could not be tiled along its reduction");
    // Peel a partial last step.
    for (LoopLikeOpInterface loop : reduced->loops) {
      scf::ForOp partial;
      if (auto forOp = dyn_cast<scf::ForOp>(loop.getOperation()))
        (void)scf::peelForLoopAndSimplifyBounds(rewriter, forOp, partial);
    }
  }
  return success();
}
