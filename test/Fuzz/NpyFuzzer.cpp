//===- NpyFuzzer.cpp - libFuzzer target for the .npy reader ---------------===//
//
// Feeds arbitrary bytes to parseNpy. Every input must give an array or an
// error value; an accepted array must have as many bytes as its shape needs.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Tooling/NpyFile.h"

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef contents(reinterpret_cast<const char *>(data), size);
  llvm::Expected<mlir::qtensor::NpyArray> array =
      mlir::qtensor::parseNpy(contents);
  if (!array) {
    llvm::consumeError(array.takeError());
    return 0;
  }
  uint64_t elements = 1;
  for (int64_t dim : array->shape) {
    if (dim < 0 || __builtin_mul_overflow(elements, uint64_t(dim), &elements))
      std::abort();
  }
  uint64_t elementBytes = array->dtype == "<f4" ? 4 : 1;
  if (elements * elementBytes != array->bytes.size())
    std::abort();
  return 0;
}
