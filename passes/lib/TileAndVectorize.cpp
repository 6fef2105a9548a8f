//===- TileAndVectorize.cpp - register tiles for the CPU ------------------===//
//
// Tiles each kernel as its #qtensor.cpu_kernel says (decided here when
// qtensor-configure-cpu-kernels did not run), then turns every op of a tile
// into vector code. The kernel shapes are emitted under CpuKernels/.
//
//===----------------------------------------------------------------------===//

#include "CpuKernels/CpuKernels.h"
#include "qtensor/Passes/CpuKernelConfig.h"
#include "qtensor/Passes/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/Patterns.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/Passes.h"

namespace mlir {
namespace qtensor {
#define GEN_PASS_DEF_QTENSORTILEANDVECTORIZE
#include "qtensor/Passes/Passes.h.inc"
} // namespace qtensor
} // namespace mlir

using namespace mlir;
using namespace mlir::qtensor;

/// Tiles the kernel ending in `root` as `config` says: parallel column
/// chunks, then the tiles of its shape, the rows after the last full tile,
/// and the K loop in every tile.
static LogicalResult tileKernel(IRRewriter &rewriter, linalg::GenericOp root,
                                CpuKernelAttr config) {
  if (config.getColumnChunk() > 0) {
    FailureOr<linalg::GenericOp> inner =
        cpu::splitColumns(rewriter, root, config.getColumnChunk());
    if (failed(inner))
      return failure();
    root = *inner;
  }
  SmallVector<scf::ForOp> partials;
  FailureOr<Operation *> nest =
      config.getPanelRows() > 0
          ? cpu::tileWithWeightPanels(rewriter, root, config, partials)
          : cpu::tileRegisterTiles(rewriter, root, config, partials);
  if (failed(nest))
    return failure();
  if (!*nest)
    return success();
  if (failed(cpu::tileRemainderRows(rewriter, partials,
                                    config.getRemainderTileM())))
    return failure();
  return cpu::tileReductions(rewriter, *nest, partials, config.getTileK());
}

namespace {

class TileAndVectorizePass
    : public mlir::qtensor::impl::QTensorTileAndVectorizeBase<
          TileAndVectorizePass> {
public:
  using Base::Base;

  void runOnOperation() override;
};

} // namespace

void TileAndVectorizePass::runOnOperation() {
  CpuKernelOptions options{tileM,         tileN,     tileK,
                           parallelChunk, gemvTileN, maxPanelKiB};
  if (failed(checkCpuKernelOptions(options, getOperation().getLoc(),
                                   getArgument())))
    return signalPassFailure();
  func::FuncOp func = getOperation();
  IRRewriter rewriter(&getContext());

  // Inputs first: several kernels may read one.
  {
    llvm::DenseMap<Value, Value> padded;
    SmallVector<linalg::GenericOp> contractions;
    for (Operation &op : func.getBody().getOps())
      if (auto generic = dyn_cast<linalg::GenericOp>(op))
        if (generic.getNumLoops() == 3 && generic.getNumReductionLoops() == 1 &&
            generic.hasPureTensorSemantics())
          contractions.push_back(generic);
    for (linalg::GenericOp contraction : contractions)
      cpu::padInputRows(rewriter, contraction, padded);
  }

  // Roots directly in the function body (ops in tiles are inside loops),
  // the last one first, so a chain contraction -> scale -> bias is tiled
  // once from its last op. Tiling erases the root and the producers it
  // fused, so the roots are found again each time.
  llvm::SmallPtrSet<Operation *, 4> empty;
  while (true) {
    linalg::GenericOp root;
    for (Operation &op : func.getBody().getOps())
      if (isCpuKernelRoot(&op) && !empty.contains(&op))
        root = cast<linalg::GenericOp>(op);
    if (!root)
      break;
    // Kernels with an empty dimension compute nothing: they stay untiled
    // (loops without iterations once lowered).
    if (llvm::is_contained(root.getStaticLoopRanges(), 0)) {
      empty.insert(root);
      continue;
    }
    if (root->use_empty()) {
      rewriter.eraseOp(root);
      continue;
    }
    auto config = root->getAttrOfType<CpuKernelAttr>(kCpuKernelAttr);
    if (!config)
      config = decideCpuKernel(root, options);
    if (failed(tileKernel(rewriter, root, config)))
      return signalPassFailure();
  }
  // Fused producers carried their roots' decisions into the tiles.
  func.walk([](Operation *op) { op->removeAttr(kCpuKernelAttr); });

  if (!vectorize) {
    func.walk([](Operation *op) {
      op->removeAttr(kVectorTilesAttr);
      op->removeAttr(kParallelTilesAttr);
    });
    return;
  }
  // The ops around the kernels: rows of lanes, register tiles.
  SmallVector<linalg::LinalgOp> others;
  for (Operation &op : func.getBody().getOps())
    if (isVectorTileCandidate(&op))
      others.push_back(cast<linalg::LinalgOp>(op));
  for (linalg::LinalgOp op : others) {
    auto recorded = op->getAttrOfType<DenseI64ArrayAttr>(kVectorTilesAttr);
    SmallVector<int64_t> tiles =
        recorded ? SmallVector<int64_t>(recorded.asArrayRef())
                 : decideVectorTiles(op, options);
    op->removeAttr(kVectorTilesAttr);
    // Nothing decided: an op with an empty loop computes nothing.
    if (!recorded && tiles.empty())
      continue;
    if (tiles.size() != op.getNumLoops() ||
        llvm::any_of(tiles, [](int64_t size) { return size < 1; })) {
      op.emitOpError("has ")
          << kVectorTilesAttr << " [" << tiles << "], expected "
          << op.getNumLoops() << " positive tile sizes, one per loop";
      return signalPassFailure();
    }
    auto recordedChunks =
        op->getAttrOfType<DenseI64ArrayAttr>(kParallelTilesAttr);
    SmallVector<int64_t> chunks =
        recordedChunks ? SmallVector<int64_t>(recordedChunks.asArrayRef())
                       : (recorded ? SmallVector<int64_t>()
                                   : decideParallelTiles(op, tiles, options));
    op->removeAttr(kParallelTilesAttr);
    if (!chunks.empty() &&
        (chunks.size() != op.getNumLoops() ||
         llvm::any_of(chunks, [](int64_t size) { return size < 0; }))) {
      op.emitOpError("has ")
          << kParallelTilesAttr << " [" << chunks << "], expected "
          << op.getNumLoops() << " chunk sizes (0: not split), one per loop";
      return signalPassFailure();
    }
    // Chunks of a reduction would have several tasks write one output; an
    // scf.forall without parallel-chunk would never become threads.
    SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
    for (auto [loop, size] : llvm::enumerate(chunks)) {
      if (size == 0)
        continue;
      if (iterators[loop] != utils::IteratorType::parallel) {
        op.emitOpError("has ")
            << kParallelTilesAttr << " [" << chunks << "], which splits loop "
            << loop << ", a reduction";
        return signalPassFailure();
      }
      if (parallelChunk <= 0) {
        op.emitOpError("has ")
            << kParallelTilesAttr << " [" << chunks
            << "] but parallel-chunk is 0: nothing runs it on threads";
        return signalPassFailure();
      }
    }
    if (failed(cpu::tileForVectors(rewriter, op, tiles, chunks)))
      return signalPassFailure();
  }
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
        !op.hasDynamicShape() && !cpu::hasBoolOperand(op))
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
