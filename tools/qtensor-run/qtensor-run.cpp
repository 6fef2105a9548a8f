//===- qtensor-run.cpp - compile, run, check and time a model -------------===//
//
//   qtensor-run MODEL (--input-shape SHAPE[:DTYPE] | --input x.npy)...
//       [--input-dtype DTYPE] [--input-range LO:HI] [--quantize int8|none]
//       [--target auto|cpu|cuda]
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

#include "RunSteps.h"

#include "qtensor/Runtime/Runtime.h"
#include "qtensor/Runtime/TorchInterop.h"
#include "qtensor/Tooling/ModelOptions.h"
#include "qtensor/Tooling/ToolSupport.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <torch/script.h>

namespace cl = llvm::cl;
using mlir::qtensor::InputOptions;
using mlir::qtensor::InputRangeOption;
using mlir::qtensor::QuantizeOption;
using mlir::qtensor::reportBadInput;

/// The tool's own options; --help lists only these, not LLVM's.
static cl::OptionCategory toolOptions("qtensor-run options");
static cl::opt<std::string> modelPath(cl::Positional, cl::Required,
                                      cl::cat(toolOptions),
                                      cl::desc("<model.pt|model.mlir>"));
static InputOptions
    inputShapes(toolOptions,
                "One input (random, from --seed): its shape, e.g. 4x64, and "
                "optionally its dtype, e.g. 4x16:i64; '?' or a name such as "
                "T compiles a dynamic size (run with 1)");
static cl::list<std::string>
    inputFiles("input", cl::cat(toolOptions),
               cl::desc("One input as .npy: float32, float16, bfloat16 bits "
                        "(uint16), int8, int32, int64 or bool"),
               cl::value_desc("x.npy"));
static InputRangeOption inputRange(toolOptions);
static QuantizeOption quantize(toolOptions);
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

int fail(llvm::Error error) {
  return reportBadInput(llvm::toString(std::move(error)));
}

int runTool() {
  // Options.
  qtensor::CompileOptions options;
  auto scheme = quantize.parse();
  if (!scheme)
    return fail(scheme.takeError());
  options.quantization = *scheme;
  if (!qtensor::parseTarget(target, options.target))
    return reportBadInput("unknown --target '" + target +
                          "' (expected auto, cpu or cuda)");
  options.gpuKernelOptions = gpuKernelOptions;
  options.dumpStagesDirectory = dumpStages;
  options.cacheDirectory = cacheDir;
  if (inputShapes.empty() == inputFiles.empty())
    return reportBadInput("give the inputs either as --input-shape or as "
                          "--input files, one per model input");
  if ((compare || bench) && !llvm::StringRef(modelPath).ends_with(".pt"))
    return reportBadInput(std::string(compare ? "--compare" : "--bench") +
                          " needs a TorchScript model (.pt): the references "
                          "run in LibTorch");
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
  auto specs = inputShapes.parse();
  if (!specs)
    return fail(specs.takeError());
  auto range = inputRange.parse();
  if (!range)
    return fail(range.takeError());
  if (inputRange.given() && !inputFiles.empty())
    return reportBadInput("--input-range applies to random inputs "
                          "(--input-shape), not to --input files");
  if (llvm::Error error =
          InputRangeOption::checkFits(*range, *specs, inputShapes.shapeTexts()))
    return fail(std::move(error));
  auto inputs =
      inputFiles.empty()
          ? qtensor::runtool::makeRandomInputs(inputShapes.shapeTexts(), *specs,
                                               range->low, range->high)
          : qtensor::runtool::readInputs(inputFiles, *specs);
  if (!inputs)
    return fail(inputs.takeError());
  options.inputs = std::move(*specs);

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
  if (qtensor::Status status = qtensor::run(*model, *inputs, outputs); !status)
    return reportBadInput(status.message());

  if (!dumpParams.empty())
    if (llvm::Error error =
            qtensor::runtool::dumpParameters(*model, dumpParams))
      return fail(std::move(error));
  int status = 0;
  torch::jit::Module floatModel;
  if (compare || bench)
    floatModel = qtensor::runtool::loadFloatModel(modelPath);
  if (compare) {
    auto agreed = qtensor::runtool::compareWithReferences(
        modelPath, floatModel, options, *model, *inputs, outputs);
    if (!agreed)
      return fail(agreed.takeError());
    status = *agreed ? 0 : 1;
  }
  if (bench)
    if (llvm::Error error = qtensor::runtool::benchAgainstLibTorch(
            bench, floatModel, options, *model, *inputs))
      return fail(std::move(error));
  // Results last: a failure above leaves no result file behind.
  if (!outputPath.empty())
    if (llvm::Error error = qtensor::runtool::writeOutputs(outputPath, outputs))
      return fail(std::move(error));
  return status;
}

} // namespace

int main(int argc, char **argv) {
  mlir::qtensor::parseToolCommandLine(
      argc, argv, toolOptions,
      "qtensor-run: compile a model, run it, check and time it\n");
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
