//===- LaunchCapture.cpp - capturing launches into a CUDA graph -----------===//
//
// beginLaunchCapture and endLaunchCapture, and the LaunchGraph they make:
// while a capture runs, KernelLaunch.cpp issues each launch on the device's
// stream and again on a capture stream, and MemoryPool.cpp holds the buffers
// freed meanwhile for the graph, whose replays use them.
//
//===----------------------------------------------------------------------===//

#include "Runtime.h"

using namespace qtensor::cuda;
using namespace qtensor::cuda::detail;
using namespace qtensor::cuda::driver;

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
