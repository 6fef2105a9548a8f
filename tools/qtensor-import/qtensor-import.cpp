//===- qtensor-import.cpp - TorchScript model to stage-0 MLIR -------------===//
//
//   qtensor-import MODEL.pt --input-shape 64x64x64 [--input-shape 1xT:i64 ...]
//                  [--input-dtype f32|f16|bf16|...] [-o out.mlir]
//
// Bad input gives one `error: ...` line and exit status 2; the output file
// is written to a temporary file and renamed, so a failure leaves none.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Importer/TorchScriptImporter.h"
#include "qtensor/Passes/Registration.h"
#include "qtensor/Tooling/ModelOptions.h"
#include "qtensor/Tooling/ToolSupport.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::qtensor;
namespace cl = llvm::cl;

/// The tool's own options; --help lists only these, not LLVM's.
static cl::OptionCategory toolOptions("qtensor-import options");
static cl::opt<std::string> modelPath(cl::Positional, cl::Required,
                                      cl::cat(toolOptions),
                                      cl::desc("<model.pt>"));
static InputOptions inputs(toolOptions,
                           "One input of forward, in order (repeat per "
                           "input): its shape, e.g. 64x64 or ?x64 or 1xT, "
                           "and optionally its dtype, e.g. 1xT:i64");
static cl::opt<std::string> outputPath("o", cl::cat(toolOptions),
                                       cl::desc("Output file"),
                                       cl::value_desc("out.mlir"),
                                       cl::init("-"));
static cl::opt<bool>
    emitBytecode("emit-bytecode", cl::cat(toolOptions),
                 cl::desc("Write MLIR bytecode instead of text"),
                 cl::init(false));

/// Writes `module` to `path` through a temporary file in the same directory.
static int writeOutput(ModuleOp module, StringRef path) {
  auto print = [&](llvm::raw_ostream &os) -> LogicalResult {
    if (emitBytecode)
      return writeBytecodeToFile(module, os);
    // Locations carry the user's source lines and the weights' names.
    printModuleWithResources(module, os);
    return success();
  };
  if (path == "-") {
    if (failed(print(llvm::outs())))
      return reportBadInput("cannot write bytecode");
    return 0;
  }
  auto temp = llvm::sys::fs::TempFile::create(path + ".tmp-%%%%%%");
  if (!temp)
    return reportBadInput("cannot create '" + path +
                          "': " + llvm::toString(temp.takeError()));
  {
    llvm::raw_fd_ostream os(temp->FD, /*shouldClose=*/false);
    if (failed(print(os)) || (os.flush(), os.has_error())) {
      os.clear_error();
      llvm::consumeError(temp->discard());
      return reportBadInput("cannot write '" + path + "'");
    }
  }
  if (llvm::Error error = temp->keep(path))
    return reportBadInput("cannot write '" + path +
                          "': " + llvm::toString(std::move(error)));
  return 0;
}

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  mlir::qtensor::parseToolCommandLine(
      argc, argv, toolOptions,
      "qtensor-import: TorchScript model (.pt) to stage-0 qtensor MLIR\n");

  ImportOptions options;
  if (inputs.empty())
    return reportBadInput("give one --input-shape per input of the model's "
                          "forward, e.g. --input-shape 64x64x64");
  auto specs = inputs.parse();
  if (!specs)
    return reportBadInput(llvm::toString(specs.takeError()));
  options.inputs = std::move(*specs);
  std::string problem = checkOutputPath(outputPath);
  if (!problem.empty())
    return reportBadInput("cannot open output file '" + outputPath +
                          "': " + problem);

  DialectRegistry registry;
  registerAllDialects(registry);
  MLIRContext context(registry);
  auto module = importTorchScript(context, modelPath, options);
  if (!module)
    return reportBadInput(llvm::toString(module.takeError()));
  return writeOutput(**module, outputPath);
}
