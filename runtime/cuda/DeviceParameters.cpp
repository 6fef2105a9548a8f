//===- DeviceParameters.cpp - a model's parameters on the device ----------===//
//
// DeviceParameters: each host buffer of a model's parameters is copied to the
// device once, keyed by (host pointer, byte count), and freed with the set.
//
//===----------------------------------------------------------------------===//

#include "Runtime.h"

using namespace qtensor::cuda;
using namespace qtensor::cuda::detail;

DeviceParameters::DeviceParameters(int device)
    : device(device), generation(Runtime::get().generation.load()) {}

DeviceParameters::~DeviceParameters() {
  Runtime &runtime = Runtime::get();
  if (copies.empty() || generation != runtime.generation.load())
    return;
  DeviceScope scope(runtime, device, /*forRelease=*/true);
  if (!scope)
    return;
  // Errors are dropped: a destructor has nobody to tell, and a failing free
  // means the context is gone already, taking the memory with it.
  for (const auto &[key, pointer] : copies)
    if (scope.api().cuMemFree_v2(toDevicePtr(pointer)) == CUDA_SUCCESS)
      runtime.count.frees++;
}

void *DeviceParameters::upload(const void *host, size_t bytes) {
  if (bytes == 0)
    return nullptr;
  Runtime &runtime = Runtime::get();
  if (!host) {
    runtime.latch("DeviceParameters::upload: no host buffer for a " +
                  std::to_string(bytes) + "-byte parameter");
    return nullptr;
  }
  std::lock_guard<std::mutex> lock(mutex);
  if (generation != runtime.generation.load()) {
    runtime.latch("DeviceParameters::upload: the set belongs to a CUDA "
                  "runtime that was reset");
    return nullptr;
  }
  auto key = std::make_pair(host, bytes);
  if (auto found = copies.find(key); found != copies.end()) {
    runtime.count.parameterUploadsReused++;
    return found->second;
  }
  if (runtime.skipWork())
    return nullptr;
  DeviceScope scope(runtime, device);
  if (!scope)
    return nullptr;
  DevicePtr pointer = 0;
  auto what = [&] {
    return ", for a " + std::to_string(bytes) + "-byte parameter";
  };
  if (!runtime.check(scope.api().cuMemAlloc_v2(&pointer, bytes), "cuMemAlloc",
                     what))
    return nullptr;
  runtime.count.allocations++;
  if (!runtime.check(scope.api().cuMemcpyHtoD_v2(pointer, host, bytes),
                     "cuMemcpyHtoD", what)) {
    if (scope.api().cuMemFree_v2(pointer) == CUDA_SUCCESS)
      runtime.count.frees++;
    return nullptr;
  }
  runtime.count.parameterUploads++;
  runtime.count.parameterBytes += bytes;
  void *devicePointer = reinterpret_cast<void *>(pointer);
  copies.emplace(key, devicePointer);
  totalBytes += bytes;
  return devicePointer;
}

size_t DeviceParameters::size() const {
  std::lock_guard<std::mutex> lock(mutex);
  return copies.size();
}

size_t DeviceParameters::deviceBytes() const {
  std::lock_guard<std::mutex> lock(mutex);
  return totalBytes;
}
