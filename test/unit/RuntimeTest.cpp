//===- RuntimeTest.cpp - the C++ runtime API end to end -------------------===//
//
// Compiles the fixture models of test/Importer/make_models.py and
// make_input_models.py (written by the runtime-models and
// runtime-input-models ctest fixtures into $QTENSOR_TEST_MODELS) and checks
// results against LibTorch, the compile cache, concurrent calls and misuse.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Runtime/Runtime.h"
#include "qtensor/Reference/TorchReference.h"
#include "qtensor/Runtime/Artifact.h"
#include "qtensor/Runtime/TorchInterop.h"

#include <ATen/Parallel.h>
#include <torch/script.h>

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

namespace {

std::string modelPath(const std::string &name) {
  const char *dir = std::getenv("QTENSOR_TEST_MODELS");
  return std::string(dir ? dir : "QTENSOR_TEST_MODELS-unset") + "/" + name +
         ".pt";
}

std::shared_ptr<qtensor::Model> compileOrFail(
    const std::string &name, std::vector<std::vector<int64_t>> shapes,
    qtensor::QuantScheme quantization = qtensor::QuantScheme::int8()) {
  qtensor::CompileOptions options;
  for (const std::vector<int64_t> &shape : shapes)
    options.inputs.push_back(qtensor::InputSpec::fromShape(shape));
  options.quantization = quantization;
  std::shared_ptr<qtensor::Model> model;
  qtensor::Status status =
      qtensor::Model::compile(modelPath(name), options, model);
  EXPECT_TRUE(status) << status.message();
  return model;
}

/// Our result against the oracle of the scheme `model` was compiled with:
/// the seed's module swap (int8) or the float model (none).
void expectMatchesLibTorch(
    const std::string &name, qtensor::Model &model,
    const std::vector<at::Tensor> &inputs,
    qtensor::QuantScheme scheme = qtensor::QuantScheme::int8()) {
  torch::jit::Module module = torch::jit::load(modelPath(name));
  module.eval();
  std::string problem;
  torch::jit::Module oracle =
      qtensor::reference::oracleFor(scheme, module, model, problem);
  ASSERT_EQ(problem, "");
  std::vector<at::Tensor> expected =
      qtensor::reference::runTorch(oracle, inputs);
  std::vector<at::Tensor> actual;
  qtensor::Status status = qtensor::run(model, inputs, actual);
  ASSERT_TRUE(status) << status.message();
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    qtensor::reference::Agreement agreement =
        qtensor::reference::compare(actual[i], expected[i]);
    EXPECT_TRUE(agreement.close)
        << name << " result " << i << ": max abs error "
        << agreement.maxAbsError << ", max rel error " << agreement.maxRelError;
  }
}

TEST(RuntimeTest, ModelsMatchLibTorchQuantizedAndNot) {
  struct Case {
    std::string name;
    std::vector<int64_t> shape;
  } cases[] = {{"toy", {64, 64, 64}},
               {"mlp4d", {2, 3, 5, 13}},
               {"functional", {9, 24}},
               {"matmul_t", {3, 7, 20}}};
  for (const Case &c : cases) {
    SCOPED_TRACE(c.name);
    at::manual_seed(1);
    std::vector<at::Tensor> inputs = {at::randn(c.shape)};
    for (auto quantization :
         {qtensor::QuantScheme::int8(), qtensor::QuantScheme::none()}) {
      auto model = compileOrFail(c.name, {c.shape}, quantization);
      ASSERT_TRUE(model);
      expectMatchesLibTorch(c.name, *model, inputs, quantization);
    }
  }
}

TEST(ReferenceTest, SchemesWithoutAnOracleAreRefused) {
  auto model = compileOrFail("functional", {{2, 24}});
  ASSERT_TRUE(model);
  torch::jit::Module module = torch::jit::load(modelPath("functional"));
  for (qtensor::QuantScheme scheme :
       {qtensor::QuantScheme::int4(128), qtensor::QuantScheme::w8a8()}) {
    std::string problem;
    (void)qtensor::reference::oracleFor(scheme, module, *model, problem);
    EXPECT_EQ(problem, "no LibTorch reference for quantization scheme '" +
                           scheme.str() + "' yet");
  }
}

TEST(RuntimeTest, DynamicBatchCompilesOnceAndRunsAnySize) {
  auto model = compileOrFail("functional", {{-1, 24}});
  ASSERT_TRUE(model);
  qtensor::CacheStats before = qtensor::getCacheStats();
  for (int64_t rows : {0, 1, 5, 33, 64}) {
    SCOPED_TRACE(rows);
    at::manual_seed(rows);
    expectMatchesLibTorch("functional", *model, {at::randn({rows, 24})});
  }
  // The same request again is a cache hit, not a second compile.
  auto again = compileOrFail("functional", {{-1, 24}});
  EXPECT_EQ(qtensor::getCacheStats().hits, before.hits + 1);
  EXPECT_EQ(qtensor::getCacheStats().misses, before.misses);
}

TEST(RuntimeTest, CacheKeyIncludesShapesAndOptions) {
  qtensor::CacheStats start = qtensor::getCacheStats();
  auto int8 = compileOrFail("matmul_t", {{5, 20}});
  auto none =
      compileOrFail("matmul_t", {{5, 20}}, qtensor::QuantScheme::none());
  auto otherShape = compileOrFail("matmul_t", {{6, 20}});
  EXPECT_EQ(qtensor::getCacheStats().misses, start.misses + 3);
  auto int8Again = compileOrFail("matmul_t", {{5, 20}});
  EXPECT_EQ(qtensor::getCacheStats().hits, start.hits + 1);
  EXPECT_EQ(int8Again->parameters().front().data,
            int8->parameters().front().data);
}

TEST(RuntimeTest, ParallelResultsDoNotDependOnTheThreadCount) {
  // ToyModel: N = 128 and 32, both split into parallel column chunks.
  qtensor::CompileOptions options;
  options.inputs = {qtensor::InputSpec::fromShape({-1, 64})};
  std::shared_ptr<qtensor::Model> parallel, serial;
  qtensor::Status status =
      qtensor::Model::compile(modelPath("toy"), options, parallel);
  ASSERT_TRUE(status) << status.message();
  options.parallel = false;
  status = qtensor::Model::compile(modelPath("toy"), options, serial);
  ASSERT_TRUE(status) << status.message();

  at::manual_seed(5);
  at::Tensor input = at::randn({37, 64});
  auto runOnce = [&](const qtensor::Model &model) {
    std::vector<at::Tensor> outputs;
    qtensor::Status runStatus = qtensor::run(model, {input}, outputs);
    EXPECT_TRUE(runStatus) << runStatus.message();
    return outputs.empty() ? at::Tensor() : outputs.front();
  };
  at::Tensor reference = runOnce(*serial);
  ASSERT_TRUE(reference.defined());
  // The JIT loaded libomp for the parallel model; vary its thread count.
  using SetThreads = void (*)(int);
  auto setThreads =
      reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "omp_set_num_threads"));
  ASSERT_NE(setThreads, nullptr) << "libomp is not loaded";
  for (int threads : {1, 2, 3, 8}) {
    SCOPED_TRACE(threads);
    setThreads(threads);
    at::Tensor result = runOnce(*parallel);
    ASSERT_TRUE(result.defined());
    EXPECT_TRUE(at::equal(result, reference));
  }
}

TEST(RuntimeTest, ConcurrentCallsGiveIdenticalResults) {
  auto model = compileOrFail("mlp4d", {{-1, 3, 5, 13}});
  ASSERT_TRUE(model);
  at::manual_seed(3);
  at::Tensor input = at::randn({7, 3, 5, 13});
  std::vector<at::Tensor> expected;
  ASSERT_TRUE(qtensor::run(*model, {input}, expected));
  constexpr int kThreads = 8, kCalls = 250;
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int call = 0; call < kCalls; ++call) {
        std::vector<at::Tensor> actual;
        if (!qtensor::run(*model, {input}, actual) ||
            !at::equal(actual[0], expected[0]))
          ++mismatches[t];
      }
    });
  for (std::thread &thread : threads)
    thread.join();
  for (int t = 0; t < kThreads; ++t)
    EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

TEST(RuntimeTest, ConcurrentRawCallsGiveIdenticalResults) {
  // The raw-buffer API only, so that a ThreadSanitizer build sees qtensor's
  // own code (LibTorch is not instrumented):
  //   ctest --test-dir build-tsan -R ConcurrentRaw
  auto model = compileOrFail("toy", {{-1, 64}});
  ASSERT_TRUE(model);
  std::vector<float> input(5 * 64);
  for (size_t i = 0; i < input.size(); ++i)
    input[i] = static_cast<float>(i % 13) * 0.25f - 1.5f;
  std::vector<qtensor::Tensor> expected;
  ASSERT_TRUE(
      model->run({{input.data(), qtensor::DType::F32, {5, 64}}}, expected));
  constexpr int kThreads = 4, kCalls = 500;
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int call = 0; call < kCalls; ++call) {
        std::vector<qtensor::Tensor> actual;
        if (!model->run({{input.data(), qtensor::DType::F32, {5, 64}}},
                        actual) ||
            actual[0].bytes != expected[0].bytes)
          ++mismatches[t];
      }
    });
  for (std::thread &thread : threads)
    thread.join();
  for (int t = 0; t < kThreads; ++t)
    EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

TEST(RuntimeTest, RawBufferApiMatchesTensorApi) {
  auto model = compileOrFail("matmul_t", {{2, 20}});
  ASSERT_TRUE(model);
  std::vector<float> input(40);
  for (size_t i = 0; i < input.size(); ++i)
    input[i] = 0.05f * static_cast<float>(i) - 1.0f;
  std::vector<qtensor::Tensor> raw;
  qtensor::Status status =
      model->run({{input.data(), qtensor::DType::F32, {2, 20}}}, raw);
  ASSERT_TRUE(status) << status.message();
  std::vector<at::Tensor> viaTorch;
  ASSERT_TRUE(qtensor::run(
      *model, {at::from_blob(input.data(), {2, 20}).clone()}, viaTorch));
  ASSERT_EQ(raw.size(), 1u);
  EXPECT_EQ(raw[0].shape, (std::vector<int64_t>{2, 12}));
  EXPECT_EQ(std::memcmp(raw[0].f32(), viaTorch[0].data_ptr<float>(),
                        raw[0].bytes.size()),
            0);
}

TEST(RuntimeTest, MisuseIsAnErrorValue) {
  auto model = compileOrFail("toy", {{-1, 64}});
  ASSERT_TRUE(model);
  std::vector<at::Tensor> outputs;
  auto message = [&](const std::vector<at::Tensor> &inputs) {
    qtensor::Status status = qtensor::run(*model, inputs, outputs);
    return status ? std::string("ok") : status.message();
  };
  EXPECT_EQ(message({}), "the model takes 1 inputs, got 0");
  EXPECT_EQ(message({at::randn({4, 64}), at::randn({4, 64})}),
            "the model takes 1 inputs, got 2");
  EXPECT_EQ(message({at::randn({4, 63})}),
            "input 0 has shape [4, 63], the model was compiled for [?, 64]");
  EXPECT_EQ(message({at::randn({2, 4, 64})}),
            "input 0 has shape [2, 4, 64], the model was compiled for [?, 64]");
  EXPECT_EQ(message({at::randn({4, 64}).to(at::kHalf)}),
            "input 0 has dtype f16, the model expects f32");
  EXPECT_EQ(message({at::ones({4, 64}, at::kLong)}),
            "input 0 has dtype i64, the model expects f32");
  EXPECT_EQ(message({at::ones({4, 64}, at::kDouble)}),
            "input 0 has dtype Double; expected float32, float16, bfloat16, "
            "int8, int32, int64 or bool");
  EXPECT_EQ(
      message({at::empty({4, 64}, at::TensorOptions().device(at::kMeta))}),
      "input 0 is on meta; give CPU tensors (a model compiled for CUDA "
      "copies them to the GPU itself)");
  EXPECT_EQ(message({at::Tensor()}), "input 0 is undefined");
  // A strided input is fine: it is made contiguous.
  EXPECT_EQ(message({at::randn({64, 4}).t()}), "ok");
  std::vector<qtensor::Tensor> raw;
  qtensor::Status noData =
      model->run({{nullptr, qtensor::DType::F32, {4, 64}}}, raw);
  EXPECT_EQ(noData.message(), "input 0 has no data");
}

TEST(RuntimeTest, DynamicBatchSizesMustAgree) {
  auto model = compileOrFail("two_inputs", {{-1, 8}, {-1, 8}});
  ASSERT_TRUE(model);
  std::vector<at::Tensor> outputs;
  qtensor::Status status =
      qtensor::run(*model, {at::randn({4, 8}), at::randn({2, 8})}, outputs);
  EXPECT_EQ(status.message(), "input 1 dimension 0 ('?') is 2, but 4 in "
                              "input 0: a dynamic size takes one value per "
                              "call");
  at::Tensor x = at::randn({3, 8}), y = at::randn({3, 8});
  expectMatchesLibTorch("two_inputs", *model, {x, y});
}

TEST(RuntimeTest, NamedDynamicSizes) {
  auto parse = [](const char *text) {
    qtensor::InputSpec spec;
    std::string problem;
    EXPECT_TRUE(
        qtensor::parseInputSpec(text, qtensor::DType::F32, spec, problem))
        << problem;
    return spec;
  };
  qtensor::CompileOptions options;
  options.target = qtensor::Target::Cpu;
  std::shared_ptr<qtensor::Model> model;
  // fc(x) + y adds the two batches: distinct names cannot meet there.
  options.inputs = {parse("Bx8"), parse("Cx8")};
  qtensor::Status refused =
      qtensor::Model::compile(modelPath("two_inputs"), options, model);
  EXPECT_NE(refused.message().find("dynamic sizes 'B' and 'C' meet in "
                                   "aten::add"),
            std::string::npos)
      << refused.message();
  // One name: one size per call, checked.
  options.inputs = {parse("Bx8"), parse("Bx8")};
  ASSERT_TRUE(qtensor::Model::compile(modelPath("two_inputs"), options, model));
  EXPECT_EQ(model->inputs()[1].str(), "Bx8:f32");
  std::vector<at::Tensor> outputs;
  EXPECT_EQ(
      qtensor::run(*model, {at::randn({4, 8}), at::randn({2, 8})}, outputs)
          .message(),
      "input 1 dimension 0 ('B') is 2, but 4 in input 0: a dynamic "
      "size takes one value per call");
  expectMatchesLibTorch("two_inputs", *model,
                        {at::randn({5, 8}), at::randn({5, 8})},
                        qtensor::QuantScheme::int8());
}

TEST(RuntimeTest, OneTensorReturnedTwiceIsCopiedTwice) {
  auto model = compileOrFail("same_twice", {{5, 8}});
  ASSERT_TRUE(model);
  for (int call = 0; call < 3; ++call) {
    std::vector<at::Tensor> outputs;
    ASSERT_TRUE(qtensor::run(*model, {at::randn({5, 8})}, outputs));
    ASSERT_EQ(outputs.size(), 2u);
    EXPECT_TRUE(at::equal(outputs[0], outputs[1]));
  }
}

/// The importer validates a .pt in a forked child. GNU OpenMP is not
/// fork-safe: once this process has run a parallel region, a parallel
/// region in the child waits for workers that do not exist there, and
/// freezing this model runs one (its 2^20-float buffer is folded).
TEST(RuntimeTest, CompilesAfterLibTorchRanInParallel) {
  int threads = at::get_num_threads();
  at::set_num_threads(2);
  at::Tensor big = at::linspace(0, 1, 1 << 22);
  EXPECT_GT((big * 2).sum().item<float>(), 0);
  auto model = compileOrFail("folded", {{3, 4}});
  at::set_num_threads(threads);
  ASSERT_TRUE(model);
  std::vector<at::Tensor> outputs;
  at::Tensor x = at::randn({3, 4});
  ASSERT_TRUE(qtensor::run(*model, {x}, outputs));
  at::Tensor expected = x + at::linspace(0, 1, 1 << 20).mul(2.0).sum();
  EXPECT_TRUE(at::allclose(outputs[0], expected, 1e-4, 1e-2));
}

TEST(RuntimeTest, IntegerAndBoolInputsThroughTheRawApi) {
  qtensor::CompileOptions options;
  options.target = qtensor::Target::Cpu;
  options.inputs = {
      qtensor::InputSpec::fromShape({4, 8}),
      qtensor::InputSpec::fromShape({2, 3}, qtensor::DType::I64),
      qtensor::InputSpec::fromShape({3, 1}, qtensor::DType::Bool)};
  std::shared_ptr<qtensor::Model> model;
  qtensor::Status status =
      qtensor::Model::compile(modelPath("ids"), options, model);
  ASSERT_TRUE(status) << status.message();
  std::vector<float> x(32, 0.5f);
  // Ids beyond 2^24, which a float copy would round.
  std::vector<int64_t> ids = {0, 1, (int64_t(1) << 40) + 1, 3, 4, -5};
  // Bools are one byte each, 0 or 1.
  std::vector<uint8_t> flags = {1, 0, 1};
  std::vector<qtensor::Tensor> outputs;
  auto runWith = [&](qtensor::TensorView idsView, qtensor::DType flagsType) {
    return model->run({{x.data(), qtensor::DType::F32, {4, 8}},
                       idsView,
                       {flags.data(), flagsType, {3, 1}}},
                      outputs);
  };
  status =
      runWith({ids.data(), qtensor::DType::I64, {2, 3}}, qtensor::DType::Bool);
  ASSERT_TRUE(status) << status.message();
  ASSERT_EQ(outputs.size(), 3u);
  EXPECT_EQ(outputs[1].dtype, qtensor::DType::I64);
  EXPECT_EQ(outputs[1].shape, (std::vector<int64_t>{3, 2}));
  std::vector<int64_t> transposed(6);
  std::memcpy(transposed.data(), outputs[1].bytes.data(), 48);
  EXPECT_EQ(transposed,
            (std::vector<int64_t>{0, 3, 1, 4, (int64_t(1) << 40) + 1, -5}));
  EXPECT_EQ(outputs[2].dtype, qtensor::DType::Bool);
  EXPECT_EQ(outputs[2].bytes, (std::vector<unsigned char>{1, 0, 1}));
  // Ids of another integer width are refused, not converted.
  std::vector<int32_t> narrow(6);
  EXPECT_EQ(runWith({narrow.data(), qtensor::DType::I32, {2, 3}},
                    qtensor::DType::Bool)
                .message(),
            "input 1 has dtype i32, the model expects i64");
  EXPECT_EQ(
      runWith({ids.data(), qtensor::DType::I64, {2, 3}}, qtensor::DType::I8)
          .message(),
      "input 2 has dtype i8, the model expects bool");
  std::vector<at::Tensor> viaTorch;
  EXPECT_EQ(qtensor::run(*model,
                         {at::randn({4, 8}), at::zeros({2, 3}),
                          at::ones({3, 1}, at::kBool)},
                         viaTorch)
                .message(),
            "input 1 has dtype f32, the model expects i64");
}

TEST(RuntimeTest, OptionalInputsLeftOutAreNone) {
  // forward(x, mask=None, bias=None) with x alone, then with x and mask.
  auto model =
      compileOrFail("optional", {{4, 8}}, qtensor::QuantScheme::none());
  ASSERT_TRUE(model);
  EXPECT_EQ(model->numInputs(), 1u);
  expectMatchesLibTorch("optional", *model, {at::randn({4, 8})},
                        qtensor::QuantScheme::none());
  model =
      compileOrFail("optional", {{4, 8}, {4, 8}}, qtensor::QuantScheme::none());
  ASSERT_TRUE(model);
  EXPECT_EQ(model->numInputs(), 2u);
  expectMatchesLibTorch("optional", *model,
                        {at::randn({4, 8}), at::randn({4, 8})},
                        qtensor::QuantScheme::none());
}

TEST(RuntimeTest, CompileErrorsAreValues) {
  // No driver where QTENSOR_CUDA_DRIVER points (read at the first probe,
  // which every compile makes: target auto is the default).
  setenv("QTENSOR_CUDA_DRIVER", "/nonexistent/libcuda.so.1", 1);
  qtensor::CompileOptions options;
  options.inputs = {qtensor::InputSpec::fromShape({4, 64})};
  std::shared_ptr<qtensor::Model> model;
  EXPECT_EQ(
      qtensor::Model::compile(modelPath("missing"), options, model).message(),
      "cannot open '" + modelPath("missing") + "': No such file or directory");
  EXPECT_EQ(qtensor::Model::compile("model.onnx", options, model).message(),
            "'model.onnx' is neither a TorchScript model (.pt) nor MLIR "
            "(.mlir)");
  options.target = qtensor::Target::Cuda;
  EXPECT_EQ(qtensor::Model::compile(modelPath("toy"), options, model).message(),
            "target cuda: no CUDA driver: /nonexistent/libcuda.so.1 not found");
  options.target = qtensor::Target::Auto;
  ASSERT_TRUE(qtensor::Model::compile(modelPath("toy"), options, model));
  EXPECT_EQ(model->targetReason(), "target auto chose cpu: no CUDA driver: "
                                   "/nonexistent/libcuda.so.1 not found");
  options.target = qtensor::Target::Cpu;
  options.inputs = {qtensor::InputSpec::fromShape({4, 64})};
  options.inputs[0].dims[1] = {qtensor::kDynamicSize, "features"};
  EXPECT_EQ(qtensor::Model::compile(modelPath("toy"), options, model).message(),
            "invalid input 0 [4, features]: 'features' is not a size, '?' or "
            "a name (upper-case letters, digits and '_')");
  options.inputs[0].dims[1] = {int64_t(1) << 33, ""};
  EXPECT_EQ(qtensor::Model::compile(modelPath("toy"), options, model).message(),
            "invalid input 0 [4, 8589934592]: dimension 8589934592 is too "
            "large (at most 2^32)");
  options.inputs = {qtensor::InputSpec::fromShape({4, 65})};
  EXPECT_NE(qtensor::Model::compile(modelPath("toy"), options, model)
                .message()
                .find("does not fit the model"),
            std::string::npos);
}

} // namespace

namespace {

TEST(RuntimeTest, CacheDirectoryServesAnotherCompile) {
  char pattern[] = "/tmp/qtensor-cache-XXXXXX";
  ASSERT_NE(mkdtemp(pattern), nullptr);
  qtensor::CompileOptions options;
  options.inputs = {qtensor::InputSpec::fromShape({3, 20})};
  options.cacheDirectory = pattern;
  std::shared_ptr<qtensor::Model> first, second;
  ASSERT_TRUE(qtensor::Model::compile(modelPath("matmul_t"), options, first));
  // As if in a new process: only the directory remembers the model.
  qtensor::clearCompileCache();
  qtensor::CacheStats before = qtensor::getCacheStats();
  ASSERT_TRUE(qtensor::Model::compile(modelPath("matmul_t"), options, second));
  EXPECT_EQ(qtensor::getCacheStats().diskHits, before.diskHits + 1);
  EXPECT_EQ(second->stageTimings().front().first, "cache-load");
  at::manual_seed(5);
  at::Tensor input = at::randn({3, 20});
  std::vector<at::Tensor> a, b;
  ASSERT_TRUE(qtensor::run(*first, {input}, a));
  ASSERT_TRUE(qtensor::run(*second, {input}, b));
  EXPECT_TRUE(at::equal(a[0], b[0]));
  ASSERT_EQ(first->parameters().size(), second->parameters().size());
  for (size_t i = 0; i < first->parameters().size(); ++i)
    EXPECT_EQ(std::memcmp(first->parameters()[i].data,
                          second->parameters()[i].data,
                          first->parameters()[i].bytes),
              0);
  // A corrupt cache file is ignored and rewritten.
  qtensor::clearCompileCache();
  for (const auto &entry : std::filesystem::directory_iterator(pattern))
    std::ofstream(entry.path()) << "garbage";
  std::shared_ptr<qtensor::Model> third;
  ASSERT_TRUE(qtensor::Model::compile(modelPath("matmul_t"), options, third));
  std::vector<at::Tensor> c;
  ASSERT_TRUE(qtensor::run(*third, {input}, c));
  EXPECT_TRUE(at::equal(a[0], c[0]));
  std::filesystem::remove_all(pattern);
}

} // namespace

//===----------------------------------------------------------------------===//
// State: the decoder of make_decoder_models.py and its KV cache
//===----------------------------------------------------------------------===//

namespace {

/// The decoder's options: one compile for the prefill and decode.
qtensor::CompileOptions decoderOptions(qtensor::QuantScheme scheme) {
  qtensor::CompileOptions options;
  std::string problem;
  for (const char *text : {"1xT:i64", "T:i64"}) {
    qtensor::InputSpec spec;
    EXPECT_TRUE(
        qtensor::parseInputSpec(text, qtensor::DType::I64, spec, problem))
        << problem;
    options.inputs.push_back(spec);
  }
  options.quantization = scheme;
  return options;
}

std::shared_ptr<qtensor::Model> compileDecoder(qtensor::QuantScheme scheme) {
  std::shared_ptr<qtensor::Model> model;
  qtensor::Status status = qtensor::Model::compile(
      modelPath("decoder_scripted"), decoderOptions(scheme), model);
  EXPECT_TRUE(status) << status.message();
  return model;
}

/// state_shifted, a small model with state whose position is computed.
std::shared_ptr<qtensor::Model> compileShifted() {
  qtensor::CompileOptions options;
  options.inputs = {qtensor::InputSpec::fromShape({1, 4}),
                    qtensor::InputSpec::fromShape({1}, qtensor::DType::I64)};
  options.quantization = qtensor::QuantScheme::none();
  std::shared_ptr<qtensor::Model> model;
  qtensor::Status status =
      qtensor::Model::compile(modelPath("state_shifted"), options, model);
  EXPECT_TRUE(status) << status.message();
  return model;
}

/// Greedy decoding with a Model or an Artifact: the prefill of `prompt`,
/// then `steps` calls of one id; returns the logits of every call,
/// concatenated.
template <typename Runner>
std::vector<float> decode(const Runner &model, qtensor::State &state,
                          std::vector<int64_t> prompt, int steps) {
  std::vector<float> logits;
  int64_t position = 0;
  std::vector<int64_t> tokens = std::move(prompt);
  for (int call = 0; call <= steps; ++call) {
    std::vector<int64_t> positions(tokens.size());
    for (int64_t &p : positions)
      p = position++;
    int64_t count = static_cast<int64_t>(tokens.size());
    std::vector<qtensor::Tensor> outputs;
    qtensor::Status status =
        model.run({{tokens.data(), qtensor::DType::I64, {1, count}},
                   {positions.data(), qtensor::DType::I64, {count}}},
                  outputs, state);
    EXPECT_TRUE(status) << status.message();
    if (!status)
      return logits;
    const auto *row = reinterpret_cast<const float *>(outputs[0].bytes.data());
    int64_t width = outputs[0].shape[2];
    row += (count - 1) * width;
    logits.insert(logits.end(), row, row + width);
    tokens = {std::max_element(row, row + width) - row};
  }
  return logits;
}

/// The logits of one generation per prompt (`steps` decode calls), each
/// from a fresh state of `runner`: one after another, or all at once on
/// threads of their own.
template <typename Runner>
std::vector<std::vector<float>>
generateAll(const Runner &runner,
            const std::vector<std::vector<int64_t>> &prompts, int steps,
            bool concurrently) {
  std::vector<std::vector<float>> logits(prompts.size());
  auto generate = [&](size_t i) {
    std::unique_ptr<qtensor::State> state = runner.createState();
    logits[i] = decode(runner, *state, prompts[i], steps);
  };
  std::vector<std::thread> threads;
  for (size_t i = 0; i < prompts.size(); ++i) {
    if (concurrently)
      threads.emplace_back(generate, i);
    else
      generate(i);
  }
  for (std::thread &thread : threads)
    thread.join();
  return logits;
}

} // namespace

TEST(StateTest, DecodingMatchesEagerPyTorchStepByStep) {
  auto model = compileDecoder(qtensor::QuantScheme::none());
  ASSERT_TRUE(model);
  ASSERT_EQ(model->states().size(), 4u);
  EXPECT_EQ(model->states()[0].name, "layers.0.attention.kv_cache.k_cache");
  EXPECT_EQ(model->inputBounds(), (std::vector<int64_t>{96, 32}));
  std::unique_ptr<qtensor::State> state = model->createState();
  std::vector<float> logits = decode(*model, *state, {5, 17, 3, 9}, 4);

  torch::NoGradGuard noGrad;
  torch::jit::Module eager = torch::jit::load(modelPath("decoder_scripted"));
  eager.eval();
  std::vector<int64_t> tokens = {5, 17, 3, 9};
  int64_t position = 0;
  for (int call = 0; call <= 4; ++call) {
    int64_t count = static_cast<int64_t>(tokens.size());
    at::Tensor idx = torch::tensor(tokens, torch::kInt64).view({1, count});
    at::Tensor pos = torch::arange(position, position + count, torch::kInt64);
    position += count;
    at::Tensor row = eager.forward({idx, pos}).toTensor()[0][count - 1];
    at::Tensor ours =
        torch::from_blob(logits.data() + call * 96, {96}, torch::kFloat32);
    float scale = row.abs().max().item<float>();
    EXPECT_TRUE(torch::allclose(ours, row, 1e-4, 1e-5 * scale))
        << "call " << call << ": max_abs_err "
        << (ours - row).abs().max().item<float>();
    tokens = {row.argmax().item<int64_t>()};
  }
}

TEST(StateTest, ConcurrentGenerationsMatchSequentialOnes) {
  auto model = compileDecoder(qtensor::QuantScheme::int8());
  ASSERT_TRUE(model);
  const std::vector<std::vector<int64_t>> prompts = {
      {5, 17, 3, 9}, {1, 2}, {40, 41, 42}, {95}};
  std::vector<std::vector<float>> sequential =
      generateAll(*model, prompts, 6, false);
  std::vector<std::vector<float>> concurrent =
      generateAll(*model, prompts, 6, true);
  for (size_t i = 0; i < prompts.size(); ++i) {
    ASSERT_EQ(sequential[i].size(), 7u * 96);
    EXPECT_EQ(0, std::memcmp(sequential[i].data(), concurrent[i].data(),
                             sequential[i].size() * sizeof(float)))
        << "generation " << i;
  }
  // Generations differ (the test would pass trivially otherwise).
  EXPECT_NE(0, std::memcmp(sequential[0].data(), sequential[1].data(),
                           96 * sizeof(float)));
}

TEST(StateTest, ResetStartsOverAndBadPositionsWriteNothing) {
  auto model = compileDecoder(qtensor::QuantScheme::int8());
  ASSERT_TRUE(model);
  std::unique_ptr<qtensor::State> state = model->createState();
  std::vector<float> first = decode(*model, *state, {5, 17, 3, 9}, 2);
  // The cache now holds positions 0..6: a position past it is refused with
  // its value, before the call.
  std::vector<int64_t> token = {1}, past = {32}, negative = {-1};
  std::vector<qtensor::Tensor> outputs;
  std::vector<qtensor::Tensor> before = state->buffers();
  for (std::vector<int64_t> *position : {&past, &negative}) {
    qtensor::Status status =
        model->run({{token.data(), qtensor::DType::I64, {1, 1}},
                    {position->data(), qtensor::DType::I64, {1}}},
                   outputs, *state);
    ASSERT_FALSE(status);
    EXPECT_NE(status.message().find("outside the model's range [0, 32)"),
              std::string::npos)
        << status.message();
    EXPECT_TRUE(outputs.empty());
  }
  for (size_t i = 0; i < before.size(); ++i)
    EXPECT_EQ(before[i].bytes, state->buffers()[i].bytes);
  // Without a state, or with another model's, a model with state refuses.
  qtensor::Status status =
      model->run({{token.data(), qtensor::DType::I64, {1, 1}},
                  {token.data(), qtensor::DType::I64, {1}}},
                 outputs);
  EXPECT_FALSE(status);
  EXPECT_NE(status.message().find("create one with createState()"),
            std::string::npos)
      << status.message();
  auto other = compileShifted();
  ASSERT_TRUE(other);
  std::unique_ptr<qtensor::State> foreign = other->createState();
  EXPECT_FALSE(model->run({{token.data(), qtensor::DType::I64, {1, 1}},
                           {token.data(), qtensor::DType::I64, {1}}},
                          outputs, *foreign));
  state->reset();
  for (const qtensor::Tensor &buffer : state->buffers())
    EXPECT_TRUE(std::all_of(buffer.bytes.begin(), buffer.bytes.end(),
                            [](unsigned char b) { return b == 0; }));
  EXPECT_EQ(first, decode(*model, *state, {5, 17, 3, 9}, 2));
}

TEST(StateTest, ArtifactsDecodeAsTheJitDoes) {
  // The artifact carries the states, their initial values and the bounds;
  // the light runtime's State runs its generations as Model's do.
  qtensor::CompileOptions options =
      decoderOptions(qtensor::QuantScheme::int8());
  options.target = qtensor::Target::Cpu;
  char pattern[] = "/tmp/qtensor-decoder-XXXXXX";
  ASSERT_NE(mkdtemp(pattern), nullptr);
  std::string directory = std::string(pattern) + "/decoder.qta";
  qtensor::Status status = qtensor::compileArtifact(
      modelPath("decoder_scripted"), options, {}, directory);
  ASSERT_TRUE(status) << status.message();
  std::shared_ptr<qtensor::Artifact> artifact;
  status = qtensor::Artifact::load(directory, artifact);
  ASSERT_TRUE(status) << status.message();
  auto model = compileDecoder(qtensor::QuantScheme::int8());
  ASSERT_TRUE(model);
  EXPECT_EQ(artifact->inputBounds(), model->inputBounds());
  ASSERT_EQ(artifact->states().size(), model->states().size());
  for (size_t i = 0; i < model->states().size(); ++i) {
    EXPECT_EQ(artifact->states()[i].name, model->states()[i].name);
    EXPECT_EQ(artifact->states()[i].shape, model->states()[i].shape);
    EXPECT_EQ(artifact->states()[i].initial, model->states()[i].initial);
  }

  std::unique_ptr<qtensor::State> jitState = model->createState();
  std::vector<float> expected = decode(*model, *jitState, {5, 17, 3, 9}, 6);
  const std::vector<std::vector<int64_t>> prompts = {
      {5, 17, 3, 9}, {1, 2}, {40, 41, 42}};
  std::vector<std::vector<float>> sequential =
      generateAll(*artifact, prompts, 6, false);
  std::vector<std::vector<float>> concurrent =
      generateAll(*artifact, prompts, 6, true);
  ASSERT_EQ(sequential[0].size(), expected.size());
  // The artifact's code is compiled for x86-64-v3, the JIT's for this
  // host: equal up to the order of float operations.
  float scale = 0, error = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    scale = std::max(scale, std::abs(expected[i]));
    error = std::max(error, std::abs(expected[i] - sequential[0][i]));
  }
  EXPECT_LE(error, 1e-5f * scale);
  for (size_t i = 0; i < prompts.size(); ++i)
    EXPECT_EQ(sequential[i], concurrent[i]) << "generation " << i;

  // Without a state, or with the JIT model's, the artifact refuses.
  std::vector<int64_t> token = {1};
  std::vector<qtensor::Tensor> outputs;
  std::vector<qtensor::TensorView> inputs = {
      {token.data(), qtensor::DType::I64, {1, 1}},
      {token.data(), qtensor::DType::I64, {1}}};
  status = artifact->run(inputs, outputs);
  EXPECT_NE(status.message().find("create one with createState()"),
            std::string::npos)
      << status.message();
  EXPECT_EQ(artifact->run(inputs, outputs, *jitState).message(),
            "the state was created by another model");
  std::filesystem::remove_all(pattern);
}

TEST(StateTest, ComputedPositionsAreCheckedByTheCompiledCode) {
  // state_shifted writes its buffer at next[input_pos] = input_pos + 1: the
  // runtime cannot check that position before the call, the code does.
  auto model = compileShifted();
  ASSERT_TRUE(model);
  // Its position input only indexes a gather: no bound on it.
  EXPECT_EQ(model->inputBounds(), std::vector<int64_t>());
  std::unique_ptr<qtensor::State> state = model->createState();
  std::vector<float> x = {1, 2, 3, 4};
  std::vector<int64_t> position = {6};
  std::vector<qtensor::Tensor> outputs;
  auto call = [&] {
    return model->run({{x.data(), qtensor::DType::F32, {1, 4}},
                       {position.data(), qtensor::DType::I64, {1}}},
                      outputs, *state);
  };
  qtensor::Status status = call();
  ASSERT_TRUE(status) << status.message();
  const auto *buffer =
      reinterpret_cast<const float *>(state->buffers()[0].bytes.data());
  EXPECT_EQ(buffer[7 * 4 + 3], 4.0f);
  position = {7};
  std::vector<qtensor::Tensor> before = state->buffers();
  status = call();
  ASSERT_FALSE(status);
  EXPECT_NE(status.message().find("a position is out of range of the state "
                                  "buffer 'buf' along dimension 0"),
            std::string::npos)
      << status.message();
  EXPECT_TRUE(outputs.empty());
  EXPECT_EQ(before[0].bytes, state->buffers()[0].bytes);
}

TEST(ProfileTest, EachOpIsTimedOncePerCall) {
  // The decoder with the op profile: every int8 weight's kernel is a
  // linear entry named after it and run once per call, attention's products
  // are attention entries, and the numbers are those of the model compiled
  // without the profile.
  qtensor::CompileOptions options =
      decoderOptions(qtensor::QuantScheme::int8());
  options.target = qtensor::Target::Cpu;
  options.profile = true;
  std::shared_ptr<qtensor::Model> profiled;
  qtensor::Status status =
      qtensor::Model::compile(modelPath("decoder_scripted"), options, profiled);
  ASSERT_TRUE(status) << status.message();
  auto plain = compileDecoder(qtensor::QuantScheme::int8());
  ASSERT_TRUE(plain);
  EXPECT_TRUE(plain->profile().empty());

  std::unique_ptr<qtensor::State> state = profiled->createState();
  auto start = std::chrono::steady_clock::now();
  std::vector<float> logits = decode(*profiled, *state, {5, 17, 3, 9}, 4);
  double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  std::unique_ptr<qtensor::State> plainState = plain->createState();
  EXPECT_EQ(logits, decode(*plain, *plainState, {5, 17, 3, 9}, 4));

  std::vector<qtensor::ProfileEntry> entries = profiled->profile();
  std::set<std::string> weights, linears;
  for (const qtensor::Parameter &parameter : profiled->parameters()) {
    const std::string &name = parameter.name;
    if (name.size() > 5 && name.compare(name.size() - 5, 5, ".data") == 0)
      weights.insert(name.substr(0, name.size() - 5));
  }
  ASSERT_FALSE(weights.empty());
  double total = 0;
  size_t attention = 0;
  for (const qtensor::ProfileEntry &entry : entries) {
    total += entry.seconds;
    EXPECT_GT(entry.calls, 0) << entry.name;
    EXPECT_EQ(entry.calls % 5, 0) << entry.name;
    if (entry.category == "linear") {
      linears.insert(entry.name);
      EXPECT_EQ(entry.calls, 5) << entry.name;
    } else if (entry.category == "attention") {
      ++attention;
      EXPECT_NE(entry.name.find("attention"), std::string::npos) << entry.name;
    } else {
      EXPECT_EQ(entry.category, "other") << entry.name;
    }
  }
  EXPECT_EQ(linears, weights);
  EXPECT_GE(attention, 2u);
  EXPECT_GT(total, 0);
  EXPECT_LE(total, wall);

  profiled->resetProfile();
  for (const qtensor::ProfileEntry &entry : profiled->profile()) {
    EXPECT_EQ(entry.seconds, 0) << entry.name;
    EXPECT_EQ(entry.calls, 0) << entry.name;
  }
}

TEST(ProfileTest, OnlyForTheCpuJit) {
  qtensor::CompileOptions options =
      decoderOptions(qtensor::QuantScheme::int8());
  options.profile = true;
  options.target = qtensor::Target::Cuda;
  std::shared_ptr<qtensor::Model> model;
  EXPECT_EQ(
      qtensor::Model::compile(modelPath("decoder_scripted"), options, model)
          .message(),
      "the op profile is for the CPU: compile with target cpu");
  options.target = qtensor::Target::Cpu;
  char pattern[] = "/tmp/qtensor-profile-XXXXXX";
  ASSERT_NE(mkdtemp(pattern), nullptr);
  std::string directory = std::string(pattern) + "/decoder.qta";
  EXPECT_EQ(qtensor::compileArtifact(modelPath("decoder_scripted"), options, {},
                                     directory)
                .message(),
            "the op profile is for models compiled in process "
            "(Model::compile), not artifacts");
  EXPECT_FALSE(std::filesystem::exists(directory));
  std::filesystem::remove_all(pattern);
}
