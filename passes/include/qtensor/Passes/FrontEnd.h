//===- FrontEnd.h - the stages both pipelines share -------------*- C++ -*-===//
//
// The target-independent part of compilation that `--qtensor-cpu-pipeline`
// and `--qtensor-gpu-pipeline` both begin with.
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_PASSES_FRONTEND_H
#define QTENSOR_PASSES_FRONTEND_H

#include "mlir/Pass/PassManager.h"

namespace mlir {
namespace qtensor {

/// The part the CPU and GPU pipelines share: qtensor stages 0 -> 3, the
/// weights out of the code, everything lowered to linalg on tensors.
void buildFrontEnd(OpPassManager &pm, StringRef quantization, bool fuse,
                   bool packWeights, bool parameters);

/// One-shot bufferization of whole functions, identity layouts at their
/// boundaries (the runtime passes contiguous buffers).
void addBufferization(OpPassManager &pm);

} // namespace qtensor
} // namespace mlir

#endif // QTENSOR_PASSES_FRONTEND_H
