//===- TorchInterop.h - run qtensor models on at::Tensors -------*- C++ -*-===//

#ifndef QTENSOR_RUNTIME_TORCHINTEROP_H
#define QTENSOR_RUNTIME_TORCHINTEROP_H

#include "qtensor/Runtime/Runtime.h"

#include <ATen/Tensor.h>

#include <optional>
#include <vector>

namespace qtensor {

/// The element type of `type`, or nullopt for a type models do not take
/// (double, uint8, complex, ...).
std::optional<DType> toDType(at::ScalarType type);

/// The at::ScalarType of `dtype` (bfloat16 as at::kBFloat16).
at::ScalarType toScalarType(DType dtype);

/// Runs `model` on CPU tensors (any strides; converted to contiguous) and
/// returns its results as new at::Tensors. Wrong device, dtype, rank or
/// shape is an error, not an exception. With `state`, reads and updates it;
/// without, a model with state runs once from a fresh one (as the module
/// runs right after loading).
Status run(const Model &model, const std::vector<at::Tensor> &inputs,
           std::vector<at::Tensor> &outputs, State *state = nullptr);

} // namespace qtensor

#endif // QTENSOR_RUNTIME_TORCHINTEROP_H
