//===- MgpuAbi.cpp - the mgpu* entry points -------------------------------===//
//
// The extern "C" functions that MLIR 22's GPU host code calls (gpu-to-llvm),
// with the signatures it declares. Each is thin: it forwards to the module
// cache, the launch path or the memory pool, or makes one driver call on the
// calling thread's default device (callDriver). docs/cuda-runtime.md
// describes each function.
//
//===----------------------------------------------------------------------===//

#include "Runtime.h"

#include <algorithm>
#include <cstring>

using namespace qtensor::cuda::detail;
using namespace qtensor::cuda::driver;

namespace {

/// A ranked memref descriptor: allocated and aligned pointers, offset, then
/// sizes[rank] and strides[rank].
struct MemRefView {
  char *aligned;
  int64_t offset;
  const int64_t *sizes;
  const int64_t *strides;
};

MemRefView viewMemRef(int64_t rank, void *descriptor) {
  auto *words = static_cast<char *>(descriptor);
  MemRefView view;
  std::memcpy(&view.aligned, words + sizeof(void *), sizeof(void *));
  std::memcpy(&view.offset, words + 2 * sizeof(void *), sizeof(int64_t));
  view.sizes = reinterpret_cast<const int64_t *>(words + 2 * sizeof(void *) +
                                                 sizeof(int64_t));
  view.strides = view.sizes + rank;
  return view;
}

} // namespace

extern "C" void *mgpuModuleLoad(void *image, size_t size) {
  return loadModuleOnDefaultDevice(image, size, /*jitOptLevel=*/-1,
                                   "mgpuModuleLoad");
}

extern "C" void *mgpuModuleLoadJIT(void *ptx, int optLevel) {
  size_t size = ptx ? std::strlen(static_cast<const char *>(ptx)) + 1 : 0;
  return loadModuleOnDefaultDevice(ptx, size, std::max(optLevel, 0),
                                   "mgpuModuleLoadJIT");
}

extern "C" void mgpuModuleUnload(void *module) {
  if (module)
    Runtime::get().unloadModule(static_cast<Module>(module));
}

extern "C" void *mgpuModuleGetFunction(void *module, const char *name) {
  Runtime &runtime = Runtime::get();
  if (runtime.skipWork())
    return nullptr;
  if (!module || !name) {
    runtime.latch(std::string("mgpuModuleGetFunction: no module to look up "
                              "kernel '") +
                  (name ? name : "") + "' in (its load failed)");
    return nullptr;
  }
  return runtime.getFunction(static_cast<Module>(module), name);
}

extern "C" void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                                 intptr_t gridZ, intptr_t blockX,
                                 intptr_t blockY, intptr_t blockZ,
                                 int32_t sharedMemBytes, void *stream,
                                 void **params, void **extra,
                                 size_t /*paramsCount*/) {
  launchKernel(function, {gridX, gridY, gridZ}, {blockX, blockY, blockZ},
               sharedMemBytes, stream, params, extra);
}

extern "C" void mgpuLaunchClusterKernel(void *function, intptr_t clusterX,
                                        intptr_t clusterY, intptr_t clusterZ,
                                        intptr_t gridX, intptr_t gridY,
                                        intptr_t gridZ, intptr_t blockX,
                                        intptr_t blockY, intptr_t blockZ,
                                        int32_t sharedMemBytes, void *stream,
                                        void **params, void **extra) {
  launchClusterKernel(function, {clusterX, clusterY, clusterZ},
                      {gridX, gridY, gridZ}, {blockX, blockY, blockZ},
                      sharedMemBytes, stream, params, extra);
}

extern "C" void *mgpuStreamCreate() {
  // Answering with the cached stream is no work, so it is not skipped for a
  // latched error: code after the error sees the same stream as before.
  Runtime &runtime = Runtime::get();
  runtime.count.streamRequests++;
  DeviceState *device = runtime.ready(defaultDevice);
  return device ? device->stream : nullptr;
}

extern "C" void mgpuStreamDestroy(void *) {
  // The stream is cached for the device's lifetime; generated code destroys
  // it after every launch.
}

extern "C" void mgpuStreamSynchronize(void *stream) {
  callDriver(
      CallKind::Work, "cuStreamSynchronize",
      [&](const DriverApi &api) {
        return api.cuStreamSynchronize(static_cast<Stream>(stream));
      },
      afterLastKernel);
}

extern "C" void mgpuStreamWaitEvent(void *stream, void *event) {
  if (event)
    callDriver(CallKind::Work, "cuStreamWaitEvent", [&](const DriverApi &api) {
      return api.cuStreamWaitEvent(static_cast<Stream>(stream),
                                   static_cast<Event>(event), 0);
    });
}

extern "C" void *mgpuEventCreate() {
  Event event = nullptr;
  if (!callDriver(CallKind::Work, "cuEventCreate", [&](const DriverApi &api) {
        return api.cuEventCreate(&event, CU_EVENT_DISABLE_TIMING);
      }))
    return nullptr;
  return event;
}

extern "C" void mgpuEventDestroy(void *event) {
  if (event)
    callDriver(CallKind::Release, "cuEventDestroy", [&](const DriverApi &api) {
      return api.cuEventDestroy_v2(static_cast<Event>(event));
    });
}

extern "C" void mgpuEventSynchronize(void *event) {
  if (event)
    callDriver(
        CallKind::Work, "cuEventSynchronize",
        [&](const DriverApi &api) {
          return api.cuEventSynchronize(static_cast<Event>(event));
        },
        afterLastKernel);
}

extern "C" void mgpuEventRecord(void *event, void *stream) {
  if (event)
    callDriver(CallKind::Work, "cuEventRecord", [&](const DriverApi &api) {
      return api.cuEventRecord(static_cast<Event>(event),
                               static_cast<Stream>(stream));
    });
}

extern "C" void *mgpuMemAlloc(uint64_t sizeBytes, void * /*stream*/,
                              bool isHostShared) {
  return allocateDeviceMemory(sizeBytes, isHostShared);
}

extern "C" void mgpuMemFree(void *pointer, void * /*stream*/) {
  freeDeviceMemory(pointer);
}

extern "C" void mgpuMemcpy(void *destination, void *source, size_t sizeBytes,
                           void *stream) {
  if (sizeBytes == 0)
    return;
  // Unified addressing: the driver tells host from device pointers.
  callDriver(
      CallKind::Work, "cuMemcpyAsync",
      [&](const DriverApi &api) {
        return api.cuMemcpyAsync(toDevicePtr(destination), toDevicePtr(source),
                                 sizeBytes, static_cast<Stream>(stream));
      },
      [&] { return ", copying " + std::to_string(sizeBytes) + " bytes"; });
}

extern "C" void mgpuMemset32(void *destination, uint32_t value, size_t count,
                             void *stream) {
  if (count > 0)
    callDriver(CallKind::Work, "cuMemsetD32Async", [&](const DriverApi &api) {
      return api.cuMemsetD32Async(toDevicePtr(destination), value, count,
                                  static_cast<Stream>(stream));
    });
}

extern "C" void mgpuMemset16(void *destination, uint16_t value, size_t count,
                             void *stream) {
  if (count > 0)
    callDriver(CallKind::Work, "cuMemsetD16Async", [&](const DriverApi &api) {
      return api.cuMemsetD16Async(toDevicePtr(destination), value, count,
                                  static_cast<Stream>(stream));
    });
}

extern "C" void mgpuMemHostRegister(void *pointer, uint64_t sizeBytes) {
  if (pointer && sizeBytes > 0)
    callDriver(CallKind::Work, "cuMemHostRegister", [&](const DriverApi &api) {
      return api.cuMemHostRegister_v2(pointer, sizeBytes, 0);
    });
}

extern "C" void mgpuMemHostUnregister(void *pointer) {
  if (pointer)
    callDriver(
        CallKind::Release, "cuMemHostUnregister",
        [&](const DriverApi &api) { return api.cuMemHostUnregister(pointer); });
}

extern "C" void mgpuMemHostRegisterMemRef(int64_t rank, void *descriptor,
                                          int64_t elementSizeBytes) {
  Runtime &runtime = Runtime::get();
  if (!descriptor || rank < 0 || runtime.skipWork())
    return;
  MemRefView view = viewMemRef(rank, descriptor);
  // Only a dense (row-major, identity-strided) memref is one host range.
  int64_t elements = 1;
  for (int64_t i = rank - 1; i >= 0; --i) {
    if (view.sizes[i] != 1 && view.strides[i] != elements) {
      runtime.latch("mgpuMemHostRegisterMemRef: only a dense memref can be "
                    "registered (dimension " +
                    std::to_string(i) + " has stride " +
                    std::to_string(view.strides[i]) + ", expected " +
                    std::to_string(elements) + ")");
      return;
    }
    elements *= view.sizes[i];
  }
  mgpuMemHostRegister(view.aligned + view.offset * elementSizeBytes,
                      static_cast<uint64_t>(elements * elementSizeBytes));
}

extern "C" void mgpuMemHostUnregisterMemRef(int64_t rank, void *descriptor,
                                            int64_t elementSizeBytes) {
  if (!descriptor || rank < 0)
    return;
  MemRefView view = viewMemRef(rank, descriptor);
  mgpuMemHostUnregister(view.aligned + view.offset * elementSizeBytes);
}

extern "C" void mgpuSetDefaultDevice(int32_t device) { defaultDevice = device; }
