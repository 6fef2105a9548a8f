//===- NpyFile.h - read and write NumPy .npy arrays -------------*- C++ -*-===//
//
// llvm::Error-returning wrappers of the light runtime's .npy reader and
// writer (qtensor/Runtime/Npy.h), for tools built on LLVM.
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_TOOLING_NPYFILE_H
#define QTENSOR_TOOLING_NPYFILE_H

#include "qtensor/Runtime/Npy.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace mlir {
namespace qtensor {

using NpyArray = ::qtensor::NpyArray;

/// Parses the contents of a .npy file.
llvm::Expected<NpyArray> parseNpy(llvm::StringRef contents);

/// Reads a .npy file.
llvm::Expected<NpyArray> readNpy(llvm::StringRef path);

/// Writes `array` to `path` through a temporary file.
llvm::Error writeNpy(llvm::StringRef path, const NpyArray &array);

} // namespace qtensor
} // namespace mlir

#endif // QTENSOR_TOOLING_NPYFILE_H
