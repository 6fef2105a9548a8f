//===- LowerToLinalg.cpp - qtensor ops and types to linalg ----------------===//
//
// The last qtensor-specific step before the generic CPU/GPU code generation:
// quantized values become (data, scale) pairs and every op a linalg.generic
// or a tensor reshape.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Passes/Passes.h"

#include "qtensor/Passes/PassUtils.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Transforms/DialectConversion.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cfloat>

namespace mlir {
namespace qtensor {
#define GEN_PASS_DEF_QTENSORLOWERTOLINALG
#include "qtensor/Passes/Passes.h.inc"
} // namespace qtensor
} // namespace mlir

using namespace mlir;
using namespace mlir::qtensor;

namespace {

using BodyBuilder = function_ref<Value(OpBuilder &, Location, ValueRange)>;

SmallVector<utils::IteratorType> parallelIterators(int64_t rank);

/// Builds a single-result linalg.generic whose body yields `body(args)`.
Value buildGeneric(OpBuilder &builder, Location loc, ValueRange inputs,
                   Value init, ArrayRef<AffineMap> maps,
                   ArrayRef<utils::IteratorType> iterators, BodyBuilder body) {
  auto generic = linalg::GenericOp::create(
      builder, loc, init.getType(), inputs, init, maps, iterators,
      [&](OpBuilder &b, Location nestedLoc, ValueRange args) {
        linalg::YieldOp::create(b, nestedLoc, body(b, nestedLoc, args));
      });
  return generic.getResult(0);
}

/// A zero-filled tensor of `type`, dynamic sizes taken from `like`.
Value buildZeros(OpBuilder &builder, Location loc, RankedTensorType type,
                 ArrayRef<OpFoldResult> sizes) {
  Value empty =
      tensor::EmptyOp::create(builder, loc, sizes, type.getElementType());
  Value zero = arith::ConstantOp::create(
      builder, loc, builder.getZeroAttr(type.getElementType()));
  return linalg::FillOp::create(builder, loc, zero, empty).getResult(0);
}

/// out[m, n] = sum_k lhs[m, k] * float(rhs[...]) where `rhsMap` says how rhs
/// is indexed: (m, n, k) -> (k, n) for mixed_mm, (n, k) for the fused kernel
/// and the float linear (weight in torch's [N, K] layout). Integer rhs
/// elements are converted by an elementwise generic of their own (marked
/// kWeightConvertAttr): tiling then converts each weight element once per
/// tile, not once per row of the tile as a conversion inside the reduction
/// would once vectorized.
Value buildContraction(OpBuilder &builder, Location loc, Value lhs, Value rhs,
                       bool rhsTransposed) {
  MLIRContext *context = builder.getContext();
  auto lhsType = cast<RankedTensorType>(lhs.getType());
  Type elementType = lhsType.getElementType();
  auto rhsType = cast<RankedTensorType>(rhs.getType());
  if (isa<IntegerType>(rhsType.getElementType())) {
    linalg::GenericOp conversion =
        createWeightConversion(builder, loc, rhs, elementType);
    conversion->setAttr(kWeightConvertAttr, builder.getUnitAttr());
    rhs = conversion.getResult(0);
  }
  AffineExpr m, n, k;
  bindDims(context, m, n, k);
  SmallVector<AffineMap> maps = {
      AffineMap::get(3, 0, {m, k}, context),
      AffineMap::get(3, 0,
                     rhsTransposed ? ArrayRef<AffineExpr>{n, k}
                                   : ArrayRef<AffineExpr>{k, n},
                     context),
      AffineMap::get(3, 0, {m, n}, context)};
  unsigned outDim = rhsTransposed ? 0 : 1;
  auto resultType = RankedTensorType::get(
      {lhsType.getDimSize(0),
       cast<RankedTensorType>(rhs.getType()).getDimSize(outDim)},
      elementType);
  Value init = buildZeros(builder, loc, resultType,
                          {tensor::getMixedSize(builder, loc, lhs, 0),
                           tensor::getMixedSize(builder, loc, rhs, outDim)});
  return buildGeneric(
      builder, loc, {lhs, rhs}, init, maps,
      {utils::IteratorType::parallel, utils::IteratorType::parallel,
       utils::IteratorType::reduction},
      [&](OpBuilder &b, Location l, ValueRange args) {
        Value product = arith::MulFOp::create(b, l, args[0], args[1]);
        return arith::AddFOp::create(b, l, args[2], product).getResult();
      });
}

/// The map from an iteration space of `rank` dims onto a tensor of `shape`
/// that broadcasts along its size-1 dimensions (when `dims` does not say 1).
AffineMap getBroadcastMap(ArrayRef<int64_t> shape, ArrayRef<int64_t> dims,
                          MLIRContext *context) {
  SmallVector<AffineExpr> exprs;
  for (auto [index, size] : llvm::enumerate(shape))
    exprs.push_back(size == 1 && dims[index] != 1
                        ? getAffineConstantExpr(0, context)
                        : getAffineDimExpr(index, context));
  return AffineMap::get(shape.size(), 0, exprs, context);
}

SmallVector<utils::IteratorType> parallelIterators(int64_t rank) {
  return SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel);
}

//===----------------------------------------------------------------------===//
// Quantized values: pack, data, scale, transpose, dequantize, quantize
//===----------------------------------------------------------------------===//

struct LowerPack : OpConversionPattern<PackOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(PackOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    SmallVector<Value> parts = {adaptor.getData(), adaptor.getScale()};
    rewriter.replaceOpWithMultiple(op, {parts});
    return success();
  }
};

template <typename OpTy, unsigned Part>
struct LowerPart : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  using OneToNOpAdaptor = typename OpConversionPattern<OpTy>::OneToNOpAdaptor;
  LogicalResult
  matchAndRewrite(OpTy op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, adaptor.getInput()[Part]);
    return success();
  }
};
using LowerData = LowerPart<DataOp, 0>;
using LowerScale = LowerPart<ScaleOp, 1>;

/// Reshapes a scale of shape [a, b] with one unit dimension into [b, a].
Value transposeUnitScale(OpBuilder &builder, Location loc, Value scale,
                         RankedTensorType resultType) {
  if (scale.getType() == resultType)
    return scale;
  Value flat = tensor::CollapseShapeOp::create(builder, loc, scale, {{0, 1}});
  SmallVector<OpFoldResult> shape;
  for (int64_t size : resultType.getShape())
    shape.push_back(builder.getIndexAttr(size));
  return tensor::ExpandShapeOp::create(builder, loc, resultType, flat, {{0, 1}},
                                       shape);
}

Value buildTranspose(OpBuilder &builder, Location loc, Value input,
                     RankedTensorType resultType) {
  Value init =
      tensor::EmptyOp::create(builder, loc,
                              {tensor::getMixedSize(builder, loc, input, 1),
                               tensor::getMixedSize(builder, loc, input, 0)},
                              resultType.getElementType());
  return linalg::TransposeOp::create(builder, loc, input, init,
                                     ArrayRef<int64_t>{1, 0})
      ->getResult(0);
}

struct LowerTranspose : OpConversionPattern<TransposeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(TransposeOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    ValueRange input = adaptor.getInput();
    auto quantized = dyn_cast<QuantizedTensorType>(op.getType());
    if (!quantized) {
      rewriter.replaceOp(op,
                         buildTranspose(rewriter, loc, input[0],
                                        cast<RankedTensorType>(op.getType())));
      return success();
    }
    SmallVector<Value> parts = {
        buildTranspose(rewriter, loc, input[0], quantized.getDataType()),
        transposeUnitScale(rewriter, loc, input[1], quantized.getScaleType())};
    rewriter.replaceOpWithMultiple(op, {parts});
    return success();
  }
};

/// The map from the [R, C] iteration space of a quantized tensor to its
/// scale tensor.
AffineMap getScaleMap(QuantizedTensorType type) {
  MLIRContext *context = type.getContext();
  AffineExpr r = getAffineDimExpr(0, context), c = getAffineDimExpr(1, context);
  AffineExpr zero = getAffineConstantExpr(0, context);
  switch (type.getLayout()) {
  case ScaleLayout::PerRow:
    return AffineMap::get(2, 0, {r, zero}, context);
  case ScaleLayout::PerColumn:
    return AffineMap::get(2, 0, {zero, c}, context);
  case ScaleLayout::PerTensor:
    return AffineMap::get(2, 0, {zero, zero}, context);
  case ScaleLayout::PerGroup:
    return AffineMap::get(2, 0, {r, c.floorDiv(type.getGroupSize())}, context);
  }
  llvm_unreachable("unknown scale layout");
}

/// data * scale of a quantized value given as its (data, scale) tensors.
Value buildDequantize(OpBuilder &builder, Location loc, ValueRange parts,
                      QuantizedTensorType type) {
  Value init =
      createEmptyLike(builder, loc, type.getExpressedTensorType(), parts[0]);
  AffineMap identity = builder.getMultiDimIdentityMap(2);
  Type floatType = type.getExpressedType();
  return buildGeneric(
      builder, loc, parts, init, {identity, getScaleMap(type), identity},
      parallelIterators(2), [&](OpBuilder &b, Location l, ValueRange args) {
        Value value = arith::SIToFPOp::create(b, l, floatType, args[0]);
        return arith::MulFOp::create(b, l, value, args[1]).getResult();
      });
}

struct LowerDequantize : OpConversionPattern<DequantizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(DequantizeOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, buildDequantize(rewriter, op.getLoc(),
                                           adaptor.getInput(),
                                           op.getInput().getType()));
    return success();
  }
};

struct LowerQuantize : OpConversionPattern<QuantizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(QuantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    QuantizedTensorType type = op.getType();
    auto floatType = cast<FloatType>(type.getExpressedType());
    Value weights = adaptor.getInput();
    MLIRContext *context = rewriter.getContext();
    AffineExpr r = getAffineDimExpr(0, context);
    AffineMap identity = rewriter.getMultiDimIdentityMap(2);
    AffineMap rowOf2D = AffineMap::get(2, 0, {r}, context);
    auto constant = [&](OpBuilder &b, Location l, double value) -> Value {
      return arith::ConstantOp::create(b, l, b.getFloatAttr(floatType, value));
    };

    // amax[r] = max(0, max_c |w[r, c]|): the reference's
    // max(-min(min_row, 0), max(max_row, 0)), exact in every float type.
    auto rowsType = RankedTensorType::get({type.getShape()[0]}, floatType);
    Value amax = buildGeneric(
        rewriter, loc, weights,
        buildZeros(rewriter, loc, rowsType,
                   {tensor::getMixedSize(rewriter, loc, weights, 0)}),
        {identity, rowOf2D},
        {utils::IteratorType::parallel, utils::IteratorType::reduction},
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value magnitude = math::AbsFOp::create(b, l, args[0]);
          return arith::MaximumFOp::create(b, l, args[1], magnitude)
              .getResult();
        });

    // The reciprocal as the reference computes it, and whether it is finite.
    auto reciprocalOf = [&](OpBuilder &b, Location l, Value rowMax,
                            Value &scale) {
      scale = arith::DivFOp::create(b, l, rowMax, constant(b, l, 127.5));
      Value inverse = arith::DivFOp::create(b, l, constant(b, l, 1.0), scale);
      Value infinity = constant(
          b, l,
          APFloat::getInf(floatType.getFloatSemantics()).convertToDouble());
      auto isFinite = [&](Value value) -> Value {
        return arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT,
                                     math::AbsFOp::create(b, l, value),
                                     infinity);
      };
      // A row with NaN or infinity (scale not finite) takes the same
      // defined fallback as an all-zero row, instead of an undefined cast.
      Value finite =
          arith::AndIOp::create(b, l, isFinite(inverse), isFinite(scale));
      return std::make_pair(inverse, finite);
    };

    // scale[r, 0] = amax / 127.5, or the smallest normal for broken rows.
    double smallestNormal =
        APFloat::getSmallestNormalized(floatType.getFloatSemantics())
            .convertToDouble();
    Value scale = buildGeneric(
        rewriter, loc, amax,
        createEmptyLike(rewriter, loc, type.getScaleType(), weights),
        {rowOf2D, identity}, parallelIterators(2),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value rowScale;
          Value finite = reciprocalOf(b, l, args[0], rowScale).second;
          return arith::SelectOp::create(b, l, finite, rowScale,
                                         constant(b, l, smallestNormal))
              .getResult();
        });

    // data[r, c] = clamp(roundeven(w * (1 / scale)), -128, 127), or 0.
    Type i8 = rewriter.getI8Type();
    Value data = buildGeneric(
        rewriter, loc, {weights, amax},
        createEmptyLike(rewriter, loc, type.getDataType(), weights),
        {identity, rowOf2D, identity}, parallelIterators(2),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value rowScale;
          auto [inverse, finite] = reciprocalOf(b, l, args[1], rowScale);
          Value product = arith::MulFOp::create(b, l, args[0], inverse);
          Value rounded = math::RoundEvenOp::create(b, l, product);
          Value clamped = arith::MinimumFOp::create(
              b, l,
              arith::MaximumFOp::create(b, l, rounded, constant(b, l, -128.0)),
              constant(b, l, 127.0));
          Value quantized = arith::FPToSIOp::create(b, l, i8, clamped);
          Value zero = arith::ConstantOp::create(b, l, b.getI8IntegerAttr(0));
          return arith::SelectOp::create(b, l, finite, quantized, zero)
              .getResult();
        });
    SmallVector<Value> parts = {data, scale};
    rewriter.replaceOpWithMultiple(op, {parts});
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Compute: mixed_mm, scale_mul, linear (float path), fused_mixed_matmul
//===----------------------------------------------------------------------===//

struct LowerMixedMm : OpConversionPattern<MixedMmOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(MixedMmOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, buildContraction(rewriter, op.getLoc(),
                                            adaptor.getLhs(), adaptor.getRhs(),
                                            /*rhsTransposed=*/false));
    return success();
  }
};

struct LowerScaleMul : OpConversionPattern<ScaleMulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ScaleMulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    int64_t rank = type.getRank();
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    Value init = createEmptyLike(rewriter, loc, type, adaptor.getInput());
    Value result = buildGeneric(
        rewriter, loc, {adaptor.getInput(), adaptor.getScale()}, init,
        {identity,
         getBroadcastMap(op.getScale().getType().getShape(), type.getShape(),
                         getContext()),
         identity},
        parallelIterators(rank), [](OpBuilder &b, Location l, ValueRange args) {
          return arith::MulFOp::create(b, l, args[0], args[1]).getResult();
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// The float path of linear. A quantized weight reaching it (one whose scale
/// varies along K, which has no transpose + mixed_mm form) is dequantized
/// first: linear(x, q) == linear(x, data * scale).
struct LowerLinear : OpConversionPattern<LinearOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(LinearOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput().front();
    Value weight = adaptor.getWeight().front();
    if (auto quantized =
            dyn_cast<QuantizedTensorType>(op.getWeight().getType()))
      weight = buildDequantize(rewriter, loc, adaptor.getWeight(), quantized);
    Value matrix = flattenToMatrix(rewriter, loc, input);
    Value result = buildContraction(rewriter, loc, matrix, weight,
                                    /*rhsTransposed=*/true);
    if (!adaptor.getBias().empty())
      result = createBiasAdd(rewriter, loc, result, adaptor.getBias().front());
    rewriter.replaceOp(
        op, unflattenFromMatrix(rewriter, loc, result, input, op.getType()));
    return success();
  }
};

struct LowerFusedMixedMatmul : OpConversionPattern<FusedMixedMatmulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(FusedMixedMatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    // The weight as torch stores it, [N, K], read through (n, k); packed
    // [K, N], read through (k, n).
    Value acc = buildContraction(rewriter, loc, adaptor.getInput(),
                                 adaptor.getWeightData(),
                                 /*rhsTransposed=*/!op.getWeightTransposed());
    MLIRContext *context = getContext();
    AffineExpr m, n;
    bindDims(context, m, n);
    AffineExpr zero = getAffineConstantExpr(0, context);
    SmallVector<Value> inputs = {acc, adaptor.getWeightScale()};
    SmallVector<AffineMap> maps = {AffineMap::get(2, 0, {m, n}, context),
                                   AffineMap::get(2, 0, {n, zero}, context)};
    if (Value bias = adaptor.getBias()) {
      inputs.push_back(bias);
      maps.push_back(AffineMap::get(2, 0, {n}, context));
    }
    maps.push_back(AffineMap::get(2, 0, {m, n}, context));
    bool hasBias = adaptor.getBias() != nullptr;
    bool relu = op.getRelu();
    Type elementType = type.getElementType();
    Value init = createEmptyLike(rewriter, loc, type, acc);
    Value result = buildGeneric(
        rewriter, loc, inputs, init, maps, parallelIterators(2),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value value = arith::MulFOp::create(b, l, args[0], args[1]);
          if (hasBias)
            value = arith::AddFOp::create(b, l, value, args[2]);
          if (relu)
            value = arith::MaximumFOp::create(
                b, l, value,
                arith::ConstantOp::create(b, l, b.getZeroAttr(elementType)));
          return value;
        });
    result.getDefiningOp()->setAttr(kEpilogueAttr, rewriter.getUnitAttr());
    rewriter.replaceOp(op, result);
    return success();
  }
};

class LowerToLinalgPass
    : public mlir::qtensor::impl::QTensorLowerToLinalgBase<LowerToLinalgPass> {
public:
  void runOnOperation() override {
    MLIRContext *context = &getContext();
    ModuleOp module = getOperation();

    // A rank-0 dense_resource constant becomes a literal: the memref-to-LLVM
    // lowering of rank-0 globals cannot read resource blobs.
    module.walk([&](arith::ConstantOp constant) {
      auto resource = dyn_cast<DenseResourceElementsAttr>(constant.getValue());
      if (!resource || resource.getType().getRank() != 0)
        return;
      if (AsmResourceBlob *blob = resource.getRawHandle().getBlob())
        constant.setValueAttr(DenseElementsAttr::getFromRawBuffer(
            resource.getType(), blob->getData()));
    });

    // Quantized linears take the stage-2 route first.
    RewritePatternSet decompose(context);
    populateDecomposeLinearPatterns(decompose);
    if (failed(applyPatternsGreedily(module, std::move(decompose))))
      return signalPassFailure();

    TypeConverter converter;
    converter.addConversion([](Type type) { return type; });
    converter.addConversion(
        [](QuantizedTensorType type, SmallVectorImpl<Type> &results) {
          results.push_back(type.getDataType());
          results.push_back(type.getScaleType());
          return success();
        });

    ConversionTarget target(*context);
    target.addIllegalDialect<QTensorDialect>();
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, tensor::TensorDialect>();
    target.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp func) {
      return converter.isSignatureLegal(func.getFunctionType());
    });
    target.addDynamicallyLegalOp<func::ReturnOp, func::CallOp>(
        [&](Operation *op) { return converter.isLegal(op); });

    RewritePatternSet patterns(context);
    patterns.add<LowerPack, LowerData, LowerScale, LowerTranspose,
                 LowerDequantize, LowerQuantize, LowerMixedMm, LowerScaleMul,
                 LowerLinear, LowerFusedMixedMatmul>(converter, context);
    populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns,
                                                                   converter);
    populateReturnOpTypeConversionPattern(patterns, converter);
    populateCallOpTypeConversionPattern(patterns, converter);
    if (failed(applyPartialConversion(module, target, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
