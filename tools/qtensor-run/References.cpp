//===- References.cpp - qtensor-run's checks and timings against LibTorch -===//

#include "RunSteps.h"

#include "qtensor/Reference/TorchReference.h"
#include "qtensor/Runtime/TorchInterop.h"
#include "qtensor/Tooling/Timing.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <ATen/Parallel.h>
#include <torch/script.h>

using namespace llvm;
using qtensor::reference::Agreement;

namespace {

Error makeError(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), message);
}

std::vector<at::Tensor> forward(torch::jit::Module &module,
                                ArrayRef<at::Tensor> inputs) {
  return qtensor::reference::runTorch(module, inputs.vec());
}

void printBench(StringRef name, const std::vector<double> &samples) {
  qtensor::tooling::TimingSummary summary =
      qtensor::tooling::summarizeTimes(samples);
  outs() << format("bench %s median_ms=%.4f min_ms=%.4f\n", name.str().c_str(),
                   summary.medianMs, summary.minMs);
}

} // namespace

torch::jit::Module qtensor::runtool::loadFloatModel(StringRef modelPath) {
  torch::jit::Module module = torch::jit::load(modelPath.str());
  module.eval();
  return module;
}

Expected<bool> qtensor::runtool::compareWithReferences(
    StringRef modelPath, torch::jit::Module &floatModel,
    const CompileOptions &options, const Model &model,
    ArrayRef<at::Tensor> inputs, ArrayRef<at::Tensor> outputs) {
  torch::NoGradGuard noGrad;
  std::string problem;
  torch::jit::Module oracle =
      reference::oracleFor(options.quantization, floatModel, model, problem);
  if (!problem.empty())
    return makeError(problem);
  bool quantized = options.quantization.quantizesWeights();
  std::vector<at::Tensor> expected = forward(oracle, inputs);
  std::vector<at::Tensor> floats = forward(floatModel, inputs);
  if (expected.size() != outputs.size())
    return makeError("the model returned " + Twine(expected.size()) +
                     " results in LibTorch, " + Twine(outputs.size()) +
                     " compiled");
  bool agreed = true;
  for (size_t i = 0; i < outputs.size(); ++i) {
    Agreement vsOracle = reference::compare(outputs[i], expected[i]);
    Agreement vsFloat = reference::compare(outputs[i], floats[i]);
    outs() << format("allclose(compiled, %s) = %s  max_abs_err=%.3e "
                     "max_rel_err=%.3e  [result %zu]\n",
                     quantized ? "module swap" : "float model",
                     vsOracle.close ? "True" : "False", vsOracle.maxAbsError,
                     vsOracle.maxRelError, i);
    outs() << format(
        "vs float model: max_abs_err=%.3e SQNR=%.1f dB  [result %zu]\n",
        vsFloat.maxAbsError, vsFloat.sqnrDb, i);
    agreed &= vsOracle.close;
  }
  if (!quantized)
    return agreed;

  // The seed's second check: our fused program against our own unfused
  // stage-2 program, compiled separately.
  CompileOptions unfusedOptions = options;
  unfusedOptions.fuse = false;
  unfusedOptions.dumpStagesDirectory.clear();
  std::shared_ptr<Model> unfused;
  std::vector<at::Tensor> unfusedOutputs;
  if (Status compiled =
          Model::compile(modelPath.str(), unfusedOptions, unfused);
      !compiled)
    return makeError(compiled.message());
  if (Status ran = qtensor::run(*unfused, inputs.vec(), unfusedOutputs); !ran)
    return makeError(ran.message());
  for (size_t i = 0; i < outputs.size(); ++i) {
    Agreement fusedVsUnfused =
        reference::compare(outputs[i], unfusedOutputs[i]);
    outs() << format(
        "allclose(fused, unfused) = %s  max_abs_err=%.3e  [result %zu]\n",
        fusedVsUnfused.close ? "True" : "False", fusedVsUnfused.maxAbsError, i);
    agreed &= fusedVsUnfused.close;
  }
  return agreed;
}

Error qtensor::runtool::benchAgainstLibTorch(unsigned runs,
                                             torch::jit::Module &floatModel,
                                             const CompileOptions &options,
                                             const Model &model,
                                             ArrayRef<at::Tensor> inputs) {
  torch::NoGradGuard noGrad;
  std::vector<at::Tensor> inputVector = inputs.vec();
  printBench("qtensor", tooling::timeCalls(runs, [&] {
               std::vector<at::Tensor> ignored;
               (void)qtensor::run(model, inputVector, ignored);
             }));
  int threads = at::get_num_threads();
  at::set_num_threads(2);
  printBench("libtorch_float", tooling::timeCalls(runs, [&] {
               (void)forward(floatModel, inputs);
             }));
  if (options.quantization == QuantScheme::int8()) {
    // The seed's module swap re-quantizes every weight on every call,
    // converts int8 back to float and applies the scale.
    torch::jit::Module swapped = reference::moduleSwap(floatModel, model);
    std::vector<at::Tensor> weights;
    for (const Parameter &parameter : model.parameters()) {
      StringRef name(parameter.name);
      if (!name.consume_back(".data"))
        continue;
      for (const auto &original : floatModel.named_parameters(true))
        if (original.name == name)
          weights.push_back(original.value);
    }
    printBench("libtorch_module_swap", tooling::timeCalls(runs, [&] {
                 for (const at::Tensor &weight : weights)
                   (void)reference::seedQuantize(weight);
                 (void)forward(swapped, inputs);
               }));
  }
  at::set_num_threads(threads);
  return Error::success();
}
