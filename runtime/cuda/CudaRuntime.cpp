//===- CudaRuntime.cpp - mgpu* over the dlopen'ed CUDA driver -------------===//
//
// MLIR 22's host code calls, per gpu.launch_func: mgpuStreamCreate,
// mgpuModuleGetFunction, mgpuLaunchKernel, mgpuStreamSynchronize,
// mgpuStreamDestroy; and mgpuModuleLoad(JIT) once, from the global
// constructor of the module that embeds the kernels. Everything a launch
// touches is therefore cached here (the driver, each device's primary
// context and stream, modules, functions), so that a launch costs one
// cuLaunchKernel plus a few uncontended lock acquisitions.
//
// Errors are latched instead of printed: host code has no way to receive
// them, so the first failure is kept for takeError() (the caller of the
// compiled function asks after each call) and later work is skipped, since
// it would run on data the failed step did not produce.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Runtime/CudaRuntime.h"

#include "DriverApi.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <tuple>
#include <unordered_map>
#include <vector>

using namespace qtensor::cuda;
using namespace qtensor::cuda::driver;

namespace {

/// Device ordinals the runtime keeps state for.
constexpr int kMaxDevices = 64;
/// Dynamic shared memory a kernel may use without opting in.
constexpr int kDefaultSharedMemoryLimit = 48 * 1024;

/// The counters of RuntimeCounters, kept as atomics.
#define QTENSOR_CUDA_COUNTERS(X)                                               \
  X(driverLoads)                                                               \
  X(contextsRetained)                                                          \
  X(streamsCreated)                                                            \
  X(streamRequests)                                                            \
  X(moduleLoads)                                                               \
  X(moduleLoadsReused)                                                         \
  X(moduleUnloads)                                                             \
  X(functionLookups)                                                           \
  X(functionLookupsReused)                                                     \
  X(launches)                                                                  \
  X(launchesCaptured)                                                          \
  X(graphReplays)                                                              \
  X(emptyLaunchesSkipped)                                                      \
  X(allocations)                                                               \
  X(allocationsReused)                                                         \
  X(frees)                                                                     \
  X(freesCached)                                                               \
  X(parameterUploads)                                                          \
  X(parameterUploadsReused)                                                    \
  X(parameterBytes)                                                            \
  X(errorsLatched)                                                             \
  X(callsSkipped)

/// Freed device blocks kept for reuse, at most (setMemoryPoolLimit).
constexpr uint64_t kDefaultPoolLimit = uint64_t(4) << 30;

struct AtomicCounters {
#define QTENSOR_DECLARE_COUNTER(name) std::atomic<uint64_t> name{0};
  QTENSOR_CUDA_COUNTERS(QTENSOR_DECLARE_COUNTER)
#undef QTENSOR_DECLARE_COUNTER

  RuntimeCounters snapshot() const {
    RuntimeCounters result;
#define QTENSOR_COPY_COUNTER(name) result.name = name.load();
    QTENSOR_CUDA_COUNTERS(QTENSOR_COPY_COUNTER)
#undef QTENSOR_COPY_COUNTER
    return result;
  }
  void clear() {
#define QTENSOR_CLEAR_COUNTER(name) name.store(0);
    QTENSOR_CUDA_COUNTERS(QTENSOR_CLEAR_COUNTER)
#undef QTENSOR_CLEAR_COUNTER
  }
};

/// One device's cached state. Written under Runtime::mutex before `ready`
/// is set, read without the lock after; cleared only by resetForTesting.
struct DeviceState {
  std::atomic<bool> ready{false};
  /// Initialization ran (successfully or not); a failure is not retried.
  bool attempted = false;
  /// Why the device cannot be used, when initialization failed.
  std::string error;
  Device device = 0;
  Context context = nullptr;
  /// The one stream every launch on this device uses.
  Stream stream = nullptr;
  int maxSharedMemoryOptIn = kDefaultSharedMemoryLimit;
};

struct ModuleRecord {
  int device = 0;
  const void *image = nullptr;
  size_t size = 0;
  /// Of the image's bytes: tells a reused address apart from the image that
  /// was loaded there, should the owner have freed it without unloading.
  uint64_t hash = 0;
  Module module = nullptr;
  /// mgpuModuleLoad* calls not yet matched by mgpuModuleUnload.
  unsigned references = 0;
};

struct FunctionRecord {
  Module module = nullptr;
  int device = 0;
  std::string name;
  Function function = nullptr;
  /// The dynamic shared memory the kernel has been allowed
  /// (cuFuncSetAttribute) so far.
  int sharedMemoryOptIn = kDefaultSharedMemoryLimit;
};

/// 64-bit FNV-1a.
uint64_t hashBytes(const void *data, size_t size) {
  const auto *bytes = static_cast<const unsigned char *>(data);
  uint64_t hash = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < size; ++i)
    hash = (hash ^ bytes[i]) * 0x100000001b3ull;
  return hash;
}

/// The device mgpu* calls on this thread use (mgpuSetDefaultDevice).
thread_local int defaultDevice = 0;
/// The kernel this thread launched last, named in asynchronous errors that
/// a later synchronization reports. A plain array: generated code's global
/// destructors (module unloads) can report errors after the thread's
/// thread_local objects are destroyed.
thread_local char lastLaunchedKernel[256];

class Runtime {
public:
  /// Never destroyed: generated module destructors (mgpuModuleUnload) may
  /// run after this library's static destructors would have.
  static Runtime &get() {
    static Runtime *runtime = new Runtime();
    return *runtime;
  }

  //===--------------------------------------------------------------------===//
  // Errors
  //===--------------------------------------------------------------------===//

  /// Records `message` unless an error is latched already: the first one is
  /// the cause, later ones are usually its consequences. `breaksCapture`:
  /// the failure left work out of a running launch capture.
  void latch(std::string message, bool breaksCapture = true) {
    std::lock_guard<std::mutex> lock(errorMutex);
    // Kept even if the caller takes the error before the capture ends.
    if (breaksCapture && capturing.load(std::memory_order_acquire) &&
        !errorDuringCapture)
      errorDuringCapture = message;
    if (error)
      return;
    if (verbose)
      std::fprintf(stderr, "qtensor-cuda: %s\n", message.c_str());
    error = std::move(message);
    errorLatched.store(true, std::memory_order_release);
    count.errorsLatched++;
  }

  std::optional<std::string> take() {
    std::lock_guard<std::mutex> lock(errorMutex);
    std::optional<std::string> taken = std::move(error);
    error.reset();
    errorLatched.store(false, std::memory_order_release);
    return taken;
  }

  bool latched() const { return errorLatched.load(std::memory_order_acquire); }

  /// The first error latched while a launch capture ran, cleared.
  std::optional<std::string> takeErrorDuringCapture() {
    std::lock_guard<std::mutex> lock(errorMutex);
    std::optional<std::string> taken = std::move(errorDuringCapture);
    errorDuringCapture.reset();
    return taken;
  }

  /// True (and counted) when a call that does work must be skipped.
  bool skipWork() {
    if (!latched())
      return false;
    count.callsSkipped++;
    return true;
  }

  /// "cuLaunchKernel: CUDA_ERROR_INVALID_VALUE (invalid argument)".
  std::string describe(const char *entryPoint, Result result) const {
    const char *name = nullptr;
    const char *description = nullptr;
    if (driver.api.cuGetErrorName &&
        driver.api.cuGetErrorName(result, &name) != CUDA_SUCCESS)
      name = nullptr;
    if (driver.api.cuGetErrorString &&
        driver.api.cuGetErrorString(result, &description) != CUDA_SUCCESS)
      description = nullptr;
    std::string text = std::string(entryPoint) + ": ";
    text += name ? name : "CUDA error " + std::to_string(result);
    if (description && *description)
      text += std::string(" (") + description + ")";
    return text;
  }

  /// Latches a failed driver call; true when `result` is success.
  /// `context()` says what the call was doing; it runs only on failure, so
  /// that a successful launch or copy formats no string.
  template <typename ContextFn>
  bool check(Result result, const char *entryPoint, ContextFn &&context) {
    if (result == CUDA_SUCCESS)
      return true;
    latch(describe(entryPoint, result) + context());
    return false;
  }
  bool check(Result result, const char *entryPoint) {
    return check(result, entryPoint, [] { return std::string(); });
  }

  //===--------------------------------------------------------------------===//
  // Driver and devices
  //===--------------------------------------------------------------------===//

  /// Loads the driver once; returns why it is unusable, or "". Needs mutex.
  const std::string &ensureDriver() {
    if (!driverAttempted) {
      driverAttempted = true;
      driver = loadDriver(driverPath());
      if (driver.error.empty())
        count.driverLoads++;
    }
    return driver.error;
  }

  /// cuInit, then device `index`: "" on success, else the line that
  /// probeDevice reports. Needs mutex and a loaded driver.
  std::string openDevice(int index, Device &device, int &deviceCount) {
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
      return found + "no GPU " + std::to_string(index) +
             ": the driver reports " + std::to_string(deviceCount) +
             " device(s)";
    if (Result result = driver.api.cuDeviceGet(&device, index);
        result != CUDA_SUCCESS)
      return found + "no GPU " + std::to_string(index) + ": " +
             describe("cuDeviceGet", result);
    return std::string();
  }

  /// Device `index` with its context and stream, or nullptr with an error
  /// latched. With `forRelease`, an unusable device latches nothing: there
  /// is nothing on it to release.
  DeviceState *ready(int index, bool forRelease = false) {
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

  /// Retains the primary context and creates the device's stream: "" on
  /// success, else why not. Needs mutex.
  std::string initializeDevice(int index, DeviceState &state) {
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

  //===--------------------------------------------------------------------===//
  // Modules and functions
  //===--------------------------------------------------------------------===//

  /// Loads `image` on `device` or returns the cached module. `jitOptLevel`
  /// < 0: a cubin/fatbin (cuModuleLoadData); else PTX, JIT-compiled.
  Module loadModule(int device, const void *image, size_t size,
                    int jitOptLevel);
  void unloadModule(Module module);
  Function getFunction(Module module, const char *name);

  /// The record of `function` copied out (name, device, opt-in), or a
  /// placeholder for a function this runtime did not resolve.
  FunctionRecord describeFunction(Function function) {
    std::lock_guard<std::mutex> lock(mutex);
    auto found = functionsByHandle.find(function);
    if (found != functionsByHandle.end())
      return *found->second;
    FunctionRecord unknown;
    unknown.function = function;
    unknown.device = defaultDevice;
    unknown.name = "<unknown kernel>";
    return unknown;
  }

  /// Raises `function`'s dynamic shared memory limit to `bytes` if needed.
  bool allowSharedMemory(const FunctionRecord &record, DeviceState &device,
                         int bytes);

  /// For resetForTesting: drop everything, releasing what the driver holds.
  void reset();

  //===--------------------------------------------------------------------===//
  // Kernel timing (setKernelTiming)
  //===--------------------------------------------------------------------===//

  /// A launch bracketed by two events on its stream.
  struct TimedLaunch {
    std::string kernel;
    int device;
    Event before, after;
  };

  /// Creates `event` and records it on `stream`; needs the launch's context
  /// current.
  bool recordEvent(Event &event, Stream stream) {
    const DriverApi &api = driver.api;
    if (!check(api.cuEventCreate(&event, 0), "cuEventCreate"))
      return false;
    if (check(api.cuEventRecord(event, stream), "cuEventRecord"))
      return true;
    api.cuEventDestroy_v2(event);
    event = nullptr;
    return false;
  }
  void destroyEvents(Event before, Event after) {
    for (Event event : {before, after})
      if (event)
        driver.api.cuEventDestroy_v2(event);
  }
  void addTimedLaunch(const std::string &kernel, Event before, Event after) {
    std::lock_guard<std::mutex> lock(timingMutex);
    timedLaunches.push_back({kernel, defaultDevice, before, after});
  }

  std::atomic<bool> kernelTiming{false};
  std::mutex timingMutex;
  std::vector<TimedLaunch> timedLaunches;

  //===--------------------------------------------------------------------===//
  // The device memory pool (mgpuMemAlloc / mgpuMemFree)
  //===--------------------------------------------------------------------===//

  /// A freed block of `bytes` on `device`, kept for the next allocation of
  /// exactly that size there. Reuse is safe because all of a device's work
  /// runs on its one stream, in order: a block freed after its last use was
  /// enqueued is next written by work enqueued later.
  struct PoolKey {
    int device;
    uint64_t bytes;
    bool operator<(const PoolKey &other) const {
      return std::tie(device, bytes) < std::tie(other.device, other.bytes);
    }
  };
  std::mutex poolMutex;
  std::multimap<PoolKey, DevicePtr> pooled;
  /// Every live block that came from cuMemAlloc here, with its key.
  std::unordered_map<DevicePtr, PoolKey> poolOwned;
  uint64_t pooledBytes = 0;
  uint64_t poolLimit = kDefaultPoolLimit;

  /// cuMemFree of every pooled block; needs poolMutex.
  void drainPool();

  //===--------------------------------------------------------------------===//
  // Launch capture (beginLaunchCapture)
  //===--------------------------------------------------------------------===//

  /// The capture in progress, under captureMutex. `capturing` is read
  /// without the lock by every launch and free.
  struct LaunchCapture {
    int device = 0;
    /// The stream the launches are captured on, created per capture.
    Stream stream = nullptr;
    uint64_t launches = 0;
    /// Buffers mgpuMemFree was asked to release meanwhile.
    std::vector<void *> heldBuffers;
  };
  std::atomic<bool> capturing{false};
  std::mutex captureMutex;
  LaunchCapture capture;

  std::mutex mutex;
  bool driverAttempted = false;
  LoadedDriver driver;
  std::array<DeviceState, kMaxDevices> devices;
  std::map<std::pair<int, const void *>, std::unique_ptr<ModuleRecord>>
      modulesByImage;
  std::unordered_map<Module, ModuleRecord *> modulesByHandle;
  /// Modules whose cache entry a different image at the same address
  /// replaced; unloaded by their own mgpuModuleUnload or at reset.
  std::vector<std::pair<int, Module>> orphanModules;
  std::unordered_map<Module, std::vector<std::unique_ptr<FunctionRecord>>>
      functionsByModule;
  std::unordered_map<Function, FunctionRecord *> functionsByHandle;
  /// Bumped by reset: DeviceParameters from before must not free into the
  /// next driver instance.
  std::atomic<uint64_t> generation{1};
  AtomicCounters count;

private:
  Runtime() {
    const char *flag = std::getenv("QTENSOR_CUDA_VERBOSE");
    verbose = flag && *flag && std::strcmp(flag, "0") != 0;
  }

  std::mutex errorMutex;
  std::optional<std::string> error;
  std::optional<std::string> errorDuringCapture;
  std::atomic<bool> errorLatched{false};
  /// QTENSOR_CUDA_VERBOSE: print each latched error to stderr as well.
  bool verbose = false;
};

/// Makes a device's primary context current on this thread for one mgpu*
/// call (and restores the previous one), unless it already is.
class DeviceScope {
public:
  DeviceScope(Runtime &runtime, int index, bool forRelease = false)
      : runtime(runtime) {
    state = runtime.ready(index, forRelease);
    if (!state)
      return;
    const DriverApi &api = runtime.driver.api;
    Context current = nullptr;
    if (api.cuCtxGetCurrent(&current) == CUDA_SUCCESS &&
        current == state->context)
      return;
    Result result = api.cuCtxPushCurrent_v2(state->context);
    if (result == CUDA_SUCCESS) {
      pushed = true;
      return;
    }
    if (!forRelease)
      runtime.check(result, "cuCtxPushCurrent");
    state = nullptr;
  }
  ~DeviceScope() {
    if (pushed) {
      Context popped = nullptr;
      runtime.driver.api.cuCtxPopCurrent_v2(&popped);
    }
  }
  DeviceScope(const DeviceScope &) = delete;
  DeviceScope &operator=(const DeviceScope &) = delete;

  explicit operator bool() const { return state != nullptr; }
  DeviceState &device() const { return *state; }
  const DriverApi &api() const { return runtime.driver.api; }

private:
  Runtime &runtime;
  DeviceState *state = nullptr;
  bool pushed = false;
};

Module Runtime::loadModule(int device, const void *image, size_t size,
                           int jitOptLevel) {
  uint64_t hash = hashBytes(image, size);
  std::lock_guard<std::mutex> lock(mutex);
  auto key = std::make_pair(device, image);
  if (auto cached = modulesByImage.find(key); cached != modulesByImage.end()) {
    ModuleRecord &record = *cached->second;
    if (record.size == size && record.hash == hash) {
      record.references++;
      count.moduleLoadsReused++;
      return record.module;
    }
    // Another image now lives where the cached one was: its owner freed it
    // without unloading. Keep the old module alive (someone may still hold
    // it) but stop answering with it.
    orphanModules.emplace_back(record.device, record.module);
    modulesByHandle.erase(record.module);
    modulesByImage.erase(cached);
  }

  Module module = nullptr;
  if (jitOptLevel < 0) {
    if (!check(driver.api.cuModuleLoadData(&module, image), "cuModuleLoadData",
               [&] {
                 return ", loading a " + std::to_string(size) +
                        "-byte GPU binary";
               }))
      return nullptr;
  } else {
    // The JIT's own words are the useful part of a PTX error.
    char log[8192] = {};
    JitOption options[] = {CU_JIT_ERROR_LOG_BUFFER,
                           CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
                           CU_JIT_OPTIMIZATION_LEVEL};
    void *values[] = {log, reinterpret_cast<void *>(sizeof(log) - 1),
                      reinterpret_cast<void *>(static_cast<intptr_t>(
                          std::clamp(jitOptLevel, 0, 4)))};
    Result result =
        driver.api.cuModuleLoadDataEx(&module, image, 3, options, values);
    if (result != CUDA_SUCCESS) {
      std::string jitLog(log, strnlen(log, sizeof(log)));
      while (!jitLog.empty() && (jitLog.back() == '\n' || jitLog.back() == ' '))
        jitLog.pop_back();
      std::replace(jitLog.begin(), jitLog.end(), '\n', ' ');
      check(result, "cuModuleLoadDataEx", [&] {
        return ", JIT-compiling " + std::to_string(size - 1) + " bytes of PTX" +
               (jitLog.empty() ? std::string() : ": " + jitLog);
      });
      return nullptr;
    }
  }
  count.moduleLoads++;
  auto record = std::make_unique<ModuleRecord>();
  record->device = device;
  record->image = image;
  record->size = size;
  record->hash = hash;
  record->module = module;
  record->references = 1;
  modulesByHandle[module] = record.get();
  modulesByImage[key] = std::move(record);
  return module;
}

void Runtime::unloadModule(Module module) {
  int device = 0;
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto found = modulesByHandle.find(module);
    if (found != modulesByHandle.end()) {
      ModuleRecord &record = *found->second;
      if (--record.references > 0)
        return;
      device = record.device;
      modulesByImage.erase(std::make_pair(record.device, record.image));
      modulesByHandle.erase(found);
    } else {
      auto orphan = std::find_if(
          orphanModules.begin(), orphanModules.end(),
          [&](const auto &entry) { return entry.second == module; });
      // Not ours (or from before resetForTesting): leave it alone.
      if (orphan == orphanModules.end())
        return;
      device = orphan->first;
      orphanModules.erase(orphan);
    }
    if (auto functions = functionsByModule.find(module);
        functions != functionsByModule.end()) {
      for (const auto &function : functions->second)
        functionsByHandle.erase(function->function);
      functionsByModule.erase(functions);
    }
  }
  DeviceScope scope(*this, device, /*forRelease=*/true);
  if (!scope)
    return;
  check(scope.api().cuModuleUnload(module), "cuModuleUnload");
  count.moduleUnloads++;
}

Function Runtime::getFunction(Module module, const char *name) {
  int device = defaultDevice;
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (auto functions = functionsByModule.find(module);
        functions != functionsByModule.end())
      for (const auto &function : functions->second)
        if (function->name == name) {
          count.functionLookupsReused++;
          return function->function;
        }
    if (auto record = modulesByHandle.find(module);
        record != modulesByHandle.end())
      device = record->second->device;
  }
  DeviceScope scope(*this, device);
  if (!scope)
    return nullptr;
  Function function = nullptr;
  if (!check(scope.api().cuModuleGetFunction(&function, module, name),
             "cuModuleGetFunction",
             [&] { return std::string(", looking up kernel '") + name + "'"; }))
    return nullptr;
  count.functionLookups++;
  std::lock_guard<std::mutex> lock(mutex);
  auto record = std::make_unique<FunctionRecord>();
  record->module = module;
  record->device = device;
  record->name = name;
  record->function = function;
  functionsByHandle[function] = record.get();
  functionsByModule[module].push_back(std::move(record));
  return function;
}

bool Runtime::allowSharedMemory(const FunctionRecord &record,
                                DeviceState &device, int bytes) {
  if (bytes <= record.sharedMemoryOptIn)
    return true;
  if (bytes > device.maxSharedMemoryOptIn) {
    latch("mgpuLaunchKernel: kernel '" + record.name + "' needs " +
          std::to_string(bytes) + " bytes of dynamic shared memory, GPU " +
          std::to_string(record.device) + " allows " +
          std::to_string(device.maxSharedMemoryOptIn) + " per block");
    return false;
  }
  if (!check(driver.api.cuFuncSetAttribute(
                 record.function,
                 CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes),
             "cuFuncSetAttribute", [&] {
               return ", allowing kernel '" + record.name + "' " +
                      std::to_string(bytes) + " bytes of dynamic shared memory";
             }))
    return false;
  std::lock_guard<std::mutex> lock(mutex);
  if (auto found = functionsByHandle.find(record.function);
      found != functionsByHandle.end())
    found->second->sharedMemoryOptIn =
        std::max(found->second->sharedMemoryOptIn, bytes);
  return true;
}

void Runtime::drainPool() {
  for (auto &[key, pointer] : pooled) {
    DeviceScope scope(*this, key.device, /*forRelease=*/true);
    if (scope && scope.api().cuMemFree_v2(pointer) == CUDA_SUCCESS)
      count.frees++;
  }
  pooled.clear();
  pooledBytes = 0;
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

/// Launch dimensions converted from MLIR `index` values.
struct LaunchShape {
  unsigned grid[3];
  unsigned block[3];
  /// A grid with a zero dimension: nothing to run (an empty dynamic batch).
  bool empty = false;
};

std::string formatDims(const intptr_t dims[3]) {
  return std::to_string(dims[0]) + "x" + std::to_string(dims[1]) + "x" +
         std::to_string(dims[2]);
}

/// Fills `shape`; latches an error for a dimension the driver cannot take.
bool toLaunchShape(Runtime &runtime, const FunctionRecord &record,
                   const intptr_t grid[3], const intptr_t block[3],
                   int32_t sharedMemBytes, LaunchShape &shape) {
  bool valid = sharedMemBytes >= 0;
  for (int i = 0; i < 3; ++i) {
    valid &= grid[i] >= 0 && static_cast<uintmax_t>(grid[i]) <= UINT_MAX;
    valid &= block[i] > 0 && static_cast<uintmax_t>(block[i]) <= UINT_MAX;
    shape.grid[i] = static_cast<unsigned>(grid[i]);
    shape.block[i] = static_cast<unsigned>(block[i]);
    shape.empty |= grid[i] == 0;
  }
  if (!valid)
    runtime.latch("mgpuLaunchKernel: kernel '" + record.name +
                  "' cannot be launched on grid " + formatDims(grid) +
                  ", block " + formatDims(block) + " with " +
                  std::to_string(sharedMemBytes) +
                  " bytes of shared memory (each grid dimension must be in "
                  "0..2^32-1, each block dimension in 1..2^32-1)");
  return valid;
}

/// What mgpuLaunchKernel and mgpuLaunchClusterKernel share: validation,
/// the context, the shared-memory opt-in; then `launch(shape, stream)`
/// issues the call, a second time on the capture stream while a launch
/// capture runs on the kernel's device.
template <typename Launch>
void launchKernel(void *function, const intptr_t grid[3],
                  const intptr_t block[3], int32_t sharedMemBytes,
                  Stream stream, const char *entryPoint, Launch &&launch) {
  Runtime &runtime = Runtime::get();
  if (runtime.skipWork())
    return;
  if (!function) {
    runtime.latch("mgpuLaunchKernel: no kernel to launch (its module or "
                  "function lookup failed)");
    return;
  }
  FunctionRecord record =
      runtime.describeFunction(static_cast<Function>(function));
  LaunchShape shape;
  if (!toLaunchShape(runtime, record, grid, block, sharedMemBytes, shape))
    return;
  if (shape.empty) {
    runtime.count.emptyLaunchesSkipped++;
    return;
  }
  DeviceScope scope(runtime, record.device);
  if (!scope ||
      !runtime.allowSharedMemory(record, scope.device(), sharedMemBytes))
    return;
  Event before = nullptr, after = nullptr;
  if (runtime.kernelTiming.load(std::memory_order_relaxed) &&
      !runtime.recordEvent(before, stream))
    return;
  Result result = launch(shape, stream);
  runtime.count.launches++;
  if (before) {
    if (result == CUDA_SUCCESS && runtime.recordEvent(after, stream))
      runtime.addTimedLaunch(record.name, before, after);
    else
      runtime.destroyEvents(before, after);
  }
  std::snprintf(lastLaunchedKernel, sizeof(lastLaunchedKernel), "%s",
                record.name.c_str());
  if (!runtime.check(result, entryPoint, [&] {
        return ", launching '" + record.name + "' on grid " + formatDims(grid) +
               ", block " + formatDims(block);
      }))
    return;
  if (!runtime.capturing.load(std::memory_order_acquire))
    return;
  std::lock_guard<std::mutex> lock(runtime.captureMutex);
  if (!runtime.capturing.load() || runtime.capture.device != record.device)
    return;
  if (Result captured = launch(shape, runtime.capture.stream);
      captured != CUDA_SUCCESS) {
    runtime.latch(runtime.describe(entryPoint, captured) + ", capturing '" +
                  record.name + "' into a launch graph");
    return;
  }
  runtime.capture.launches++;
  runtime.count.launchesCaptured++;
}

/// Whether a call is skipped while an error is latched.
enum class CallKind {
  /// Does work: skipped, since it would run on what the failed step did not
  /// produce.
  Work,
  /// Releases something: always runs; on a device that never came up there
  /// is nothing to release, and no error.
  Release,
};

/// One driver call on the calling thread's default device: `call(api)`
/// returns its CUresult, a failure latches `entryPoint`'s error followed by
/// `context()`. True when the call ran and succeeded.
template <typename CallFn, typename ContextFn>
bool callDriver(CallKind kind, const char *entryPoint, CallFn &&call,
                ContextFn &&context) {
  Runtime &runtime = Runtime::get();
  if (kind == CallKind::Work && runtime.skipWork())
    return false;
  DeviceScope scope(runtime, defaultDevice, kind == CallKind::Release);
  return scope && runtime.check(call(scope.api()), entryPoint, context);
}

template <typename CallFn>
bool callDriver(CallKind kind, const char *entryPoint, CallFn &&call) {
  return callDriver(kind, entryPoint, call, [] { return std::string(); });
}

/// " (the last kernel ...)" for errors a synchronization reports.
std::string afterLastKernel() {
  if (lastLaunchedKernel[0] == '\0')
    return std::string();
  return std::string(" (the last kernel launched on this thread was '") +
         lastLaunchedKernel + "')";
}

DevicePtr toDevicePtr(const void *pointer) {
  return static_cast<DevicePtr>(reinterpret_cast<uintptr_t>(pointer));
}

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

//===----------------------------------------------------------------------===//
// C++ API
//===----------------------------------------------------------------------===//

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

std::optional<std::string> qtensor::cuda::takeError() {
  return Runtime::get().take();
}

bool qtensor::cuda::hasError() { return Runtime::get().latched(); }

RuntimeCounters qtensor::cuda::counters() {
  return Runtime::get().count.snapshot();
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

void qtensor::cuda::setKernelTiming(bool enabled) {
  Runtime::get().kernelTiming.store(enabled, std::memory_order_relaxed);
}

std::vector<KernelTime> qtensor::cuda::takeKernelTimes() {
  Runtime &runtime = Runtime::get();
  std::vector<Runtime::TimedLaunch> launches;
  {
    std::lock_guard<std::mutex> lock(runtime.timingMutex);
    launches.swap(runtime.timedLaunches);
  }
  std::vector<KernelTime> times;
  bool failed = false;
  for (const Runtime::TimedLaunch &launch : launches) {
    DeviceScope scope(runtime, launch.device, /*forRelease=*/true);
    if (!scope)
      continue;
    const DriverApi &api = scope.api();
    KernelTime time{launch.kernel, 0};
    if (!api.eventElapsedTime && !failed) {
      runtime.latch("kernel timing: the CUDA driver has no "
                    "cuEventElapsedTime");
      failed = true;
    }
    failed = failed ||
             !runtime.check(api.cuEventSynchronize(launch.after),
                            "cuEventSynchronize") ||
             !runtime.check(api.eventElapsedTime(&time.milliseconds,
                                                 launch.before, launch.after),
                            "cuEventElapsedTime");
    runtime.destroyEvents(launch.before, launch.after);
    times.push_back(std::move(time));
  }
  if (failed)
    times.clear();
  return times;
}

void qtensor::cuda::resetForTesting() { Runtime::get().reset(); }

bool qtensor::cuda::beginLaunchCapture() {
  Runtime &runtime = Runtime::get();
  if (runtime.skipWork())
    return false;
  int device = defaultDevice;
  DeviceScope scope(runtime, device);
  if (!scope)
    return false;
  const DriverApi &api = scope.api();
  if (api.missingGraphEntryPoint) {
    runtime.latch(std::string("launch capture: the CUDA driver has no ") +
                  api.missingGraphEntryPoint);
    return false;
  }
  std::lock_guard<std::mutex> lock(runtime.captureMutex);
  if (runtime.capturing.load()) {
    runtime.latch("launch capture: a capture is running already (on GPU " +
                      std::to_string(runtime.capture.device) + ")",
                  /*breaksCapture=*/false);
    return false;
  }
  Stream stream = nullptr;
  if (!runtime.check(api.cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING),
                     "cuStreamCreate",
                     [] { return std::string(", for a launch capture"); }))
    return false;
  runtime.count.streamsCreated++;
  if (!runtime.check(
          api.cuStreamBeginCapture_v2(stream, CU_STREAM_CAPTURE_MODE_RELAXED),
          "cuStreamBeginCapture")) {
    api.cuStreamDestroy_v2(stream);
    return false;
  }
  runtime.capture = Runtime::LaunchCapture();
  runtime.capture.device = device;
  runtime.capture.stream = stream;
  runtime.takeErrorDuringCapture();
  runtime.capturing.store(true, std::memory_order_release);
  return true;
}

std::unique_ptr<LaunchGraph> qtensor::cuda::endLaunchCapture() {
  Runtime &runtime = Runtime::get();
  Runtime::LaunchCapture capture;
  {
    std::lock_guard<std::mutex> lock(runtime.captureMutex);
    if (!runtime.capturing.load()) {
      runtime.latch("endLaunchCapture: no launch capture is running");
      return nullptr;
    }
    runtime.capturing.store(false, std::memory_order_release);
    capture = std::move(runtime.capture);
    runtime.capture = Runtime::LaunchCapture();
  }
  // From here on the graph owns the held buffers: every early return
  // releases them through its destructor.
  std::unique_ptr<LaunchGraph> graph(new LaunchGraph());
  graph->device = capture.device;
  graph->generation = runtime.generation.load();
  graph->heldBuffers = std::move(capture.heldBuffers);
  DeviceScope scope(runtime, capture.device, /*forRelease=*/true);
  if (!scope)
    return nullptr;
  const DriverApi &api = scope.api();
  Graph captured = nullptr;
  Result ended = api.cuStreamEndCapture(capture.stream, &captured);
  api.cuStreamDestroy_v2(capture.stream);
  graph->graph = captured;
  // Anything that failed meanwhile (a launch, its capture, a copy) left
  // the graph incomplete: its error is latched again, in case the caller
  // took it.
  if (std::optional<std::string> failure = runtime.takeErrorDuringCapture()) {
    runtime.latch(std::move(*failure));
    return nullptr;
  }
  if (!runtime.check(ended, "cuStreamEndCapture") || runtime.latched())
    return nullptr;
  size_t nodes = 0;
  if (!runtime.check(api.cuGraphGetNodes(captured, nullptr, &nodes),
                     "cuGraphGetNodes"))
    return nullptr;
  if (nodes != capture.launches) {
    runtime.latch("launch capture: the graph holds " + std::to_string(nodes) +
                  " nodes for " + std::to_string(capture.launches) +
                  " captured launches");
    return nullptr;
  }
  GraphExec executable = nullptr;
  if (!runtime.check(api.cuGraphInstantiateWithFlags(&executable, captured, 0),
                     "cuGraphInstantiate"))
    return nullptr;
  graph->executable = executable;
  graph->kernelCount = nodes;
  return graph;
}

LaunchGraph::~LaunchGraph() {
  Runtime &runtime = Runtime::get();
  if (generation != runtime.generation.load())
    return;
  {
    DeviceScope scope(runtime, device, /*forRelease=*/true);
    if (scope) {
      // Errors are dropped, as in ~DeviceParameters.
      if (executable)
        scope.api().cuGraphExecDestroy(static_cast<GraphExec>(executable));
      if (graph)
        scope.api().cuGraphDestroy(static_cast<Graph>(graph));
    }
  }
  int previous = defaultDevice;
  defaultDevice = device;
  for (void *buffer : heldBuffers)
    mgpuMemFree(buffer, nullptr);
  defaultDevice = previous;
}

std::vector<float> LaunchGraph::replay(unsigned replays) {
  Runtime &runtime = Runtime::get();
  if (runtime.skipWork())
    return {};
  if (generation != runtime.generation.load()) {
    runtime.latch("LaunchGraph::replay: the graph belongs to a CUDA runtime "
                  "that was reset");
    return {};
  }
  DeviceScope scope(runtime, device);
  if (!scope)
    return {};
  const DriverApi &api = scope.api();
  if (!api.eventElapsedTime) {
    runtime.latch("LaunchGraph::replay: the CUDA driver has no "
                  "cuEventElapsedTime");
    return {};
  }
  Stream stream = scope.device().stream;
  std::vector<Event> events(replays + 1, nullptr);
  bool ok = runtime.recordEvent(events[0], stream);
  for (unsigned i = 0; ok && i < replays; ++i) {
    ok = runtime.check(
             api.cuGraphLaunch(static_cast<GraphExec>(executable), stream),
             "cuGraphLaunch") &&
         runtime.recordEvent(events[i + 1], stream);
    runtime.count.graphReplays += ok;
  }
  std::vector<float> milliseconds;
  ok = ok && runtime.check(api.cuEventSynchronize(events[replays]),
                           "cuEventSynchronize", afterLastKernel);
  for (unsigned i = 0; ok && i < replays; ++i) {
    float elapsed = 0;
    ok = runtime.check(api.eventElapsedTime(&elapsed, events[i], events[i + 1]),
                       "cuEventElapsedTime");
    milliseconds.push_back(elapsed);
  }
  for (Event event : events)
    if (event)
      api.cuEventDestroy_v2(event);
  if (!ok)
    milliseconds.clear();
  return milliseconds;
}

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

//===----------------------------------------------------------------------===//
// The mgpu* ABI
//===----------------------------------------------------------------------===//

/// Module loads are never skipped for a latched error: the generated global
/// constructor loads once, and a skipped load would break the model for
/// good.
static void *loadModuleOnDefaultDevice(const void *image, size_t size,
                                       int jitOptLevel, const char *what) {
  Runtime &runtime = Runtime::get();
  if (!image) {
    runtime.latch(std::string(what) + ": no image");
    return nullptr;
  }
  DeviceScope scope(runtime, defaultDevice);
  if (!scope)
    return nullptr;
  return runtime.loadModule(defaultDevice, image, size, jitOptLevel);
}

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
  const intptr_t grid[3] = {gridX, gridY, gridZ};
  const intptr_t block[3] = {blockX, blockY, blockZ};
  launchKernel(
      function, grid, block, sharedMemBytes, static_cast<Stream>(stream),
      "cuLaunchKernel", [&](const LaunchShape &shape, Stream launchStream) {
        return Runtime::get().driver.api.cuLaunchKernel(
            static_cast<Function>(function), shape.grid[0], shape.grid[1],
            shape.grid[2], shape.block[0], shape.block[1], shape.block[2],
            static_cast<unsigned>(sharedMemBytes), launchStream, params, extra);
      });
}

extern "C" void mgpuLaunchClusterKernel(void *function, intptr_t clusterX,
                                        intptr_t clusterY, intptr_t clusterZ,
                                        intptr_t gridX, intptr_t gridY,
                                        intptr_t gridZ, intptr_t blockX,
                                        intptr_t blockY, intptr_t blockZ,
                                        int32_t sharedMemBytes, void *stream,
                                        void **params, void **extra) {
  const intptr_t grid[3] = {gridX, gridY, gridZ};
  const intptr_t block[3] = {blockX, blockY, blockZ};
  const intptr_t cluster[3] = {clusterX, clusterY, clusterZ};
  for (intptr_t size : cluster)
    if (size <= 0 || size > 1024) {
      Runtime::get().latch("mgpuLaunchClusterKernel: invalid cluster shape " +
                           formatDims(cluster));
      return;
    }
  launchKernel(
      function, grid, block, sharedMemBytes, static_cast<Stream>(stream),
      "cuLaunchKernelEx", [&](const LaunchShape &shape, Stream launchStream) {
        const DriverApi &api = Runtime::get().driver.api;
        // Clusters of more than 8 blocks are "non-portable" and need an
        // explicit opt-in per function.
        if (clusterX * clusterY * clusterZ > 8)
          if (Result result = api.cuFuncSetAttribute(
                  static_cast<Function>(function),
                  CU_FUNC_ATTRIBUTE_NON_PORTABLE_CLUSTER_SIZE_ALLOWED, 1);
              result != CUDA_SUCCESS)
            return result;
        LaunchAttribute attribute = {};
        attribute.id = CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION;
        attribute.value.clusterDim.x = static_cast<unsigned>(clusterX);
        attribute.value.clusterDim.y = static_cast<unsigned>(clusterY);
        attribute.value.clusterDim.z = static_cast<unsigned>(clusterZ);
        LaunchConfig config = {};
        config.gridDimX = shape.grid[0];
        config.gridDimY = shape.grid[1];
        config.gridDimZ = shape.grid[2];
        config.blockDimX = shape.block[0];
        config.blockDimY = shape.block[1];
        config.blockDimZ = shape.block[2];
        config.sharedMemBytes = static_cast<unsigned>(sharedMemBytes);
        config.hStream = launchStream;
        config.attrs = &attribute;
        config.numAttrs = 1;
        return api.cuLaunchKernelEx(&config, static_cast<Function>(function),
                                    params, extra);
      });
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

extern "C" void mgpuMemFree(void *pointer, void * /*stream*/) {
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
