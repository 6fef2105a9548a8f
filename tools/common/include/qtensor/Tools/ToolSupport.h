//===- ToolSupport.h - shared conventions of the qtensor tools --*- C++ -*-===//
//
// Every qtensor tool reports bad input as one `error: ...` line on stderr and
// exits with kExitBadInput. These helpers check paths up front so that the
// message follows that convention instead of whatever a library prints.
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_TOOLS_TOOLSUPPORT_H
#define QTENSOR_TOOLS_TOOLSUPPORT_H

#include "qtensor/Support/InputSpec.h"
#include "qtensor/Support/QuantScheme.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"

#include <string>

namespace llvm {
class raw_ostream;
} // namespace llvm

namespace mlir {
class ModuleOp;
namespace qtensor {

/// Exit status of a tool whose input, options or output path were rejected.
constexpr int kExitBadInput = 2;

/// Returns why `path` cannot be read as an input file, or "" if it can.
/// "-" (stdin) is always accepted.
std::string checkInputPath(llvm::StringRef path);

/// Returns why no output file can be created at `path`, or "" if it can.
/// "-" (stdout) is always accepted.
std::string checkOutputPath(llvm::StringRef path);

/// Prints `module` as MLIR text with its locations, writing the bytes of its
/// dense_resource blobs in chunks: the printer would build each blob's hex
/// string in memory, twice the size of the weights.
void printModuleWithResources(ModuleOp module, llvm::raw_ostream &os);

/// The scheme a `--quantize` option names (qtensor/Support/QuantScheme.h);
/// an error naming the option for an unknown spelling or a scheme that is
/// not implemented yet.
llvm::Expected<::qtensor::QuantScheme>
parseQuantizeOption(llvm::StringRef value);

/// The model inputs that the `--input-shape` values describe (SHAPE[:DTYPE],
/// qtensor/Support/InputSpec.h), `--input-dtype` giving the dtype of those
/// that name none. An error names the option and the value.
llvm::Expected<std::vector<::qtensor::InputSpec>>
parseInputOptions(llvm::ArrayRef<std::string> shapes,
                  llvm::StringRef defaultDtype);

/// Prints `error: <message>` to stderr and returns kExitBadInput.
int reportBadInput(const llvm::Twine &message);

} // namespace qtensor
} // namespace mlir

#endif // QTENSOR_TOOLS_TOOLSUPPORT_H
