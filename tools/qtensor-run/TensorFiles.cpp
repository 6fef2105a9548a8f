//===- TensorFiles.cpp - qtensor-run's inputs, results and parameters -----===//

#include "RunSteps.h"

#include "qtensor/Tooling/NpyFile.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <torch/torch.h>

#include <cstring>

using namespace llvm;

namespace {

Error makeError(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), message);
}

at::Tensor randomTensor(const std::vector<int64_t> &shape,
                        qtensor::ElementType dtype) {
  switch (dtype) {
  case qtensor::ElementType::F32:
    return torch::randn(shape);
  case qtensor::ElementType::F16:
    return torch::randn(shape).to(at::kHalf);
  case qtensor::ElementType::BF16:
    return torch::randn(shape).to(at::kBFloat16);
  case qtensor::ElementType::I8:
    return torch::randint(0, 16, shape, at::kChar);
  case qtensor::ElementType::I32:
    return torch::randint(0, 16, shape, at::kInt);
  case qtensor::ElementType::I64:
    return torch::randint(0, 16, shape, at::kLong);
  case qtensor::ElementType::Bool:
    return torch::randint(0, 2, shape, at::kBool);
  }
  return torch::randn(shape);
}

} // namespace

Expected<std::vector<at::Tensor>>
qtensor::runtool::makeRandomInputs(ArrayRef<std::string> texts,
                                   ArrayRef<InputSpec> specs) {
  std::vector<at::Tensor> inputs;
  for (auto [text, spec] : llvm::zip_equal(texts, specs)) {
    std::vector<int64_t> concrete;
    double bytes = byteWidth(spec.dtype);
    for (const InputDim &dim : spec.dims) {
      concrete.push_back(dim.isDynamic() ? 1 : dim.size);
      bytes *= concrete.back();
    }
    if (bytes > 64.0 * (1 << 30))
      return makeError("--input-shape '" + text + "' needs more than 64 GiB");
    inputs.push_back(randomTensor(concrete, spec.dtype));
  }
  return inputs;
}

Expected<std::vector<at::Tensor>>
qtensor::runtool::readInputs(ArrayRef<std::string> paths,
                             std::vector<InputSpec> &specs) {
  std::vector<at::Tensor> inputs;
  for (const std::string &path : paths) {
    auto array = mlir::qtensor::readNpy(path);
    if (!array)
      return array.takeError();
    if (array->dtype != "<f4")
      return makeError("'" + path + "' is not float32");
    at::Tensor tensor = at::empty(array->shape, at::kFloat);
    std::memcpy(tensor.data_ptr(), array->bytes.data(), array->bytes.size());
    specs.push_back(InputSpec::fromShape(array->shape));
    inputs.push_back(tensor);
  }
  return inputs;
}

Error qtensor::runtool::dumpParameters(const Model &model,
                                       StringRef directory) {
  if (std::error_code ec = sys::fs::create_directories(directory))
    return makeError("cannot create '" + directory + "': " + ec.message());
  for (const Parameter &parameter : model.parameters()) {
    NpyArray array;
    array.dtype = npyDType(parameter.dtype);
    array.shape = parameter.shape;
    auto *data = static_cast<const unsigned char *>(parameter.data);
    array.bytes.assign(data, data + parameter.bytes);
    if (parameter.layout == "transposed" && parameter.shape.size() == 2) {
      // Packed [K, N] at compile time; the seed's layout is [N, K].
      int64_t rows = parameter.shape[0], cols = parameter.shape[1];
      size_t width = byteWidth(parameter.dtype);
      array.shape = {cols, rows};
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c)
          std::memcpy(&array.bytes[(c * rows + r) * width],
                      &data[(r * cols + c) * width], width);
    }
    // Names come from the model: keep them inside the directory.
    SmallString<128> path(directory);
    sys::path::append(path, parameterFileName(parameter.name));
    if (Error error = mlir::qtensor::writeNpy(path, array))
      return makeError("cannot write '" + path.str() +
                       "': " + toString(std::move(error)));
  }
  return Error::success();
}

Error qtensor::runtool::writeOutputs(StringRef path,
                                     ArrayRef<at::Tensor> outputs) {
  for (auto [index, output] : llvm::enumerate(outputs)) {
    std::string file = path.str();
    if (index > 0)
      file = (path.drop_back(4) + "." + Twine(index) + ".npy").str();
    NpyArray array;
    array.dtype = "<f4";
    at::Tensor result = output.to(at::kFloat).contiguous();
    array.shape.assign(result.sizes().begin(), result.sizes().end());
    auto *data = static_cast<unsigned char *>(result.data_ptr());
    array.bytes.assign(data, data + result.numel() * 4);
    if (Error error = mlir::qtensor::writeNpy(file, array))
      return makeError("cannot write '" + file +
                       "': " + toString(std::move(error)));
  }
  return Error::success();
}
