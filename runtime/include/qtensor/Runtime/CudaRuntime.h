//===- CudaRuntime.h - the mgpu* ABI and its C++ API ------------*- C++ -*-===//
//
// libQTensorCudaRuntime.so implements the `mgpu*` functions that MLIR 22's
// GPU host code calls (gpu-to-llvm), over the CUDA driver API loaded at run
// time with dlopen("libcuda.so.1"): nothing links CUDA, and a binary that
// uses the library runs, and reports "no CUDA driver", on a machine without
// a GPU. The library depends on libc, libstdc++ and libdl only: no LLVM,
// MLIR or LibTorch.
//
// Two properties make generated host code cheap to call per launch:
//   - everything is cached: one primary context per device (retained once),
//     one stream per device (mgpuStreamCreate returns it, mgpuStreamDestroy
//     keeps it), modules by image, functions by (module, name);
//   - errors are latched, never printed: the first failing driver call
//     records "<entry point>: <CUDA_ERROR_NAME> (<description>)", later calls
//     do nothing until takeError() returns it.
// docs/cuda-runtime.md describes each function's semantics.
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_RUNTIME_CUDARUNTIME_H
#define QTENSOR_RUNTIME_CUDARUNTIME_H

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#define QTENSOR_CUDA_EXPORT __attribute__((visibility("default")))

namespace qtensor::cuda {

/// What probeDevice found.
struct DeviceProbe {
  /// True when the driver loads, is recent enough, and the device answers.
  bool available = false;
  /// One line, either way:
  ///   "no CUDA driver: libcuda.so.1 not found"
  ///   "CUDA driver 13.0 found, no GPU: cuInit: CUDA_ERROR_NO_DEVICE (...)"
  ///   "GPU 0: NVIDIA H200, sm_90 (CUDA driver 13.0)"
  std::string message;
  /// cuDriverGetVersion's answer (13000 for 13.0); 0 when no driver loaded.
  int driverVersion = 0;
  /// Devices the driver reports; 0 when cuInit fails.
  int deviceCount = 0;
  /// Of the probed device, when available.
  std::string deviceName;
  /// major * 10 + minor (90 for sm_90), when available.
  int computeCapability = 0;
};

/// Loads the driver (once per process) and asks it about device `device`.
/// Creates no context and latches no error: it is safe to call before
/// deciding on a target, as often as needed.
QTENSOR_CUDA_EXPORT DeviceProbe probeDevice(int device = 0);

/// Returns and clears the latched error, if any. While an error is latched,
/// the mgpu* functions that do work (allocation, copies, launches, ...) do
/// nothing; releases (frees, unloads, event destroys) still run.
QTENSOR_CUDA_EXPORT std::optional<std::string> takeError();

/// True when an error is latched (takeError would return one).
QTENSOR_CUDA_EXPORT bool hasError();

/// How often the runtime did what, since the process started or the last
/// resetForTesting(). The driver-call counts are what reuse is measured by:
/// 100 launches of one kernel make 1 stream, 1 module load, 1 function
/// lookup and 100 launches.
struct RuntimeCounters {
  uint64_t driverLoads = 0;           ///< successful dlopen + resolve
  uint64_t contextsRetained = 0;      ///< cuDevicePrimaryCtxRetain
  uint64_t streamsCreated = 0;        ///< cuStreamCreate
  uint64_t streamRequests = 0;        ///< mgpuStreamCreate calls
  uint64_t moduleLoads = 0;           ///< cuModuleLoadData(Ex)
  uint64_t moduleLoadsReused = 0;     ///< mgpuModuleLoad* answered from cache
  uint64_t moduleUnloads = 0;         ///< cuModuleUnload
  uint64_t functionLookups = 0;       ///< cuModuleGetFunction
  uint64_t functionLookupsReused = 0; ///< answered from cache
  uint64_t launches = 0;              ///< cuLaunchKernel(Ex)
  uint64_t launchesCaptured = 0;      ///< also captured into a launch graph
  uint64_t graphReplays = 0;          ///< cuGraphLaunch of a LaunchGraph
  uint64_t emptyLaunchesSkipped = 0;  ///< grids with a zero dimension
  uint64_t allocations = 0;           ///< cuMemAlloc / cuMemAllocManaged
  uint64_t allocationsReused = 0;     ///< mgpuMemAlloc answered from the pool
  uint64_t frees = 0;                 ///< cuMemFree
  uint64_t freesCached = 0;           ///< mgpuMemFree kept in the pool
  uint64_t parameterUploads = 0;      ///< DeviceParameters copies to the device
  uint64_t parameterUploadsReused = 0; ///< answered from the set
  uint64_t parameterBytes = 0;         ///< bytes those uploads copied
  uint64_t errorsLatched = 0;          ///< errors recorded
  uint64_t callsSkipped = 0; ///< mgpu* calls skipped: an error latched
};
QTENSOR_CUDA_EXPORT RuntimeCounters counters();

/// Device copies of a model's parameters (weights, scales, biases): each
/// host buffer is copied to the device once and stays there as long as the
/// set lives. A model owns one set; destroying it frees the copies.
///
/// Uploads are keyed by (host pointer, byte count): asking again for the
/// same pair returns the same device pointer without copying, so the host
/// buffer must not change after its first upload (a model's parameters are
/// constants). A different byte count at the same address is a different
/// parameter (a prefix, say) and is uploaded on its own.
class QTENSOR_CUDA_EXPORT DeviceParameters {
public:
  /// The set lives on `device` (its primary context).
  explicit DeviceParameters(int device = 0);
  ~DeviceParameters();
  DeviceParameters(const DeviceParameters &) = delete;
  DeviceParameters &operator=(const DeviceParameters &) = delete;

  /// The device copy of `bytes` bytes at `host`, uploading it on the first
  /// request. Returns nullptr for 0 bytes, and nullptr with an error latched
  /// when the device or the copy fails (or an error was already latched).
  /// Thread-safe.
  void *upload(const void *host, size_t bytes);

  /// Distinct buffers on the device, and their total size.
  size_t size() const;
  size_t deviceBytes() const;

private:
  int device;
  /// The runtime generation the copies belong to (see resetForTesting).
  uint64_t generation;
  mutable std::mutex mutex;
  std::map<std::pair<const void *, size_t>, void *> copies;
  size_t totalBytes = 0;
};

/// Device memory pool: mgpuMemFree keeps a block (not managed memory) for
/// the next mgpuMemAlloc of the same size on the same device, instead of a
/// cuMemFree (which waits for the device) and a cuMemAlloc per call. Safe
/// because all of a device's work runs in order on its one stream. At most
/// `bytes` are kept (4 GiB by default; 0 turns the pool off); lowering the
/// limit frees what is kept.
QTENSOR_CUDA_EXPORT void setMemoryPoolLimit(uint64_t bytes);

/// cuMemFree of every kept block; returns their total size.
QTENSOR_CUDA_EXPORT uint64_t releaseCachedMemory();

/// Kernel timing, for benchmarks: while on, every launch is bracketed by two
/// events on its stream, so that takeKernelTimes() can report the GPU time
/// of each kernel alone (no launch gaps, allocations or copies).
QTENSOR_CUDA_EXPORT void setKernelTiming(bool enabled);

/// One timed launch.
struct KernelTime {
  std::string kernel;
  float milliseconds = 0;
};

/// Waits for the timed launches since the last call and returns them in
/// launch order (empty, with an error latched, when the driver fails).
QTENSOR_CUDA_EXPORT std::vector<KernelTime> takeKernelTimes();

class LaunchGraph;

/// Launch capture, for benchmarks that time a model's kernels the way
/// PyTorch times its own (CUDA-graph replays, no launch gaps): from
/// beginLaunchCapture() to endLaunchCapture(), every kernel launched on the
/// calling thread's default device runs as usual and is also captured, with
/// its arguments, into a CUDA graph (on a second stream, in relaxed capture
/// mode, so that the calls' allocations, copies and synchronizations go on
/// working). The buffers those calls free stay allocated, held by the
/// graph, since its replays read and write them. One capture at a time;
/// other threads must not launch meanwhile. False, with an error latched,
/// when there is no device, the driver has no graph entry points, or a
/// capture is running already.
QTENSOR_CUDA_EXPORT bool beginLaunchCapture();

/// Ends the capture and instantiates its graph. Nullptr, with an error
/// latched, when no capture runs, when a captured call or the capture
/// failed (the held buffers are released then).
QTENSOR_CUDA_EXPORT std::unique_ptr<LaunchGraph> endLaunchCapture();

/// The kernels of the calls made during a launch capture, as an
/// instantiated CUDA graph. The model whose calls were captured (its device
/// parameters) must outlive it.
class QTENSOR_CUDA_EXPORT LaunchGraph {
public:
  /// Destroys the graph and releases the buffers it held (into the pool).
  ~LaunchGraph();
  LaunchGraph(const LaunchGraph &) = delete;
  LaunchGraph &operator=(const LaunchGraph &) = delete;

  /// Kernel launches in the graph.
  size_t kernels() const { return kernelCount; }

  /// Launches the graph `replays` times back to back on its device's
  /// stream, with an event between replays, and returns each replay's GPU
  /// time in milliseconds; empty, with an error latched, on failure.
  std::vector<float> replay(unsigned replays);

private:
  friend std::unique_ptr<LaunchGraph> endLaunchCapture();
  LaunchGraph() = default;

  int device = 0;
  /// The runtime generation the handles belong to (see resetForTesting).
  uint64_t generation = 0;
  void *graph = nullptr;
  void *executable = nullptr;
  size_t kernelCount = 0;
  std::vector<void *> heldBuffers;
};

/// For tests only: unloads every cached module, destroys the cached streams,
/// releases the primary contexts, closes the driver, clears the latched error
/// and the counters. The next call loads the driver again, from
/// $QTENSOR_CUDA_DRIVER as it is then. Every handle and device pointer
/// obtained before is invalid afterwards; no other thread may be using the
/// runtime meanwhile.
QTENSOR_CUDA_EXPORT void resetForTesting();

} // namespace qtensor::cuda

//===----------------------------------------------------------------------===//
// The mgpu* ABI, as MLIR 22's gpu-to-llvm lowering declares it (read off
// `mlir-translate --mlir-to-llvmir` output; every handle is an opaque ptr).
//===----------------------------------------------------------------------===//

extern "C" {
/// A cubin or fatbin image of `size` bytes (gpu-module-to-binary format=bin
/// or fatbin); called by the generated module's global constructor.
QTENSOR_CUDA_EXPORT void *mgpuModuleLoad(void *image, size_t size);
/// A NUL-terminated PTX image (format=isa), JIT-compiled by the driver at
/// `optLevel` (0-4).
QTENSOR_CUDA_EXPORT void *mgpuModuleLoadJIT(void *ptx, int optLevel);
QTENSOR_CUDA_EXPORT void mgpuModuleUnload(void *module);
QTENSOR_CUDA_EXPORT void *mgpuModuleGetFunction(void *module, const char *name);
/// Dimensions are MLIR `index` values; `extra` is passed through;
/// `paramsCount` is the length of `params` (the driver does not need it).
QTENSOR_CUDA_EXPORT void
mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY, intptr_t gridZ,
                 intptr_t blockX, intptr_t blockY, intptr_t blockZ,
                 int32_t sharedMemBytes, void *stream, void **params,
                 void **extra, size_t paramsCount);
/// gpu.launch_func with `clusters in (...)` (sm_90 thread-block clusters).
QTENSOR_CUDA_EXPORT void
mgpuLaunchClusterKernel(void *function, intptr_t clusterX, intptr_t clusterY,
                        intptr_t clusterZ, intptr_t gridX, intptr_t gridY,
                        intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                        intptr_t blockZ, int32_t sharedMemBytes, void *stream,
                        void **params, void **extra);
QTENSOR_CUDA_EXPORT void *mgpuStreamCreate();
QTENSOR_CUDA_EXPORT void mgpuStreamDestroy(void *stream);
QTENSOR_CUDA_EXPORT void mgpuStreamSynchronize(void *stream);
QTENSOR_CUDA_EXPORT void mgpuStreamWaitEvent(void *stream, void *event);
QTENSOR_CUDA_EXPORT void *mgpuEventCreate();
QTENSOR_CUDA_EXPORT void mgpuEventDestroy(void *event);
QTENSOR_CUDA_EXPORT void mgpuEventSynchronize(void *event);
QTENSOR_CUDA_EXPORT void mgpuEventRecord(void *event, void *stream);
/// `isHostShared`: managed memory (gpu.alloc host_shared).
QTENSOR_CUDA_EXPORT void *mgpuMemAlloc(uint64_t sizeBytes, void *stream,
                                       bool isHostShared);
QTENSOR_CUDA_EXPORT void mgpuMemFree(void *pointer, void *stream);
QTENSOR_CUDA_EXPORT void mgpuMemcpy(void *destination, void *source,
                                    size_t sizeBytes, void *stream);
QTENSOR_CUDA_EXPORT void mgpuMemset32(void *destination, uint32_t value,
                                      size_t count, void *stream);
QTENSOR_CUDA_EXPORT void mgpuMemset16(void *destination, uint16_t value,
                                      size_t count, void *stream);
QTENSOR_CUDA_EXPORT void mgpuMemHostRegister(void *pointer, uint64_t sizeBytes);
QTENSOR_CUDA_EXPORT void mgpuMemHostUnregister(void *pointer);
/// `descriptor` points at a ranked memref descriptor of rank `rank`
/// (allocated, aligned, offset, sizes[rank], strides[rank]); only dense
/// (identity-strided) memrefs can be registered.
QTENSOR_CUDA_EXPORT void mgpuMemHostRegisterMemRef(int64_t rank,
                                                   void *descriptor,
                                                   int64_t elementSizeBytes);
QTENSOR_CUDA_EXPORT void mgpuMemHostUnregisterMemRef(int64_t rank,
                                                     void *descriptor,
                                                     int64_t elementSizeBytes);
/// The device later mgpu* calls on this thread use (default 0).
QTENSOR_CUDA_EXPORT void mgpuSetDefaultDevice(int32_t device);
}

#endif // QTENSOR_RUNTIME_CUDARUNTIME_H
