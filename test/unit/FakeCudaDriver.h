//===- FakeCudaDriver.h - the fake libcuda.so.1's state ---------*- C++ -*-===//
//
// The tests build FakeCudaDriver.cpp as a shared library named exactly
// libcuda.so.1, in a directory of its own, and point the runtime at it with
// QTENSOR_CUDA_DRIVER. It implements every entry point the runtime resolves
// (runtime/cuda/DriverApi.h), with device memory emulated by host malloc, and
// keeps its configuration and everything it observed in one FakeCudaState.
// A test reaches that state through the exported function
// qtensorFakeCudaState(), found with dlsym on the same library (dlopen of
// the same path returns the instance the runtime loaded).
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_TEST_UNIT_FAKECUDADRIVER_H
#define QTENSOR_TEST_UNIT_FAKECUDADRIVER_H

#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace qtensor::cuda::fake {

/// One recorded cuLaunchKernel / cuLaunchKernelEx.
struct Launch {
  std::string function;
  unsigned grid[3] = {0, 0, 0};
  unsigned block[3] = {0, 0, 0};
  unsigned cluster[3] = {1, 1, 1};
  unsigned sharedMemBytes = 0;
  void *stream = nullptr;
  /// Null for launches replayed from a graph (the driver copies the
  /// argument values at capture time; the fake does not know their sizes).
  void **params = nullptr;
  /// Launched by cuGraphLaunch.
  bool replayed = false;
};

/// A CUgraph or CUgraphExec: the kernel launches captured into it.
struct Graph {
  std::vector<Launch> launches;
};

/// A stream's capture (cuStreamBeginCapture_v2 .. cuStreamEndCapture).
struct Capture {
  int mode = 0;
  std::unique_ptr<Graph> graph;
  /// A call the capture cannot hold ended it (CUDA's invalidated state).
  bool invalidated = false;
};

struct Module;

/// A CUfunction: a `.entry` of a loaded image.
struct Function {
  Module *module = nullptr;
  std::string name;
  /// cuFuncSetAttribute values by attribute.
  std::map<int, int> attributes;
};

/// A CUmodule: one Function per kernel of its image (a PTX `.entry NAME`,
/// a cubin's global function, the cubins' functions of a fatbin).
struct Module {
  int device = 0;
  std::vector<std::unique_ptr<Function>> functions;
};

/// An injected failure: after `skipped` more calls succeed, the next
/// `remaining` calls (every call when < 0) of an entry point return `code`.
struct Failure {
  int code = 0;
  int remaining = 1;
  int skipped = 0;
};

/// Milliseconds between two recorded events on the fake clock.
constexpr double kFakeEventTickMs = 0.25;

struct FakeCudaState {
  std::recursive_mutex mutex;

  //===--- What the fake pretends to be --------------------------------===//
  int driverVersion = 13000;
  /// 0: cuInit and cuDeviceGet return CUDA_ERROR_NO_DEVICE.
  int deviceCount = 1;
  std::string deviceName = "Fake H200";
  int computeCapabilityMajor = 9;
  int computeCapabilityMinor = 0;
  int maxSharedMemoryPerBlockOptIn = 232448;
  /// What a failing cuModuleLoadDataEx writes into the JIT error log.
  std::string jitErrorLog = "ptxas application ptx input, line 7; fatal : "
                            "fake JIT failure\n";
  /// Entry point name -> failure to inject.
  std::map<std::string, Failure> failures;

  //===--- What it observed ---------------------------------------------===//
  /// Calls per entry point, failed ones included.
  std::map<std::string, int> calls;
  std::vector<Launch> launches;
  int lastJitOptimizationLevel = -1;
  int primaryContextRetains = 0;
  int primaryContextReleases = 0;
  bool initialized = false;

  //===--- Live objects ---------------------------------------------------===//
  /// Device address -> size (the address is a host malloc).
  std::map<unsigned long long, size_t> allocations;
  std::set<unsigned long long> managedAllocations;
  std::map<void *, std::unique_ptr<Module>> modules;
  std::set<void *> streams;
  std::set<void *> events;
  /// The fake clock: each cuEventRecord stamps its event one tick later.
  std::map<void *, double> eventTimes;
  long eventClock = 0;
  std::map<void *, size_t> registeredHostMemory;
  /// Streams being captured.
  std::map<void *, Capture> captures;
  std::map<void *, std::unique_ptr<Graph>> graphs;
  std::map<void *, std::unique_ptr<Graph>> graphExecs;
  int graphLaunches = 0;

  /// Makes the next `times` calls of `entryPoint` fail with `code`, after
  /// `skipped` more calls succeed.
  void failNext(const std::string &entryPoint, int code, int times = 1,
                int skipped = 0) {
    std::lock_guard<std::recursive_mutex> lock(mutex);
    failures[entryPoint] = Failure{code, times, skipped};
  }

  int callCount(const std::string &entryPoint) {
    std::lock_guard<std::recursive_mutex> lock(mutex);
    auto found = calls.find(entryPoint);
    return found == calls.end() ? 0 : found->second;
  }

  /// Back to one healthy sm_90 GPU with nothing observed or alive.
  void reset() {
    std::lock_guard<std::recursive_mutex> lock(mutex);
    for (auto &[address, size] : allocations)
      std::free(reinterpret_cast<void *>(address));
    allocations.clear();
    managedAllocations.clear();
    modules.clear();
    for (void *stream : streams)
      delete static_cast<int *>(stream);
    streams.clear();
    for (void *event : events)
      delete static_cast<int *>(event);
    events.clear();
    eventTimes.clear();
    eventClock = 0;
    registeredHostMemory.clear();
    captures.clear();
    graphs.clear();
    graphExecs.clear();
    graphLaunches = 0;
    driverVersion = 13000;
    deviceCount = 1;
    deviceName = "Fake H200";
    computeCapabilityMajor = 9;
    computeCapabilityMinor = 0;
    maxSharedMemoryPerBlockOptIn = 232448;
    failures.clear();
    calls.clear();
    launches.clear();
    lastJitOptimizationLevel = -1;
    primaryContextRetains = 0;
    primaryContextReleases = 0;
    initialized = false;
  }
};

} // namespace qtensor::cuda::fake

/// The symbol tests look up with dlsym.
using QTensorFakeCudaStateFn = qtensor::cuda::fake::FakeCudaState *(*)();
#define QTENSOR_FAKE_CUDA_STATE_SYMBOL "qtensorFakeCudaState"

#include <dlfcn.h>

namespace qtensor::cuda::fake {
/// For the tests: points the runtime at the fake driver at `path` and opens
/// it (RTLD_NODELETE: its state outlives the runtime's dlclose in
/// resetForTesting, as a real driver's would). Returns its state, or
/// nullptr; `handle` is for dlclose.
inline FakeCudaState *openFakeDriver(const char *path, void *&handle) {
  setenv("QTENSOR_CUDA_DRIVER", path, /*overwrite=*/1);
  handle = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  auto stateOf = handle ? reinterpret_cast<QTensorFakeCudaStateFn>(
                              dlsym(handle, QTENSOR_FAKE_CUDA_STATE_SYMBOL))
                        : nullptr;
  return stateOf ? stateOf() : nullptr;
}
} // namespace qtensor::cuda::fake

#endif // QTENSOR_TEST_UNIT_FAKECUDADRIVER_H
