//===- TorchScriptImporter.cpp - TorchScript models to stage-0 IR ---------===//
//
// The importer's public entry points. importTorchScript checks the file,
// has the sandboxed loader try it (SandboxedLoader.h), loads it with
// LibTorch and hands the graph of `forward` to the GraphImporter
// (GraphImporter.h), whose op table (OpTable.h) says what each node becomes.
// LibTorch reports errors with C++ exceptions and the GraphImporter with
// ImportError; both are caught here and turned into llvm::Error values, so
// no exception crosses into MLIR code.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Importer/TorchScriptImporter.h"

#include "GraphImporter.h"
#include "SandboxedLoader.h"

#include "qtensor/Dialect/QTensorDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"

using namespace mlir;
using namespace mlir::qtensor;
using namespace mlir::qtensor::importer;

void mlir::qtensor::loadImporterDialects(MLIRContext &context) {
  context.loadDialect<arith::ArithDialect, func::FuncDialect,
                      linalg::LinalgDialect, math::MathDialect, scf::SCFDialect,
                      tensor::TensorDialect, QTensorDialect>();
}

llvm::Expected<OwningOpRef<ModuleOp>>
mlir::qtensor::importTorchScript(MLIRContext &context, StringRef path,
                                 const ImportOptions &options) {
  auto error = [](const llvm::Twine &message) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
  };
  // Check the file before LibTorch sees it, for plain messages.
  llvm::sys::fs::file_status status;
  if (std::error_code ec = llvm::sys::fs::status(path, status))
    return error("cannot open '" + path + "': " + ec.message());
  if (llvm::sys::fs::is_directory(status))
    return error("cannot open '" + path + "': is a directory");
  if (status.getSize() == 0)
    return error("'" + path + "' is empty, not a TorchScript archive");
  {
    auto buffer = llvm::MemoryBuffer::getFileSlice(path, 4, 0);
    if (!buffer)
      return error("cannot read '" + path +
                   "': " + buffer.getError().message());
    if ((*buffer)->getBuffer() != StringRef("PK\x03\x04", 4))
      return error("'" + path +
                   "' is not a TorchScript archive (no zip header); save "
                   "models with torch.jit.script(model).save(path)");
  }
  if (options.isolateLoader)
    if (llvm::Error failure = loadInChildProcess(path, status.getSize()))
      return failure;
  loadImporterDialects(context);

  try {
    jit::Module original;
    std::shared_ptr<jit::Graph> graph = loadForwardGraph(path.str(), original);
    GraphImporter importer(context, original);
    OwningOpRef<ModuleOp> module = importer.run(graph, options);

    std::string diagnostic;
    {
      ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
        if (diagnostic.empty())
          diagnostic = diag.str();
        return success();
      });
      if (failed(verify(*module)))
        return error("the imported model does not verify: " + diagnostic);
    }
    return module;
  } catch (const ImportError &failure) {
    return error(failure.message);
  } catch (const c10::Error &failure) {
    return loadError(path, firstLine(failure.what_without_backtrace()));
  } catch (const std::exception &failure) {
    return loadError(path, firstLine(failure.what()));
  }
}
