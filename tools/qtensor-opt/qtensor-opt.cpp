//===- qtensor-opt.cpp - the qtensor optimizer driver ---------------------===//
//
// mlir-opt with the qtensor dialect and passes. Like every qtensor tool it
// reports bad input as `error: ...` and exits with 2; the output file is only
// kept when the whole run succeeds.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Tools/Registration.h"
#include "qtensor/Tools/ToolSupport.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mlir::qtensor::registerAllDialects(registry);
  mlir::qtensor::registerAllPasses();
  auto [inputFilename, outputFilename] = mlir::registerAndParseCLIOptions(
      argc, argv, "qtensor modular optimizer driver\n", registry);

  // Upstream prints unprefixed messages for unusable paths; ours follow the
  // `error:` convention of the other diagnostics.
  std::string problem = mlir::qtensor::checkInputPath(inputFilename);
  if (!problem.empty())
    return mlir::qtensor::reportBadInput(
        llvm::Twine("cannot open input file '") + inputFilename +
        "': " + problem);
  problem = mlir::qtensor::checkOutputPath(outputFilename);
  if (!problem.empty())
    return mlir::qtensor::reportBadInput(
        llvm::Twine("cannot open output file '") + outputFilename +
        "': " + problem);
  return mlir::failed(mlir::MlirOptMain(argc, argv, inputFilename,
                                        outputFilename, registry))
             ? mlir::qtensor::kExitBadInput
             : 0;
}
