//===- TorchInterop.cpp - run qtensor models on at::Tensors ---------------===//

#include "qtensor/Runtime/TorchInterop.h"

#include <ATen/ATen.h>

#include <cstring>
#include <optional>

namespace qtensor {

/// The at::ScalarType of each element type, in ElementType order.
static constexpr std::pair<DType, at::ScalarType> kScalarTypes[] = {
    {DType::F32, at::kFloat},     {DType::F16, at::kHalf},
    {DType::BF16, at::kBFloat16}, {DType::I8, at::kChar},
    {DType::I32, at::kInt},       {DType::I64, at::kLong},
    {DType::Bool, at::kBool}};

std::optional<DType> toDType(at::ScalarType type) {
  for (auto [dtype, scalarType] : kScalarTypes)
    if (scalarType == type)
      return dtype;
  return std::nullopt;
}

at::ScalarType toScalarType(DType dtype) {
  for (auto [candidate, scalarType] : kScalarTypes)
    if (candidate == dtype)
      return scalarType;
  return at::kFloat;
}

Status run(const Model &model, const std::vector<at::Tensor> &inputs,
           std::vector<at::Tensor> &outputs, State *state) {
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
      return Status::error(
          "input " + std::to_string(i) + " has dtype " +
          std::string(c10::toString(input.scalar_type())) +
          "; expected float32, float16, bfloat16, int8, int32, "
          "int64 or bool");
    contiguous.push_back(input.contiguous());
    TensorView view;
    view.data = contiguous.back().data_ptr();
    view.dtype = *dtype;
    view.shape.assign(input.sizes().begin(), input.sizes().end());
    views.push_back(std::move(view));
  }
  std::vector<Tensor> results;
  std::unique_ptr<State> fresh;
  if (!state && !model.states().empty()) {
    fresh = model.createState();
    state = fresh.get();
  }
  QTENSOR_RETURN_IF_ERROR(state ? model.run(views, results, *state)
                                : model.run(views, results));
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
