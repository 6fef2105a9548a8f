//===- TorchScriptImporter.h - TorchScript models to stage-0 IR -*- C++ -*-===//
//
// Imports a TorchScript model saved from Python (`torch.jit.script(m).save`)
// into stage-0 qtensor IR. This header has no LibTorch dependency; only the
// importer library's implementation includes LibTorch.
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_IMPORTER_TORCHSCRIPTIMPORTER_H
#define QTENSOR_IMPORTER_TORCHSCRIPTIMPORTER_H

#include "qtensor/Support/InputSpec.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace mlir {
class MLIRContext;
namespace qtensor {

using ::qtensor::InputSpec;

struct ImportOptions {
  /// One description per input of `forward` (qtensor/Support/InputSpec.h):
  /// the arguments' shapes and element types. Dynamic sizes become `?` in
  /// the IR; their names tell which of them must be equal. Inputs with a
  /// None default may be left out at the end: they are None, and take no
  /// argument of @forward.
  std::vector<InputSpec> inputs;
  /// Load the archive in a child process first, so that a file that crashes
  /// LibTorch's loader is an error rather than the end of this process. It
  /// costs one extra load; turn it off only for trusted files.
  bool isolateLoader = true;
};

/// Loads the model at `path` with LibTorch, puts it in eval mode, freezes
/// and inlines it, and emits `func.func @forward` in stage-0 form: weights as
/// `dense_resource` constants named after their parameters (sharing
/// LibTorch's storage where it is contiguous), ops in the qtensor, linalg,
/// tensor, arith and math dialects, each located at the user's source line.
///
/// On failure the error holds one line that says what is wrong (no
/// "error:" prefix), e.g. "unsupported operator 'aten::sort' at
/// model.py:12:15".
llvm::Expected<OwningOpRef<ModuleOp>>
importTorchScript(MLIRContext &context, llvm::StringRef path,
                  const ImportOptions &options);

/// Loads the dialects imported IR uses into `context`.
void loadImporterDialects(MLIRContext &context);

} // namespace qtensor
} // namespace mlir

#endif // QTENSOR_IMPORTER_TORCHSCRIPTIMPORTER_H
