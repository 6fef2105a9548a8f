//===- ConfigureCpuKernels.cpp - shape and tile sizes of CPU kernels ------===//
//
// Decides, for every kernel of a function, how qtensor-tile-and-vectorize
// tiles it, and records the decision as a #qtensor.cpu_kernel attribute on
// the kernel's root. All the tiling choices of the CPU code generator are
// made here; the emitters under CpuKernels/ only follow them.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Passes/CpuKernelConfig.h"

#include "CpuKernels/CpuKernels.h"
#include "qtensor/Passes/PassUtils.h"
#include "qtensor/Passes/Passes.h"

namespace mlir {
namespace qtensor {
#define GEN_PASS_DEF_QTENSORCONFIGURECPUKERNELS
#include "qtensor/Passes/Passes.h.inc"
} // namespace qtensor
} // namespace mlir

using namespace mlir;
using namespace mlir::qtensor;

bool mlir::qtensor::isCpuKernelRoot(Operation *op) {
  auto generic = dyn_cast<linalg::GenericOp>(op);
  return generic && generic.getNumLoops() == 2 &&
         generic.getNumReductionLoops() == 0 &&
         generic.hasPureTensorSemantics();
}

LogicalResult
mlir::qtensor::checkCpuKernelOptions(const CpuKernelOptions &options,
                                     Location loc, StringRef passName) {
  if (options.tileM > 0 && options.tileN > 0 && options.tileK > 0 &&
      options.gemvTileN >= 0 && options.maxPanelKiB >= 0)
    return success();
  return emitError(loc) << passName
                        << ": tile sizes must be positive, got tile-m="
                        << options.tileM << " tile-n=" << options.tileN
                        << " tile-k=" << options.tileK
                        << " gemv-tile-n=" << options.gemvTileN
                        << " max-panel-kib=" << options.maxPanelKiB;
}

CpuKernelOptions mlir::qtensor::getCpuKernelDefaults(int64_t vectorBits) {
  CpuKernelOptions options;
  options.tileK = 16;
  if (vectorBits >= 512) {
    options.tileM = 16;
    options.tileN = 16;
    options.maxPanelKiB = 256;
  } else {
    options.tileM = 8;
    options.tileN = 8;
    options.gemvTileN = 8;
    options.maxPanelKiB = 384;
  }
  return options;
}

/// A loop of more than one iteration, or of a count known only at run time.
static bool mayIterate(int64_t range) {
  return ShapedType::isDynamic(range) || range > 1;
}

/// A tile never exceeds a static dimension, so a small layer is one tile
/// with static sizes rather than a partial one.
static int64_t clampTile(int64_t tile, int64_t range) {
  return ShapedType::isDynamic(range) ? tile : std::min(tile, range);
}

/// The columns per parallel task: the largest multiple of tile-n up to
/// parallel-chunk that divides N into at least two chunks; 0 when there is
/// none (a dynamic or too narrow N).
static int64_t chooseColumnChunk(int64_t columns,
                                 const CpuKernelOptions &options) {
  if (options.parallelChunk <= 0 || ShapedType::isDynamic(columns))
    return 0;
  for (int64_t size = options.parallelChunk / options.tileN * options.tileN;
       size >= options.tileN; size -= options.tileN)
    if (columns % size == 0 && columns / size >= 2)
      return size;
  return 0;
}

/// True when the register tiles of a fused kernel (weights in torch's
/// [N, K] layout) should share converted weights: when a panel of at most
/// max-panel-kib fits in L2 beside the input rows of a register tile.
static bool fitsWeightPanel(linalg::GenericOp root, int64_t columns,
                            const CpuKernelOptions &options) {
  linalg::GenericOp contraction = cpu::findWeightContraction(root);
  if (!contraction || ShapedType::isDynamic(columns))
    return false;
  int64_t depth = contraction.getStaticLoopRanges()[2];
  int64_t elementBytes = cast<ShapedType>(contraction.getResult(0).getType())
                             .getElementTypeBitWidth() /
                         8;
  return !ShapedType::isDynamic(depth) &&
         depth * options.tileN * elementBytes <= options.maxPanelKiB * 1024;
}

CpuKernelAttr mlir::qtensor::decideCpuKernel(linalg::GenericOp root,
                                             const CpuKernelOptions &options) {
  SmallVector<int64_t> ranges = root.getStaticLoopRanges();
  // Kernels with an empty dimension compute nothing: they stay untiled
  // (loops without iterations once lowered).
  if (llvm::is_contained(ranges, 0))
    return {};
  int64_t rows = ranges[0], columns = ranges[1];

  // A batch that can fill a register tile (a dynamic one, at run time) is
  // tiled in full register tiles; a static smaller one is one tile of all
  // its rows, a GEMV for one row.
  CpuKernelShape shape = CpuKernelShape::RegisterTiled;
  if (!ShapedType::isDynamic(rows) && rows < options.tileM)
    shape = rows == 1 ? CpuKernelShape::Gemv : CpuKernelShape::SmallM;

  // Rows per block of a kernel with weight panels: the register tiles of a
  // block reuse each column tile's panel; a block of inputs (256 rows of K
  // floats) stays in the caches while all column tiles go by.
  constexpr int64_t kBlockRows = 256;
  int64_t panelRows = 0;
  if (shape == CpuKernelShape::RegisterTiled &&
      fitsWeightPanel(root, columns, options))
    panelRows = clampTile(kBlockRows, rows);

  // The rows after the last full tile (a dynamic batch's remainder, all of
  // it when the batch is smaller than tile-m) go 4 rows at a time, then one:
  // 4-row tiles read each weight tile once for 4 rows.
  int64_t remainderTileM = options.tileM > 4 ? 4 : 1;

  int64_t tileN = shape == CpuKernelShape::Gemv && options.gemvTileN > 0
                      ? options.gemvTileN
                      : options.tileN;
  return CpuKernelAttr::get(
      root.getContext(), shape, clampTile(options.tileM, rows),
      clampTile(tileN, columns), options.tileK, panelRows, remainderTileM,
      chooseColumnChunk(columns, options));
}

/// Dynamic sizes included: a decoder compiled for any token count has them
/// on every op around its kernels. Their tiles are peeled like static ones,
/// so full tiles have static shapes and vectorize; only the partial tiles
/// of a dynamic loop stay scalar.
bool mlir::qtensor::isVectorTileCandidate(Operation *op) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  return linalgOp && isa<func::FuncOp>(op->getParentOp()) &&
         linalgOp.getNumLoops() > 0 && linalgOp.hasPureTensorSemantics() &&
         !isCpuKernelRoot(op) && !op->hasAttr(kWeightConvertAttr);
}

SmallVector<int64_t>
mlir::qtensor::decideVectorTiles(linalg::LinalgOp op,
                                 const CpuKernelOptions &options) {
  constexpr int64_t kLanes = 16;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (llvm::is_contained(ranges, 0))
    return {};
  SmallVector<int64_t> tiles(ranges.size(), 1);
  if (linalg::isaContractionOpInterface(op)) {
    FailureOr<linalg::ContractionDimensions> dims =
        linalg::inferContractionDims(op);
    if (succeeded(dims)) {
      auto setLast = [&](ArrayRef<unsigned> loops, int64_t tile) {
        if (!loops.empty())
          tiles[loops.back()] = clampTile(tile, ranges[loops.back()]);
      };
      setLast(dims->m, options.tileM);
      setLast(dims->n, options.tileN);
      setLast(dims->k, options.tileK);
      return tiles;
    }
  }
  // Lanes along the innermost loop that has more than one iteration (or a
  // dynamic count: the tokens of a prompt are as much a row as a static
  // dimension is).
  int64_t lanesLoop = -1;
  for (int64_t loop = ranges.size() - 1; loop >= 0; --loop) {
    if (mayIterate(ranges[loop])) {
      lanesLoop = loop;
      break;
    }
  }
  if (lanesLoop < 0)
    return tiles;
  tiles[lanesLoop] = clampTile(kLanes, ranges[lanesLoop]);
  // A transpose (an input whose innermost dimension is another loop) moves
  // 16 x 16 blocks: rows of 16 read and written, transposed in registers,
  // instead of 16 scalar reads a step.
  if (op.getNumDpsInputs() == 1 && op.getNumReductionLoops() == 0) {
    AffineMap input = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
    if (input.isPermutation()) {
      unsigned inner = input.getDimPosition(input.getNumResults() - 1);
      if (static_cast<int64_t>(inner) != lanesLoop && mayIterate(ranges[inner]))
        tiles[inner] = clampTile(kLanes, ranges[inner]);
    }
  }
  return tiles;
}

SmallVector<int64_t>
mlir::qtensor::decideParallelTiles(linalg::LinalgOp op,
                                   ArrayRef<int64_t> vectorTiles,
                                   const CpuKernelOptions &options) {
  if (options.parallelChunk <= 0 || vectorTiles.empty() ||
      cpu::hasBoolOperand(op))
    return {};
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  // A fork and join costs about as much as a few thousand iterations of a
  // vector loop: ops smaller than this (norms, rotary tables and residual
  // adds of one token, counting a dynamic size as 1) stay on one thread.
  constexpr int64_t kMinParallelWork = 16384;
  int64_t work = 1;
  for (int64_t range : ranges)
    if (!ShapedType::isDynamic(range))
      work = range >= kMinParallelWork / work ? kMinParallelWork : work * range;
  if (work < kMinParallelWork)
    return {};
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (auto [loop, range] : llvm::enumerate(ranges)) {
    if (iterators[loop] != utils::IteratorType::parallel ||
        vectorTiles[loop] != 1 || !mayIterate(range))
      continue;
    SmallVector<int64_t> chunks(ranges.size(), 0);
    chunks[loop] =
        ShapedType::isDynamic(range) ? 16 : llvm::divideCeil(range, 4);
    return chunks;
  }
  return {};
}

namespace {

class ConfigureCpuKernelsPass
    : public mlir::qtensor::impl::QTensorConfigureCpuKernelsBase<
          ConfigureCpuKernelsPass> {
public:
  using Base::Base;

  void runOnOperation() override {
    CpuKernelOptions options{tileM,         tileN,     tileK,
                             parallelChunk, gemvTileN, maxPanelKiB};
    if (failed(checkCpuKernelOptions(options, getOperation().getLoc(),
                                     getArgument())))
      return signalPassFailure();
    // Kernel roots are directly in the function body; ops in loops are
    // tiles already. Weight conversions are fused into the kernels that
    // read them.
    for (Operation &op : getOperation().getBody().getOps()) {
      if (isCpuKernelRoot(&op) && !op.hasAttr(kWeightConvertAttr)) {
        if (CpuKernelAttr config =
                decideCpuKernel(cast<linalg::GenericOp>(op), options))
          op.setAttr(kCpuKernelAttr, config);
      } else if (isVectorTileCandidate(&op)) {
        SmallVector<int64_t> tiles =
            decideVectorTiles(cast<linalg::LinalgOp>(op), options);
        if (!tiles.empty())
          op.setAttr(kVectorTilesAttr,
                     DenseI64ArrayAttr::get(op.getContext(), tiles));
        SmallVector<int64_t> chunks =
            decideParallelTiles(cast<linalg::LinalgOp>(op), tiles, options);
        if (!chunks.empty())
          op.setAttr(kParallelTilesAttr,
                     DenseI64ArrayAttr::get(op.getContext(), chunks));
      }
    }
  }
};

} // namespace
