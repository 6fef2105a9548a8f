//===- WeightPanels.cpp - register tiles sharing float weight panels ------===//
//
// The register_tiled kernel with weight panels: blocks of rows, then column
// tiles whose int8 weights are converted once per block into a float panel
// [K, tile-n], then register tiles that read the panel row by row.
//
//===----------------------------------------------------------------------===//

#include "CpuKernels.h"

#include "qtensor/Passes/PassUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::qtensor;
using namespace mlir::qtensor::cpu;

/// Replaces the [n, K] weight conversion that feeds `contraction` in one
/// column tile by a float panel [K, n], computed only when the block has at
/// least `minRows` rows (a full register tile; smaller tiles read the int8
/// weights themselves), and makes the contraction read the panel as (k, n):
/// register tiles then take weight rows of n contiguous floats, with no
/// transpose per tile.
static LogicalResult buildWeightPanel(IRRewriter &rewriter,
                                      linalg::GenericOp contraction,
                                      int64_t tileK, int64_t minRows) {
  OpOperand *rhs = contraction.getDpsInputOperand(1);
  auto conversion = rhs->get().getDefiningOp<linalg::GenericOp>();
  Value weights = conversion.getDpsInputOperand(0)->get();
  auto weightType = cast<RankedTensorType>(weights.getType());
  // A partial column tile whose width only canonicalization would make
  // static converts its weights per register tile instead.
  if (!weightType.hasStaticShape())
    return success();
  int64_t columns = weightType.getDimSize(0), depth = weightType.getDimSize(1);
  Type elementType = cast<RankedTensorType>(conversion.getResult(0).getType())
                         .getElementType();
  auto panelType = RankedTensorType::get({depth, columns}, elementType);
  Location loc = conversion.getLoc();

  rewriter.setInsertionPoint(conversion);
  Value lhs = contraction.getDpsInputOperand(0)->get();
  Value rows = tensor::DimOp::create(rewriter, loc, lhs, 0);
  Value enough = arith::CmpIOp::create(
      rewriter, loc, arith::CmpIPredicate::sge, rows,
      arith::ConstantIndexOp::create(rewriter, loc, minRows));
  auto guard = scf::IfOp::create(rewriter, loc, TypeRange{panelType}, enough,
                                 /*withElseRegion=*/true);
  guard->setAttr(kWeightPanelAttr, rewriter.getUnitAttr());
  {
    OpBuilder::InsertionGuard insertion(rewriter);
    rewriter.setInsertionPointToStart(guard.thenBlock());
    linalg::GenericOp panel = createWeightConversion(
        rewriter, loc, weights, elementType, /*transposed=*/true);
    panel->setAttr(kWeightPanelAttr, rewriter.getUnitAttr());
    // Convert tile-k rows of the panel at a time (vectors of a tile's size).
    scf::SCFTilingOptions steps;
    steps.setTileSizes({rewriter.getIndexAttr(0),
                        rewriter.getIndexAttr(std::min(tileK, depth))});
    FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
        rewriter, cast<TilingInterface>(panel.getOperation()), steps);
    if (failed(tiled))
      return failure();
    scf::YieldOp::create(rewriter, loc, tiled->replacements.front());
    rewriter.eraseOp(panel);
    rewriter.setInsertionPointToStart(guard.elseBlock());
    scf::YieldOp::create(rewriter, loc,
                         tensor::EmptyOp::create(
                             rewriter, loc, panelType.getShape(), elementType)
                             .getResult());
  }
  setWeightOperand(rewriter, contraction, guard.getResult(0), {2, 1});
  if (conversion->use_empty())
    rewriter.eraseOp(conversion);
  return success();
}

Value cpu::findPanelWeights(Value rhs) {
  // Tiling leaves whole-tensor slices of the panel behind.
  while (auto slice = rhs.getDefiningOp<tensor::ExtractSliceOp>()) {
    ArrayRef<int64_t> shape = slice.getSourceType().getShape();
    for (auto [offset, size, full] :
         llvm::zip(slice.getMixedOffsets(), slice.getMixedSizes(), shape))
      if (getConstantIntValue(offset) != 0 || getConstantIntValue(size) != full)
        return {};
    rhs = slice.getSource();
  }
  auto guard = rhs.getDefiningOp<scf::IfOp>();
  if (!guard || !guard->hasAttr(kWeightPanelAttr))
    return {};
  Value weights;
  guard.getThenRegion().walk([&](linalg::GenericOp panel) {
    if (!panel->hasAttr(kWeightPanelAttr))
      return;
    Value source = panel.getDpsInputOperand(0)->get();
    if (auto slice = source.getDefiningOp<tensor::ExtractSliceOp>())
      source = slice.getSource();
    weights = source;
  });
  return weights;
}

void cpu::readWeightsUnpacked(IRRewriter &rewriter,
                              linalg::GenericOp contraction) {
  // Other reductions (a run-time quantization's row maxima) read no panel.
  if (contraction.getNumLoops() != 3 || contraction.getNumDpsInputs() != 2)
    return;
  OpOperand *rhs = contraction.getDpsInputOperand(1);
  Value weights = findPanelWeights(rhs->get());
  if (!weights)
    return;
  rewriter.setInsertionPoint(contraction);
  Type elementType =
      cast<RankedTensorType>(rhs->get().getType()).getElementType();
  linalg::GenericOp conversion = createWeightConversion(
      rewriter, contraction.getLoc(), weights, elementType);
  conversion->setAttr(kWeightConvertAttr, rewriter.getUnitAttr());
  setWeightOperand(rewriter, contraction, conversion.getResult(0), {1, 2});
}

FailureOr<Operation *>
cpu::tileWithWeightPanels(IRRewriter &rewriter, linalg::GenericOp root,
                          CpuKernelAttr config,
                          SmallVectorImpl<scf::ForOp> &partials) {
  auto index = [&](int64_t value) { return rewriter.getIndexAttr(value); };

  scf::SCFTilingOptions blocks;
  blocks.setTileSizes({index(config.getPanelRows()), index(0)});
  FailureOr<scf::SCFTileAndFuseResult> blocked =
      tileAndFuse(rewriter, root, blocks);
  if (failed(blocked))
    return root.emitOpError("could not be tiled into row blocks");
  if (blocked->loops.empty())
    return root.emitOpError("has no row block loop");
  Operation *nest = blocked->loops.front();

  linalg::GenericOp blockRoot = findTiledRoot(nest);
  scf::SCFTilingOptions columns;
  columns.setTileSizes({index(0), index(config.getTileN())});
  FailureOr<scf::SCFTileAndFuseResult> columnTiles =
      tileAndFuse(rewriter, blockRoot, columns);
  if (failed(columnTiles) || columnTiles->loops.empty())
    return blockRoot.emitOpError("could not be tiled into column tiles");
  SmallVector<scf::ForOp> partialColumns;
  peelPartialIterations(rewriter, columnTiles->loops, partialColumns);
  SmallVector<Operation *, 2> columnScopes = {columnTiles->loops.front()};
  columnScopes.append(partialColumns.begin(), partialColumns.end());

  for (Operation *scope : columnScopes) {
    linalg::GenericOp columnRoot = findTiledRoot(scope);
    linalg::GenericOp contraction =
        columnRoot ? findWeightContraction(columnRoot) : nullptr;
    if (!contraction)
      return scope->emitOpError("lost its kernel when tiled into columns");
    if (failed(buildWeightPanel(rewriter, contraction, config.getTileK(),
                                config.getTileM())))
      return contraction.emitOpError("could not read a weight panel");
    scf::SCFTilingOptions rowTiles;
    rowTiles.setTileSizes({index(config.getTileM()), index(0)});
    FailureOr<scf::SCFTileAndFuseResult> registerTiles =
        tileAndFuse(rewriter, columnRoot, rowTiles);
    if (failed(registerTiles))
      return columnRoot.emitOpError("could not be tiled into register tiles");
    peelPartialIterations(rewriter, registerTiles->loops, partials);
  }
  return nest;
}
