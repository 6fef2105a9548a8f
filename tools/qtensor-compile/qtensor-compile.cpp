//===- qtensor-compile.cpp - compile a model into an AOT artifact ---------===//
//
//   qtensor-compile MODEL (.pt|.mlir) --input-shape SHAPE[:DTYPE]...
//       [--input-dtype f32|f16|bf16|i8|i32|i64|bool]
//       --target cpu[:CPU]|cuda:CHIP [--quantize int8|none] [--no-fuse]
//       [--gpu-binary auto|isa|fatbin] [--gpu-kernel-options "K=V ..."]
//       [--no-weights] [--dump-stages DIR]
//       -o DIR
//
// Writes DIR/manifest.json, DIR/model.so and DIR/weights.bin, which
// qtensor-exec (the light runtime) runs; docs/aot.md. Bad input gives one
// `error: ...` line and exit status 2, and leaves nothing at DIR.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Importer/TorchScriptImporter.h"
#include "qtensor/Runtime/Runtime.h"
#include "qtensor/Tooling/ModelOptions.h"
#include "qtensor/Tooling/ToolSupport.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

namespace cl = llvm::cl;
using mlir::qtensor::InputOptions;
using mlir::qtensor::QuantizeOption;
using mlir::qtensor::reportBadInput;

static cl::OptionCategory toolOptions("qtensor-compile options");
static cl::opt<std::string> modelPath(cl::Positional, cl::Required,
                                      cl::cat(toolOptions),
                                      cl::desc("<model.pt|model.mlir>"));
static InputOptions inputs(toolOptions,
                           "One input of forward, in order (repeat per "
                           "input): its shape, e.g. ?x64 ('?' or a name such "
                           "as T: a size chosen at run time), and optionally "
                           "its dtype, e.g. 1xT:i64");
static cl::opt<std::string>
    target("target", cl::cat(toolOptions), cl::Required,
           cl::desc("Where the artifact runs: cpu (x86-64-v3), cpu:CPU "
                    "(an LLVM CPU name, or native), cuda:sm_80|sm_86|sm_89|"
                    "sm_90|sm_90a"),
           cl::value_desc("cpu[:CPU]|cuda:CHIP"));
static QuantizeOption quantize(toolOptions);
static cl::opt<bool> noFuse("no-fuse", cl::cat(toolOptions),
                            cl::desc("Compile the unfused (stage-2) program"));
static cl::opt<std::string>
    gpuBinary("gpu-binary", cl::init("auto"), cl::cat(toolOptions),
              cl::desc("cuda targets: fatbin (cubin + PTX, needs the CUDA "
                       "toolkit), isa (PTX, compiled by the driver), auto "
                       "(fatbin when the toolkit is found)"),
              cl::value_desc("auto|isa|fatbin"));
static cl::opt<std::string> gpuKernelOptions(
    "gpu-kernel-options", cl::cat(toolOptions),
    cl::desc("cuda targets: kernel tuning, e.g. \"small-m=8 "
             "splitk-columns=2\" (small-m, tile-m, tensor-cores, "
             "splitk-columns; docs/gpu-pipeline.md)"),
    cl::value_desc("K=V ..."));
static cl::opt<bool>
    noWeights("no-weights", cl::cat(toolOptions),
              cl::desc("Write no weights.bin: qtensor-exec then needs "
                       "--params"));
static cl::opt<std::string>
    dumpStages("dump-stages", cl::cat(toolOptions),
               cl::desc("Write the IR after each stage"),
               cl::value_desc("DIR"));
static cl::opt<std::string> outputDirectory("o", cl::cat(toolOptions),
                                            cl::Required,
                                            cl::desc("The artifact directory"),
                                            cl::value_desc("DIR"));

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  mlir::qtensor::parseToolCommandLine(
      argc, argv, toolOptions,
      "qtensor-compile: compile a model into an artifact for qtensor-exec\n");

  qtensor::CompileOptions options;
  qtensor::ArtifactOptions artifact;
  llvm::StringRef kind, detail;
  std::tie(kind, detail) = llvm::StringRef(target).split(':');
  if (kind == "cpu") {
    options.target = qtensor::Target::Cpu;
    if (llvm::StringRef(target).contains(':')) {
      if (detail.empty())
        return reportBadInput("--target cpu: names no CPU (expected e.g. "
                              "cpu:x86-64-v3 or cpu:native)");
      artifact.cpu = detail.str();
    }
  } else if (kind == "cuda" && !detail.empty()) {
    options.target = qtensor::Target::Cuda;
    artifact.chip = detail.str();
  } else {
    return reportBadInput("unknown --target '" + target +
                          "' (expected cpu, cpu:CPU or cuda:CHIP, e.g. "
                          "cuda:sm_90)");
  }
  auto scheme = quantize.parse();
  if (!scheme)
    return reportBadInput(llvm::toString(scheme.takeError()));
  options.quantization = *scheme;
  options.fuse = !noFuse;
  options.dumpStagesDirectory = dumpStages;
  options.gpuKernelOptions = gpuKernelOptions;
  artifact.includeWeights = !noWeights;
  artifact.gpuBinary = gpuBinary;
  if (inputs.empty() && llvm::StringRef(modelPath).ends_with(".pt"))
    return reportBadInput("give one --input-shape per input of the model's "
                          "forward, e.g. --input-shape ?x64");
  auto specs = inputs.parse();
  if (!specs)
    return reportBadInput(llvm::toString(specs.takeError()));
  options.inputs = std::move(*specs);
  std::string problem = mlir::qtensor::checkInputPath(modelPath);
  if (!problem.empty())
    return reportBadInput("cannot open '" + modelPath + "': " + problem);

  if (qtensor::Status status = qtensor::compileArtifact(
          modelPath, options, artifact, outputDirectory);
      !status)
    return reportBadInput(status.message());
  llvm::outs() << "wrote " << outputDirectory << " ("
               << (options.target == qtensor::Target::Cuda
                       ? "cuda:" + artifact.chip
                       : "cpu:" + artifact.cpu)
               << ")\n";
  return 0;
}
