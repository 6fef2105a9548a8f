//===- NpyFile.h - read and write NumPy .npy arrays -------------*- C++ -*-===//
//
// The subset of the .npy format (version 1 and 2 headers) that qtensor's
// tools exchange: little-endian float32 and int8 arrays in C order. Every
// malformed file is an error value, never a crash.
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_TOOLS_NPYFILE_H
#define QTENSOR_TOOLS_NPYFILE_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir {
namespace qtensor {

struct NpyArray {
  /// NumPy dtype string: "<f4" or "|i1".
  std::string dtype;
  std::vector<int64_t> shape;
  std::vector<unsigned char> bytes;
};

/// Parses the contents of a .npy file.
llvm::Expected<NpyArray> parseNpy(llvm::StringRef contents);

/// Reads a .npy file.
llvm::Expected<NpyArray> readNpy(llvm::StringRef path);

/// Writes `array` to `path` through a temporary file.
llvm::Error writeNpy(llvm::StringRef path, const NpyArray &array);

} // namespace qtensor
} // namespace mlir

#endif // QTENSOR_TOOLS_NPYFILE_H
