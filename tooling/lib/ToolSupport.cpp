//===- ToolSupport.cpp - shared conventions of the qtensor tools ----------===//

#include "qtensor/Tooling/ToolSupport.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/OperationSupport.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"

#include <cstdio>
#include <cstdlib>
#include <unistd.h>

using namespace llvm;

void mlir::qtensor::parseToolCommandLine(int argc, char **argv,
                                         cl::OptionCategory &category,
                                         StringRef overview) {
  cl::HideUnrelatedOptions(category);
  // LLVM's parser prints some errors to the stream it is given and others
  // (a malformed value) straight to stderr: catch both in a temporary file.
  std::FILE *capture = std::tmpfile();
  int savedStderr = capture ? ::dup(STDERR_FILENO) : -1;
  if (savedStderr >= 0)
    ::dup2(::fileno(capture), STDERR_FILENO);
  std::string text;
  raw_string_ostream errors(text);
  bool parsed = cl::ParseCommandLineOptions(argc, argv, overview, &errors);
  errs().flush();
  if (savedStderr >= 0) {
    ::dup2(savedStderr, STDERR_FILENO);
    ::close(savedStderr);
    std::rewind(capture);
    char buffer[4096];
    while (size_t read = std::fread(buffer, 1, sizeof(buffer), capture))
      text.append(buffer, read);
  }
  if (capture)
    std::fclose(capture);
  if (parsed) {
    errs() << text; // warnings, if any
    return;
  }
  // One line: each of LLVM's lines without the program's name in front (a
  // hint such as "Did you mean ...?" follows the error).
  std::string program = (sys::path::filename(argv[0]) + ": ").str();
  SmallVector<StringRef> lines;
  StringRef(text).split(lines, '\n', /*MaxSplit=*/-1, /*KeepEmpty=*/false);
  std::string message;
  for (StringRef line : lines) {
    line.consume_front(program);
    message += (message.empty() ? "" : " ") + line.trim().str();
  }
  std::exit(reportBadInput(message.empty() ? "invalid command line" : message));
}

std::string mlir::qtensor::checkInputPath(StringRef path) {
  if (path == "-")
    return "";
  sys::fs::file_status status;
  if (std::error_code ec = sys::fs::status(path, status))
    return ec.message();
  if (sys::fs::is_directory(status))
    return "is a directory";
  return "";
}

std::string mlir::qtensor::checkOutputPath(StringRef path) {
  if (path == "-")
    return "";
  if (sys::fs::is_directory(path))
    return "is a directory";
  StringRef parent = sys::path::parent_path(path);
  if (parent.empty())
    parent = ".";
  if (!sys::fs::is_directory(parent))
    return ("directory '" + parent + "' does not exist").str();
  if (sys::fs::access(parent, sys::fs::AccessMode::Write))
    return ("directory '" + parent + "' is not writable").str();
  return "";
}

void mlir::qtensor::printModuleWithResources(ModuleOp module, raw_ostream &os) {
  // The blobs, in order of first use.
  MapVector<StringRef, AsmResourceBlob *> blobs;
  module->walk([&](Operation *op) {
    for (NamedAttribute attr : op->getAttrs())
      if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr.getValue()))
        if (AsmResourceBlob *blob = resource.getRawHandle().getBlob())
          blobs.insert({resource.getRawHandle().getKey(), blob});
  });
  // The module without blob bytes (every blob elided), then the bytes.
  OpPrintingFlags flags;
  flags.enableDebugInfo().elideLargeResourceString(0);
  std::string text;
  llvm::raw_string_ostream textStream(text);
  module.print(textStream, flags);
  StringRef body(text);
  size_t metadata = body.rfind("{-#");
  if (metadata != StringRef::npos)
    body = body.take_front(metadata);
  os << body.rtrim() << "\n";
  if (blobs.empty())
    return;
  os << "\n{-#\n  dialect_resources: {\n    builtin: {\n";
  constexpr size_t kChunk = 1 << 16;
  for (auto [index, entry] : llvm::enumerate(blobs)) {
    auto [key, blob] = entry;
    char alignment[4];
    support::endian::write32le(alignment, blob->getDataAlignment());
    os << "      " << key << ": \"0x" << toHex(StringRef(alignment, 4));
    ArrayRef<char> data = blob->getData();
    for (size_t offset = 0; offset < data.size(); offset += kChunk)
      os << toHex(StringRef(data.data() + offset,
                            std::min(kChunk, data.size() - offset)));
    os << "\"" << (index + 1 < blobs.size() ? "," : "") << "\n";
  }
  os << "    }\n  }\n#-}\n";
}

int mlir::qtensor::reportBadInput(const Twine &message) {
  WithColor::error(errs()) << message << "\n";
  return kExitBadInput;
}
