//===- Runtime.h - the CUDA runtime's shared state --------------*- C++ -*-===//
//
// Private to runtime/cuda (not installed): the process-wide state that the
// mgpu* ABI and the qtensor::cuda API share, and the helpers more than one of
// the runtime's files need.
//
// MLIR 22's host code calls, per gpu.launch_func: mgpuStreamCreate,
// mgpuModuleGetFunction, mgpuLaunchKernel, mgpuStreamSynchronize,
// mgpuStreamDestroy; and mgpuModuleLoad(JIT) once, from the global
// constructor of the module that embeds the kernels. Everything a launch
// touches is therefore cached in one Runtime (the driver, each device's
// primary context and stream, modules, functions), so that a launch costs
// one cuLaunchKernel plus a few uncontended lock acquisitions.
//
// Runtime is one class with a section per concern; each section's methods
// are defined in the file its heading names (docs/cuda-runtime.md#files lists
// them all).
//
// Everything here has hidden visibility (the library is built with
// -fvisibility=hidden): only the mgpu* ABI and the qtensor::cuda API of
// qtensor/Runtime/CudaRuntime.h are exported.
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_RUNTIME_CUDA_RUNTIME_H
#define QTENSOR_RUNTIME_CUDA_RUNTIME_H

#include "qtensor/Runtime/CudaRuntime.h"

#include "DriverApi.h"

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

namespace qtensor::cuda::detail {

using driver::Context;
using driver::CUDA_SUCCESS;
using driver::Device;
using driver::DevicePtr;
using driver::DriverApi;
using driver::Event;
using driver::Function;
using driver::LoadedDriver;
using driver::Module;
using driver::Result;
using driver::Stream;

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

/// The device mgpu* calls on this thread use (mgpuSetDefaultDevice).
/// Defined in Devices.cpp. Hidden here as well: -fvisibility=hidden covers
/// definitions only, and the other files' references to its thread-local
/// initialization function would otherwise be dynamic symbols.
__attribute__((visibility("hidden"))) extern thread_local int defaultDevice;

class Runtime {
public:
  /// Never destroyed: generated module destructors (mgpuModuleUnload) may
  /// run after this library's static destructors would have.
  static Runtime &get() {
    static Runtime *runtime = new Runtime();
    return *runtime;
  }

  /// For resetForTesting: drop everything, releasing what the driver holds
  /// (Runtime.cpp).
  void reset();

  //===--------------------------------------------------------------------===//
  // Errors (Errors.cpp)
  //===--------------------------------------------------------------------===//

  /// Records `message` unless an error is latched already: the first one is
  /// the cause, later ones are usually its consequences. `breaksCapture`:
  /// the failure left work out of a running launch capture.
  void latch(std::string message, bool breaksCapture = true);

  std::optional<std::string> take();

  bool latched() const { return errorLatched.load(std::memory_order_acquire); }

  /// The first error latched while a launch capture ran, cleared.
  std::optional<std::string> takeErrorDuringCapture();

  /// True (and counted) when a call that does work must be skipped.
  bool skipWork() {
    if (!latched())
      return false;
    count.callsSkipped++;
    return true;
  }

  /// "cuLaunchKernel: CUDA_ERROR_INVALID_VALUE (invalid argument)".
  std::string describe(const char *entryPoint, Result result) const;

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
  // Driver and devices (Devices.cpp)
  //===--------------------------------------------------------------------===//

  /// Loads the driver once; returns why it is unusable, or "". Needs mutex.
  const std::string &ensureDriver();

  /// cuInit, then device `index`: "" on success, else the line that
  /// probeDevice reports. Needs mutex and a loaded driver.
  std::string openDevice(int index, Device &device, int &deviceCount);

  /// Device `index` with its context and stream, or nullptr with an error
  /// latched. With `forRelease`, an unusable device latches nothing: there
  /// is nothing on it to release.
  DeviceState *ready(int index, bool forRelease = false);

  /// Retains the primary context and creates the device's stream: "" on
  /// success, else why not. Needs mutex.
  std::string initializeDevice(int index, DeviceState &state);

  /// Guards the driver, the devices' initialization and the module cache.
  std::mutex mutex;
  bool driverAttempted = false;
  LoadedDriver driver;
  std::array<DeviceState, kMaxDevices> devices;

  //===--------------------------------------------------------------------===//
  // Modules and functions (ModuleCache.cpp)
  //===--------------------------------------------------------------------===//

  /// Loads `image` on `device` or returns the cached module. `jitOptLevel`
  /// < 0: a cubin/fatbin (cuModuleLoadData); else PTX, JIT-compiled.
  Module loadModule(int device, const void *image, size_t size,
                    int jitOptLevel);
  void unloadModule(Module module);
  Function getFunction(Module module, const char *name);

  /// The record of `function` copied out (name, device, opt-in), or a
  /// placeholder for a function this runtime did not resolve.
  FunctionRecord describeFunction(Function function);

  /// Raises `function`'s dynamic shared memory limit to `bytes` if needed.
  bool allowSharedMemory(const FunctionRecord &record, DeviceState &device,
                         int bytes);

  std::map<std::pair<int, const void *>, std::unique_ptr<ModuleRecord>>
      modulesByImage;
  std::unordered_map<Module, ModuleRecord *> modulesByHandle;
  /// Modules whose cache entry a different image at the same address
  /// replaced; unloaded by their own mgpuModuleUnload or at reset.
  std::vector<std::pair<int, Module>> orphanModules;
  std::unordered_map<Module, std::vector<std::unique_ptr<FunctionRecord>>>
      functionsByModule;
  std::unordered_map<Function, FunctionRecord *> functionsByHandle;

  //===--------------------------------------------------------------------===//
  // Kernel timing (KernelTiming.cpp)
  //===--------------------------------------------------------------------===//

  /// A launch bracketed by two events on its stream.
  struct TimedLaunch {
    std::string kernel;
    int device;
    Event before, after;
  };

  /// Creates `event` and records it on `stream`; needs the launch's context
  /// current.
  bool recordEvent(Event &event, Stream stream);
  void destroyEvents(Event before, Event after);
  void addTimedLaunch(const std::string &kernel, Event before, Event after);

  std::atomic<bool> kernelTiming{false};
  std::mutex timingMutex;
  std::vector<TimedLaunch> timedLaunches;

  //===--------------------------------------------------------------------===//
  // The device memory pool (MemoryPool.cpp)
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
  // Launch capture (LaunchCapture.cpp)
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

  //===--------------------------------------------------------------------===//
  // The runtime as a whole
  //===--------------------------------------------------------------------===//

  /// Bumped by reset: DeviceParameters from before must not free into the
  /// next driver instance.
  std::atomic<uint64_t> generation{1};
  AtomicCounters count;

private:
  Runtime();

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

inline DevicePtr toDevicePtr(const void *pointer) {
  return static_cast<DevicePtr>(reinterpret_cast<uintptr_t>(pointer));
}

//===----------------------------------------------------------------------===//
// What the mgpu* entry points (MgpuAbi.cpp) call in the other files
//===----------------------------------------------------------------------===//

/// mgpuModuleLoad(JIT) on the calling thread's default device
/// (ModuleCache.cpp).
void *loadModuleOnDefaultDevice(const void *image, size_t size, int jitOptLevel,
                                const char *what);

/// mgpuLaunchKernel and mgpuLaunchClusterKernel (KernelLaunch.cpp); the
/// dimensions are MLIR `index` values, x, y, z.
void launchKernel(void *function, const intptr_t (&grid)[3],
                  const intptr_t (&block)[3], int32_t sharedMemBytes,
                  void *stream, void **params, void **extra);
void launchClusterKernel(void *function, const intptr_t (&cluster)[3],
                         const intptr_t (&grid)[3], const intptr_t (&block)[3],
                         int32_t sharedMemBytes, void *stream, void **params,
                         void **extra);

/// " (the last kernel ...)" for errors a synchronization reports
/// (KernelLaunch.cpp).
std::string afterLastKernel();

/// mgpuMemAlloc and mgpuMemFree, over the memory pool (MemoryPool.cpp).
void *allocateDeviceMemory(uint64_t sizeBytes, bool isHostShared);
void freeDeviceMemory(void *pointer);

} // namespace qtensor::cuda::detail

#endif // QTENSOR_RUNTIME_CUDA_RUNTIME_H
