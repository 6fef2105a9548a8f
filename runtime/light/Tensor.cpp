//===- Tensor.cpp - dtypes and tensors of the runtime APIs ----------------===//

#include "qtensor/Runtime/Tensor.h"
#include "qtensor/Support/InputSpec.h"

namespace qtensor {

const char *toString(DType dtype) { return elementTypeName(dtype); }

size_t byteWidth(DType dtype) { return elementByteWidth(dtype); }

size_t Tensor::numElements() const {
  size_t count = 1;
  for (int64_t size : shape)
    count *= static_cast<size_t>(size);
  return count;
}

std::string formatShape(const std::vector<int64_t> &shape) {
  return formatInputShape(shape);
}

} // namespace qtensor
