//===- qtensor-run.cpp - compile, run, check and time a model -------------===//
//
//   qtensor-run MODEL (--input-shape SHAPE[:DTYPE] | --input x.npy)...
//       [--input-dtype DTYPE] [--quantize int8|none] [--target auto|cpu|cuda]
//       [--gpu-kernel-options "K=V ..."] [--output y.npy]
//       [--compare] [--bench N] [--seed S] [--dump-stages DIR]
//       [--dump-params DIR] [--cache-dir DIR] [--timing]
//
// --compare runs the references in LibTorch on the same input: the float
// model, and the seed's module swap (every weight qtensor quantized replaced
// by the seed's int8_symmetric_quantize data times scale). Exit status: 0,
// 1 when --compare finds a mismatch, 2 on bad input.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Runtime/Runtime.h"
#include "qtensor/Runtime/TorchInterop.h"
#include "qtensor/Runtime/TorchReference.h"
#include "qtensor/Tools/NpyFile.h"
#include "qtensor/Tools/ToolSupport.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <ATen/Parallel.h>
#include <torch/script.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>

namespace cl = llvm::cl;
using mlir::qtensor::reportBadInput;

/// The tool's own options; --help lists only these, not LLVM's.
static cl::OptionCategory toolOptions("qtensor-run options");
static cl::opt<std::string> modelPath(cl::Positional, cl::Required,
                                      cl::cat(toolOptions),
                                      cl::desc("<model.pt|model.mlir>"));
static cl::list<std::string>
    inputShapes("input-shape", cl::cat(toolOptions),
                cl::desc("One input (random, from --seed): its shape, "
                         "e.g. 4x64, and optionally its dtype, e.g. 4x16:i64; "
                         "'?' or a name such as T compiles a dynamic size "
                         "(run with 1)"),
                cl::value_desc("SHAPE[:DTYPE]"));
static cl::opt<std::string>
    inputDType("input-dtype", cl::init("f32"), cl::cat(toolOptions),
               cl::desc("Dtype of the inputs whose --input-shape names none"),
               cl::value_desc("f32|f16|bf16|i8|i32|i64|bool"));
static cl::list<std::string> inputFiles("input", cl::cat(toolOptions),
                                        cl::desc("One input as float32 .npy"),
                                        cl::value_desc("x.npy"));
static cl::opt<std::string> quantize("quantize", cl::init("int8"),
                                     cl::cat(toolOptions),
                                     cl::desc("Weight quantization scheme"),
                                     cl::value_desc("int8|none"));
static cl::opt<std::string> target("target", cl::init("auto"),
                                   cl::cat(toolOptions),
                                   cl::desc("Where the code runs"),
                                   cl::value_desc("auto|cpu|cuda"));
static cl::opt<std::string> gpuKernelOptions(
    "gpu-kernel-options", cl::cat(toolOptions),
    cl::desc("cuda (and auto when it picks the GPU): kernel tuning, e.g. "
             "\"small-m=8 splitk-columns=2\" (small-m, tile-m, tensor-cores, "
             "splitk-columns; docs/gpu-pipeline.md)"),
    cl::value_desc("K=V ..."));
static cl::opt<std::string> outputPath("output", cl::cat(toolOptions),
                                       cl::desc("Write the (first) result"),
                                       cl::value_desc("y.npy"));
static cl::opt<bool> compare("compare", cl::cat(toolOptions),
                             cl::desc("Check against LibTorch references"));
static cl::opt<unsigned> bench("bench", cl::init(0), cl::cat(toolOptions),
                               cl::desc("Time N forwards after a warm-up"));
static cl::opt<unsigned> seed("seed", cl::init(0), cl::cat(toolOptions),
                              cl::desc("Seed of the random inputs"));
static cl::opt<std::string>
    dumpStages("dump-stages", cl::cat(toolOptions),
               cl::desc("Write the IR after each stage"),
               cl::value_desc("DIR"));
static cl::opt<std::string>
    dumpParams("dump-params", cl::cat(toolOptions),
               cl::desc("Write every parameter (int8 data, scale, bias) as "
                        ".npy named after its weight"),
               cl::value_desc("DIR"));
static cl::opt<std::string>
    cacheDir("cache-dir", cl::cat(toolOptions),
             cl::desc("Keep compiled models in DIR across runs"),
             cl::value_desc("DIR"));
static cl::opt<bool> timing("timing", cl::cat(toolOptions),
                            cl::desc("Print the compile time per stage"));

namespace {

/// Median and minimum over `runs` timed calls after one warm-up call.
std::pair<double, double> timeCalls(unsigned runs,
                                    const std::function<void()> &call) {
  call();
  std::vector<double> times;
  for (unsigned i = 0; i < runs; ++i) {
    auto start = std::chrono::steady_clock::now();
    call();
    times.push_back(std::chrono::duration<double, std::milli>(
                        std::chrono::steady_clock::now() - start)
                        .count());
  }
  std::sort(times.begin(), times.end());
  return {times[times.size() / 2], times.front()};
}

/// A random input: floats from a standard normal, integers in [0, 16),
/// bools fair coins.
at::Tensor randomInput(const std::vector<int64_t> &shape,
                       qtensor::DType dtype) {
  switch (dtype) {
  case qtensor::DType::F32:
    return torch::randn(shape);
  case qtensor::DType::F16:
    return torch::randn(shape).to(at::kHalf);
  case qtensor::DType::BF16:
    return torch::randn(shape).to(at::kBFloat16);
  case qtensor::DType::I8:
    return torch::randint(0, 16, shape, at::kChar);
  case qtensor::DType::I32:
    return torch::randint(0, 16, shape, at::kInt);
  case qtensor::DType::I64:
    return torch::randint(0, 16, shape, at::kLong);
  case qtensor::DType::Bool:
    return torch::randint(0, 2, shape, at::kBool);
  }
  return torch::randn(shape);
}

int runTool() {
  // Options.
  qtensor::CompileOptions options;
  auto scheme = mlir::qtensor::parseQuantizeOption(quantize);
  if (!scheme)
    return reportBadInput(llvm::toString(scheme.takeError()));
  options.quantization = *scheme;
  if (target == "auto")
    options.target = qtensor::Target::Auto;
  else if (target == "cpu")
    options.target = qtensor::Target::Cpu;
  else if (target == "cuda")
    options.target = qtensor::Target::Cuda;
  else
    return reportBadInput("unknown --target '" + target +
                          "' (expected auto, cpu or cuda)");
  options.gpuKernelOptions = gpuKernelOptions;
  options.dumpStagesDirectory = dumpStages;
  options.cacheDirectory = cacheDir;
  if (inputShapes.empty() == inputFiles.empty())
    return reportBadInput("give the inputs either as --input-shape or as "
                          "--input files, one per model input");
  if (compare && !llvm::StringRef(modelPath).ends_with(".pt"))
    return reportBadInput("--compare needs a TorchScript model (.pt): the "
                          "references run in LibTorch");
  if (!outputPath.empty()) {
    if (!llvm::StringRef(outputPath).ends_with(".npy"))
      return reportBadInput("--output '" + outputPath +
                            "' must name a .npy file");
    std::string problem = mlir::qtensor::checkOutputPath(outputPath);
    if (!problem.empty())
      return reportBadInput("cannot write '" + outputPath + "': " + problem);
  }

  // Inputs: random from the seed, or .npy files.
  torch::manual_seed(seed);
  std::vector<at::Tensor> inputs;
  auto specs = mlir::qtensor::parseInputOptions(inputShapes, inputDType);
  if (!specs)
    return reportBadInput(llvm::toString(specs.takeError()));
  for (auto [text, spec] : llvm::zip_equal(inputShapes, *specs)) {
    // Each dynamic size is run with 1.
    std::vector<int64_t> concrete;
    double bytes = qtensor::byteWidth(spec.dtype);
    for (const qtensor::InputDim &dim : spec.dims) {
      concrete.push_back(dim.isDynamic() ? 1 : dim.size);
      bytes *= concrete.back();
    }
    if (bytes > 64.0 * (1 << 30))
      return reportBadInput("--input-shape '" + text +
                            "' needs more than 64 GiB");
    inputs.push_back(randomInput(concrete, spec.dtype));
  }
  options.inputs = std::move(*specs);
  for (const std::string &path : inputFiles) {
    auto array = mlir::qtensor::readNpy(path);
    if (!array)
      return reportBadInput(llvm::toString(array.takeError()));
    if (array->dtype != "<f4")
      return reportBadInput("'" + path + "' is not float32");
    at::Tensor tensor = at::empty(array->shape, at::kFloat);
    std::memcpy(tensor.data_ptr(), array->bytes.data(), array->bytes.size());
    options.inputs.push_back(qtensor::InputSpec::fromShape(array->shape));
    inputs.push_back(tensor);
  }

  // Compile and run.
  std::shared_ptr<qtensor::Model> model;
  if (qtensor::Status status =
          qtensor::Model::compile(modelPath, options, model);
      !status)
    return reportBadInput(status.message());
  if (options.target == qtensor::Target::Auto)
    llvm::outs() << "target: " << model->targetDescription() << " ("
                 << model->targetReason() << ")\n";
  if (timing)
    for (const auto &[stage, ms] : model->stageTimings())
      llvm::outs() << llvm::format("timing %-34s %9.2f ms\n", stage.c_str(),
                                   ms);
  std::vector<at::Tensor> outputs;
  if (qtensor::Status status = qtensor::run(*model, inputs, outputs); !status)
    return reportBadInput(status.message());

  if (!dumpParams.empty()) {
    if (std::error_code ec = llvm::sys::fs::create_directories(dumpParams))
      return reportBadInput("cannot create '" + dumpParams +
                            "': " + ec.message());
    for (const qtensor::Parameter &parameter : model->parameters()) {
      mlir::qtensor::NpyArray array;
      array.dtype = qtensor::npyDType(parameter.dtype);
      array.shape = parameter.shape;
      auto *data = static_cast<const unsigned char *>(parameter.data);
      array.bytes.assign(data, data + parameter.bytes);
      if (parameter.layout == "transposed" && parameter.shape.size() == 2) {
        // Packed [K, N] at compile time; the seed's layout is [N, K].
        int64_t rows = parameter.shape[0], cols = parameter.shape[1];
        size_t width = qtensor::byteWidth(parameter.dtype);
        array.shape = {cols, rows};
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t c = 0; c < cols; ++c)
            std::memcpy(&array.bytes[(c * rows + r) * width],
                        &data[(r * cols + c) * width], width);
      }
      // Names come from the model: keep them inside DIR.
      llvm::SmallString<128> path(dumpParams);
      llvm::sys::path::append(path, qtensor::parameterFileName(parameter.name));
      if (llvm::Error error = mlir::qtensor::writeNpy(path, array))
        return reportBadInput("cannot write '" + path.str() +
                              "': " + llvm::toString(std::move(error)));
    }
  }

  int status = 0;
  torch::jit::Module reference, swapped;
  bool quantized = options.quantization == qtensor::QuantScheme::int8();
  if (compare || bench) {
    reference = torch::jit::load(modelPath);
    reference.eval();
    swapped = qtensor::moduleSwap(reference, *model);
  }
  auto forward = [&](torch::jit::Module &module) {
    return qtensor::runTorch(module, inputs);
  };

  if (compare) {
    torch::NoGradGuard noGrad;
    std::vector<at::Tensor> oracle = forward(quantized ? swapped : reference);
    std::vector<at::Tensor> floats = forward(reference);
    if (oracle.size() != outputs.size())
      return reportBadInput("the model returned " +
                            std::to_string(oracle.size()) +
                            " results in LibTorch, " +
                            std::to_string(outputs.size()) + " compiled");
    for (size_t i = 0; i < outputs.size(); ++i) {
      qtensor::Agreement vsOracle = qtensor::compare(outputs[i], oracle[i]);
      qtensor::Agreement vsFloat = qtensor::compare(outputs[i], floats[i]);
      llvm::outs() << llvm::format(
          "allclose(compiled, %s) = %s  max_abs_err=%.3e max_rel_err=%.3e  "
          "[result %zu]\n",
          quantized ? "module swap" : "float model",
          vsOracle.close ? "True" : "False", vsOracle.maxAbsError,
          vsOracle.maxRelError, i);
      llvm::outs() << llvm::format(
          "vs float model: max_abs_err=%.3e SQNR=%.1f dB  [result %zu]\n",
          vsFloat.maxAbsError, vsFloat.sqnrDb, i);
      if (!vsOracle.close)
        status = 1;
    }
    // The seed's second check: our fused program against our own unfused
    // stage-2 program, compiled separately.
    if (quantized) {
      qtensor::CompileOptions unfusedOptions = options;
      unfusedOptions.fuse = false;
      unfusedOptions.dumpStagesDirectory.clear();
      std::shared_ptr<qtensor::Model> unfused;
      std::vector<at::Tensor> unfusedOutputs;
      if (qtensor::Status compiled =
              qtensor::Model::compile(modelPath, unfusedOptions, unfused);
          !compiled)
        return reportBadInput(compiled.message());
      if (qtensor::Status ran = qtensor::run(*unfused, inputs, unfusedOutputs);
          !ran)
        return reportBadInput(ran.message());
      for (size_t i = 0; i < outputs.size(); ++i) {
        qtensor::Agreement fusedVsUnfused =
            qtensor::compare(outputs[i], unfusedOutputs[i]);
        llvm::outs() << llvm::format(
            "allclose(fused, unfused) = %s  max_abs_err=%.3e  [result %zu]\n",
            fusedVsUnfused.close ? "True" : "False", fusedVsUnfused.maxAbsError,
            i);
        if (!fusedVsUnfused.close)
          status = 1;
      }
    }
  }

  if (bench) {
    torch::NoGradGuard noGrad;
    auto [ourMedian, ourMin] = timeCalls(bench, [&] {
      std::vector<at::Tensor> ignored;
      (void)qtensor::run(*model, inputs, ignored);
    });
    llvm::outs() << llvm::format("bench qtensor median_ms=%.4f min_ms=%.4f\n",
                                 ourMedian, ourMin);
    int threads = at::get_num_threads();
    at::set_num_threads(2);
    auto [floatMedian, floatMin] =
        timeCalls(bench, [&] { (void)forward(reference); });
    llvm::outs() << llvm::format(
        "bench libtorch_float median_ms=%.4f min_ms=%.4f\n", floatMedian,
        floatMin);
    if (quantized) {
      // The seed's module swap re-quantizes every weight on every call,
      // converts int8 back to float and applies the scale.
      std::vector<at::Tensor> weights;
      for (const qtensor::Parameter &parameter : model->parameters()) {
        llvm::StringRef name(parameter.name);
        if (!name.consume_back(".data"))
          continue;
        for (const auto &original : reference.named_parameters(true))
          if (original.name == name)
            weights.push_back(original.value);
      }
      auto [swapMedian, swapMin] = timeCalls(bench, [&] {
        for (const at::Tensor &weight : weights) {
          auto quantizedWeight = qtensor::seedQuantize(weight);
          (void)quantizedWeight;
        }
        (void)forward(swapped);
      });
      llvm::outs() << llvm::format(
          "bench libtorch_module_swap median_ms=%.4f min_ms=%.4f\n", swapMedian,
          swapMin);
    }
    at::set_num_threads(threads);
  }
  // Outputs last: a failure above leaves no result file behind.
  if (!outputPath.empty()) {
    for (size_t i = 0; i < outputs.size(); ++i) {
      std::string path = outputPath;
      if (i > 0)
        path =
            (llvm::StringRef(path).drop_back(4) + "." + llvm::Twine(i) + ".npy")
                .str();
      mlir::qtensor::NpyArray array;
      array.dtype = "<f4";
      at::Tensor result = outputs[i].to(at::kFloat).contiguous();
      array.shape.assign(result.sizes().begin(), result.sizes().end());
      auto *data = static_cast<unsigned char *>(result.data_ptr());
      array.bytes.assign(data, data + result.numel() * 4);
      if (llvm::Error error = mlir::qtensor::writeNpy(path, array))
        return reportBadInput("cannot write '" + path +
                              "': " + llvm::toString(std::move(error)));
    }
  }

  return status;
}

} // namespace

int main(int argc, char **argv) {
  cl::HideUnrelatedOptions(toolOptions);
  cl::ParseCommandLineOptions(
      argc, argv, "qtensor-run: compile a model, run it, check and time it\n");
  try {
    return runTool();
  } catch (const c10::Error &error) {
    llvm::StringRef text(error.what_without_backtrace());
    return reportBadInput("LibTorch: " +
                          text.take_until([](char c) { return c == '\n'; }));
  } catch (const std::exception &error) {
    return reportBadInput(error.what());
  }
}
