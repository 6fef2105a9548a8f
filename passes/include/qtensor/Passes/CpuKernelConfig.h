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
};

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

} // namespace qtensor
} // namespace mlir

#endif // QTENSOR_PASSES_CPUKERNELCONFIG_H
