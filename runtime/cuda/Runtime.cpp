//===- Runtime.cpp - the runtime's singleton and its reset ----------------===//
//
// The construction of the Runtime that every other file works on, counters(),
// and resetForTesting, which tears down what all of them set up, in the order
// their state depends on each other: the capture and the pool before the
// contexts, the modules and streams before the contexts are released, the
// driver last.
//
//===----------------------------------------------------------------------===//

#include "Runtime.h"

#include <cstdlib>
#include <cstring>

using namespace qtensor::cuda;
using namespace qtensor::cuda::detail;

Runtime::Runtime() {
  const char *flag = std::getenv("QTENSOR_CUDA_VERBOSE");
  verbose = flag && *flag && std::strcmp(flag, "0") != 0;
}

void Runtime::reset() {
  {
    // The capture stream and held buffers die with the contexts.
    std::lock_guard<std::mutex> captureLock(captureMutex);
    capturing.store(false);
    capture = LaunchCapture();
  }
  {
    // Before the contexts go.
    std::lock_guard<std::mutex> poolLock(poolMutex);
    drainPool();
    poolOwned.clear();
    poolLimit = kDefaultPoolLimit;
  }
  std::lock_guard<std::mutex> lock(mutex);
  {
    // Their events die with the contexts released below.
    std::lock_guard<std::mutex> timingLock(timingMutex);
    timedLaunches.clear();
    kernelTiming.store(false);
  }
  if (driver.handle) {
    const DriverApi &api = driver.api;
    auto withContext = [&](int device, auto &&action) {
      DeviceState &state = devices[device];
      if (!state.ready.load())
        return;
      api.cuCtxPushCurrent_v2(state.context);
      action();
      Context popped = nullptr;
      api.cuCtxPopCurrent_v2(&popped);
    };
    for (auto &[key, record] : modulesByImage)
      withContext(record->device,
                  [&, module = record->module] { api.cuModuleUnload(module); });
    for (auto &[device, module] : orphanModules)
      withContext(device, [&, module = module] { api.cuModuleUnload(module); });
    for (int index = 0; index < kMaxDevices; ++index) {
      DeviceState &state = devices[index];
      if (!state.ready.load())
        continue;
      withContext(index, [&] { api.cuStreamDestroy_v2(state.stream); });
      api.cuDevicePrimaryCtxRelease_v2(state.device);
    }
    unloadDriver(driver);
  }
  driver = LoadedDriver();
  driverAttempted = false;
  for (DeviceState &state : devices) {
    state.ready.store(false);
    state.attempted = false;
    state.error.clear();
    state.device = 0;
    state.context = nullptr;
    state.stream = nullptr;
    state.maxSharedMemoryOptIn = kDefaultSharedMemoryLimit;
  }
  modulesByImage.clear();
  modulesByHandle.clear();
  orphanModules.clear();
  functionsByModule.clear();
  functionsByHandle.clear();
  generation++;
  take();
  count.clear();
}

RuntimeCounters qtensor::cuda::counters() {
  return Runtime::get().count.snapshot();
}

void qtensor::cuda::resetForTesting() { Runtime::get().reset(); }
