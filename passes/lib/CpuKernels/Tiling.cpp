//===- Tiling.cpp - tile and fuse, shared by the CPU kernel shapes --------===//
//
// The fusion rule of the CPU kernels (which producers a tile computes), the
// peeling of partial tiles, the matchers that find a kernel's parts again
// after each tiling level, and the split of a kernel's columns into
// parallel chunks.
//
//===----------------------------------------------------------------------===//

#include "CpuKernels.h"

#include "qtensor/Passes/PassUtils.h"

#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::qtensor;
using namespace mlir::qtensor::cpu;

/// True when `slice` is read by a linalg op through a reduction dimension:
/// fusing its producer would recompute it for every tile.
static bool isReadAcrossReduction(tensor::ExtractSliceOp slice) {
  for (OpOperand &use : slice->getUses()) {
    auto user = dyn_cast<linalg::LinalgOp>(use.getOwner());
    if (!user)
      continue;
    SmallVector<utils::IteratorType> iterators = user.getIteratorTypesArray();
    for (AffineExpr expr : user.getMatchingIndexingMap(&use).getResults())
      if (auto dim = dyn_cast<AffineDimExpr>(expr))
        if (linalg::isReductionIterator(iterators[dim.getPosition()]))
          return true;
  }
  return false;
}

bool cpu::isWeightConversion(Value value) {
  Operation *producer = value.getDefiningOp();
  return producer && producer->hasAttr(kWeightConvertAttr);
}

/// The fusion rule of tileAndFuse (CpuKernels.h).
static scf::SCFTileAndFuseOptions
makeFuseOptions(const scf::SCFTilingOptions &tiling,
                bool onlyWeightConversions) {
  scf::SCFTileAndFuseOptions options;
  options.setTilingOptions(tiling);
  options.setFusionControlFn(
      [onlyWeightConversions](tensor::ExtractSliceOp slice, OpResult, bool)
          -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
        bool conversion = isWeightConversion(slice.getSource());
        if (onlyWeightConversions ? !conversion
                                  : isReadAcrossReduction(slice) && !conversion)
          return std::nullopt;
        return scf::SCFTileAndFuseOptions::ControlFnResult{};
      });
  return options;
}

FailureOr<scf::SCFTileAndFuseResult>
cpu::tileAndFuse(IRRewriter &rewriter, linalg::GenericOp root,
                 const scf::SCFTilingOptions &tiling,
                 bool onlyWeightConversions) {
  rewriter.setInsertionPoint(root);
  FailureOr<scf::SCFTileAndFuseResult> fused =
      scf::tileConsumerAndFuseProducersUsingSCF(
          rewriter, cast<TilingInterface>(root.getOperation()),
          makeFuseOptions(tiling, onlyWeightConversions));
  if (failed(fused))
    return failure();
  for (OpResult result : root->getResults())
    rewriter.replaceAllUsesWith(result, fused->replacements.lookup(result));
  rewriter.eraseOp(root);
  // Producers now computed inside the tiles are dead outside them.
  for (Operation *producer : llvm::reverse(fused->fusedProducers))
    if (producer->use_empty())
      rewriter.eraseOp(producer);
  return fused;
}

void cpu::setWeightOperand(IRRewriter &rewriter, linalg::GenericOp contraction,
                           Value weights, ArrayRef<unsigned> dims) {
  SmallVector<AffineMap> maps = contraction.getIndexingMapsArray();
  SmallVector<AffineExpr> results;
  for (unsigned dim : dims)
    results.push_back(rewriter.getAffineDimExpr(dim));
  maps[1] = AffineMap::get(3, 0, results, rewriter.getContext());
  rewriter.modifyOpInPlace(contraction, [&] {
    contraction.getDpsInputOperand(1)->set(weights);
    contraction.setIndexingMapsAttr(rewriter.getAffineMapArrayAttr(maps));
  });
}

linalg::GenericOp cpu::findWeightContraction(linalg::GenericOp root) {
  if (root.getNumDpsInputs() == 0)
    return {};
  auto contraction =
      root.getDpsInputOperand(0)->get().getDefiningOp<linalg::GenericOp>();
  if (!contraction || contraction.getNumLoops() != 3 ||
      contraction.getNumReductionLoops() != 1 ||
      contraction.getNumDpsInputs() != 2)
    return {};
  OpOperand *rhs = contraction.getDpsInputOperand(1);
  if (!isWeightConversion(rhs->get()) ||
      !isDimMap(contraction.getMatchingIndexingMap(rhs), {1, 2}))
    return {};
  return contraction;
}

linalg::GenericOp cpu::findTiledRoot(Operation *scope) {
  linalg::GenericOp found;
  scope->walk([&](linalg::GenericOp generic) {
    if (generic.getNumLoops() == 2 && generic.getNumReductionLoops() == 0 &&
        !generic->hasAttr(kWeightConvertAttr) &&
        !generic->hasAttr(kWeightPanelAttr))
      found = generic;
  });
  return found;
}

void cpu::peelPartialIterations(IRRewriter &rewriter,
                                ArrayRef<LoopLikeOpInterface> loops,
                                SmallVectorImpl<scf::ForOp> &partials) {
  for (LoopLikeOpInterface loop : loops) {
    auto forOp = dyn_cast<scf::ForOp>(loop.getOperation());
    scf::ForOp partial;
    if (forOp &&
        succeeded(
            scf::peelForLoopAndSimplifyBounds(rewriter, forOp, partial)) &&
        partial)
      partials.push_back(partial);
  }
}

FailureOr<linalg::GenericOp>
cpu::splitColumns(IRRewriter &rewriter, linalg::GenericOp root, int64_t chunk) {
  if (chunk == 0)
    return root;
  scf::SCFTilingOptions tiling;
  tiling.setTileSizes({rewriter.getIndexAttr(0), rewriter.getIndexAttr(chunk)});
  tiling.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
  FailureOr<scf::SCFTileAndFuseResult> fused =
      tileAndFuse(rewriter, root, tiling);
  if (failed(fused))
    return root.emitOpError("could not be split into parallel chunks");
  // The chunk's own root: its last 2-D elementwise generic.
  linalg::GenericOp inner;
  fused->loops.front()->walk([&](linalg::GenericOp generic) {
    if (generic.getNumLoops() == 2 && generic.getNumReductionLoops() == 0)
      inner = generic;
  });
  if (!inner)
    return root.emitOpError("lost its root when split into chunks");
  return inner;
}
