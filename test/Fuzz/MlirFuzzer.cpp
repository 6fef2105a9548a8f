//===- MlirFuzzer.cpp - libFuzzer target for .mlir parsing and verifiers --===//
//
// Parses arbitrary bytes as MLIR with the dialects of qtensor's stage 0-3 IR,
// runs the verifiers, and on valid modules our rewriting passes. Any input
// must end in success or diagnostics. A pass that turns a valid module into
// an invalid one is a bug, so that aborts.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Dialect/QTensorDialect.h"
#include "qtensor/Passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>

using namespace mlir;

namespace {
/// One context for the whole fuzzing process: creating a context per input
/// would dominate the run time.
struct FuzzState {
  FuzzState() : context(MLIRContext::Threading::DISABLED) {
    context.loadDialect<qtensor::QTensorDialect, func::FuncDialect,
                        arith::ArithDialect, tensor::TensorDialect>();
    context.getDiagEngine().registerHandler([](Diagnostic &) {});
  }
  MLIRContext context;
};
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static FuzzState state;
  MLIRContext &context = state.context;
  // The MLIR lexer expects the NUL terminator that file buffers have (the
  // tools read files), so give the input one.
  std::unique_ptr<llvm::WritableMemoryBuffer> buffer =
      llvm::WritableMemoryBuffer::getNewUninitMemBuffer(size + 1, "fuzz-input");
  std::memcpy(buffer->getBufferStart(), data, size);
  buffer->getBufferStart()[size] = 0;
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBuffer(
          llvm::StringRef(buffer->getBufferStart(), size), "fuzz-input",
          /*RequiresNullTerminator=*/true),
      llvm::SMLoc());
  ParserConfig config(&context, /*verifyAfterParse=*/true);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, config);
  if (!module)
    return 0;

  PassManager pm(&context);
  pm.enableVerifier(false);
  pm.addPass(qtensor::createQTensorQuantizeWeights());
  pm.addNestedPass<func::FuncOp>(qtensor::createQTensorDecomposeLinear());
  pm.addNestedPass<func::FuncOp>(qtensor::createQTensorFuseMixedMatmul());
  pm.addPass(createCanonicalizerPass());
  if (failed(pm.run(*module)))
    return 0;
  if (failed(verify(*module)))
    std::abort();
  return 0;
}
