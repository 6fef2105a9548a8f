//===- Gemv.cpp - one-row CPU tiles as GEMVs ------------------------------===//
//
// The GEMV form of a one-row tile (a batch of one, the last rows of a
// dynamic batch): partial sums along K held in vector lanes, so that no
// weight tile is transposed.
//
//===----------------------------------------------------------------------===//

#include "CpuKernels.h"

#include "qtensor/Passes/PassUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::qtensor;
using namespace mlir::qtensor::cpu;

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
FailureOr<bool> cpu::rewriteRowAsGemv(IRRewriter &rewriter,
                                      linalg::GenericOp contraction,
                                      int64_t lanes) {
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
  loop->setAttr(kGemvLoopAttr, rewriter.getUnitAttr());

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
