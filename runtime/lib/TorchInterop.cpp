//===- TorchInterop.cpp - run qtensor models on at::Tensors ---------------===//

#include "qtensor/Runtime/TorchInterop.h"

#include <ATen/ATen.h>

#include <cstring>
#include <optional>

namespace qtensor {

static std::optional<DType> toDType(at::ScalarType type) {
  switch (type) {
  case at::kFloat:
    return DType::F32;
  case at::kHalf:
    return DType::F16;
  case at::kBFloat16:
    return DType::BF16;
  default:
    return std::nullopt;
  }
}

static at::ScalarType toScalarType(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return at::kFloat;
  case DType::F16:
    return at::kHalf;
  case DType::BF16:
    return at::kBFloat16;
  case DType::I8:
    return at::kChar;
  }
  return at::kFloat;
}

Status run(const Model &model, const std::vector<at::Tensor> &inputs,
           std::vector<at::Tensor> &outputs) {
  std::vector<at::Tensor> contiguous;
  std::vector<TensorView> views;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const at::Tensor &input = inputs[i];
    if (!input.defined())
      return Status::error("input " + std::to_string(i) + " is undefined");
    if (!input.device().is_cpu())
      return Status::error("input " + std::to_string(i) + " is on " +
                           input.device().str() +
                           "; give CPU tensors (a model compiled for "
                           "CUDA copies them to the GPU itself)");
    std::optional<DType> dtype = toDType(input.scalar_type());
    if (!dtype)
      return Status::error("input " + std::to_string(i) + " has dtype " +
                           std::string(c10::toString(input.scalar_type())) +
                           "; expected float32, float16 or bfloat16");
    contiguous.push_back(input.contiguous());
    TensorView view;
    view.data = contiguous.back().data_ptr();
    view.dtype = *dtype;
    view.shape.assign(input.sizes().begin(), input.sizes().end());
    views.push_back(std::move(view));
  }
  std::vector<Tensor> results;
  if (Status status = model.run(views, results); !status)
    return status;
  outputs.clear();
  for (Tensor &result : results) {
    at::Tensor tensor = at::empty(
        std::vector<int64_t>(result.shape.begin(), result.shape.end()),
        at::TensorOptions().dtype(toScalarType(result.dtype)));
    if (!result.bytes.empty())
      std::memcpy(tensor.data_ptr(), result.bytes.data(), result.bytes.size());
    outputs.push_back(std::move(tensor));
  }
  return Status::success();
}

} // namespace qtensor
