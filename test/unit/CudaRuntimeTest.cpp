//===- CudaRuntimeTest.cpp - the CUDA runtime against a fake driver -------===//
//
// Each test points the runtime at the fake libcuda.so.1 the build makes
// (FakeCudaDriver.cpp), configures the fake, calls the mgpu* functions the
// way MLIR 22's generated host code does, and checks what reached the
// "driver" (its call counters, recorded launches, live objects and memory)
// and what the runtime reports (probe messages, latched errors, counters).
//
//===----------------------------------------------------------------------===//

#include "qtensor/Runtime/CudaRuntime.h"

#include "DriverApi.h"
#include "FakeCudaDriver.h"

#include "gtest/gtest.h"

#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <thread>
#include <vector>

using namespace qtensor::cuda;
using qtensor::cuda::fake::FakeCudaState;

namespace {

/// A PTX-like image with two kernels; the fake reads the `.entry` names.
const char kPtx[] = ".version 8.0\n.target sm_90\n.address_size 64\n"
                    ".visible .entry add(\n.param .u64 add_param_0\n)\n{\n}\n"
                    ".visible .entry scale(\n.param .u64 scale_param_0\n)\n"
                    "{\n}\n";

class CudaRuntimeTest : public ::testing::Test {
protected:
  void SetUp() override {
    // Read once, when the runtime first starts: the tests check that it
    // prints nothing by default.
    unsetenv("QTENSOR_CUDA_VERBOSE");
    fake =
        qtensor::cuda::fake::openFakeDriver(QTENSOR_FAKE_CUDA_DRIVER, driver);
    ASSERT_NE(fake, nullptr) << dlerror();
    resetForTesting();
    fake->reset();
    // Every allocation and free reaches the driver, except in the pool's
    // own tests.
    setMemoryPoolLimit(0);
  }

  void TearDown() override {
    mgpuSetDefaultDevice(0);
    resetForTesting();
    if (fake)
      fake->reset();
    if (driver)
      dlclose(driver);
    unsetenv("QTENSOR_CUDA_DRIVER");
  }

  /// What the generated module constructor does: load the PTX once.
  void *loadKernels() {
    void *module = mgpuModuleLoadJIT(const_cast<char *>(kPtx), 2);
    EXPECT_NE(module, nullptr) << takeError().value_or("");
    return module;
  }

  /// One gpu.launch_func as MLIR 22 lowers it: stream, function, launch,
  /// synchronize, destroy.
  void launchLikeGeneratedCode(void *module, const char *kernel,
                               intptr_t gridX = 4, int32_t sharedMem = 0) {
    void *stream = mgpuStreamCreate();
    void *function = mgpuModuleGetFunction(module, kernel);
    void *argument = nullptr;
    void *params[] = {&argument};
    mgpuLaunchKernel(function, gridX, 1, 1, 128, 1, 1, sharedMem, stream,
                     params, /*extra=*/nullptr, /*paramsCount=*/1);
    mgpuStreamSynchronize(stream);
    mgpuStreamDestroy(stream);
  }

  /// One call as generated host code makes it: a temporary buffer, two
  /// launches, the buffer freed.
  void callWithTemporary(void *module) {
    void *buffer = mgpuMemAlloc(256, nullptr, false);
    EXPECT_NE(buffer, nullptr);
    launchLikeGeneratedCode(module, "add");
    launchLikeGeneratedCode(module, "scale");
    mgpuMemFree(buffer, nullptr);
  }

  void *driver = nullptr;
  FakeCudaState *fake = nullptr;
};

//===----------------------------------------------------------------------===//
// Probing
//===----------------------------------------------------------------------===//

TEST_F(CudaRuntimeTest, MissingDriverIsReportedByPath) {
  setenv("QTENSOR_CUDA_DRIVER", "/nonexistent/qtensor/libcuda.so.1", 1);
  DeviceProbe probe = probeDevice();
  EXPECT_FALSE(probe.available);
  EXPECT_EQ(probe.message,
            "no CUDA driver: /nonexistent/qtensor/libcuda.so.1 not found");
  EXPECT_EQ(probe.driverVersion, 0);
  EXPECT_FALSE(hasError()) << "probing latches nothing";

  // The mgpu* functions do nothing and latch the same reason.
  EXPECT_EQ(mgpuStreamCreate(), nullptr);
  EXPECT_EQ(mgpuMemAlloc(64, nullptr, false), nullptr);
  EXPECT_EQ(takeError(),
            "no CUDA driver: /nonexistent/qtensor/libcuda.so.1 not found");
  EXPECT_EQ(fake->callCount("cuInit"), 0);
}

TEST_F(CudaRuntimeTest, DefaultDriverIsLibcudaSo1) {
  // Without the override the runtime asks the loader for "libcuda.so.1",
  // which this process already has loaded: the fake, whose soname it is.
  unsetenv("QTENSOR_CUDA_DRIVER");
  DeviceProbe probe = probeDevice();
  EXPECT_TRUE(probe.available) << probe.message;
  EXPECT_EQ(fake->callCount("cuInit"), 1);
}

TEST_F(CudaRuntimeTest, NoDeviceReportsCudaErrorNoDevice) {
  fake->deviceCount = 0;
  DeviceProbe probe = probeDevice();
  EXPECT_FALSE(probe.available);
  EXPECT_EQ(probe.message, "CUDA driver 13.0 found, no GPU: cuInit: "
                           "CUDA_ERROR_NO_DEVICE (no CUDA-capable device is "
                           "detected)");
  EXPECT_EQ(probe.driverVersion, 13000);
  EXPECT_EQ(probe.deviceCount, 0);

  EXPECT_EQ(mgpuModuleLoadJIT(const_cast<char *>(kPtx), 2), nullptr);
  EXPECT_EQ(takeError(), probe.message);
  EXPECT_EQ(fake->callCount("cuModuleLoadDataEx"), 0);
}

TEST_F(CudaRuntimeTest, PresentGpuIsNamedWithItsArchitecture) {
  fake->deviceName = "NVIDIA H200";
  DeviceProbe probe = probeDevice();
  EXPECT_TRUE(probe.available);
  EXPECT_EQ(probe.message, "GPU 0: NVIDIA H200, sm_90 (CUDA driver 13.0)");
  EXPECT_EQ(probe.deviceName, "NVIDIA H200");
  EXPECT_EQ(probe.computeCapability, 90);
  EXPECT_EQ(probe.deviceCount, 1);
  // A probe is cheap: no context, no stream.
  EXPECT_EQ(fake->primaryContextRetains, 0);
  EXPECT_EQ(fake->callCount("cuStreamCreate"), 0);

  fake->computeCapabilityMajor = 8;
  fake->driverVersion = 12040;
  resetForTesting();
  EXPECT_EQ(probeDevice().message,
            "GPU 0: NVIDIA H200, sm_80 (CUDA driver 12.4)");
}

TEST_F(CudaRuntimeTest, OldDriverIsRejected) {
  fake->driverVersion = 11080;
  DeviceProbe probe = probeDevice();
  EXPECT_FALSE(probe.available);
  EXPECT_EQ(probe.message,
            "CUDA driver 11.8 is too old: qtensor needs 12.0 or newer");
  EXPECT_EQ(probe.driverVersion, 11080);
}

TEST_F(CudaRuntimeTest, MissingDeviceOrdinalIsReported) {
  DeviceProbe probe = probeDevice(3);
  EXPECT_FALSE(probe.available);
  EXPECT_EQ(probe.message,
            "CUDA driver 13.0 found, no GPU 3: the driver reports 1 device(s)");
}

//===----------------------------------------------------------------------===//
// Reuse
//===----------------------------------------------------------------------===//

TEST_F(CudaRuntimeTest, HundredLaunchesReuseStreamModuleAndFunction) {
  void *module = loadKernels();
  for (int i = 0; i < 100; ++i)
    launchLikeGeneratedCode(module, "add");
  EXPECT_EQ(takeError(), std::nullopt);

  EXPECT_EQ(fake->callCount("cuDevicePrimaryCtxRetain"), 1);
  EXPECT_EQ(fake->callCount("cuStreamCreate"), 1);
  EXPECT_EQ(fake->callCount("cuStreamDestroy_v2"), 0);
  EXPECT_EQ(fake->callCount("cuModuleLoadDataEx"), 1);
  EXPECT_EQ(fake->callCount("cuModuleGetFunction"), 1);
  EXPECT_EQ(fake->callCount("cuLaunchKernel"), 100);
  EXPECT_EQ(fake->callCount("cuStreamSynchronize"), 100);
  EXPECT_EQ(fake->lastJitOptimizationLevel, 2);

  ASSERT_EQ(fake->launches.size(), 100u);
  ASSERT_EQ(fake->streams.size(), 1u);
  void *theStream = *fake->streams.begin();
  for (const fake::Launch &launch : fake->launches) {
    EXPECT_EQ(launch.function, "add");
    EXPECT_EQ(launch.grid[0], 4u);
    EXPECT_EQ(launch.block[0], 128u);
    EXPECT_EQ(launch.stream, theStream);
  }

  RuntimeCounters count = counters();
  EXPECT_EQ(count.streamsCreated, 1u);
  EXPECT_EQ(count.streamRequests, 100u);
  EXPECT_EQ(count.moduleLoads, 1u);
  EXPECT_EQ(count.functionLookups, 1u);
  EXPECT_EQ(count.functionLookupsReused, 99u);
  EXPECT_EQ(count.launches, 100u);

  // Each call made the context current and restored the thread's.
  EXPECT_EQ(fake->callCount("cuCtxPushCurrent_v2"),
            fake->callCount("cuCtxPopCurrent_v2"));

  mgpuModuleUnload(module);
  EXPECT_EQ(fake->callCount("cuModuleUnload"), 1);
  EXPECT_TRUE(fake->modules.empty());
}

TEST_F(CudaRuntimeTest, FunctionsAreCachedPerModuleAndName) {
  void *module = loadKernels();
  void *add = mgpuModuleGetFunction(module, "add");
  void *scale = mgpuModuleGetFunction(module, "scale");
  EXPECT_NE(add, nullptr);
  EXPECT_NE(scale, nullptr);
  EXPECT_NE(add, scale);
  EXPECT_EQ(mgpuModuleGetFunction(module, "add"), add);
  EXPECT_EQ(mgpuModuleGetFunction(module, "scale"), scale);
  EXPECT_EQ(fake->callCount("cuModuleGetFunction"), 2);

  // After an unload and a fresh load the old handles are not answered.
  mgpuModuleUnload(module);
  void *reloaded = loadKernels();
  EXPECT_NE(mgpuModuleGetFunction(reloaded, "add"), nullptr);
  EXPECT_EQ(fake->callCount("cuModuleGetFunction"), 3);
  mgpuModuleUnload(reloaded);
}

TEST_F(CudaRuntimeTest, ModulesAreCachedByImageAndReferenceCounted) {
  void *first = loadKernels();
  void *second = loadKernels();
  EXPECT_EQ(first, second);
  EXPECT_EQ(fake->callCount("cuModuleLoadDataEx"), 1);
  EXPECT_EQ(counters().moduleLoadsReused, 1u);

  mgpuModuleUnload(first);
  EXPECT_EQ(fake->callCount("cuModuleUnload"), 0) << "one load is still live";
  EXPECT_NE(mgpuModuleGetFunction(second, "add"), nullptr);
  mgpuModuleUnload(second);
  EXPECT_EQ(fake->callCount("cuModuleUnload"), 1);
  EXPECT_TRUE(fake->modules.empty());
  EXPECT_EQ(takeError(), std::nullopt);
}

TEST_F(CudaRuntimeTest, ReusedImageAddressWithNewContentLoadsAgain) {
  // An image freed without an unload, and another one at the same address:
  // the cache must not answer with the old module.
  std::string image = kPtx;
  void *old = mgpuModuleLoadJIT(image.data(), 2);
  std::string renamed = kPtx;
  renamed.replace(renamed.find("entry add"), 9, "entry sub");
  ASSERT_EQ(renamed.size(), image.size());
  std::memcpy(image.data(), renamed.data(), image.size());
  void *fresh = mgpuModuleLoadJIT(image.data(), 2);
  EXPECT_NE(fresh, old);
  EXPECT_EQ(fake->callCount("cuModuleLoadDataEx"), 2);
  EXPECT_NE(mgpuModuleGetFunction(fresh, "sub"), nullptr);
  EXPECT_EQ(takeError(), std::nullopt);

  // Both stay unloadable by their own handles.
  mgpuModuleUnload(fresh);
  mgpuModuleUnload(old);
  EXPECT_EQ(fake->callCount("cuModuleUnload"), 2);
  EXPECT_TRUE(fake->modules.empty());
}

TEST_F(CudaRuntimeTest, CubinImagesLoadWithoutTheJit) {
  std::string image = kPtx;
  void *module = mgpuModuleLoad(image.data(), image.size());
  EXPECT_NE(module, nullptr);
  EXPECT_EQ(fake->callCount("cuModuleLoadData"), 1);
  EXPECT_EQ(fake->callCount("cuModuleLoadDataEx"), 0);
  EXPECT_EQ(mgpuModuleLoad(image.data(), image.size()), module);
  EXPECT_EQ(fake->callCount("cuModuleLoadData"), 1);
  mgpuModuleUnload(module);
  mgpuModuleUnload(module);
  EXPECT_TRUE(fake->modules.empty());
}

TEST_F(CudaRuntimeTest, ConcurrentLaunchesShareTheStream) {
  void *module = loadKernels();
  launchLikeGeneratedCode(module, "add");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i)
        launchLikeGeneratedCode(module, "add");
    });
  for (std::thread &thread : threads)
    thread.join();
  EXPECT_EQ(takeError(), std::nullopt);
  EXPECT_EQ(fake->callCount("cuLaunchKernel"), 201);
  EXPECT_EQ(fake->callCount("cuStreamCreate"), 1);
  EXPECT_EQ(fake->callCount("cuModuleGetFunction"), 1);
  EXPECT_EQ(fake->callCount("cuCtxPushCurrent_v2"),
            fake->callCount("cuCtxPopCurrent_v2"));
  mgpuModuleUnload(module);
}

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

TEST_F(CudaRuntimeTest, LaunchFailureIsLatchedThenCleared) {
  void *module = loadKernels();
  fake->failNext("cuLaunchKernel", driver::CUDA_ERROR_LAUNCH_FAILED);

  testing::internal::CaptureStderr();
  launchLikeGeneratedCode(module, "add");
  EXPECT_TRUE(hasError());
  // While latched, work is skipped: neither this launch nor the copy reach
  // the driver.
  launchLikeGeneratedCode(module, "add");
  float host[4] = {};
  mgpuMemcpy(host, host, sizeof(host), mgpuStreamCreate());
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "")
      << "the runtime never prints";
  EXPECT_EQ(fake->callCount("cuLaunchKernel"), 1);
  EXPECT_EQ(fake->callCount("cuMemcpyAsync"), 0);
  EXPECT_GE(counters().callsSkipped, 3u);

  EXPECT_EQ(takeError(), "cuLaunchKernel: CUDA_ERROR_LAUNCH_FAILED "
                         "(unspecified launch failure), launching 'add' on "
                         "grid 4x1x1, block 128x1x1");
  EXPECT_FALSE(hasError());
  EXPECT_EQ(takeError(), std::nullopt);

  // The next call works again.
  launchLikeGeneratedCode(module, "add");
  EXPECT_EQ(takeError(), std::nullopt);
  EXPECT_EQ(fake->callCount("cuLaunchKernel"), 2);
  ASSERT_EQ(fake->launches.size(), 1u);
  EXPECT_EQ(fake->launches[0].function, "add");
  mgpuModuleUnload(module);
}

TEST_F(CudaRuntimeTest, FirstErrorWinsAndReleasesStillRun) {
  void *buffer = mgpuMemAlloc(256, mgpuStreamCreate(), false);
  ASSERT_NE(buffer, nullptr);
  fake->failNext("cuMemAlloc_v2", driver::CUDA_ERROR_OUT_OF_MEMORY);
  EXPECT_EQ(mgpuMemAlloc(1 << 20, mgpuStreamCreate(), false), nullptr);
  fake->failNext("cuMemFree_v2", driver::CUDA_ERROR_INVALID_VALUE);
  mgpuMemFree(reinterpret_cast<char *>(buffer) + 1, nullptr);
  // The free ran although an error is latched.
  EXPECT_EQ(fake->callCount("cuMemFree_v2"), 1);
  mgpuMemFree(buffer, nullptr);
  EXPECT_EQ(fake->callCount("cuMemFree_v2"), 2);
  EXPECT_TRUE(fake->allocations.empty());

  EXPECT_EQ(takeError(), "cuMemAlloc: CUDA_ERROR_OUT_OF_MEMORY (out of "
                         "memory), allocating 1048576 bytes");
  EXPECT_EQ(takeError(), std::nullopt);
}

TEST_F(CudaRuntimeTest, AsynchronousFailureNamesTheLastKernel) {
  void *module = loadKernels();
  fake->failNext("cuStreamSynchronize", driver::CUDA_ERROR_ILLEGAL_ADDRESS);
  launchLikeGeneratedCode(module, "scale");
  EXPECT_EQ(takeError(),
            "cuStreamSynchronize: CUDA_ERROR_ILLEGAL_ADDRESS (an illegal "
            "memory access was encountered) (the last kernel launched on "
            "this thread was 'scale')");
  mgpuModuleUnload(module);
}

TEST_F(CudaRuntimeTest, JitFailureCarriesTheJitLog) {
  fake->failNext("cuModuleLoadDataEx", driver::CUDA_ERROR_INVALID_PTX);
  EXPECT_EQ(mgpuModuleLoadJIT(const_cast<char *>(kPtx), 2), nullptr);
  EXPECT_EQ(takeError(),
            "cuModuleLoadDataEx: CUDA_ERROR_INVALID_PTX (a PTX JIT "
            "compilation failed), JIT-compiling " +
                std::to_string(std::strlen(kPtx)) +
                " bytes of PTX: ptxas application ptx input, line 7; fatal : "
                "fake JIT failure");

  // The generated code goes on with a null module.
  launchLikeGeneratedCode(nullptr, "add");
  EXPECT_EQ(takeError(), "mgpuModuleGetFunction: no module to look up "
                         "kernel 'add' in (its load failed)");
  EXPECT_EQ(fake->callCount("cuLaunchKernel"), 0);
}

TEST_F(CudaRuntimeTest, UnknownKernelIsNamed) {
  void *module = loadKernels();
  EXPECT_EQ(mgpuModuleGetFunction(module, "missing"), nullptr);
  EXPECT_EQ(takeError(), "cuModuleGetFunction: CUDA_ERROR_NOT_FOUND (named "
                         "symbol not found), looking up kernel 'missing'");
  mgpuModuleUnload(module);
}

TEST_F(CudaRuntimeTest, LaunchDimensionsAreValidated) {
  void *module = loadKernels();
  void *function = mgpuModuleGetFunction(module, "add");
  void *params[] = {nullptr};
  // An empty dynamic batch: nothing to launch, no error.
  mgpuLaunchKernel(function, 0, 1, 1, 128, 1, 1, 0, mgpuStreamCreate(), params,
                   nullptr, 1);
  EXPECT_EQ(takeError(), std::nullopt);
  EXPECT_EQ(counters().emptyLaunchesSkipped, 1u);

  mgpuLaunchKernel(function, 1, 1, 1, -1, 1, 1, 0, mgpuStreamCreate(), params,
                   nullptr, 1);
  EXPECT_EQ(takeError(),
            "mgpuLaunchKernel: kernel 'add' cannot be launched on grid "
            "1x1x1, block -1x1x1 with 0 bytes of shared memory (each grid "
            "dimension must be in 0..2^32-1, each block dimension in "
            "1..2^32-1)");
  mgpuLaunchKernel(function, intptr_t(1) << 32, 1, 1, 1, 1, 1, 0,
                   mgpuStreamCreate(), params, nullptr, 1);
  EXPECT_TRUE(takeError().has_value());
  EXPECT_EQ(fake->callCount("cuLaunchKernel"), 0);
  mgpuModuleUnload(module);
}

TEST_F(CudaRuntimeTest, LargeSharedMemoryIsOptedInOnce) {
  void *module = loadKernels();
  for (int i = 0; i < 3; ++i)
    launchLikeGeneratedCode(module, "add", 4, 100000);
  EXPECT_EQ(takeError(), std::nullopt);
  EXPECT_EQ(fake->callCount("cuFuncSetAttribute"), 1);
  ASSERT_EQ(fake->launches.size(), 3u);
  EXPECT_EQ(fake->launches[2].sharedMemBytes, 100000u);

  // Within the default 48 KiB: no attribute call.
  launchLikeGeneratedCode(module, "scale", 4, 48 * 1024);
  EXPECT_EQ(fake->callCount("cuFuncSetAttribute"), 1);

  launchLikeGeneratedCode(module, "scale", 4, 300000);
  EXPECT_EQ(takeError(),
            "mgpuLaunchKernel: kernel 'scale' needs 300000 bytes of dynamic "
            "shared memory, GPU 0 allows 232448 per block");
  EXPECT_EQ(fake->callCount("cuLaunchKernel"), 4);
  mgpuModuleUnload(module);
}

//===----------------------------------------------------------------------===//
// Memory, events, clusters, devices
//===----------------------------------------------------------------------===//

TEST_F(CudaRuntimeTest, MemoryRoundTripsThroughTheDevice) {
  void *stream = mgpuStreamCreate();
  std::vector<float> input(256), output(256, -1.0f);
  for (size_t i = 0; i < input.size(); ++i)
    input[i] = 0.5f * static_cast<float>(i);
  size_t bytes = input.size() * sizeof(float);

  void *device = mgpuMemAlloc(bytes, stream, /*isHostShared=*/false);
  ASSERT_NE(device, nullptr);
  ASSERT_EQ(fake->allocations.count(reinterpret_cast<uintptr_t>(device)), 1u);
  EXPECT_EQ(fake->allocations[reinterpret_cast<uintptr_t>(device)], bytes);
  mgpuMemcpy(device, input.data(), bytes, stream);
  mgpuMemcpy(output.data(), device, bytes, stream);
  mgpuStreamSynchronize(stream);
  EXPECT_EQ(output, input);

  mgpuMemset32(device, 0x3f800000u, input.size(), stream); // 1.0f
  mgpuMemcpy(output.data(), device, bytes, stream);
  EXPECT_EQ(output, std::vector<float>(256, 1.0f));

  uint16_t halves[8];
  void *shared = mgpuMemAlloc(sizeof(halves), stream, /*isHostShared=*/true);
  EXPECT_EQ(fake->managedAllocations.count(reinterpret_cast<uintptr_t>(shared)),
            1u);
  mgpuMemset16(shared, 0x3c00, 8, stream);
  mgpuMemcpy(halves, shared, sizeof(halves), stream);
  for (uint16_t half : halves)
    EXPECT_EQ(half, 0x3c00);
  EXPECT_EQ(takeError(), std::nullopt);

  mgpuMemFree(device, stream);
  mgpuMemFree(shared, stream);
  EXPECT_TRUE(fake->allocations.empty());
  EXPECT_EQ(counters().allocations, 2u);
  EXPECT_EQ(counters().frees, 2u);
  // Zero-byte requests never reach the driver.
  EXPECT_EQ(mgpuMemAlloc(0, stream, false), nullptr);
  EXPECT_EQ(fake->callCount("cuMemAlloc_v2"), 1);
}

TEST_F(CudaRuntimeTest, ParametersUploadOncePerHostBuffer) {
  std::vector<int8_t> weights(4096);
  for (size_t i = 0; i < weights.size(); ++i)
    weights[i] = static_cast<int8_t>(i * 7);
  std::vector<float> scales(64, 0.25f);
  {
    DeviceParameters parameters;
    void *first = parameters.upload(weights.data(), weights.size());
    void *again = parameters.upload(weights.data(), weights.size());
    ASSERT_NE(first, nullptr) << takeError().value_or("");
    EXPECT_EQ(first, again);
    EXPECT_EQ(fake->callCount("cuMemAlloc_v2"), 1);
    EXPECT_EQ(fake->callCount("cuMemcpyHtoD_v2"), 1);
    // The fake's device memory is host memory: the copy is there.
    EXPECT_EQ(std::memcmp(first, weights.data(), weights.size()), 0);

    void *scaleCopy =
        parameters.upload(scales.data(), scales.size() * sizeof(float));
    EXPECT_NE(scaleCopy, first);
    // Same address, other size: another parameter.
    void *prefix = parameters.upload(weights.data(), 1024);
    EXPECT_NE(prefix, first);
    EXPECT_EQ(fake->callCount("cuMemcpyHtoD_v2"), 3);
    EXPECT_EQ(parameters.size(), 3u);
    EXPECT_EQ(parameters.deviceBytes(), 4096u + 256u + 1024u);
    EXPECT_EQ(counters().parameterUploads, 3u);
    EXPECT_EQ(counters().parameterUploadsReused, 1u);
    EXPECT_EQ(counters().parameterBytes, 4096u + 256u + 1024u);
    EXPECT_EQ(parameters.upload(weights.data(), 0), nullptr);
    EXPECT_EQ(takeError(), std::nullopt);
  }
  // The set owned the copies.
  EXPECT_TRUE(fake->allocations.empty());
  EXPECT_EQ(fake->callCount("cuMemFree_v2"), 3);
}

TEST_F(CudaRuntimeTest, FailedParameterUploadFreesAndRetries) {
  std::vector<float> weights(128, 2.0f);
  DeviceParameters parameters;
  fake->failNext("cuMemcpyHtoD_v2", driver::CUDA_ERROR_INVALID_VALUE);
  EXPECT_EQ(parameters.upload(weights.data(), 512), nullptr);
  EXPECT_EQ(takeError(), "cuMemcpyHtoD: CUDA_ERROR_INVALID_VALUE (invalid "
                         "argument), for a 512-byte parameter");
  EXPECT_TRUE(fake->allocations.empty());
  EXPECT_EQ(parameters.size(), 0u);

  void *copy = parameters.upload(weights.data(), 512);
  EXPECT_NE(copy, nullptr);
  EXPECT_EQ(parameters.size(), 1u);
}

TEST_F(CudaRuntimeTest, EventsOrderTheStream) {
  void *stream = mgpuStreamCreate();
  void *event = mgpuEventCreate();
  ASSERT_NE(event, nullptr);
  mgpuEventRecord(event, stream);
  mgpuStreamWaitEvent(stream, event);
  mgpuEventSynchronize(event);
  mgpuEventDestroy(event);
  EXPECT_EQ(takeError(), std::nullopt);
  EXPECT_TRUE(fake->events.empty());
  EXPECT_EQ(fake->callCount("cuEventRecord"), 1);
  EXPECT_EQ(fake->callCount("cuStreamWaitEvent"), 1);
}

TEST_F(CudaRuntimeTest, ClusterLaunchesPassTheClusterShape) {
  void *module = loadKernels();
  void *function = mgpuModuleGetFunction(module, "add");
  void *params[] = {nullptr};
  mgpuLaunchClusterKernel(function, 2, 1, 1, 8, 1, 1, 128, 1, 1, 0,
                          mgpuStreamCreate(), params, nullptr);
  EXPECT_EQ(takeError(), std::nullopt);
  ASSERT_EQ(fake->launches.size(), 1u);
  EXPECT_EQ(fake->launches[0].cluster[0], 2u);
  EXPECT_EQ(fake->launches[0].grid[0], 8u);
  EXPECT_EQ(fake->callCount("cuLaunchKernelEx"), 1);
  EXPECT_EQ(fake->callCount("cuFuncSetAttribute"), 0);

  // More than 8 blocks per cluster needs the non-portable opt-in.
  mgpuLaunchClusterKernel(function, 16, 1, 1, 32, 1, 1, 128, 1, 1, 0,
                          mgpuStreamCreate(), params, nullptr);
  EXPECT_EQ(takeError(), std::nullopt);
  EXPECT_EQ(fake->callCount("cuFuncSetAttribute"), 1);
  ASSERT_EQ(fake->launches.size(), 2u);
  EXPECT_EQ(fake->launches[1].cluster[0], 16u);
  mgpuModuleUnload(module);
}

TEST_F(CudaRuntimeTest, HostRegistrationOfDenseMemRefs) {
  float data[6 * 5] = {};
  // A memref<4x5xf32> view starting at row 1: sizes [4, 5], strides [5, 1].
  struct {
    float *allocated, *aligned;
    int64_t offset, sizes[2], strides[2];
  } descriptor = {data, data, 5, {4, 5}, {5, 1}};
  mgpuMemHostRegisterMemRef(2, &descriptor, sizeof(float));
  EXPECT_EQ(takeError(), std::nullopt);
  ASSERT_EQ(fake->registeredHostMemory.count(data + 5), 1u);
  EXPECT_EQ(fake->registeredHostMemory[data + 5], 4 * 5 * sizeof(float));
  mgpuMemHostUnregisterMemRef(2, &descriptor, sizeof(float));
  EXPECT_TRUE(fake->registeredHostMemory.empty());

  descriptor.strides[0] = 6;
  mgpuMemHostRegisterMemRef(2, &descriptor, sizeof(float));
  EXPECT_EQ(takeError(), "mgpuMemHostRegisterMemRef: only a dense memref can "
                         "be registered (dimension 0 has stride 6, expected "
                         "5)");
  EXPECT_TRUE(fake->registeredHostMemory.empty());
}

TEST_F(CudaRuntimeTest, EachDeviceHasItsOwnContextAndStream) {
  fake->deviceCount = 2;
  void *stream0 = mgpuStreamCreate();
  mgpuSetDefaultDevice(1);
  void *stream1 = mgpuStreamCreate();
  EXPECT_NE(stream0, nullptr);
  EXPECT_NE(stream1, nullptr);
  EXPECT_NE(stream0, stream1);
  EXPECT_EQ(mgpuStreamCreate(), stream1);
  EXPECT_EQ(fake->primaryContextRetains, 2);
  EXPECT_EQ(fake->callCount("cuStreamCreate"), 2);

  mgpuSetDefaultDevice(99);
  EXPECT_EQ(mgpuStreamCreate(), nullptr);
  EXPECT_EQ(takeError(),
            "mgpuSetDefaultDevice: device 99 is out of range (0-63)");
  mgpuSetDefaultDevice(2);
  EXPECT_EQ(mgpuStreamCreate(), nullptr);
  EXPECT_EQ(takeError(),
            "CUDA driver 13.0 found, no GPU 2: the driver reports 2 device(s)");

  // Reset releases what the runtime retained.
  mgpuSetDefaultDevice(0);
  resetForTesting();
  EXPECT_EQ(fake->primaryContextReleases, 2);
  EXPECT_TRUE(fake->streams.empty());
}

TEST_F(CudaRuntimeTest, ContextFailureIsNotRetriedPerCall) {
  fake->failNext("cuDevicePrimaryCtxRetain", driver::CUDA_ERROR_OUT_OF_MEMORY);
  EXPECT_EQ(mgpuStreamCreate(), nullptr);
  std::optional<std::string> error = takeError();
  EXPECT_EQ(error, "GPU 0: cuDevicePrimaryCtxRetain: CUDA_ERROR_OUT_OF_MEMORY "
                   "(out of memory)");
  EXPECT_EQ(mgpuStreamCreate(), nullptr);
  EXPECT_EQ(takeError(), error);
  EXPECT_EQ(fake->callCount("cuDevicePrimaryCtxRetain"), 1);
  DeviceProbe probe = probeDevice();
  EXPECT_FALSE(probe.available);
  EXPECT_EQ(probe.message, error);
}

} // namespace

//===----------------------------------------------------------------------===//
// Kernel timing
//===----------------------------------------------------------------------===//

TEST_F(CudaRuntimeTest, KernelTimingBracketsEachLaunchWithEvents) {
  void *module = loadKernels();
  launchLikeGeneratedCode(module, "add");
  EXPECT_TRUE(takeKernelTimes().empty()) << "timing is off by default";

  setKernelTiming(true);
  launchLikeGeneratedCode(module, "add");
  launchLikeGeneratedCode(module, "scale");
  std::vector<KernelTime> times = takeKernelTimes();
  ASSERT_EQ(times.size(), 2u);
  EXPECT_EQ(times[0].kernel, "add");
  EXPECT_EQ(times[1].kernel, "scale");
  // One fake tick between the events around each launch.
  for (const KernelTime &time : times)
    EXPECT_FLOAT_EQ(time.milliseconds,
                    static_cast<float>(qtensor::cuda::fake::kFakeEventTickMs));
  EXPECT_EQ(fake->callCount("cuEventElapsedTime_v2"), 2);
  EXPECT_TRUE(fake->events.empty()) << "the events are destroyed";
  EXPECT_TRUE(takeKernelTimes().empty()) << "taken once";

  setKernelTiming(false);
  launchLikeGeneratedCode(module, "add");
  EXPECT_TRUE(takeKernelTimes().empty());
  EXPECT_FALSE(hasError());
}

TEST_F(CudaRuntimeTest, KernelTimingFailuresAreLatched) {
  void *module = loadKernels();
  setKernelTiming(true);
  launchLikeGeneratedCode(module, "add");
  fake->failNext("cuEventElapsedTime_v2",
                 qtensor::cuda::driver::CUDA_ERROR_INVALID_HANDLE);
  EXPECT_TRUE(takeKernelTimes().empty());
  std::optional<std::string> error = takeError();
  ASSERT_TRUE(error);
  EXPECT_EQ(error->rfind("cuEventElapsedTime: CUDA_ERROR_INVALID_HANDLE", 0),
            0u)
      << *error;
}

//===----------------------------------------------------------------------===//
// Launch capture (CUDA graphs)
//===----------------------------------------------------------------------===//

namespace {

size_t replayedLaunches(const FakeCudaState &fake) {
  size_t replayed = 0;
  for (const qtensor::cuda::fake::Launch &launch : fake.launches)
    replayed += launch.replayed;
  return replayed;
}

} // namespace

TEST_F(CudaRuntimeTest, LaunchCaptureRecordsTheKernelsOfCallsAndReplaysThem) {
  setMemoryPoolLimit(1 << 20);
  void *module = loadKernels();
  void *deviceStream = mgpuStreamCreate();
  ASSERT_TRUE(beginLaunchCapture()) << takeError().value_or("");
  ASSERT_EQ(fake->captures.size(), 1u);
  void *captureStream = fake->captures.begin()->first;
  EXPECT_NE(captureStream, deviceStream);
  // Relaxed: the calls' own allocations and synchronizations go on working
  // (the fake refuses them under the strict modes).
  EXPECT_EQ(fake->captures.begin()->second.mode,
            driver::CU_STREAM_CAPTURE_MODE_RELAXED);
  callWithTemporary(module);
  callWithTemporary(module);
  ASSERT_FALSE(hasError()) << takeError().value_or("");
  // The calls ran as usual, on the device's stream.
  ASSERT_EQ(fake->launches.size(), 4u);
  for (const qtensor::cuda::fake::Launch &launch : fake->launches)
    EXPECT_EQ(launch.stream, deviceStream);
  // The first call's buffer is held for the graph, not reused.
  EXPECT_EQ(fake->callCount("cuMemAlloc_v2"), 2);
  EXPECT_EQ(counters().freesCached, 0u);

  std::unique_ptr<LaunchGraph> graph = endLaunchCapture();
  ASSERT_NE(graph, nullptr) << takeError().value_or("");
  EXPECT_EQ(graph->kernels(), 4u);
  EXPECT_TRUE(fake->captures.empty());
  EXPECT_EQ(fake->streams.count(captureStream), 0u) << "destroyed";
  EXPECT_EQ(fake->allocations.size(), 2u);

  std::vector<float> times = graph->replay(3);
  ASSERT_EQ(times.size(), 3u);
  // One fake tick between the events that bracket each replay.
  for (float time : times)
    EXPECT_FLOAT_EQ(time,
                    static_cast<float>(qtensor::cuda::fake::kFakeEventTickMs));
  EXPECT_EQ(fake->graphLaunches, 3);
  EXPECT_EQ(replayedLaunches(*fake), 12u);
  EXPECT_EQ(fake->launches.back().function, "scale");
  EXPECT_EQ(fake->launches.back().stream, deviceStream);
  EXPECT_TRUE(fake->events.empty());
  RuntimeCounters count = counters();
  EXPECT_EQ(count.launches, 4u);
  EXPECT_EQ(count.launchesCaptured, 4u);
  EXPECT_EQ(count.graphReplays, 3u);

  // Destroying the graph hands its buffers to the pool.
  graph.reset();
  EXPECT_TRUE(fake->graphs.empty());
  EXPECT_TRUE(fake->graphExecs.empty());
  EXPECT_EQ(counters().freesCached, 2u);
  // Launches after the capture are not captured.
  launchLikeGeneratedCode(module, "add");
  EXPECT_EQ(counters().launchesCaptured, 4u);
  EXPECT_FALSE(hasError());
}

TEST_F(CudaRuntimeTest, LaunchCaptureMisuseIsAnError) {
  EXPECT_EQ(endLaunchCapture(), nullptr);
  EXPECT_EQ(takeError(), "endLaunchCapture: no launch capture is running");

  ASSERT_TRUE(beginLaunchCapture());
  EXPECT_FALSE(beginLaunchCapture());
  EXPECT_EQ(takeError(),
            "launch capture: a capture is running already (on GPU 0)");
  std::unique_ptr<LaunchGraph> graph = endLaunchCapture();
  ASSERT_NE(graph, nullptr) << takeError().value_or("");
  EXPECT_EQ(graph->kernels(), 0u);
  EXPECT_EQ(graph->replay(1).size(), 1u);
  EXPECT_FALSE(hasError());
}

TEST_F(CudaRuntimeTest, LaunchCaptureDriverFailuresAreLatched) {
  void *module = loadKernels();
  auto expectError = [&](const std::string &prefix) {
    std::optional<std::string> error = takeError();
    ASSERT_TRUE(error) << "expected " << prefix;
    EXPECT_EQ(error->rfind(prefix, 0), 0u) << *error;
    EXPECT_TRUE(fake->captures.empty());
    EXPECT_EQ(fake->streams.size(), 1u) << "the capture stream is destroyed";
    EXPECT_TRUE(fake->graphs.empty());
    EXPECT_TRUE(fake->graphExecs.empty());
  };

  fake->failNext("cuStreamBeginCapture_v2", driver::CUDA_ERROR_NOT_SUPPORTED);
  EXPECT_FALSE(beginLaunchCapture());
  expectError("cuStreamBeginCapture: CUDA_ERROR_NOT_SUPPORTED (operation not "
              "supported)");

  // The call's own launch succeeds, its captured copy fails: the graph is
  // not made and the held buffer is released.
  ASSERT_TRUE(beginLaunchCapture());
  fake->failNext("cuLaunchKernel", driver::CUDA_ERROR_INVALID_VALUE,
                 /*times=*/1, /*skipped=*/1);
  callWithTemporary(module);
  // The caller of the failed call takes the error; the end of the capture
  // reports it again.
  std::optional<std::string> callError = takeError();
  ASSERT_TRUE(callError);
  EXPECT_EQ(endLaunchCapture(), nullptr);
  expectError(*callError);
  EXPECT_EQ(*callError, "cuLaunchKernel: CUDA_ERROR_INVALID_VALUE (invalid "
                        "argument), capturing 'add' into a launch graph");
  EXPECT_TRUE(fake->allocations.empty()) << "the held buffer is freed";

  // The call's own launch fails (so nothing is captured) and its caller
  // takes the error: the capture still knows the graph is incomplete.
  ASSERT_TRUE(beginLaunchCapture());
  fake->failNext("cuLaunchKernel", driver::CUDA_ERROR_LAUNCH_FAILED);
  callWithTemporary(module);
  callError = takeError();
  ASSERT_TRUE(callError);
  launchLikeGeneratedCode(module, "add"); // a later call that works
  EXPECT_EQ(endLaunchCapture(), nullptr);
  expectError(*callError);

  for (const char *entryPoint : {"cuStreamEndCapture", "cuGraphGetNodes",
                                 "cuGraphInstantiateWithFlags"}) {
    SCOPED_TRACE(entryPoint);
    ASSERT_TRUE(beginLaunchCapture());
    callWithTemporary(module);
    fake->failNext(entryPoint, driver::CUDA_ERROR_OUT_OF_MEMORY);
    EXPECT_EQ(endLaunchCapture(), nullptr);
    std::string name = entryPoint;
    if (name == "cuGraphInstantiateWithFlags")
      name = "cuGraphInstantiate";
    expectError(name + ": CUDA_ERROR_OUT_OF_MEMORY (out of memory)");
    EXPECT_TRUE(fake->allocations.empty());
  }

  ASSERT_TRUE(beginLaunchCapture());
  launchLikeGeneratedCode(module, "add");
  std::unique_ptr<LaunchGraph> graph = endLaunchCapture();
  ASSERT_NE(graph, nullptr);
  fake->failNext("cuGraphLaunch", driver::CUDA_ERROR_LAUNCH_FAILED);
  EXPECT_TRUE(graph->replay(4).empty());
  std::optional<std::string> error = takeError();
  EXPECT_EQ(error, "cuGraphLaunch: CUDA_ERROR_LAUNCH_FAILED (unspecified "
                   "launch failure)");
  EXPECT_TRUE(fake->events.empty());
  EXPECT_EQ(fake->graphLaunches, 0);
}

TEST_F(CudaRuntimeTest, AGraphOutlivingAResetReportsIt) {
  void *module = loadKernels();
  ASSERT_TRUE(beginLaunchCapture());
  launchLikeGeneratedCode(module, "add");
  std::unique_ptr<LaunchGraph> graph = endLaunchCapture();
  ASSERT_NE(graph, nullptr);
  resetForTesting();
  EXPECT_TRUE(graph->replay(1).empty());
  EXPECT_EQ(takeError(), "LaunchGraph::replay: the graph belongs to a CUDA "
                         "runtime that was reset");
  graph.reset(); // touches nothing of the new runtime
  EXPECT_FALSE(hasError());
}

TEST_F(CudaRuntimeTest, ADriverWithoutGraphsStillRunsKernels) {
  void *handle = nullptr;
  FakeCudaState *old = qtensor::cuda::fake::openFakeDriver(
      QTENSOR_FAKE_CUDA_DRIVER_NO_GRAPHS, handle);
  ASSERT_NE(old, nullptr) << dlerror();
  resetForTesting();
  old->reset();
  EXPECT_FALSE(beginLaunchCapture());
  EXPECT_EQ(takeError(), "launch capture: the CUDA driver has no "
                         "cuStreamBeginCapture_v2");
  void *module = loadKernels();
  launchLikeGeneratedCode(module, "add");
  EXPECT_FALSE(hasError()) << takeError().value_or("");
  EXPECT_EQ(old->launches.size(), 1u);
  resetForTesting();
  old->reset();
  dlclose(handle);
  setenv("QTENSOR_CUDA_DRIVER", QTENSOR_FAKE_CUDA_DRIVER, 1);
}

//===----------------------------------------------------------------------===//
// Device memory pool
//===----------------------------------------------------------------------===//

TEST_F(CudaRuntimeTest, FreedBlocksAreReusedForTheSameSize) {
  setMemoryPoolLimit(1 << 20);
  void *first = mgpuMemAlloc(4096, nullptr, false);
  ASSERT_NE(first, nullptr);
  mgpuMemFree(first, nullptr);
  EXPECT_EQ(fake->callCount("cuMemFree_v2"), 0) << "kept, not freed";
  EXPECT_EQ(mgpuMemAlloc(4096, nullptr, false), first);
  EXPECT_EQ(fake->callCount("cuMemAlloc_v2"), 1);
  void *other = mgpuMemAlloc(8192, nullptr, false);
  EXPECT_NE(other, first);
  EXPECT_EQ(fake->callCount("cuMemAlloc_v2"), 2) << "another size";
  mgpuMemFree(first, nullptr);
  mgpuMemFree(other, nullptr);
  RuntimeCounters count = counters();
  EXPECT_EQ(count.allocations, 2u);
  EXPECT_EQ(count.allocationsReused, 1u);
  EXPECT_EQ(count.freesCached, 3u);
  EXPECT_EQ(count.frees, 0u);
  EXPECT_EQ(releaseCachedMemory(), 4096u + 8192u);
  EXPECT_EQ(fake->callCount("cuMemFree_v2"), 2);
  EXPECT_TRUE(fake->allocations.empty());
  EXPECT_FALSE(hasError());
}

TEST_F(CudaRuntimeTest, ThePoolKeepsAtMostItsLimit) {
  setMemoryPoolLimit(6000);
  void *a = mgpuMemAlloc(4096, nullptr, false);
  void *b = mgpuMemAlloc(4096, nullptr, false);
  mgpuMemFree(a, nullptr);
  mgpuMemFree(b, nullptr); // would exceed 6000 bytes: freed
  EXPECT_EQ(fake->callCount("cuMemFree_v2"), 1);
  // Managed memory is never kept.
  void *managed = mgpuMemAlloc(64, nullptr, true);
  mgpuMemFree(managed, nullptr);
  EXPECT_EQ(fake->callCount("cuMemFree_v2"), 2);
  // Lowering the limit frees what no longer fits.
  setMemoryPoolLimit(0);
  EXPECT_EQ(fake->callCount("cuMemFree_v2"), 3);
  EXPECT_TRUE(fake->allocations.empty());
}
