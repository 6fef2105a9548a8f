//===- GpuKernelConfig.h - the choice of GPU kernels ------------*- C++ -*-===//
//
// Which kernels run a fused int8 linear on the GPU, and with which tile
// parameters: decided from its shape, its dtype and the options, and
// recorded as #qtensor.gpu_kernel attributes that the emitters follow.
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_PASSES_GPUKERNELS_GPUKERNELCONFIG_H
#define QTENSOR_PASSES_GPUKERNELS_GPUKERNELCONFIG_H

#include "qtensor/Dialect/QTensorDialect.h"

#include "llvm/ADT/SmallVector.h"

namespace mlir {
namespace qtensor {

struct FusedKernel;

/// The discardable attribute on a fused kernel's `qtensor.epilogue` generic
/// that holds its kernel variants: an array of #qtensor.gpu_kernel, each but
/// the last bounded by `max_rows`, tried in order on the batch size.
inline constexpr llvm::StringLiteral kGpuKernelsAttr = "qtensor.gpu_kernels";

/// The options of the kernel choice (qtensor-configure-gpu-kernels').
struct GpuKernelOptions {
  int64_t smallM = 4;
  int64_t tileM = 4;
  bool tensorCores = true;
  int64_t splitKColumns = 1;
};

/// Checks `options` when pass `pass` starts (initialize()): an error
/// "<pass>: tile-m must be in [1, 16], got 0" when one is out of range.
LogicalResult checkGpuKernelOptions(MLIRContext *context, StringRef pass,
                                    const GpuKernelOptions &options);

/// The kernel variants for `kernel`, in the order of the batch-size checks;
/// when M is static only the one that applies, without `max_rows`.
SmallVector<GpuKernelAttr> chooseGpuKernels(const FusedKernel &kernel,
                                            const GpuKernelOptions &options);

/// The variants in `attr` (kGpuKernelsAttr's value), checked against
/// `kernel`: an error on the epilogue when they are not a list the emitters
/// can follow (the last without `max_rows`, the others with it) or do not
/// fit its K or its dtype.
FailureOr<SmallVector<GpuKernelAttr>>
getCheckedGpuKernels(const FusedKernel &kernel, Attribute attr);

} // namespace qtensor
} // namespace mlir

#endif // QTENSOR_PASSES_GPUKERNELS_GPUKERNELCONFIG_H
