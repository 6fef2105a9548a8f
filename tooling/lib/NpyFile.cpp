//===- NpyFile.cpp - read and write NumPy .npy arrays ---------------------===//

#include "qtensor/Tooling/NpyFile.h"

using namespace llvm;
using namespace mlir::qtensor;

static Error toError(const ::qtensor::Status &status) {
  if (status)
    return Error::success();
  return createStringError(inconvertibleErrorCode(), status.message());
}

Expected<NpyArray> mlir::qtensor::parseNpy(StringRef contents) {
  NpyArray array;
  if (Error error = toError(::qtensor::parseNpy(
          std::string_view(contents.data(), contents.size()), array)))
    return error;
  return array;
}

Expected<NpyArray> mlir::qtensor::readNpy(StringRef path) {
  NpyArray array;
  if (Error error = toError(::qtensor::readNpy(path.str(), array)))
    return error;
  return array;
}

Error mlir::qtensor::writeNpy(StringRef path, const NpyArray &array) {
  return toError(::qtensor::writeNpy(path.str(), array));
}
