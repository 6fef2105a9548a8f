//===- ToolSupport.cpp - shared conventions of the qtensor tools ----------===//

#include "qtensor/Tools/ToolSupport.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"

using namespace llvm;

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

int mlir::qtensor::reportBadInput(const Twine &message) {
  WithColor::error(errs()) << message << "\n";
  return kExitBadInput;
}
