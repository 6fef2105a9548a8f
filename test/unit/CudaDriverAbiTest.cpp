//===- CudaDriverAbiTest.cpp - DriverApi.h against the real cuda.h --------===//
//
// Compiled only where the CUDA toolkit's cuda.h is found. The runtime
// declares the driver's types, constants and entry-point names itself (so
// that it builds without the toolkit); this file fails to compile if any of
// them differs from what cuda.h says.
//
//===----------------------------------------------------------------------===//

#include <cuda.h>

#include "DriverApi.h"

#include <cstddef>
#include <string_view>

namespace driver = qtensor::cuda::driver;

namespace {

#define QTENSOR_STRINGIFY_EXPANDED(x) QTENSOR_STRINGIFY(x)
#define QTENSOR_STRINGIFY(x) #x

// Every symbol the runtime resolves is the one cuda.h binds: cuda.h maps
// each legacy name to its current version (cuMemAlloc -> cuMemAlloc_v2), so
// a name that cuda.h remaps is a legacy entry point.
#define QTENSOR_CHECK_CURRENT_SYMBOL(symbol, parameters)                       \
  static_assert(std::string_view(#symbol) ==                                   \
                    std::string_view(QTENSOR_STRINGIFY_EXPANDED(symbol)),      \
                #symbol " is remapped by cuda.h: resolve its current name");
QTENSOR_CUDA_DRIVER_ENTRY_POINTS(QTENSOR_CHECK_CURRENT_SYMBOL)
QTENSOR_CUDA_GRAPH_ENTRY_POINTS(QTENSOR_CHECK_CURRENT_SYMBOL)
#undef QTENSOR_CHECK_CURRENT_SYMBOL

// And the legacy names the runtime avoids map to what it resolves.
static_assert(std::string_view(QTENSOR_STRINGIFY_EXPANDED(cuMemAlloc)) ==
              "cuMemAlloc_v2");
static_assert(std::string_view(QTENSOR_STRINGIFY_EXPANDED(cuMemFree)) ==
              "cuMemFree_v2");
static_assert(std::string_view(QTENSOR_STRINGIFY_EXPANDED(cuMemcpyHtoD)) ==
              "cuMemcpyHtoD_v2");
static_assert(std::string_view(QTENSOR_STRINGIFY_EXPANDED(cuStreamDestroy)) ==
              "cuStreamDestroy_v2");
static_assert(std::string_view(QTENSOR_STRINGIFY_EXPANDED(cuEventDestroy)) ==
              "cuEventDestroy_v2");
static_assert(std::string_view(QTENSOR_STRINGIFY_EXPANDED(cuCtxPushCurrent)) ==
              "cuCtxPushCurrent_v2");
static_assert(std::string_view(QTENSOR_STRINGIFY_EXPANDED(cuCtxPopCurrent)) ==
              "cuCtxPopCurrent_v2");
static_assert(
    std::string_view(QTENSOR_STRINGIFY_EXPANDED(cuDevicePrimaryCtxRelease)) ==
    "cuDevicePrimaryCtxRelease_v2");
static_assert(std::string_view(QTENSOR_STRINGIFY_EXPANDED(cuMemHostRegister)) ==
              "cuMemHostRegister_v2");
static_assert(std::string_view(QTENSOR_STRINGIFY_EXPANDED(
                  cuStreamBeginCapture)) == "cuStreamBeginCapture_v2");
static_assert(std::string_view(QTENSOR_STRINGIFY_EXPANDED(
                  cuGraphInstantiate)) == "cuGraphInstantiateWithFlags");

// Types.
static_assert(sizeof(driver::DevicePtr) == sizeof(CUdeviceptr));
static_assert(sizeof(driver::Result) == sizeof(CUresult));
static_assert(sizeof(driver::Device) == sizeof(CUdevice));
static_assert(sizeof(driver::JitOption) == sizeof(CUjit_option));
// cuStreamBeginCapture_v2's mode is declared as an int.
static_assert(sizeof(int) == sizeof(CUstreamCaptureMode));
static_assert(sizeof(driver::LaunchAttribute) == sizeof(CUlaunchAttribute));
static_assert(offsetof(driver::LaunchAttribute, value) ==
              offsetof(CUlaunchAttribute, value));
static_assert(sizeof(driver::LaunchConfig) == sizeof(CUlaunchConfig));
static_assert(offsetof(driver::LaunchConfig, sharedMemBytes) ==
              offsetof(CUlaunchConfig, sharedMemBytes));
static_assert(offsetof(driver::LaunchConfig, hStream) ==
              offsetof(CUlaunchConfig, hStream));
static_assert(offsetof(driver::LaunchConfig, attrs) ==
              offsetof(CUlaunchConfig, attrs));
static_assert(offsetof(driver::LaunchConfig, numAttrs) ==
              offsetof(CUlaunchConfig, numAttrs));

// Constants.
#define QTENSOR_CHECK_CONSTANT(name)                                           \
  static_assert(static_cast<long long>(driver::name) ==                        \
                    static_cast<long long>(::name),                            \
                #name " differs from cuda.h");
QTENSOR_CHECK_CONSTANT(CUDA_SUCCESS)
QTENSOR_CHECK_CONSTANT(CUDA_ERROR_INVALID_VALUE)
QTENSOR_CHECK_CONSTANT(CUDA_ERROR_OUT_OF_MEMORY)
QTENSOR_CHECK_CONSTANT(CUDA_ERROR_NOT_INITIALIZED)
QTENSOR_CHECK_CONSTANT(CUDA_ERROR_NO_DEVICE)
QTENSOR_CHECK_CONSTANT(CUDA_ERROR_INVALID_DEVICE)
QTENSOR_CHECK_CONSTANT(CUDA_ERROR_INVALID_IMAGE)
QTENSOR_CHECK_CONSTANT(CUDA_ERROR_INVALID_CONTEXT)
QTENSOR_CHECK_CONSTANT(CUDA_ERROR_NO_BINARY_FOR_GPU)
QTENSOR_CHECK_CONSTANT(CUDA_ERROR_INVALID_PTX)
QTENSOR_CHECK_CONSTANT(CUDA_ERROR_INVALID_HANDLE)
QTENSOR_CHECK_CONSTANT(CUDA_ERROR_ILLEGAL_STATE)
QTENSOR_CHECK_CONSTANT(CUDA_ERROR_NOT_FOUND)
QTENSOR_CHECK_CONSTANT(CUDA_ERROR_ILLEGAL_ADDRESS)
QTENSOR_CHECK_CONSTANT(CUDA_ERROR_HOST_MEMORY_NOT_REGISTERED)
QTENSOR_CHECK_CONSTANT(CUDA_ERROR_LAUNCH_FAILED)
QTENSOR_CHECK_CONSTANT(CUDA_ERROR_NOT_SUPPORTED)
QTENSOR_CHECK_CONSTANT(CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED)
QTENSOR_CHECK_CONSTANT(CUDA_ERROR_STREAM_CAPTURE_INVALIDATED)
QTENSOR_CHECK_CONSTANT(CUDA_ERROR_STREAM_CAPTURE_UNMATCHED)
QTENSOR_CHECK_CONSTANT(CUDA_ERROR_STREAM_CAPTURE_WRONG_THREAD)
QTENSOR_CHECK_CONSTANT(CU_STREAM_CAPTURE_MODE_RELAXED)
QTENSOR_CHECK_CONSTANT(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR)
QTENSOR_CHECK_CONSTANT(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR)
QTENSOR_CHECK_CONSTANT(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN)
QTENSOR_CHECK_CONSTANT(CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES)
QTENSOR_CHECK_CONSTANT(CU_FUNC_ATTRIBUTE_NON_PORTABLE_CLUSTER_SIZE_ALLOWED)
QTENSOR_CHECK_CONSTANT(CU_JIT_ERROR_LOG_BUFFER)
QTENSOR_CHECK_CONSTANT(CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES)
QTENSOR_CHECK_CONSTANT(CU_JIT_OPTIMIZATION_LEVEL)
QTENSOR_CHECK_CONSTANT(CU_STREAM_NON_BLOCKING)
QTENSOR_CHECK_CONSTANT(CU_EVENT_DISABLE_TIMING)
QTENSOR_CHECK_CONSTANT(CU_MEM_ATTACH_GLOBAL)
QTENSOR_CHECK_CONSTANT(CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION)
#undef QTENSOR_CHECK_CONSTANT

} // namespace
