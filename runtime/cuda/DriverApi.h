//===- DriverApi.h - the CUDA driver entry points, resolved at run time ---===//
//
// The part of the CUDA driver API that the runtime calls, declared here
// rather than taken from cuda.h, so that the runtime builds on machines
// without the CUDA toolkit and never links libcuda. Each entry point is named
// by the exact symbol that CUDA 13's cuda.h selects for it (its macros map
// cuMemAlloc to cuMemAlloc_v2, cuStreamDestroy to cuStreamDestroy_v2, ...):
// `dlsym("cuMemAlloc")` would return the legacy 32-bit-size entry point.
//
// The types and constants mirror cuda.h's; CudaDriverAbiTest.cpp checks them
// against the real header when the toolkit is installed. The fake driver the
// tests build (test/unit/FakeCudaDriver.cpp) implements the same list.
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_RUNTIME_CUDA_DRIVERAPI_H
#define QTENSOR_RUNTIME_CUDA_DRIVERAPI_H

#include <cstddef>
#include <cstdint>
#include <string>

namespace qtensor::cuda::driver {

/// CUresult: 0 is success.
using Result = int;
/// CUdevice: an ordinal.
using Device = int;
/// CUdeviceptr: a 64-bit device address (unified with host addresses).
using DevicePtr = unsigned long long;
/// Opaque driver handles (CUcontext, CUmodule, ...).
using Context = struct OpaqueContext *;
using Module = struct OpaqueModule *;
using Function = struct OpaqueFunction *;
using Stream = struct OpaqueStream *;
using Event = struct OpaqueEvent *;
using Graph = struct OpaqueGraph *;
using GraphExec = struct OpaqueGraphExec *;
using GraphNode = struct OpaqueGraphNode *;

/// The CUresult values the runtime and the fake driver name.
enum : Result {
  CUDA_SUCCESS = 0,
  CUDA_ERROR_INVALID_VALUE = 1,
  CUDA_ERROR_OUT_OF_MEMORY = 2,
  CUDA_ERROR_NOT_INITIALIZED = 3,
  CUDA_ERROR_NO_DEVICE = 100,
  CUDA_ERROR_INVALID_DEVICE = 101,
  CUDA_ERROR_INVALID_IMAGE = 200,
  CUDA_ERROR_INVALID_CONTEXT = 201,
  CUDA_ERROR_NO_BINARY_FOR_GPU = 209,
  CUDA_ERROR_INVALID_PTX = 218,
  CUDA_ERROR_INVALID_HANDLE = 400,
  CUDA_ERROR_ILLEGAL_STATE = 401,
  CUDA_ERROR_NOT_FOUND = 500,
  CUDA_ERROR_ILLEGAL_ADDRESS = 700,
  CUDA_ERROR_HOST_MEMORY_NOT_REGISTERED = 713,
  CUDA_ERROR_LAUNCH_FAILED = 719,
  CUDA_ERROR_NOT_SUPPORTED = 801,
  CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED = 900,
  CUDA_ERROR_STREAM_CAPTURE_INVALIDATED = 901,
  CUDA_ERROR_STREAM_CAPTURE_UNMATCHED = 903,
  CUDA_ERROR_STREAM_CAPTURE_WRONG_THREAD = 908,
};

/// CUdevice_attribute values.
enum : int {
  CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75,
  CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76,
  CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97,
};

/// CUfunction_attribute values.
enum : int {
  CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8,
  CU_FUNC_ATTRIBUTE_NON_PORTABLE_CLUSTER_SIZE_ALLOWED = 14,
};

/// CUjit_option values (a 4-byte enum in cuda.h).
using JitOption = unsigned int;
enum : JitOption {
  CU_JIT_ERROR_LOG_BUFFER = 5,
  CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6,
  CU_JIT_OPTIMIZATION_LEVEL = 7,
};

/// Flags.
enum : unsigned {
  CU_STREAM_NON_BLOCKING = 0x1,
  CU_EVENT_DISABLE_TIMING = 0x2,
  CU_MEM_ATTACH_GLOBAL = 0x1,
};

/// CUstreamCaptureMode: relaxed capture does not forbid, on any thread,
/// the calls that are unsafe while a stream captures (cuMemAlloc,
/// synchronizing other streams): the calls being captured keep running
/// their own work meanwhile.
enum : int { CU_STREAM_CAPTURE_MODE_RELAXED = 2 };

/// CUlaunchAttributeID: the cluster shape of a launch.
enum : int { CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION = 4 };

/// CUlaunchAttribute: a 4-byte id, padding to 8, then a 64-byte value union
/// (of which a cluster dimension uses the first three words).
struct LaunchAttribute {
  int id;
  char pad[4];
  union {
    char bytes[64];
    struct {
      unsigned x, y, z;
    } clusterDim;
  } value;
};

/// CUlaunchConfig, for cuLaunchKernelEx.
struct LaunchConfig {
  unsigned gridDimX, gridDimY, gridDimZ;
  unsigned blockDimX, blockDimY, blockDimZ;
  unsigned sharedMemBytes;
  Stream hStream;
  LaunchAttribute *attrs;
  unsigned numAttrs;
};

/// Every entry point the runtime resolves: X(symbol, parameter list). The
/// symbol is the one CUDA 13's cuda.h binds (see the file comment).
#define QTENSOR_CUDA_DRIVER_ENTRY_POINTS(X)                                    \
  X(cuGetErrorName, (Result error, const char **name))                         \
  X(cuGetErrorString, (Result error, const char **description))                \
  X(cuDriverGetVersion, (int *version))                                        \
  X(cuInit, (unsigned flags))                                                  \
  X(cuDeviceGetCount, (int *count))                                            \
  X(cuDeviceGet, (Device * device, int ordinal))                               \
  X(cuDeviceGetName, (char *name, int length, Device device))                  \
  X(cuDeviceGetAttribute, (int *value, int attribute, Device device))          \
  X(cuDevicePrimaryCtxRetain, (Context * context, Device device))              \
  X(cuDevicePrimaryCtxRelease_v2, (Device device))                             \
  X(cuCtxGetCurrent, (Context * context))                                      \
  X(cuCtxPushCurrent_v2, (Context context))                                    \
  X(cuCtxPopCurrent_v2, (Context * context))                                   \
  X(cuModuleLoadData, (Module * module, const void *image))                    \
  X(cuModuleLoadDataEx,                                                        \
    (Module * module, const void *image, unsigned numOptions,                  \
     JitOption *options, void **optionValues))                                 \
  X(cuModuleUnload, (Module module))                                           \
  X(cuModuleGetFunction,                                                       \
    (Function * function, Module module, const char *name))                    \
  X(cuFuncSetAttribute, (Function function, int attribute, int value))         \
  X(cuLaunchKernel,                                                            \
    (Function function, unsigned gridX, unsigned gridY, unsigned gridZ,        \
     unsigned blockX, unsigned blockY, unsigned blockZ,                        \
     unsigned sharedMemBytes, Stream stream, void **params, void **extra))     \
  X(cuLaunchKernelEx, (const LaunchConfig *config, Function function,          \
                       void **params, void **extra))                           \
  X(cuStreamCreate, (Stream * stream, unsigned flags))                         \
  X(cuStreamDestroy_v2, (Stream stream))                                       \
  X(cuStreamSynchronize, (Stream stream))                                      \
  X(cuStreamWaitEvent, (Stream stream, Event event, unsigned flags))           \
  X(cuEventCreate, (Event * event, unsigned flags))                            \
  X(cuEventDestroy_v2, (Event event))                                          \
  X(cuEventSynchronize, (Event event))                                         \
  X(cuEventRecord, (Event event, Stream stream))                               \
  X(cuMemAlloc_v2, (DevicePtr * pointer, size_t bytes))                        \
  X(cuMemAllocManaged, (DevicePtr * pointer, size_t bytes, unsigned flags))    \
  X(cuMemFree_v2, (DevicePtr pointer))                                         \
  X(cuMemcpyHtoD_v2,                                                           \
    (DevicePtr destination, const void *source, size_t bytes))                 \
  X(cuMemcpyAsync,                                                             \
    (DevicePtr destination, DevicePtr source, size_t bytes, Stream stream))    \
  X(cuMemsetD32Async,                                                          \
    (DevicePtr destination, unsigned value, size_t count, Stream stream))      \
  X(cuMemsetD16Async, (DevicePtr destination, unsigned short value,            \
                       size_t count, Stream stream))                           \
  X(cuMemHostRegister_v2, (void *pointer, size_t bytes, unsigned flags))       \
  X(cuMemHostUnregister, (void *pointer))

/// Entry points only launch capture (CUDA graphs) needs: resolved when the
/// driver has them, so that a driver without them still runs models.
#define QTENSOR_CUDA_GRAPH_ENTRY_POINTS(X)                                     \
  X(cuStreamBeginCapture_v2, (Stream stream, int mode))                        \
  X(cuStreamEndCapture, (Stream stream, Graph * graph))                        \
  X(cuGraphGetNodes, (Graph graph, GraphNode * nodes, size_t * count))         \
  X(cuGraphInstantiateWithFlags,                                               \
    (GraphExec * exec, Graph graph, unsigned long long flags))                 \
  X(cuGraphLaunch, (GraphExec exec, Stream stream))                            \
  X(cuGraphExecDestroy, (GraphExec exec))                                      \
  X(cuGraphDestroy, (Graph graph))

/// The resolved entry points of one loaded driver.
struct DriverApi {
#define QTENSOR_DECLARE_ENTRY_POINT(symbol, parameters)                        \
  Result(*symbol) parameters = nullptr;
  QTENSOR_CUDA_DRIVER_ENTRY_POINTS(QTENSOR_DECLARE_ENTRY_POINT)
  QTENSOR_CUDA_GRAPH_ENTRY_POINTS(QTENSOR_DECLARE_ENTRY_POINT)
#undef QTENSOR_DECLARE_ENTRY_POINT
  /// The first graph entry point the driver lacks, or nullptr.
  const char *missingGraphEntryPoint = nullptr;
  /// Optional (kernel timing only): cuEventElapsedTime_v2 where the driver
  /// has it (12.8 and newer), else the older cuEventElapsedTime, which has
  /// the same signature.
  Result (*eventElapsedTime)(float *milliseconds, Event start,
                             Event end) = nullptr;
};

/// The driver the runtime loads: $QTENSOR_CUDA_DRIVER when set and not empty,
/// else "libcuda.so.1" (found through the dynamic loader's search path).
std::string driverPath();

/// A dlopen'ed driver with every entry point resolved, or the reason there
/// is none.
struct LoadedDriver {
  void *handle = nullptr;
  DriverApi api;
  /// cuDriverGetVersion's answer, e.g. 13000 for CUDA 13.0.
  int version = 0;
  /// Empty on success, else one line: "no CUDA driver: libcuda.so.1 not
  /// found", "cannot load the CUDA driver 'x': <dlerror>", "the CUDA driver
  /// 'x' has no entry point cuLaunchKernelEx", ...
  std::string error;
};

/// Opens `path` and resolves every entry point; never aborts. On failure the
/// library is closed again and `error` says why.
LoadedDriver loadDriver(const std::string &path);

/// Closes a driver that loadDriver opened.
void unloadDriver(LoadedDriver &driver);

/// "13.0" for 13000.
std::string formatDriverVersion(int version);

/// The oldest driver accepted: 12.0, the first to JIT PTX ISA 8.0 (what the
/// GPU pipeline emits for sm_80 and sm_90).
constexpr int kMinimumDriverVersion = 12000;

} // namespace qtensor::cuda::driver

#endif // QTENSOR_RUNTIME_CUDA_DRIVERAPI_H
