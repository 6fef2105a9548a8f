//===- KernelTiming.cpp - per-kernel GPU times ----------------------------===//
//
// setKernelTiming: while on, KernelLaunch.cpp brackets every launch with two
// events recorded here; takeKernelTimes waits for them and reads the time
// between each pair. LaunchGraph::replay times its replays with the same
// events.
//
//===----------------------------------------------------------------------===//

#include "Runtime.h"

using namespace qtensor::cuda;
using namespace qtensor::cuda::detail;

bool Runtime::recordEvent(Event &event, Stream stream) {
  const DriverApi &api = driver.api;
  if (!check(api.cuEventCreate(&event, 0), "cuEventCreate"))
    return false;
  if (check(api.cuEventRecord(event, stream), "cuEventRecord"))
    return true;
  api.cuEventDestroy_v2(event);
  event = nullptr;
  return false;
}

void Runtime::destroyEvents(Event before, Event after) {
  for (Event event : {before, after})
    if (event)
      driver.api.cuEventDestroy_v2(event);
}

void Runtime::addTimedLaunch(const std::string &kernel, Event before,
                             Event after) {
  std::lock_guard<std::mutex> lock(timingMutex);
  timedLaunches.push_back({kernel, defaultDevice, before, after});
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
