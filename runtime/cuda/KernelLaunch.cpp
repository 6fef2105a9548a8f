//===- KernelLaunch.cpp - launching kernels -------------------------------===//
//
// What mgpuLaunchKernel and mgpuLaunchClusterKernel do: check the launch
// dimensions, make the kernel's context current, raise its shared-memory
// limit, launch it (bracketed by events while kernel timing is on), and launch
// it a second time on the capture stream while a launch capture runs.
//
//===----------------------------------------------------------------------===//

#include "Runtime.h"

#include <climits>
#include <cstdio>

using namespace qtensor::cuda;
using namespace qtensor::cuda::detail;
using namespace qtensor::cuda::driver;

namespace {

/// The kernel this thread launched last, named in asynchronous errors that
/// a later synchronization reports. A plain array: generated code's global
/// destructors (module unloads) can report errors after the thread's
/// thread_local objects are destroyed.
thread_local char lastLaunchedKernel[256];

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
void issueLaunch(void *function, const intptr_t grid[3],
                 const intptr_t block[3], int32_t sharedMemBytes, Stream stream,
                 const char *entryPoint, Launch &&launch) {
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

} // namespace

void detail::launchKernel(void *function, const intptr_t (&grid)[3],
                          const intptr_t (&block)[3], int32_t sharedMemBytes,
                          void *stream, void **params, void **extra) {
  issueLaunch(
      function, grid, block, sharedMemBytes, static_cast<Stream>(stream),
      "cuLaunchKernel", [&](const LaunchShape &shape, Stream launchStream) {
        return Runtime::get().driver.api.cuLaunchKernel(
            static_cast<Function>(function), shape.grid[0], shape.grid[1],
            shape.grid[2], shape.block[0], shape.block[1], shape.block[2],
            static_cast<unsigned>(sharedMemBytes), launchStream, params, extra);
      });
}

void detail::launchClusterKernel(void *function, const intptr_t (&cluster)[3],
                                 const intptr_t (&grid)[3],
                                 const intptr_t (&block)[3],
                                 int32_t sharedMemBytes, void *stream,
                                 void **params, void **extra) {
  for (intptr_t size : cluster)
    if (size <= 0 || size > 1024) {
      Runtime::get().latch("mgpuLaunchClusterKernel: invalid cluster shape " +
                           formatDims(cluster));
      return;
    }
  issueLaunch(
      function, grid, block, sharedMemBytes, static_cast<Stream>(stream),
      "cuLaunchKernelEx", [&](const LaunchShape &shape, Stream launchStream) {
        const DriverApi &api = Runtime::get().driver.api;
        // Clusters of more than 8 blocks are "non-portable" and need an
        // explicit opt-in per function.
        if (cluster[0] * cluster[1] * cluster[2] > 8)
          if (Result result = api.cuFuncSetAttribute(
                  static_cast<Function>(function),
                  CU_FUNC_ATTRIBUTE_NON_PORTABLE_CLUSTER_SIZE_ALLOWED, 1);
              result != CUDA_SUCCESS)
            return result;
        LaunchAttribute attribute = {};
        attribute.id = CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION;
        attribute.value.clusterDim.x = static_cast<unsigned>(cluster[0]);
        attribute.value.clusterDim.y = static_cast<unsigned>(cluster[1]);
        attribute.value.clusterDim.z = static_cast<unsigned>(cluster[2]);
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

std::string detail::afterLastKernel() {
  if (lastLaunchedKernel[0] == '\0')
    return std::string();
  return std::string(" (the last kernel launched on this thread was '") +
         lastLaunchedKernel + "')";
}
