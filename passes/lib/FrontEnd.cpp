//===- FrontEnd.cpp - the stages both pipelines share ---------------------===//

#include "qtensor/Passes/FrontEnd.h"

#include "qtensor/Passes/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::qtensor;

void mlir::qtensor::buildFrontEnd(OpPassManager &pm, StringRef quantization,
                                  bool fuse, bool packWeights,
                                  bool parameters) {
  // qtensor stages 0 -> 3, then the weights leave the code.
  // The pass checks the scheme (and is a no-op for "none").
  if (quantization != "none") {
    QTensorQuantizeWeightsOptions quantize;
    quantize.scheme = quantization.str();
    pm.addPass(createQTensorQuantizeWeights(quantize));
  }
  pm.addPass(createQTensorDecomposeLinear());
  if (fuse)
    pm.addPass(createQTensorFuseMixedMatmul());
  if (fuse && packWeights)
    pm.addPass(createQTensorPackWeights());
  if (parameters)
    pm.addPass(createQTensorExtractParameters());
  pm.addPass(createQTensorLowerToLinalg());
  // Elementwise arith/math on whole tensors (bias adds, activations written
  // that way) become linalg.generics, which bufferize and tile.
  pm.addPass(createConvertElementwiseToLinalgPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void mlir::qtensor::addBufferization(OpPassManager &pm) {
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  // The model's state was updated in its own buffers: its results go.
  pm.addPass(createQTensorWriteStateInPlace());
}
