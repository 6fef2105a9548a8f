//===- ModelCudaTest.cpp - the JIT and AOT runtimes on a (fake) GPU -------===//
//
// Models compiled for CUDA, run against the fake libcuda.so.1: what the
// runtimes ask of the driver (modules loaded once, parameters uploaded once,
// one launch per kernel and call, no stream per launch), the fallbacks and
// errors of target selection, and driver failures as error values. The fake
// runs no kernels, so results are checked for shape only; their values are
// checked on the CPU (emulated kernels) and on real GPUs (bench/gpu_check.sh).
//
//===----------------------------------------------------------------------===//

#include "qtensor/Passes/GpuPipeline.h"
#include "qtensor/Runtime/Artifact.h"
#include "qtensor/Runtime/CudaRuntime.h"
#include "qtensor/Runtime/Runtime.h"

#include "FakeCudaDriver.h"

#include "gtest/gtest.h"

#include <cstdlib>
#include <dlfcn.h>
#include <filesystem>
#include <fstream>
#include <sstream>

using qtensor::cuda::fake::FakeCudaState;

namespace {

constexpr int kCudaErrorLaunchFailed = 719;
constexpr int kCudaErrorInvalidImage = 200;

std::string modelPath(const std::string &name) {
  const char *directory = std::getenv("QTENSOR_TEST_MODELS");
  return std::string(directory ? directory : ".") + "/" + name + ".pt";
}

class ModelCudaTest : public ::testing::Test {
protected:
  void SetUp() override {
    fake =
        qtensor::cuda::fake::openFakeDriver(QTENSOR_FAKE_CUDA_DRIVER, driver);
    ASSERT_NE(fake, nullptr) << dlerror();
    qtensor::cuda::resetForTesting();
    fake->reset();
    qtensor::clearCompileCache();
    options.inputs = {qtensor::InputSpec::fromShape({-1, 64})};
  }

  void TearDown() override {
    qtensor::cuda::resetForTesting();
    if (fake)
      fake->reset();
    if (driver)
      dlclose(driver);
    unsetenv("QTENSOR_CUDA_DRIVER");
  }

  /// Runs `model` on a batch of `rows` zeros.
  template <typename Runnable>
  qtensor::Status runBatch(const Runnable &model, int64_t rows,
                           std::vector<qtensor::Tensor> &outputs) {
    input.assign(rows * 64, 0.0f);
    return model.run({{input.data(), qtensor::DType::F32, {rows, 64}}},
                     outputs);
  }

  /// Compiles the ToyModel for CUDA into a directory of this process named
  /// after `tag`; returns the directory.
  std::filesystem::path
  compileToyArtifact(const std::string &tag,
                     const qtensor::ArtifactOptions &artifactOptions,
                     qtensor::Status &status) {
    std::filesystem::path directory =
        std::filesystem::temp_directory_path() /
        ("qtensor-model-cuda-" + tag + "-" + std::to_string(getpid()) + ".qta");
    options.target = qtensor::Target::Cuda;
    status = qtensor::compileArtifact(modelPath("toy"), options,
                                      artifactOptions, directory.string());
    return directory;
  }

  void *driver = nullptr;
  FakeCudaState *fake = nullptr;
  qtensor::CompileOptions options;
  std::vector<float> input;
};

TEST_F(ModelCudaTest, AutoPicksTheGpuAndUploadsParametersOnce) {
  std::shared_ptr<qtensor::Model> model;
  qtensor::Status status =
      qtensor::Model::compile(modelPath("toy"), options, model);
  ASSERT_TRUE(status) << status.message();
  EXPECT_EQ(model->targetDescription(), "cuda sm_90 (Fake H200)");
  EXPECT_EQ(model->targetReason(),
            "target auto chose cuda: GPU 0: Fake H200, sm_90 (CUDA driver "
            "13.0)");
  // The ToyModel: two linears, each int8 data + scale (+ bias).
  size_t parameters = model->parameters().size();
  ASSERT_GE(parameters, 4u);
  qtensor::cuda::RuntimeCounters compiled = qtensor::cuda::counters();
  // One load per gpu.module, at compile time.
  ASSERT_GT(compiled.moduleLoads, 0u);
  EXPECT_EQ(compiled.parameterUploads, parameters);
  EXPECT_EQ(compiled.launches, 0u);

  std::vector<qtensor::Tensor> outputs;
  for (int64_t rows : {1, 7, 300}) {
    ASSERT_TRUE(runBatch(*model, rows, outputs));
    ASSERT_EQ(outputs.size(), 1u);
    EXPECT_EQ(outputs[0].shape, (std::vector<int64_t>{rows, 32}));
  }
  qtensor::cuda::RuntimeCounters ran = qtensor::cuda::counters();
  EXPECT_EQ(ran.moduleLoads, compiled.moduleLoads);
  // Per call: the input, the result and the intermediate buffers, all from
  // the pool after the first call of each batch size.
  ASSERT_TRUE(runBatch(*model, 7, outputs));
  qtensor::cuda::RuntimeCounters again = qtensor::cuda::counters();
  EXPECT_EQ(again.allocations, ran.allocations) << "no cuMemAlloc per call";
  EXPECT_GT(again.allocationsReused, ran.allocationsReused);
  EXPECT_EQ(ran.parameterUploads, parameters) << "parameters uploaded again";
  EXPECT_EQ(ran.streamsCreated, 1u);
  EXPECT_EQ(ran.errorsLatched, 0u);
  // At least one kernel per linear and call, all from the loaded module.
  EXPECT_GE(ran.launches, 3u * 2u);
  EXPECT_EQ(ran.launches % 3u, 0u) << "every call launches the same kernels";
  for (const auto &launch : fake->launches)
    EXPECT_NE(launch.function.find("linear"), std::string::npos)
        << launch.function;
}

TEST_F(ModelCudaTest, ACapturedCallReplaysTheKernelsItLaunched) {
  std::shared_ptr<qtensor::Model> model;
  qtensor::Status status =
      qtensor::Model::compile(modelPath("toy"), options, model);
  ASSERT_TRUE(status) << status.message();
  std::vector<qtensor::Tensor> outputs;
  ASSERT_TRUE(runBatch(*model, 7, outputs)); // buffers into the pool
  size_t before = fake->launches.size();
  qtensor::cuda::RuntimeCounters warm = qtensor::cuda::counters();

  // Generated host code (allocations, copies, synchronizations, frees)
  // runs under the capture.
  ASSERT_TRUE(qtensor::cuda::beginLaunchCapture());
  status = runBatch(*model, 7, outputs);
  ASSERT_TRUE(status) << status.message();
  std::unique_ptr<qtensor::cuda::LaunchGraph> graph =
      qtensor::cuda::endLaunchCapture();
  ASSERT_NE(graph, nullptr) << qtensor::cuda::takeError().value_or("");
  EXPECT_EQ(outputs[0].shape, (std::vector<int64_t>{7, 32}));
  size_t launched = fake->launches.size() - before;
  ASSERT_GE(launched, 2u);
  EXPECT_EQ(graph->kernels(), launched);
  qtensor::cuda::RuntimeCounters captured = qtensor::cuda::counters();
  EXPECT_EQ(captured.freesCached, warm.freesCached)
      << "the call's buffers are held by the graph";

  ASSERT_EQ(graph->replay(2).size(), 2u);
  ASSERT_EQ(fake->launches.size(), before + 3 * launched);
  for (size_t replay = 1; replay <= 2; ++replay)
    for (size_t i = 0; i < launched; ++i) {
      const qtensor::cuda::fake::Launch &ran = fake->launches[before + i];
      const qtensor::cuda::fake::Launch &replayed =
          fake->launches[before + replay * launched + i];
      EXPECT_TRUE(replayed.replayed);
      EXPECT_EQ(replayed.function, ran.function);
      EXPECT_EQ(replayed.stream, ran.stream);
      for (int d = 0; d < 3; ++d) {
        EXPECT_EQ(replayed.grid[d], ran.grid[d]);
        EXPECT_EQ(replayed.block[d], ran.block[d]);
      }
    }
  graph.reset();
  EXPECT_GT(qtensor::cuda::counters().freesCached, captured.freesCached);
  EXPECT_FALSE(qtensor::cuda::hasError());
}

TEST_F(ModelCudaTest, DriverFailuresAreErrorValues) {
  std::shared_ptr<qtensor::Model> model;
  ASSERT_TRUE(qtensor::Model::compile(modelPath("toy"), options, model));
  std::vector<qtensor::Tensor> outputs;
  fake->failNext("cuLaunchKernel", kCudaErrorLaunchFailed);
  qtensor::Status status = runBatch(*model, 2, outputs);
  ASSERT_FALSE(status);
  EXPECT_NE(status.message().find("running the model on the GPU"),
            std::string::npos)
      << status.message();
  EXPECT_NE(status.message().find("CUDA_ERROR_LAUNCH_FAILED"),
            std::string::npos)
      << status.message();
  EXPECT_TRUE(outputs.empty());
  // The error was taken: the next call runs.
  EXPECT_TRUE(runBatch(*model, 2, outputs));
}

TEST_F(ModelCudaTest, ModuleLoadFailureIsACompileError) {
  fake->failNext("cuModuleLoadDataEx", kCudaErrorInvalidImage);
  std::shared_ptr<qtensor::Model> model;
  qtensor::Status status =
      qtensor::Model::compile(modelPath("toy"), options, model);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.message().rfind("loading the GPU code: ", 0), 0u)
      << status.message();
  EXPECT_NE(status.message().find("CUDA_ERROR_INVALID_IMAGE"),
            std::string::npos)
      << status.message();
}

TEST_F(ModelCudaTest, GpusBeforeSm80FallBackOrFail) {
  fake->computeCapabilityMajor = 7;
  fake->computeCapabilityMinor = 5;
  std::shared_ptr<qtensor::Model> model;
  ASSERT_TRUE(qtensor::Model::compile(modelPath("toy"), options, model));
  EXPECT_EQ(model->targetReason(),
            "target auto chose cpu: GPU 0: Fake H200, sm_75 (CUDA driver "
            "13.0); qtensor's GPU code needs sm_80 or newer");
  options.target = qtensor::Target::Cuda;
  EXPECT_EQ(qtensor::Model::compile(modelPath("toy"), options, model).message(),
            "target cuda: GPU 0: Fake H200, sm_75 (CUDA driver 13.0); "
            "qtensor's GPU code needs sm_80 or newer");
}

TEST_F(ModelCudaTest, NewerGpusRunSm90Ptx) {
  fake->computeCapabilityMajor = 10;
  fake->computeCapabilityMinor = 0;
  std::shared_ptr<qtensor::Model> model;
  ASSERT_TRUE(qtensor::Model::compile(modelPath("toy"), options, model));
  EXPECT_EQ(model->targetDescription().rfind("cuda sm_90 (", 0), 0u)
      << model->targetDescription();
}

TEST_F(ModelCudaTest, ArtifactRunsOnTheGpuAndUploadsEachParameterSetOnce) {
  qtensor::ArtifactOptions artifactOptions;
  artifactOptions.gpuBinary = "isa"; // no toolkit needed (fatbins: below)
  qtensor::Status status;
  std::filesystem::path directory =
      compileToyArtifact("test", artifactOptions, status);
  ASSERT_TRUE(status) << status.message();
  {
    std::shared_ptr<qtensor::Artifact> artifact;
    status = qtensor::Artifact::load(directory.string(), artifact);
    ASSERT_TRUE(status) << status.message();
    size_t parameters = artifact->parameters().size();
    uint64_t moduleLoads = qtensor::cuda::counters().moduleLoads;
    ASSERT_GT(moduleLoads, 0u);
    EXPECT_EQ(qtensor::cuda::counters().parameterUploads, parameters);
    std::vector<qtensor::Tensor> outputs;
    ASSERT_TRUE(runBatch(*artifact, 5, outputs));
    ASSERT_TRUE(runBatch(*artifact, 5, outputs));
    EXPECT_EQ(outputs[0].shape, (std::vector<int64_t>{5, 32}));
    EXPECT_EQ(qtensor::cuda::counters().parameterUploads, parameters);
    // New parameters: one more upload each, then none per call.
    ASSERT_TRUE(artifact->setParameters((directory / "weights.bin").string()));
    ASSERT_TRUE(runBatch(*artifact, 5, outputs));
    EXPECT_EQ(qtensor::cuda::counters().parameterUploads, 2 * parameters);
    EXPECT_EQ(qtensor::cuda::counters().moduleLoads, moduleLoads);
    EXPECT_EQ(qtensor::cuda::counters().errorsLatched, 0u);
  }
  // sm_90a code runs on sm_90 only; plain sm_90 PTX on newer GPUs too.
  fake->computeCapabilityMajor = 10;
  {
    std::shared_ptr<qtensor::Artifact> artifact;
    EXPECT_TRUE(qtensor::Artifact::load(directory.string(), artifact));
  }
  artifactOptions.chip = "sm_90a";
  std::string specific = directory.string() + "a";
  ASSERT_TRUE(qtensor::compileArtifact(modelPath("toy"), options,
                                       artifactOptions, specific));
  {
    std::shared_ptr<qtensor::Artifact> artifact;
    EXPECT_EQ(qtensor::Artifact::load(specific, artifact).message(),
              "artifact '" + specific +
                  "' targets cuda:sm_90a (isa), which cannot run on GPU 0: "
                  "Fake H200, sm_100 (CUDA driver 13.0)");
  }
  std::filesystem::remove_all(specific);
  // An sm_90 binary does not run on an sm_80 GPU.
  fake->computeCapabilityMajor = 8;
  {
    std::shared_ptr<qtensor::Artifact> artifact;
    EXPECT_EQ(qtensor::Artifact::load(directory.string(), artifact).message(),
              "artifact '" + directory.string() +
                  "' targets cuda:sm_90 (isa), which cannot run on GPU 0: "
                  "Fake H200, sm_80 (CUDA driver 13.0)");
  }
  std::filesystem::remove_all(directory);
}

TEST_F(ModelCudaTest, FatbinArtifactsLoadTheirCubins) {
  if (!mlir::qtensor::findCudaTool("ptxas", "") ||
      !mlir::qtensor::findCudaTool("fatbinary", ""))
    GTEST_SKIP() << "the CUDA toolkit (ptxas, fatbinary) is not installed";
  qtensor::ArtifactOptions artifactOptions;
  artifactOptions.gpuBinary = "fatbin";
  qtensor::Status status;
  std::filesystem::path directory =
      compileToyArtifact("fatbin", artifactOptions, status);
  ASSERT_TRUE(status) << status.message();
  {
    // The fake takes the kernels from the fatbins' sm_90 cubins.
    std::shared_ptr<qtensor::Artifact> artifact;
    status = qtensor::Artifact::load(directory.string(), artifact);
    ASSERT_TRUE(status) << status.message();
    std::vector<qtensor::Tensor> outputs;
    ASSERT_TRUE(runBatch(*artifact, 5, outputs));
    EXPECT_EQ(outputs[0].shape, (std::vector<int64_t>{5, 32}));
    ASSERT_FALSE(fake->launches.empty());
    for (const auto &launch : fake->launches)
      EXPECT_NE(launch.function.find("linear"), std::string::npos)
          << launch.function;
  }
  // A manifest that claims sm_80 gets past the artifact's own check on an
  // sm_80 GPU; the driver then finds neither an sm_80 cubin nor PTX it can
  // compile for sm_80 in the sm_90 fatbins, and the load is an error. (A
  // copy: a loaded artifact's library stays loaded, and loading its path
  // again would not load its GPU code again.)
  std::filesystem::path copy = directory.string() + "-sm80";
  std::filesystem::copy(directory, copy);
  std::filesystem::path manifest = copy / "manifest.json";
  std::stringstream text;
  text << std::ifstream(manifest).rdbuf();
  std::string edited = text.str();
  size_t chip = edited.find("\"sm_90\"");
  ASSERT_NE(chip, std::string::npos);
  edited.replace(chip, 7, "\"sm_80\"");
  std::ofstream(manifest) << edited;
  fake->computeCapabilityMajor = 8;
  {
    std::shared_ptr<qtensor::Artifact> artifact;
    std::string message =
        qtensor::Artifact::load(copy.string(), artifact).message();
    EXPECT_NE(message.find("CUDA_ERROR_NO_BINARY_FOR_GPU (no kernel image "
                           "is available for execution on the device)"),
              std::string::npos)
        << message;
  }
  std::filesystem::remove_all(directory);
  std::filesystem::remove_all(copy);
}

} // namespace
