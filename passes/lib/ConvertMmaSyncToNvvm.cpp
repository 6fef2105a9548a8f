//===- ConvertMmaSyncToNvvm.cpp - f16/bf16 mma.sync to NVVM ---------------===//
//
// Lowers the warp-level nvgpu.mma.sync of the tensor-core kernel (m16n8k16,
// f16 or bf16 multiplicands, f32 accumulators) to nvvm.mma.sync, unpacking
// the fragment vectors into the registers PTX takes.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Passes/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace qtensor {
#define GEN_PASS_DEF_QTENSORCONVERTMMASYNCTONVVM
#include "qtensor/Passes/Passes.h.inc"
} // namespace qtensor
} // namespace mlir

using namespace mlir;
using namespace mlir::qtensor;

namespace {

/// Whether `type` is vector<{rows}x2x`element`>.
bool isPairs(Type type, int64_t rows, Type element) {
  auto vector = dyn_cast<VectorType>(type);
  return vector && vector.getShape() == ArrayRef<int64_t>{rows, 2} &&
         vector.getElementType() == element;
}

struct LowerHalfMmaSync : OpRewritePattern<nvgpu::MmaSyncOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(nvgpu::MmaSyncOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getMmaShapeAsArray() != std::array<int64_t, 3>{16, 8, 16})
      return rewriter.notifyMatchFailure(op, "not m16n8k16");
    Type element = cast<VectorType>(op.getMatrixA().getType()).getElementType();
    Type f32 = rewriter.getF32Type();
    if (!(element.isF16() || element.isBF16()) ||
        !isPairs(op.getMatrixA().getType(), 4, element) ||
        !isPairs(op.getMatrixB().getType(), 2, element) ||
        !isPairs(op.getMatrixC().getType(), 2, f32))
      return rewriter.notifyMatchFailure(op, "not f16/bf16 into f32");

    Location loc = op.getLoc();
    // Row r of a fragment is register r: f16 pairs stay vectors, bf16
    // pairs travel as i32.
    auto registers = [&](Value fragment, int64_t rows) {
      SmallVector<Value> result;
      for (int64_t r = 0; r < rows; ++r) {
        Value pair = vector::ExtractOp::create(rewriter, loc, fragment, r);
        if (element.isBF16())
          pair = LLVM::BitcastOp::create(rewriter, loc, rewriter.getI32Type(),
                                         pair);
        result.push_back(pair);
      }
      return result;
    };
    SmallVector<Value> accumulators;
    for (int64_t r = 0; r < 2; ++r)
      for (int64_t c = 0; c < 2; ++c)
        accumulators.push_back(vector::ExtractOp::create(
            rewriter, loc, op.getMatrixC(), ArrayRef<int64_t>{r, c}));
    NVVM::MMATypes ptxType =
        element.isF16() ? NVVM::MMATypes::f16 : NVVM::MMATypes::bf16;
    auto resultType = LLVM::LLVMStructType::getLiteral(rewriter.getContext(),
                                                       {f32, f32, f32, f32});
    Value mma = NVVM::MmaOp::create(
        rewriter, loc, resultType, registers(op.getMatrixA(), 4),
        registers(op.getMatrixB(), 2), accumulators,
        ArrayRef<int64_t>{16, 8, 16}, /*b1Op=*/std::nullopt,
        /*intOverflow=*/std::nullopt, std::array{ptxType, ptxType},
        std::array{NVVM::MMALayout::row, NVVM::MMALayout::col});
    SmallVector<Value> results;
    for (int64_t i = 0; i < 4; ++i)
      results.push_back(LLVM::ExtractValueOp::create(rewriter, loc, mma, i));
    rewriter.replaceOpWithNewOp<vector::FromElementsOp>(
        op, op.getMatrixC().getType(), results);
    return success();
  }
};

class ConvertMmaSyncToNvvmPass
    : public mlir::qtensor::impl::QTensorConvertMmaSyncToNvvmBase<
          ConvertMmaSyncToNvvmPass> {
public:
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<LowerHalfMmaSync>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
