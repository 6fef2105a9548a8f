//===- Devices.cpp - the driver, devices, contexts and streams ------------===//
//
// Loading the driver (once per process), opening a device, retaining its
// primary context and creating its one stream (once per device), and
// probeDevice, which asks the same driver about a device without setting
// anything up. DeviceScope (Runtime.h) makes a device's context current for
// one call.
//
//===----------------------------------------------------------------------===//

#include "Runtime.h"

using namespace qtensor::cuda;
using namespace qtensor::cuda::detail;
using namespace qtensor::cuda::driver;

thread_local int detail::defaultDevice = 0;

const std::string &Runtime::ensureDriver() {
  if (!driverAttempted) {
    driverAttempted = true;
    driver = loadDriver(driverPath());
    if (driver.error.empty())
      count.driverLoads++;
  }
  return driver.error;
}

std::string Runtime::openDevice(int index, Device &device, int &deviceCount) {
  std::string found =
      "CUDA driver " + formatDriverVersion(driver.version) + " found, ";
  if (Result result = driver.api.cuInit(0); result != CUDA_SUCCESS)
    return found + "no GPU: " + describe("cuInit", result);
  if (Result result = driver.api.cuDeviceGetCount(&deviceCount);
      result != CUDA_SUCCESS)
    return found + "no GPU: " + describe("cuDeviceGetCount", result);
  if (deviceCount == 0)
    return found + "no GPU: cuDeviceGetCount reports 0 devices";
  if (index < 0 || index >= deviceCount || index >= kMaxDevices)
    return found + "no GPU " + std::to_string(index) + ": the driver reports " +
           std::to_string(deviceCount) + " device(s)";
  if (Result result = driver.api.cuDeviceGet(&device, index);
      result != CUDA_SUCCESS)
    return found + "no GPU " + std::to_string(index) + ": " +
           describe("cuDeviceGet", result);
  return std::string();
}

DeviceState *Runtime::ready(int index, bool forRelease) {
  if (index < 0 || index >= kMaxDevices) {
    if (!forRelease)
      latch("mgpuSetDefaultDevice: device " + std::to_string(index) +
            " is out of range (0-" + std::to_string(kMaxDevices - 1) + ")");
    return nullptr;
  }
  DeviceState &state = devices[index];
  if (state.ready.load(std::memory_order_acquire))
    return &state;
  if (forRelease)
    return nullptr;
  std::lock_guard<std::mutex> lock(mutex);
  if (!state.attempted) {
    state.attempted = true;
    state.error = initializeDevice(index, state);
    if (state.error.empty())
      state.ready.store(true, std::memory_order_release);
  }
  if (!state.error.empty()) {
    latch(state.error);
    return nullptr;
  }
  return &state;
}

std::string Runtime::initializeDevice(int index, DeviceState &state) {
  if (const std::string &why = ensureDriver(); !why.empty())
    return why;
  int deviceCount = 0;
  if (std::string why = openDevice(index, state.device, deviceCount);
      !why.empty())
    return why;
  std::string gpu = "GPU " + std::to_string(index) + ": ";
  if (Result result =
          driver.api.cuDevicePrimaryCtxRetain(&state.context, state.device);
      result != CUDA_SUCCESS)
    return gpu + describe("cuDevicePrimaryCtxRetain", result);
  count.contextsRetained++;

  if (Result result = driver.api.cuCtxPushCurrent_v2(state.context);
      result != CUDA_SUCCESS) {
    driver.api.cuDevicePrimaryCtxRelease_v2(state.device);
    return gpu + describe("cuCtxPushCurrent", result);
  }
  // A non-blocking stream does not serialize with the legacy default
  // stream, which other libraries in the process (PyTorch) may use.
  Result created =
      driver.api.cuStreamCreate(&state.stream, CU_STREAM_NON_BLOCKING);
  Context popped = nullptr;
  driver.api.cuCtxPopCurrent_v2(&popped);
  if (created != CUDA_SUCCESS) {
    driver.api.cuDevicePrimaryCtxRelease_v2(state.device);
    return gpu + describe("cuStreamCreate", created);
  }
  count.streamsCreated++;

  int optIn = 0;
  if (driver.api.cuDeviceGetAttribute(
          &optIn, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN,
          state.device) == CUDA_SUCCESS &&
      optIn > 0)
    state.maxSharedMemoryOptIn = optIn;
  return std::string();
}

DeviceProbe qtensor::cuda::probeDevice(int device) {
  Runtime &runtime = Runtime::get();
  DeviceProbe probe;
  std::lock_guard<std::mutex> lock(runtime.mutex);
  const std::string &driverError = runtime.ensureDriver();
  probe.driverVersion = runtime.driver.version;
  if (!driverError.empty()) {
    probe.message = driverError;
    return probe;
  }
  Device handle = 0;
  if (std::string why = runtime.openDevice(device, handle, probe.deviceCount);
      !why.empty()) {
    probe.message = why;
    return probe;
  }
  // A device whose context or stream could not be set up is not available
  // either, even though it answers.
  if (device < kMaxDevices && runtime.devices[device].attempted &&
      !runtime.devices[device].error.empty()) {
    probe.message = runtime.devices[device].error;
    return probe;
  }
  const DriverApi &api = runtime.driver.api;
  std::string gpu = "GPU " + std::to_string(device) + ": ";
  char name[256] = {};
  if (Result result = api.cuDeviceGetName(name, sizeof(name) - 1, handle);
      result != CUDA_SUCCESS) {
    probe.message = gpu + runtime.describe("cuDeviceGetName", result);
    return probe;
  }
  int major = 0, minor = 0;
  Result result = api.cuDeviceGetAttribute(
      &major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, handle);
  if (result == CUDA_SUCCESS)
    result = api.cuDeviceGetAttribute(
        &minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, handle);
  if (result != CUDA_SUCCESS) {
    probe.message = gpu + runtime.describe("cuDeviceGetAttribute", result);
    return probe;
  }
  probe.available = true;
  probe.deviceName = name;
  probe.computeCapability = major * 10 + minor;
  probe.message = gpu + probe.deviceName + ", sm_" +
                  std::to_string(probe.computeCapability) + " (CUDA driver " +
                  formatDriverVersion(probe.driverVersion) + ")";
  return probe;
}
