//===- FusedKernel.h - the fused int8 linear on buffers ---------*- C++ -*-===//
//
// The bufferized fused kernel that the GPU kernel configuration and the
// kernel emitters start from.
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_PASSES_GPUKERNELS_FUSEDKERNEL_H
#define QTENSOR_PASSES_GPUKERNELS_FUSEDKERNEL_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <optional>
#include <string>

namespace mlir {
namespace qtensor {

/// The ops and buffers of one bufferized fused kernel.
struct FusedKernel {
  linalg::GenericOp convert, contraction, epilogue;
  /// The zeroing of the accumulator: a linalg.fill, or a memref.copy from a
  /// zero-filled buffer that several kernels share (CSE merges identical
  /// fills before bufferization).
  Operation *init = nullptr;
  /// [M, K] f32, f16 or bf16 activations, [N, K] i8 weight, [M, N]
  /// epilogue output.
  Value input, weight, output;
  int64_t n = 0, k = 0;

  /// The activations' (and output's) element type.
  Type getElementType() const;
  /// M, or ShapedType::kDynamic.
  int64_t getStaticRows() const;
};

/// Matches the fused kernel that ends in `epilogue`; nullopt when any part
/// differs from what qtensor-lower-to-linalg emits for the [N, K] weight
/// layout and f32, f16 or bf16 activations.
std::optional<FusedKernel> matchFusedKernel(linalg::GenericOp epilogue);

/// Whether `generic` is a `qtensor.weight_convert` writing `buffer`.
bool isWeightConversionInto(linalg::GenericOp generic, Value buffer);

/// The kernel name stem of `kernel`: its weight's parameter name ("fc1.weight"
/// from "fc1.weight.data") as an identifier, else "linear<index>".
std::string getKernelStem(const FusedKernel &kernel, unsigned index);

} // namespace qtensor
} // namespace mlir

#endif // QTENSOR_PASSES_GPUKERNELS_FUSEDKERNEL_H
