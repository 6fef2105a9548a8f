//===- TensorFiles.cpp - qtensor-run's inputs, results and parameters -----===//

#include "RunSteps.h"

#include "qtensor/Runtime/TorchInterop.h"
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
                        qtensor::ElementType dtype, int64_t low, int64_t high) {
  switch (dtype) {
  case qtensor::ElementType::F32:
  case qtensor::ElementType::F16:
  case qtensor::ElementType::BF16:
    return torch::randn(shape).to(qtensor::toScalarType(dtype));
  case qtensor::ElementType::I8:
  case qtensor::ElementType::I32:
  case qtensor::ElementType::I64:
    return torch::randint(low, high, shape,
                          at::TensorOptions(qtensor::toScalarType(dtype)));
  case qtensor::ElementType::Bool:
    return torch::randint(0, 2, shape, at::kBool);
  }
  return torch::randn(shape);
}

} // namespace

Expected<std::vector<at::Tensor>>
qtensor::runtool::makeRandomInputs(ArrayRef<std::string> texts,
                                   ArrayRef<InputSpec> specs, int64_t low,
                                   int64_t high) {
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
    inputs.push_back(randomTensor(concrete, spec.dtype, low, high));
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
    // readNpy accepts only the dtypes dtypeOfNpy knows.
    DType dtype = *dtypeOfNpy(array->dtype);
    at::Tensor tensor = at::empty(array->shape, toScalarType(dtype));
    std::memcpy(tensor.data_ptr(), array->bytes.data(), array->bytes.size());
    specs.push_back(InputSpec::fromShape(array->shape, dtype));
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
    // A float32 copy of an int64 id would lose digits above 2^24.
    at::Tensor result =
        (output.is_floating_point() ? output.to(at::kFloat) : output)
            .contiguous();
    std::optional<DType> dtype = toDType(result.scalar_type());
    if (!dtype)
      return makeError("result " + Twine(index) + " has dtype " +
                       c10::toString(result.scalar_type()) +
                       ", which .npy files here do not hold");
    NpyArray array;
    array.dtype = npyDType(*dtype);
    array.shape.assign(result.sizes().begin(), result.sizes().end());
    auto *data = static_cast<unsigned char *>(result.data_ptr());
    array.bytes.assign(data, data + result.numel() * result.element_size());
    if (Error error = mlir::qtensor::writeNpy(file, array))
      return makeError("cannot write '" + file +
                       "': " + toString(std::move(error)));
  }
  return Error::success();
}
