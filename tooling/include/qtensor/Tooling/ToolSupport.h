//===- ToolSupport.h - shared conventions of the qtensor tools --*- C++ -*-===//
//
// Every qtensor tool reports bad input as one `error: ...` line on stderr and
// exits with kExitBadInput. These helpers check paths up front so that the
// message follows that convention instead of whatever a library prints.
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_TOOLING_TOOLSUPPORT_H
#define QTENSOR_TOOLING_TOOLSUPPORT_H

#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"

#include <string>

namespace llvm {
class raw_ostream;
namespace cl {
class OptionCategory;
} // namespace cl
} // namespace llvm

namespace mlir {
class ModuleOp;
namespace qtensor {

/// Exit status of a tool whose input, options or output path were rejected.
constexpr int kExitBadInput = 2;

/// Parses the command line into the options (--help lists those of
/// `category` only). A command line LLVM's parser rejects (an unknown
/// option, a missing or malformed value) ends the tool the qtensor way: one
/// `error: ...` line and kExitBadInput, not LLVM's status 1.
void parseToolCommandLine(int argc, char **argv,
                          llvm::cl::OptionCategory &category,
                          llvm::StringRef overview);

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

/// Prints `error: <message>` to stderr and returns kExitBadInput.
int reportBadInput(const llvm::Twine &message);

} // namespace qtensor
} // namespace mlir

#endif // QTENSOR_TOOLING_TOOLSUPPORT_H
