//===- TileAndVectorize.cpp - register tiles for the CPU ------------------===//
//
// Tiles each kernel's output into register-sized blocks, pulls the
// contraction that produces a block into it, walks K in fixed steps and
// turns every op of a block into vector code.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Passes/PassUtils.h"
#include "qtensor/Passes/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/Transforms/Patterns.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/SetVector.h"

namespace mlir {
namespace qtensor {
#define GEN_PASS_DEF_QTENSORTILEANDVECTORIZE
#include "qtensor/Passes/Passes.h.inc"
} // namespace qtensor
} // namespace mlir

using namespace mlir;
using namespace mlir::qtensor;

namespace {

/// True when `slice` is read by a linalg op through a reduction dimension:
/// fusing its producer would recompute it for every tile.
bool isReadAcrossReduction(tensor::ExtractSliceOp slice) {
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

class TileAndVectorizePass
    : public mlir::qtensor::impl::QTensorTileAndVectorizeBase<TileAndVectorizePass> {
public:
  using Base::Base;

  void runOnOperation() override;

private:
  LogicalResult tileRoot(IRRewriter &rewriter, linalg::GenericOp root);
  /// Tiles `root` into blocks of rows, then columns, then register tiles of
  /// rows, converting each column tile's weights once per block into a
  /// float panel the register tiles share. Returns the outermost loop (null
  /// when there is none) and appends the peeled, partial row loops to
  /// `partials`.
  FailureOr<Operation *>
  tileWithWeightPanels(IRRewriter &rewriter, linalg::GenericOp root,
                       SmallVectorImpl<scf::ForOp> &partials);
  /// Splits N into an scf.forall of chunks and returns the root inside it,
  /// or `root` itself when N cannot be split evenly.
  FailureOr<linalg::GenericOp> splitColumns(IRRewriter &rewriter,
                                            linalg::GenericOp root);
};

/// True for the int8 -> float conversion of a weight (marked by
/// qtensor-lower-to-linalg): converting a tile again is cheaper than storing
/// the whole weight in float.
bool isWeightConversion(Value value) {
  Operation *producer = value.getDefiningOp();
  return producer && producer->hasAttr(kWeightConvertAttr);
}

/// The fusion rule of the output tiling levels: a producer is pulled into a
/// tile unless it is read across a reduction (it would be recomputed per
/// tile), weight conversions excepted. At the reduction level
/// (`onlyWeightConversions`), only weight conversions are pulled into the K
/// loop, so each step converts just the weights it multiplies.
scf::SCFTileAndFuseOptions makeFuseOptions(const scf::SCFTilingOptions &tiling,
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

/// Tiles `root` and fuses its producers; replaces and erases `root` and the
/// producers left dead.
FailureOr<scf::SCFTileAndFuseResult>
tileAndFuse(IRRewriter &rewriter, linalg::GenericOp root,
            const scf::SCFTilingOptions &tiling,
            bool onlyWeightConversions = false) {
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

constexpr llvm::StringLiteral kWeightPanelAttr = "qtensor.weight_panel";

/// Makes `contraction` read its weights from `weights`, indexed by the
/// iteration dimensions `dims` ((n, k) for [N, K], (k, n) for [K, N]).
void setWeightOperand(IRRewriter &rewriter, linalg::GenericOp contraction,
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

/// The contraction producing the first input of `root` (a kernel's
/// epilogue) when it reads a converted int8 weight in torch's [N, K] layout.
linalg::GenericOp findWeightContraction(linalg::GenericOp root) {
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

/// The tiled consumer of a tile-and-fuse: its 2-D elementwise generic that
/// is not a weight conversion.
linalg::GenericOp findTiledRoot(Operation *scope) {
  linalg::GenericOp found;
  scope->walk([&](linalg::GenericOp generic) {
    if (generic.getNumLoops() == 2 && generic.getNumReductionLoops() == 0 &&
        !generic->hasAttr(kWeightConvertAttr) &&
        !generic->hasAttr(kWeightPanelAttr))
      found = generic;
  });
  return found;
}

/// Replaces the [n, K] weight conversion that feeds `contraction` in one
/// column tile by a float panel [K, n], computed only when the block has at
/// least `minRows` rows (a full register tile; smaller tiles read the int8
/// weights themselves), and makes the contraction read the panel as (k, n):
/// register tiles then take weight rows of n contiguous floats, with no
/// transpose per tile.
LogicalResult buildWeightPanel(IRRewriter &rewriter,
                               linalg::GenericOp contraction, int64_t tileK,
                               int64_t minRows) {
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

/// The int8 [n, K] weights behind a column tile's float panel, or null.
Value findPanelWeights(Value rhs) {
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

/// Makes a register tile smaller than the panel's minimum read the int8
/// weights behind the panel again, converted per K step as without panels.
void readWeightsUnpacked(IRRewriter &rewriter, linalg::GenericOp contraction) {
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

/// Rewrites a one-row contraction `y[0, n] = sum_k x[0, k] * float(w(n, k))`
/// into its GEMV form: K is walked in steps of `lanes`, and each step adds
/// `lanes` products per output column into `lanes` separate partial sums,
///   acc[l, n] = fma(x[0, k + l], float(w(n, k + l)), acc[l, n]),
/// which the vector lanes hold: along K for weights in torch's [N, K] layout
/// (`lanes` contiguous weights per column times one piece of x), along N for
/// weights packed as [K, N] (one contiguous weight row per l, times x[k + l]
/// broadcast). Either way no weight tile is transposed and each (l, n) has a
/// dependency chain of its own. The partial sums are added once after the
/// loop, in lane order, so the result does not depend on the thread count.
/// Returns false, leaving the IR untouched, for contractions of another form.
FailureOr<bool> rewriteRowAsGemv(IRRewriter &rewriter,
                                 linalg::GenericOp contraction, int64_t lanes) {
  SmallVector<int64_t> ranges = contraction.getStaticLoopRanges();
  if (contraction.getNumLoops() != 3 || contraction.getNumDpsInputs() != 2 ||
      ranges[0] != 1 || ShapedType::isDynamic(ranges[1]) ||
      ShapedType::isDynamic(ranges[2]) || ranges[2] % lanes != 0)
    return false;
  SmallVector<AffineMap> maps = contraction.getIndexingMapsArray();
  Value rhs = contraction.getDpsInputOperand(1)->get();
  // A one-row tile reads the int8 weights behind a column tile's panel.
  Value panelWeights = findPanelWeights(rhs);
  if (panelWeights)
    maps[1] = AffineMap::get(
        3, 0, {rewriter.getAffineDimExpr(1), rewriter.getAffineDimExpr(2)},
        rewriter.getContext());
  bool weightRowsAlongK = isDimMap(maps[1], {1, 2});
  if (!isDimMap(maps[0], {0, 2}) ||
      !(weightRowsAlongK || isDimMap(maps[1], {2, 1})) ||
      !isDimMap(maps[2], {0, 1}))
    return false;
  // The body must be the plain multiply-accumulate lower-to-linalg builds.
  Block &body = contraction.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
  if (body.getOperations().size() != 3 || !add)
    return false;
  auto mul = add.getRhs().getDefiningOp<arith::MulFOp>();
  if (!mul || add.getLhs() != body.getArgument(2) ||
      mul.getLhs() != body.getArgument(0) ||
      mul.getRhs() != body.getArgument(1))
    return false;

  Location loc = contraction.getLoc();
  Value lhs = contraction.getDpsInputOperand(0)->get();
  // Read the int8 weights themselves and convert them in the loop body.
  auto conversion = rhs.getDefiningOp<linalg::GenericOp>();
  if (panelWeights) {
    rhs = panelWeights;
    conversion = nullptr;
  } else if (conversion && isWeightConversion(rhs)) {
    rhs = conversion.getDpsInputOperand(0)->get();
  } else {
    conversion = nullptr;
  }
  Type elementType = contraction.getDpsInitOperand(0)->get().getType();
  elementType = cast<RankedTensorType>(elementType).getElementType();
  int64_t columns = ranges[1];

  // Dimensions of the step and of the partial sums: (m, n, l) for [N, K]
  // weights, (m, l, n) for [K, N] ones, so that the lanes are innermost.
  MLIRContext *context = rewriter.getContext();
  AffineExpr d0, d1, d2;
  bindDims(context, d0, d1, d2);
  AffineExpr n = weightRowsAlongK ? d1 : d2;
  AffineExpr l = weightRowsAlongK ? d2 : d1;
  unsigned laneDim = weightRowsAlongK ? 2 : 1;
  SmallVector<int64_t> accShape = {1, columns, lanes};
  if (!weightRowsAlongK)
    std::swap(accShape[1], accShape[2]);

  rewriter.setInsertionPoint(contraction);
  auto accType = RankedTensorType::get(accShape, elementType);
  Value zero = arith::ConstantOp::create(rewriter, loc,
                                         rewriter.getZeroAttr(elementType));
  Value empty = tensor::EmptyOp::create(rewriter, loc, accShape, elementType);
  Value acc0 = linalg::FillOp::create(rewriter, loc, zero, empty).getResult(0);

  SmallVector<AffineMap> stepMaps = {
      AffineMap::get(3, 0, {d0, l}, context),
      AffineMap::get(3, 0,
                     weightRowsAlongK ? ArrayRef<AffineExpr>{n, l}
                                      : ArrayRef<AffineExpr>{l, n},
                     context),
      AffineMap::get(3, 0, {d0, d1, d2}, context)};
  SmallVector<utils::IteratorType> parallel(3, utils::IteratorType::parallel);
  Value lower = arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value upper = arith::ConstantIndexOp::create(rewriter, loc, ranges[2]);
  Value step = arith::ConstantIndexOp::create(rewriter, loc, lanes);
  auto loop = scf::ForOp::create(
      rewriter, loc, lower, upper, step, ValueRange{acc0},
      [&](OpBuilder &b, Location bodyLoc, Value k, ValueRange iterArgs) {
        OpFoldResult zeroIndex = b.getIndexAttr(0);
        SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
        Value lhsStep = tensor::ExtractSliceOp::create(
            b, bodyLoc, lhs, {zeroIndex, k},
            {b.getIndexAttr(1), b.getIndexAttr(lanes)}, strides);
        SmallVector<OpFoldResult> rhsOffsets = {zeroIndex, k};
        SmallVector<OpFoldResult> rhsSizes = {b.getIndexAttr(columns),
                                              b.getIndexAttr(lanes)};
        if (!weightRowsAlongK) {
          std::swap(rhsOffsets[0], rhsOffsets[1]);
          std::swap(rhsSizes[0], rhsSizes[1]);
        }
        Value rhsStep = tensor::ExtractSliceOp::create(
            b, bodyLoc, rhs, rhsOffsets, rhsSizes, strides);
        auto fma = linalg::GenericOp::create(
            b, bodyLoc, accType, ValueRange{lhsStep, rhsStep}, iterArgs[0],
            stepMaps, parallel,
            [&](OpBuilder &inner, Location innerLoc, ValueRange args) {
              Value weight = args[1];
              if (isa<IntegerType>(weight.getType()))
                weight = arith::SIToFPOp::create(inner, innerLoc, elementType,
                                                 weight);
              Value sum = math::FmaOp::create(inner, innerLoc, args[0], weight,
                                              args[2]);
              linalg::YieldOp::create(inner, innerLoc, sum);
            });
        scf::YieldOp::create(b, bodyLoc, fma.getResult(0));
      });

  // y[0, n] = init[0, n] + sum_l acc[l, n].
  SmallVector<AffineMap> reduceMaps = {
      AffineMap::get(3, 0, {d0, d1, d2}, context),
      AffineMap::get(3, 0, {d0, n}, context)};
  SmallVector<utils::IteratorType> reduceIterators(
      3, utils::IteratorType::parallel);
  reduceIterators[laneDim] = utils::IteratorType::reduction;
  auto reduce = linalg::GenericOp::create(
      rewriter, loc, contraction.getResultTypes(), loop.getResult(0),
      contraction.getDpsInitOperand(0)->get(), reduceMaps, reduceIterators,
      [&](OpBuilder &b, Location bodyLoc, ValueRange args) {
        linalg::YieldOp::create(
            b, bodyLoc,
            arith::AddFOp::create(b, bodyLoc, args[1], args[0]).getResult());
      });
  rewriter.replaceOp(contraction, reduce.getResults());
  if (conversion && conversion->use_empty())
    rewriter.eraseOp(conversion);
  return true;
}

/// Gives the input rows of a contraction a padded stride when theirs is a
/// multiple of 2 KiB (K a multiple of 512 for f32): the rows of a register
/// tile then sit at the same offset within 4 KiB, fall into one or two sets
/// of the L1 data cache and evict each other at every K step (K = 4096 ran
/// at 2/3 of the speed of K = 4160 on the development machine). The copy is
/// made once per call, before the kernel, into rows 64 bytes longer; inputs
/// shared by several contractions are copied once.
void padInputRows(IRRewriter &rewriter, linalg::GenericOp contraction,
                  llvm::DenseMap<Value, Value> &padded) {
  OpOperand *input = contraction.getDpsInputOperand(0);
  auto type = dyn_cast<RankedTensorType>(input->get().getType());
  if (!type || type.getRank() != 2 || !type.getElementType().isIntOrFloat() ||
      !isDimMap(contraction.getMatchingIndexingMap(input), {0, 2}))
    return;
  int64_t rows = type.getDimSize(0), columns = type.getDimSize(1);
  int64_t elementBytes = type.getElementTypeBitWidth() / 8;
  constexpr int64_t kAliasStrideBytes = 2048, kPadBytes = 64;
  // Tiles of a few rows fit the cache's ways anyway.
  if (elementBytes == 0 || ShapedType::isDynamic(columns) ||
      (columns * elementBytes) % kAliasStrideBytes != 0 ||
      (!ShapedType::isDynamic(rows) && rows < 8))
    return;
  Value &copy = padded[input->get()];
  if (!copy) {
    rewriter.setInsertionPointAfterValue(input->get());
    Location loc = contraction.getLoc();
    SmallVector<OpFoldResult> sizes =
        tensor::getMixedSizes(rewriter, loc, input->get());
    SmallVector<OpFoldResult> paddedSizes = sizes;
    paddedSizes[1] = rewriter.getIndexAttr(columns + kPadBytes / elementBytes);
    Value buffer = tensor::EmptyOp::create(rewriter, loc, paddedSizes,
                                           type.getElementType());
    SmallVector<OpFoldResult> zeros(2, rewriter.getIndexAttr(0));
    SmallVector<OpFoldResult> ones(2, rewriter.getIndexAttr(1));
    Value rowsView = tensor::ExtractSliceOp::create(rewriter, loc, buffer,
                                                    zeros, sizes, ones);
    copy = linalg::CopyOp::create(rewriter, loc, input->get(), rowsView)
               .getResult(0);
  }
  rewriter.modifyOpInPlace(contraction, [&] { input->set(copy); });
}

/// Peels the last, partial iteration off each scf.for of `loops`, in order,
/// so that the main iterations have static tile sizes and vectorize without
/// masks; appends the partial iterations' loops to `partials`.
void peelPartialIterations(IRRewriter &rewriter,
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

} // namespace

LogicalResult TileAndVectorizePass::tileRoot(IRRewriter &rewriter,
                                             linalg::GenericOp root) {
  // A tile never exceeds a static dimension, so a small layer is one tile
  // with static sizes rather than a partial one.
  SmallVector<int64_t> ranges = root.getStaticLoopRanges();
  auto clamp = [](int64_t tile, int64_t range) {
    return ShapedType::isDynamic(range) ? tile : std::min(tile, range);
  };
  SmallVector<scf::ForOp> partials;
  Operation *nest = nullptr;
  // Batches that may hold full register tiles share converted weights, when
  // a panel and the input rows of a register tile fit in L2 together: a
  // 704 KiB panel (K = 11008) made 11008 x 4096 at M = 256 slower (97 ms)
  // than converting per tile (75 ms) on a 1 MiB L2.
  constexpr int64_t kMaxPanelBytes = 256 * 1024;
  linalg::GenericOp weightContraction = findWeightContraction(root);
  int64_t depth = weightContraction ? weightContraction.getStaticLoopRanges()[2]
                                    : ShapedType::kDynamic;
  if (weightContraction && !ShapedType::isDynamic(depth) &&
      depth * tileN *
              (cast<ShapedType>(weightContraction.getResult(0).getType())
                   .getElementTypeBitWidth() /
               8) <=
          kMaxPanelBytes &&
      (ShapedType::isDynamic(ranges[0]) || ranges[0] >= tileM) &&
      !ShapedType::isDynamic(ranges[1])) {
    FailureOr<Operation *> panelNest =
        tileWithWeightPanels(rewriter, root, partials);
    if (failed(panelNest))
      return failure();
    nest = *panelNest;
  } else {
    scf::SCFTilingOptions tiling;
    tiling.setTileSizes({rewriter.getIndexAttr(clamp(tileM, ranges[0])),
                         rewriter.getIndexAttr(clamp(tileN, ranges[1]))});
    FailureOr<scf::SCFTileAndFuseResult> fused =
        tileAndFuse(rewriter, root, tiling);
    if (failed(fused))
      return root.emitOpError("could not be tiled");
    if (fused->loops.empty())
      return success();
    nest = fused->loops.front();
    // The partial M and N tiles, innermost first.
    peelPartialIterations(
        rewriter, llvm::to_vector(llvm::reverse(fused->loops)), partials);
  }
  if (!nest)
    return success();
  // The rows after the last full tile (a dynamic batch's remainder, all of
  // it when the batch is smaller than tile-m) go 4 rows at a time, then one:
  // static 4 x tile-n and 1 x tile-n tiles still vectorize, and 4-row tiles
  // read each weight tile once for 4 rows.
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
  if (tileM > 4)
    rowSteps.push_back(4);
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
      // The last, partial step of the 4-row loop holds the last rows.
      auto loop = dyn_cast<scf::ForOp>(tiled->loops.front().getOperation());
      scf::ForOp rest;
      if (!loop ||
          failed(scf::peelForLoopAndSimplifyBounds(rewriter, loop, rest)) ||
          !rest)
        break;
      scope = rest;
    }
  }

  // Walk K in fixed steps inside each tile, converting the weights of each
  // step inside the loop; peel a partial last step.
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
    SmallVector<OpFoldResult> sizes(contraction.getNumLoops(),
                                    rewriter.getIndexAttr(0));
    SmallVector<int64_t> opRanges = contraction.getStaticLoopRanges();
    for (auto [index, iterator] :
         llvm::enumerate(contraction.getIteratorTypesArray()))
      if (linalg::isReductionIterator(iterator))
        sizes[index] = rewriter.getIndexAttr(clamp(tileK, opRanges[index]));
    FailureOr<scf::SCFTileAndFuseResult> reduced = tileAndFuse(
        rewriter, contraction, scf::SCFTilingOptions().setTileSizes(sizes),
        /*onlyWeightConversions=*/true);
    if (failed(reduced))
      return contraction.emitOpError("could not be tiled along its reduction");
    for (LoopLikeOpInterface loop : reduced->loops) {
      scf::ForOp partial;
      if (auto forOp = dyn_cast<scf::ForOp>(loop.getOperation()))
        (void)scf::peelForLoopAndSimplifyBounds(rewriter, forOp, partial);
    }
  }
  return success();
}

FailureOr<Operation *> TileAndVectorizePass::tileWithWeightPanels(
    IRRewriter &rewriter, linalg::GenericOp root,
    SmallVectorImpl<scf::ForOp> &partials) {
  // Rows per block: the register tiles of a block reuse each column tile's
  // panel; a block of inputs (256 rows of K floats) stays in the caches
  // while all column tiles go by.
  constexpr int64_t kBlockRows = 256;
  SmallVector<int64_t> ranges = root.getStaticLoopRanges();
  auto clamp = [](int64_t tile, int64_t range) {
    return ShapedType::isDynamic(range) ? tile : std::min(tile, range);
  };
  auto index = [&](int64_t value) { return rewriter.getIndexAttr(value); };

  scf::SCFTilingOptions blocks;
  blocks.setTileSizes({index(clamp(kBlockRows, ranges[0])), index(0)});
  FailureOr<scf::SCFTileAndFuseResult> blocked =
      tileAndFuse(rewriter, root, blocks);
  if (failed(blocked))
    return root.emitOpError("could not be tiled into row blocks");
  if (blocked->loops.empty())
    return root.emitOpError("has no row block loop");
  Operation *nest = blocked->loops.front();

  linalg::GenericOp blockRoot = findTiledRoot(nest);
  scf::SCFTilingOptions columns;
  columns.setTileSizes({index(0), index(clamp(tileN, ranges[1]))});
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
    if (failed(buildWeightPanel(rewriter, contraction, tileK, tileM)))
      return contraction.emitOpError("could not read a weight panel");
    scf::SCFTilingOptions rowTiles;
    rowTiles.setTileSizes({index(tileM), index(0)});
    FailureOr<scf::SCFTileAndFuseResult> registerTiles =
        tileAndFuse(rewriter, columnRoot, rowTiles);
    if (failed(registerTiles))
      return columnRoot.emitOpError("could not be tiled into register tiles");
    peelPartialIterations(rewriter, registerTiles->loops, partials);
  }
  return nest;
}

FailureOr<linalg::GenericOp>
TileAndVectorizePass::splitColumns(IRRewriter &rewriter,
                                   linalg::GenericOp root) {
  int64_t columns = root.getStaticLoopRanges()[1];
  int64_t chunk = 0;
  if (!ShapedType::isDynamic(columns))
    for (int64_t size = parallelChunk / tileN * tileN; size >= tileN;
         size -= tileN)
      if (columns % size == 0 && columns / size >= 2) {
        chunk = size;
        break;
      }
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

void TileAndVectorizePass::runOnOperation() {
  if (tileM <= 0 || tileN <= 0 || tileK <= 0) {
    emitError(getOperation().getLoc())
        << "qtensor-tile-and-vectorize: tile sizes must be positive, got "
           "tile-m="
        << static_cast<int64_t>(tileM)
        << " tile-n=" << static_cast<int64_t>(tileN)
        << " tile-k=" << static_cast<int64_t>(tileK);
    return signalPassFailure();
  }
  func::FuncOp func = getOperation();
  IRRewriter rewriter(&getContext());

  // Roots: 2-D elementwise generics directly in the function body (ops in
  // tiles are inside loops), the last one first, so a chain contraction ->
  // scale -> bias is tiled once from its last op. Tiling erases the root and
  // the producers it fused, so the roots are found again each time.
  // Kernels with an empty dimension compute nothing: they stay untiled
  // (loops without iterations once lowered).
  {
    llvm::DenseMap<Value, Value> padded;
    SmallVector<linalg::GenericOp> contractions;
    for (Operation &op : func.getBody().getOps())
      if (auto generic = dyn_cast<linalg::GenericOp>(op))
        if (generic.getNumLoops() == 3 && generic.getNumReductionLoops() == 1 &&
            generic.hasPureTensorSemantics())
          contractions.push_back(generic);
    for (linalg::GenericOp contraction : contractions)
      padInputRows(rewriter, contraction, padded);
  }

  llvm::SmallPtrSet<Operation *, 4> empty;
  while (true) {
    linalg::GenericOp root;
    for (Operation &op : func.getBody().getOps())
      if (auto generic = dyn_cast<linalg::GenericOp>(op))
        if (generic.getNumLoops() == 2 && generic.getNumReductionLoops() == 0 &&
            generic.hasPureTensorSemantics() && !empty.contains(generic))
          root = generic;
    if (!root)
      break;
    if (llvm::is_contained(root.getStaticLoopRanges(), 0)) {
      empty.insert(root);
      continue;
    }
    if (root->use_empty()) {
      rewriter.eraseOp(root);
      continue;
    }
    if (parallelChunk > 0) {
      FailureOr<linalg::GenericOp> inner = splitColumns(rewriter, root);
      if (failed(inner))
        return signalPassFailure();
      root = *inner;
    }
    if (failed(tileRoot(rewriter, root)))
      return signalPassFailure();
  }

  if (!vectorize)
    return;
  // Sizes read off a loop's result (the row loop's bound is the batch
  // remainder, taken from the contraction loop's result) come from its
  // init instead, which leaves the remainder's unrowed contraction dead.
  {
    RewritePatternSet patterns(&getContext());
    scf::populateSCFForLoopCanonicalizationPatterns(patterns);
    if (failed(applyPatternsGreedily(func, std::move(patterns))))
      return signalPassFailure();
  }
  // Fold the bounds that peeling made static, then vectorize every linalg
  // op inside a tile loop whose shape is static now.
  OpPassManager cleanup(func::FuncOp::getOperationName());
  cleanup.addPass(createCanonicalizerPass());
  if (failed(runPipeline(cleanup, func)))
    return signalPassFailure();
  SmallVector<linalg::LinalgOp> candidates;
  func.walk([&](linalg::LinalgOp op) {
    if (op->getParentOfType<scf::ForOp>() && op.hasPureTensorSemantics() &&
        !op.hasDynamicShape())
      candidates.push_back(op);
  });
  for (linalg::LinalgOp op : candidates) {
    rewriter.setInsertionPoint(op);
    FailureOr<linalg::VectorizationResult> vectorized =
        linalg::vectorize(rewriter, op);
    if (failed(vectorized))
      continue; // Stays a linalg op; lowered to scalar loops later.
    rewriter.replaceOp(op, vectorized->replacements);
  }

  // mul + multi_reduction over K is a vector.contract; transposed and
  // broadcast reads become plain reads plus vector ops.
  RewritePatternSet patterns(&getContext());
  vector::populateVectorReductionToContractPatterns(patterns);
  vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
  if (failed(applyPatternsGreedily(func, std::move(patterns))))
    return signalPassFailure();
}
