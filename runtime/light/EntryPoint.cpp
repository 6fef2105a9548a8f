//===- EntryPoint.cpp - calling compiled code -----------------------------===//

#include "qtensor/Runtime/EntryPoint.h"

#include "qtensor/Runtime/CudaRuntime.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <set>

namespace qtensor {

namespace {

/// A memref descriptor as the LLVM lowering lays it out: allocated pointer,
/// aligned pointer, offset, sizes, strides, all 64-bit; dense row-major.
std::vector<int64_t> makeDescriptor(const void *data,
                                    const std::vector<int64_t> &shape) {
  std::vector<int64_t> fields;
  auto pointer = reinterpret_cast<int64_t>(data);
  fields.push_back(pointer);
  fields.push_back(pointer);
  fields.push_back(0);
  fields.insert(fields.end(), shape.begin(), shape.end());
  std::vector<int64_t> strides(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  fields.insert(fields.end(), strides.begin(), strides.end());
  return fields;
}

size_t countElements(const std::vector<int64_t> &shape) {
  size_t count = 1;
  for (int64_t size : shape)
    count *= static_cast<size_t>(size);
  return count;
}

/// Copies a strided result (`fields` is its descriptor) into `tensor` in
/// row-major order. `aligned` points at its first element, in host memory.
void copyStrided(const int64_t *fields, const char *aligned, size_t rank,
                 Tensor &tensor) {
  size_t width = byteWidth(tensor.dtype);
  std::vector<int64_t> index(rank, 0);
  for (size_t element = 0; element < tensor.numElements(); ++element) {
    int64_t source = 0;
    for (size_t d = 0; d < rank; ++d)
      source += index[d] * fields[3 + rank + d];
    std::memcpy(tensor.bytes.data() + element * width, aligned + source * width,
                width);
    for (int64_t d = static_cast<int64_t>(rank) - 1; d >= 0; --d) {
      if (++index[d] < tensor.shape[d])
        break;
      index[d] = 0;
    }
  }
}

/// The extent of a strided result in elements, from its first element.
size_t stridedExtent(const int64_t *fields, size_t rank) {
  size_t extent = 1;
  for (size_t d = 0; d < rank; ++d) {
    if (fields[3 + d] == 0)
      return 0;
    extent += static_cast<size_t>(fields[3 + d] - 1) *
              static_cast<size_t>(fields[3 + rank + d]);
  }
  return extent;
}

} // namespace

Status checkInputs(const EntrySignature &signature,
                   const std::vector<TensorView> &inputs) {
  if (inputs.size() != signature.inputs.size())
    return Status::error("the model takes " +
                         std::to_string(signature.inputs.size()) +
                         " inputs, got " + std::to_string(inputs.size()));
  std::vector<std::vector<int64_t>> shapes;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].dtype != signature.inputs[i].dtype)
      return Status::error("input " + std::to_string(i) + " has dtype " +
                           toString(inputs[i].dtype) + ", the model expects " +
                           toString(signature.inputs[i].dtype));
    shapes.push_back(inputs[i].shape);
  }
  // The compiled code takes one size per dynamic name (all '?' are one).
  std::string problem;
  if (!checkInputShapes(signature.inputs, shapes, problem))
    return Status::error(problem);
  for (size_t i = 0; i < inputs.size(); ++i)
    if (!inputs[i].data && countElements(inputs[i].shape) != 0)
      return Status::error("input " + std::to_string(i) + " has no data");
  // Positions: checked here so that a bad one is reported with its value
  // (compiled code checks them too, and then writes nothing).
  for (size_t i = 0; i < signature.inputBounds.size() && i < inputs.size();
       ++i) {
    int64_t bound = signature.inputBounds[i];
    DType dtype = inputs[i].dtype;
    if (bound <= 0 || (dtype != DType::I64 && dtype != DType::I32))
      continue;
    size_t count = countElements(inputs[i].shape);
    for (size_t e = 0; e < count; ++e) {
      int64_t value = dtype == DType::I64
                          ? static_cast<const int64_t *>(inputs[i].data)[e]
                          : static_cast<int64_t>(static_cast<const int32_t *>(
                                inputs[i].data)[e]);
      if (value < 0 || value >= bound)
        return Status::error(
            "input " + std::to_string(i) + " holds " + std::to_string(value) +
            " at element " + std::to_string(e) +
            ", outside the model's range [0, " + std::to_string(bound) +
            ") (positions of its " + "state)");
    }
  }
  return Status::success();
}

Status callEntry(PackedEntry entry, const EntrySignature &signature,
                 const std::vector<TensorView> &inputs,
                 const std::vector<ParameterBuffer> &parameters,
                 MemorySpace space, std::vector<Tensor> &outputs,
                 const std::vector<void *> &states) {
  QTENSOR_RETURN_IF_ERROR(checkInputs(signature, inputs));
  bool onDevice = space == MemorySpace::Cuda;
  if (states.empty() && !signature.states.empty())
    return Status::error(
        "the model keeps state between calls (" +
        std::to_string(signature.states.size()) + " buffers, such as '" +
        signature.states[0].name +
        "'): create one with createState() and pass it to run");
  if (states.size() != signature.states.size())
    return Status::error(
        "the model keeps " + std::to_string(signature.states.size()) +
        " state buffer(s), " + std::to_string(states.size()) + " given");
  if (onDevice && !states.empty())
    return Status::error("models with state run on the CPU only so far");
  void *stream = nullptr;
  // Device copies of the inputs, freed on every path out.
  std::vector<void *> deviceInputs;
  auto freeDeviceInputs = [&] {
    for (void *pointer : deviceInputs)
      mgpuMemFree(pointer, stream);
    deviceInputs.clear();
  };
  auto cudaError = [&](const char *what) {
    freeDeviceInputs();
    std::optional<std::string> error = cuda::takeError();
    return Status::error(std::string(what) + ": " +
                         (error ? *error : "the CUDA runtime failed"));
  };
  if (onDevice) {
    if (std::optional<std::string> stale = cuda::takeError())
      return Status::error("an earlier CUDA call failed: " + *stale);
    stream = mgpuStreamCreate();
  }

  std::vector<std::vector<int64_t>> descriptors;
  for (const TensorView &input : inputs) {
    const void *data = input.data;
    size_t bytes = countElements(input.shape) * byteWidth(input.dtype);
    if (onDevice && bytes != 0) {
      void *device = mgpuMemAlloc(bytes, stream, /*isHostShared=*/false);
      if (!device)
        return cudaError("copying the inputs to the GPU");
      deviceInputs.push_back(device);
      mgpuMemcpy(device, const_cast<void *>(input.data), bytes, stream);
      data = device;
    }
    descriptors.push_back(makeDescriptor(data, input.shape));
  }
  if (onDevice && cuda::hasError())
    return cudaError("copying the inputs to the GPU");
  for (size_t i = 0; i < states.size(); ++i)
    descriptors.push_back(makeDescriptor(states[i], signature.states[i].shape));
  for (const ParameterBuffer &parameter : parameters)
    descriptors.push_back(makeDescriptor(parameter.data, parameter.shape));

  // Result descriptors, laid out one after another as the C interface
  // returns them.
  size_t resultWords = 0;
  for (size_t rank : signature.resultRanks)
    resultWords += 3 + 2 * rank;
  std::vector<int64_t> results(resultWords, 0);
  void *resultPointer = results.data();
  std::vector<void *> descriptorPointers;
  for (std::vector<int64_t> &descriptor : descriptors)
    descriptorPointers.push_back(descriptor.data());
  std::vector<void *> arguments;
  arguments.push_back(&resultPointer);
  for (void *&pointer : descriptorPointers)
    arguments.push_back(&pointer);
  entry(arguments.data());

  // Results that alias an input or a parameter (`return %x`) are not fresh
  // allocations: they are neither freed nor, on the device, looked up twice.
  std::set<const void *> borrowed;
  for (const std::vector<int64_t> &descriptor : descriptors)
    borrowed.insert(reinterpret_cast<const void *>(descriptor[0]));
  outputs.clear();
  // Results returned twice (`return %y, %y`) share one allocation.
  std::set<void *> allocations;
  for (size_t r = 0, offset = 0; r < signature.resultRanks.size(); ++r) {
    auto *allocated = reinterpret_cast<void *>(results[offset]);
    if (!borrowed.count(allocated))
      allocations.insert(allocated);
    offset += 3 + 2 * signature.resultRanks[r];
  }
  size_t offset = 0;
  std::vector<unsigned char> staging;
  for (size_t r = 0; r < signature.resultRanks.size(); ++r) {
    size_t rank = signature.resultRanks[r];
    const int64_t *fields = results.data() + offset;
    offset += 3 + 2 * rank;
    Tensor tensor;
    tensor.dtype = signature.resultTypes[r];
    tensor.shape.assign(fields + 3, fields + 3 + rank);
    size_t width = byteWidth(tensor.dtype);
    tensor.bytes.resize(tensor.numElements() * width);
    auto *aligned = reinterpret_cast<char *>(fields[1]) + fields[2] * width;
    std::vector<int64_t> rowMajor = makeDescriptor(nullptr, tensor.shape);
    bool dense = std::equal(fields + 3 + rank, fields + 3 + 2 * rank,
                            rowMajor.begin() + 3 + rank);
    if (tensor.bytes.empty()) {
      outputs.push_back(std::move(tensor));
      continue;
    }
    if (!onDevice) {
      if (dense)
        std::memcpy(tensor.bytes.data(), aligned, tensor.bytes.size());
      else
        copyStrided(fields, aligned, rank, tensor);
      outputs.push_back(std::move(tensor));
      continue;
    }
    // On the device: copy the extent the result spans, then gather.
    size_t extentBytes = stridedExtent(fields, rank) * width;
    staging.resize(extentBytes);
    mgpuMemcpy(staging.data(), aligned, extentBytes, stream);
    mgpuStreamSynchronize(stream);
    if (cuda::hasError())
      break;
    if (dense)
      std::memcpy(tensor.bytes.data(), staging.data(), tensor.bytes.size());
    else
      copyStrided(fields, reinterpret_cast<const char *>(staging.data()), rank,
                  tensor);
    outputs.push_back(std::move(tensor));
  }
  for (void *allocation : allocations) {
    if (onDevice)
      mgpuMemFree(allocation, stream);
    else
      _mlir_memref_to_llvm_free(allocation);
  }
  if (onDevice) {
    mgpuStreamSynchronize(stream);
    if (cuda::hasError()) {
      outputs.clear();
      return cudaError("running the model on the GPU");
    }
    freeDeviceInputs();
  }
  if (!signature.statusMessages.empty() &&
      outputs.size() == signature.resultTypes.size()) {
    // The status: an int32 scalar after the outputs.
    int32_t status = 0;
    std::memcpy(&status, outputs.back().bytes.data(), sizeof(status));
    outputs.pop_back();
    if (status != 0) {
      outputs.clear();
      if (status < 0 ||
          static_cast<size_t>(status) > signature.statusMessages.size())
        return Status::error("the model failed with an unknown status " +
                             std::to_string(status));
      return Status::error(signature.statusMessages[status - 1]);
    }
  }
  return Status::success();
}

} // namespace qtensor

extern "C" void qtensorMemrefCopy(int64_t elementSize,
                                  QTensorUnrankedMemRef *source,
                                  QTensorUnrankedMemRef *target) {
  int64_t rank = source->rank;
  const int64_t *from = source->descriptor, *to = target->descriptor;
  auto *sourceData =
      reinterpret_cast<const char *>(from[1]) + from[2] * elementSize;
  auto *targetData = reinterpret_cast<char *>(to[1]) + to[2] * elementSize;
  const int64_t *sizes = from + 3;
  const int64_t *sourceStrides = from + 3 + rank,
                *targetStrides = to + 3 + rank;
  int64_t count = 1;
  for (int64_t d = 0; d < rank; ++d)
    count *= sizes[d];
  std::vector<int64_t> index(rank, 0);
  for (int64_t element = 0; element < count; ++element) {
    int64_t sourceOffset = 0, targetOffset = 0;
    for (int64_t d = 0; d < rank; ++d) {
      sourceOffset += index[d] * sourceStrides[d];
      targetOffset += index[d] * targetStrides[d];
    }
    std::memcpy(targetData + targetOffset * elementSize,
                sourceData + sourceOffset * elementSize, elementSize);
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++index[d] < sizes[d])
        break;
      index[d] = 0;
    }
  }
}
