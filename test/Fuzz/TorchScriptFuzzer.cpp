//===- TorchScriptFuzzer.cpp - libFuzzer target for the importer ----------===//
//
// Imports arbitrary bytes as a TorchScript model. The importer reads files,
// so each input is written to a per-process temporary file first. The input
// shape is the seed ToyModel's (2 x 64); other models still import up to
// the first op whose shape disagrees.
//
// QTENSOR_FUZZ_ISOLATE=0 turns the importer's child-process load off, which
// shows the crashes inside LibTorch's own loader that it guards against.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Importer/TorchScriptImporter.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <unistd.h>

using namespace mlir;

namespace {
struct FuzzState {
  FuzzState() : context(MLIRContext::Threading::DISABLED) {
    mlir::qtensor::loadImporterDialects(context);
    context.getDiagEngine().registerHandler([](Diagnostic &) {});
    const char *tmp = std::getenv("TMPDIR");
    path = std::string(tmp ? tmp : "/tmp") + "/qtensor-fuzz-" +
           std::to_string(getpid()) + ".pt";
    options.inputs.push_back(::qtensor::InputSpec::fromShape({2, 64}));
    const char *isolate = std::getenv("QTENSOR_FUZZ_ISOLATE");
    options.isolateLoader = !(isolate && std::string(isolate) == "0");
  }
  ~FuzzState() { unlink(path.c_str()); }
  MLIRContext context;
  std::string path;
  mlir::qtensor::ImportOptions options;
};
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static FuzzState state;
  {
    std::error_code ec;
    llvm::raw_fd_ostream file(state.path, ec);
    if (ec)
      std::abort();
    file.write(reinterpret_cast<const char *>(data), size);
  }
  auto module = mlir::qtensor::importTorchScript(state.context, state.path,
                                                 state.options);
  if (!module)
    llvm::consumeError(module.takeError());
  return 0;
}
