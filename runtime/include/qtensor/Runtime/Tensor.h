//===- Tensor.h - status, dtypes and tensors of the APIs --------*- C++ -*-===//
//
// The vocabulary that the JIT API (Runtime.h) and the AOT API (Artifact.h)
// share. It names no LLVM, MLIR or LibTorch type, and its definitions live in
// the light runtime library, which depends on none of them.
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_RUNTIME_TENSOR_H
#define QTENSOR_RUNTIME_TENSOR_H

#include "qtensor/Support/ElementType.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#define QTENSOR_LIGHT_EXPORT __attribute__((visibility("default")))

namespace qtensor {

/// The outcome of an API call: success, or an error with a one-line message.
/// Errors are values; the runtime never aborts the process on bad input.
class [[nodiscard]] Status {
public:
  static Status success() { return Status(); }
  static Status error(std::string message) {
    Status status;
    status.failed = true;
    status.text = std::move(message);
    return status;
  }
  /// True on success.
  explicit operator bool() const { return !failed; }
  const std::string &message() const { return text; }

private:
  bool failed = false;
  std::string text;
};

/// Returns the Status of `expr` from the enclosing function when it is an
/// error.
#define QTENSOR_RETURN_IF_ERROR(expr)                                          \
  do {                                                                         \
    if (::qtensor::Status qtensorStatus = (expr); !qtensorStatus)              \
      return qtensorStatus;                                                    \
  } while (false)

/// The element types of inputs, results and parameters: the one vocabulary
/// of qtensor/Support/ElementType.h.
using DType = ElementType;

/// "f32", "f16", "bf16", "i8", "i32", "i64", "bool".
QTENSOR_LIGHT_EXPORT const char *toString(DType dtype);
/// Bytes per element.
QTENSOR_LIGHT_EXPORT size_t byteWidth(DType dtype);

/// A caller-owned dense row-major buffer.
struct TensorView {
  const void *data = nullptr;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
};

/// A runtime-owned dense row-major result.
struct Tensor {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<unsigned char> bytes;
  QTENSOR_LIGHT_EXPORT size_t numElements() const;
  const float *f32() const {
    return reinterpret_cast<const float *>(bytes.data());
  }
};

/// A weight the compiled code reads from a runtime-owned buffer.
struct Parameter {
  std::string name; ///< e.g. "linear1.weight.data"
  DType dtype;
  std::vector<int64_t> shape;
  std::string layout; ///< "row_major": the seed's layout, unpacked
  const void *data;
  size_t bytes;
};

/// "[2, ?, 64]" (-1 prints as ?).
QTENSOR_LIGHT_EXPORT std::string formatShape(const std::vector<int64_t> &shape);

} // namespace qtensor

#endif // QTENSOR_RUNTIME_TENSOR_H
