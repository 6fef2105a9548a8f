//===- SandboxedLoader.h - Loading TorchScript with LibTorch ----*- C++ -*-===//
//
// Loading a TorchScript archive with LibTorch: in this process, and first in
// a forked child process with limits, so that a malformed archive that
// crashes LibTorch or makes it allocate without bound is an error value.
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_IMPORTER_LIB_SANDBOXEDLOADER_H
#define QTENSOR_IMPORTER_LIB_SANDBOXEDLOADER_H

#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"

#include <torch/script.h>

#include <cstdint>
#include <memory>
#include <string>

namespace mlir::qtensor::importer {

/// The first line of a LibTorch error, without its C++ backtrace.
std::string firstLine(const char *what);

/// Loads, freezes and inlines `path` with LibTorch; `original` receives the
/// module as loaded (in eval mode), whose parameters name the constants.
/// Throws LibTorch's exceptions.
std::shared_ptr<torch::jit::Graph>
loadForwardGraph(const std::string &path, torch::jit::Module &original);

/// The error for a failure to load `path` with LibTorch, `reason` being
/// LibTorch's message or what became of its loader process.
llvm::Error loadError(llvm::StringRef path, const llvm::Twine &reason);

/// Loads `path` (of `fileSize` bytes) with loadForwardGraph in a forked
/// child process under a memory limit and a timeout, and reports how that
/// went; success means this process can load it too.
llvm::Error loadInChildProcess(llvm::StringRef path, uint64_t fileSize);

} // namespace mlir::qtensor::importer

#endif // QTENSOR_IMPORTER_LIB_SANDBOXEDLOADER_H
