//===- CpuKernelConfig.h - how each CPU kernel is tiled ---------*- C++ -*-===//
//
// The decision of qtensor-configure-cpu-kernels: for one kernel, its shape
// (GEMV, small batch, register tiles with or without weight panels), tile
// sizes and parallel split, as a #qtensor.cpu_kernel attribute that
// qtensor-tile-and-vectorize follows.
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_PASSES_CPUKERNELCONFIG_H
#define QTENSOR_PASSES_CPUKERNELCONFIG_H

#include "qtensor/Dialect/QTensorDialect.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace mlir {
namespace qtensor {

/// The attribute holding a kernel's CpuKernelAttr, on its root.
inline constexpr llvm::StringLiteral kCpuKernelAttr = "qtensor.cpu_kernel";

/// The knobs the decision starts from: the pass options of both
/// qtensor-configure-cpu-kernels and qtensor-tile-and-vectorize.
struct CpuKernelOptions {
  /// Rows and columns of a full register tile.
  int64_t tileM = 4;
  int64_t tileN = 16;
  /// Reduction step inside a tile (and lanes of the GEMV form).
  int64_t tileK = 16;
  /// At most this many columns per parallel task; 0: no parallel split.
  int64_t parallelChunk = 0;
  /// Columns per tile of a one-row (gemv) kernel; 0: tileN.
  int64_t gemvTileN = 0;
  /// The largest float weight panel ([K, tileN]) register tiles share.
  int64_t maxPanelKiB = 256;
};

/// The tile sizes for a CPU whose widest vector registers have
/// `vectorBits` bits (512: AVX-512's 32 registers; otherwise AVX2's 16 of
/// 256 bits), each measured on such a CPU (docs/performance.md). AVX-512:
/// 16 x 16 register tiles, 16 accumulators; panels up to 256 KiB (a
/// 704 KiB one made 11008 x 4096 at M = 256 slower, 97 ms, than converting
/// per tile, 75 ms, on a 1 MiB L2). AVX2: 16 x 16 would be 32 accumulators
/// and spill (2.5x OpenBLAS's time at M = 256 on a Zen 3); 8 x 8 holds 8,
/// and 8-column one-row tiles stream the weights twice as fast as 16.
/// Its 352 KiB panels at K = 11008 halve that layer's time at M = 128.
CpuKernelOptions getCpuKernelDefaults(int64_t vectorBits);

/// Fails with an error naming `passName` unless the tile sizes of `options`
/// are positive.
LogicalResult checkCpuKernelOptions(const CpuKernelOptions &options,
                                    Location loc, StringRef passName);

/// True for the op a kernel is tiled from: a 2-D elementwise linalg.generic
/// on tensors (the epilogue of a fused kernel, the scale multiply or bias
/// add of an unfused one). The contraction and the other producers of its
/// output elements are fused into its tiles.
bool isCpuKernelRoot(Operation *op);

/// How to tile the kernel ending in `root` (isCpuKernelRoot), or null when
/// there is nothing to tile: an empty dimension.
CpuKernelAttr decideCpuKernel(linalg::GenericOp root,
                              const CpuKernelOptions &options);

/// The attribute holding the tile sizes of an op outside the kernels
/// (isVectorTileCandidate), one per loop, as a DenseI64ArrayAttr.
inline constexpr llvm::StringLiteral kVectorTilesAttr = "qtensor.vector_tiles";

/// True for a linalg op on static tensors, directly in a function body, that
/// is no kernel root and no weight conversion: an elementwise op of another
/// rank, a reduction, a fill, a transpose or copy, a batch matmul.
bool isVectorTileCandidate(Operation *op);

/// The tile sizes of such an op: for a contraction, 1 per batch loop and a
/// tile-m x tile-n register tile stepping tile-k along K (its innermost M,
/// N and K loops); otherwise 1 per loop but the innermost one longer than
/// 1, which gets 16 lanes (one AVX-512 register, two AVX2 ones). Sizes are
/// clamped to the loop ranges. Empty when the op has an empty loop.
SmallVector<int64_t> decideVectorTiles(linalg::LinalgOp op,
                                       const CpuKernelOptions &options);

/// The attribute holding how such an op is split among threads before it is
/// tiled for vectors: one chunk size per loop, 0 for loops not split, as a
/// DenseI64ArrayAttr. Absent: the op runs on one thread.
inline constexpr llvm::StringLiteral kParallelTilesAttr =
    "qtensor.parallel_tiles";

/// The chunks of such an op for threads (options.parallelChunk > 0 only):
/// its outermost parallel loop with more than one iteration (or a dynamic
/// count) that holds no vector lanes, cut into chunks of a quarter of a
/// static range (four tasks) or, when dynamic, of 16 iterations. Empty when
/// there is no such loop, the op has fewer than 16384 iterations counting
/// dynamic sizes as 1 (a fork would cost more than it saves), or it reads
/// or writes bools (kept scalar).
SmallVector<int64_t> decideParallelTiles(linalg::LinalgOp op,
                                         ArrayRef<int64_t> vectorTiles,
                                         const CpuKernelOptions &options);

} // namespace qtensor
} // namespace mlir

#endif // QTENSOR_PASSES_CPUKERNELCONFIG_H
