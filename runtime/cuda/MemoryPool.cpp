//===- MemoryPool.cpp - the device memory pool ----------------------------===//
//
// mgpuMemFree keeps a freed block (not managed memory) for the next
// mgpuMemAlloc of the same size on the same device, up to a limit
// (setMemoryPoolLimit), instead of a cuMemFree, which waits for the device,
// and a cuMemAlloc per call. While a launch capture runs, freed blocks are
// held for the graph instead.
//
//===----------------------------------------------------------------------===//

#include "Runtime.h"

using namespace qtensor::cuda;
using namespace qtensor::cuda::detail;
using namespace qtensor::cuda::driver;

void Runtime::drainPool() {
  for (auto &[key, pointer] : pooled) {
    DeviceScope scope(*this, key.device, /*forRelease=*/true);
    if (scope && scope.api().cuMemFree_v2(pointer) == CUDA_SUCCESS)
      count.frees++;
  }
  pooled.clear();
  pooledBytes = 0;
}

void qtensor::cuda::setMemoryPoolLimit(uint64_t bytes) {
  Runtime &runtime = Runtime::get();
  std::lock_guard<std::mutex> lock(runtime.poolMutex);
  runtime.poolLimit = bytes;
  if (runtime.pooledBytes > bytes)
    runtime.drainPool();
}

uint64_t qtensor::cuda::releaseCachedMemory() {
  Runtime &runtime = Runtime::get();
  std::lock_guard<std::mutex> lock(runtime.poolMutex);
  uint64_t released = runtime.pooledBytes;
  runtime.drainPool();
  return released;
}

void *detail::allocateDeviceMemory(uint64_t sizeBytes, bool isHostShared) {
  if (sizeBytes == 0)
    return nullptr;
  Runtime &runtime = Runtime::get();
  if (!isHostShared) {
    if (runtime.skipWork())
      return nullptr;
    std::lock_guard<std::mutex> lock(runtime.poolMutex);
    auto found = runtime.pooled.find({defaultDevice, sizeBytes});
    if (found != runtime.pooled.end()) {
      DevicePtr pointer = found->second;
      runtime.pooled.erase(found);
      runtime.pooledBytes -= sizeBytes;
      runtime.poolOwned[pointer] = {defaultDevice, sizeBytes};
      runtime.count.allocationsReused++;
      return reinterpret_cast<void *>(pointer);
    }
  }
  DevicePtr pointer = 0;
  auto what = [&] {
    return ", allocating " + std::to_string(sizeBytes) + " bytes";
  };
  bool allocated =
      isHostShared ? callDriver(
                         CallKind::Work, "cuMemAllocManaged",
                         [&](const DriverApi &api) {
                           return api.cuMemAllocManaged(&pointer, sizeBytes,
                                                        CU_MEM_ATTACH_GLOBAL);
                         },
                         what)
                   : callDriver(
                         CallKind::Work, "cuMemAlloc",
                         [&](const DriverApi &api) {
                           return api.cuMemAlloc_v2(&pointer, sizeBytes);
                         },
                         what);
  if (!allocated)
    return nullptr;
  runtime.count.allocations++;
  if (!isHostShared) {
    std::lock_guard<std::mutex> lock(runtime.poolMutex);
    runtime.poolOwned[pointer] = {defaultDevice, sizeBytes};
  }
  return reinterpret_cast<void *>(pointer);
}

void detail::freeDeviceMemory(void *pointer) {
  if (!pointer)
    return;
  Runtime &runtime = Runtime::get();
  if (runtime.capturing.load(std::memory_order_acquire)) {
    // Captured kernels may use the buffer: the graph releases it.
    std::lock_guard<std::mutex> lock(runtime.captureMutex);
    if (runtime.capturing.load()) {
      runtime.capture.heldBuffers.push_back(pointer);
      return;
    }
  }
  {
    std::lock_guard<std::mutex> lock(runtime.poolMutex);
    auto owned = runtime.poolOwned.find(toDevicePtr(pointer));
    if (owned != runtime.poolOwned.end()) {
      Runtime::PoolKey key = owned->second;
      runtime.poolOwned.erase(owned);
      if (!runtime.latched() &&
          runtime.pooledBytes + key.bytes <= runtime.poolLimit) {
        runtime.pooled.emplace(key, toDevicePtr(pointer));
        runtime.pooledBytes += key.bytes;
        runtime.count.freesCached++;
        return;
      }
    }
  }
  if (pointer &&
      callDriver(CallKind::Release, "cuMemFree", [&](const DriverApi &api) {
        return api.cuMemFree_v2(toDevicePtr(pointer));
      }))
    Runtime::get().count.frees++;
}
