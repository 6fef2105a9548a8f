//===- Registration.cpp - dialects and passes every tool knows ------------===//

#include "qtensor/Passes/Registration.h"

#include "qtensor/Dialect/QTensorDialect.h"
#include "qtensor/Passes/CpuPipeline.h"
#include "qtensor/Passes/GpuPipeline.h"
#include "qtensor/Passes/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassRegistry.h"

void mlir::qtensor::registerAllDialects(DialectRegistry &registry) {
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registry.insert<QTensorDialect>();
}

void mlir::qtensor::registerAllPasses() {
  static bool registered = [] {
    mlir::registerAllPasses();
    registerQTensorPasses();
    // The fusion pass's flag from before the stage-2 ops were named for any
    // integer storage (int8_mm, fused_int8_matmul): command lines that use
    // it keep working.
    PassPipelineRegistration<>(
        "qtensor-fuse-int8-matmul", "Alias of --qtensor-fuse-mixed-matmul",
        [](OpPassManager &pm) { pm.addPass(createQTensorFuseMixedMatmul()); });
    registerCpuPipeline();
    registerGpuPipeline();
    return true;
  }();
  (void)registered;
}
