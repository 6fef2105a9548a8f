//===- Npy.h - read and write NumPy .npy arrays -----------------*- C++ -*-===//
//
// The subset of the .npy format (version 1, 2 and 3 headers) that qtensor's
// tools and artifacts exchange: little-endian float32, float16, int8 and
// bfloat16 (as the uint16 bit patterns, '<u2': NumPy has no bfloat16) arrays
// in C order. Every malformed file is an error value, never a crash. Part of
// the light runtime: no LLVM, MLIR or LibTorch.
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_RUNTIME_NPY_H
#define QTENSOR_RUNTIME_NPY_H

#include "qtensor/Runtime/Tensor.h"

#include <optional>
#include <string_view>

namespace qtensor {

struct NpyArray {
  /// NumPy dtype string: "<f4", "<f2", "<u2" (bfloat16 bits) or "|i1".
  std::string dtype;
  std::vector<int64_t> shape;
  std::vector<unsigned char> bytes;
};

/// Parses the contents of a .npy file.
QTENSOR_LIGHT_EXPORT Status parseNpy(std::string_view contents,
                                     NpyArray &array);

/// Reads a .npy file; errors name the file.
QTENSOR_LIGHT_EXPORT Status readNpy(const std::string &path, NpyArray &array);

/// Writes `array` to `path` through a temporary file renamed into place, so
/// that a failed write leaves no partial file.
QTENSOR_LIGHT_EXPORT Status writeNpy(const std::string &path,
                                     const NpyArray &array);

/// The .npy dtype of `dtype`: "<f4", "<f2", "<u2" (bfloat16 bits), "|i1",
/// "<i4", "<i8", "|b1".
QTENSOR_LIGHT_EXPORT const char *npyDType(DType dtype);

/// The element type a .npy dtype holds: the inverse of npyDType.
QTENSOR_LIGHT_EXPORT std::optional<DType> dtypeOfNpy(std::string_view npy);

/// The .npy file name of parameter `name` in a parameter directory
/// (qtensor-run --dump-params writes, Artifact::setParameters reads):
/// NAME.npy, with '/' and '\\' as '_' and a leading '.' prefixed by '_', so
/// that every name stays inside the directory.
QTENSOR_LIGHT_EXPORT std::string parameterFileName(const std::string &name);

/// Reads a whole file into `contents`.
QTENSOR_LIGHT_EXPORT Status readFile(const std::string &path,
                                     std::string &contents);

/// Writes `contents` to `path` through a temporary file renamed into place.
QTENSOR_LIGHT_EXPORT Status writeFileAtomically(const std::string &path,
                                                std::string_view contents);

} // namespace qtensor

#endif // QTENSOR_RUNTIME_NPY_H
