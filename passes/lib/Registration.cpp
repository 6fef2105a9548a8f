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

void mlir::qtensor::registerAllDialects(DialectRegistry &registry) {
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registry.insert<QTensorDialect>();
}

void mlir::qtensor::registerAllPasses() {
  static bool registered = [] {
    mlir::registerAllPasses();
    registerQTensorPasses();
    registerCpuPipeline();
    registerGpuPipeline();
    return true;
  }();
  (void)registered;
}
