//===- qtensor-generate.cpp - greedy decoding with a KV cache -------------===//
//
//   qtensor-generate MODEL.pt --prompt 1,2,3 --steps N [--quantize int8|none]
//       [--target cpu|auto|cuda] [--dump-logits out.npy] [--force IDS]
//       [--cache-dir DIR] [--bench] [--profile]
//
// The model is a decoder in gpt-fast's form: forward(idx [1, T] int64,
// input_pos [T] int64) -> logits [1, T, V], with its KV cache as buffers it
// writes (docs/decoding.md). With a prompt of P ids, the prefill is one call
// at positions 0..P-1; its last logits give the first new id. Each of the N
// decode calls then feeds the previous new id (or, with --force, the next
// forced id) at the next position. N + 1 new ids are printed; --dump-logits
// writes the last-position logits of every call as float32 [N + 1, V].
// --profile prints where the decode calls' time goes (the op profile).
// Exit status 0, or 2 with one error line on bad input.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Runtime/Runtime.h"
#include "qtensor/Tooling/Generation.h"
#include "qtensor/Tooling/ModelOptions.h"
#include "qtensor/Tooling/Profile.h"
#include "qtensor/Tooling/ToolSupport.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

namespace cl = llvm::cl;
using mlir::qtensor::QuantizeOption;
using mlir::qtensor::reportBadInput;

static cl::OptionCategory toolOptions("qtensor-generate options");
static cl::opt<std::string> modelPath(cl::Positional, cl::Required,
                                      cl::cat(toolOptions),
                                      cl::desc("<model.pt|model.mlir>"));
static cl::opt<std::string>
    prompt("prompt", cl::Required, cl::cat(toolOptions),
           cl::desc("The prompt's token ids, comma-separated"),
           cl::value_desc("ID,ID,..."));
static cl::opt<unsigned> steps("steps", cl::init(16), cl::cat(toolOptions),
                               cl::desc("Decode calls after the prefill"),
                               cl::value_desc("N"));
static QuantizeOption quantize(toolOptions);
// The CPU by default: a model's state does not run on the GPU yet, so
// auto would refuse decoders wherever a GPU answers.
static cl::opt<std::string>
    target("target", cl::init("cpu"), cl::cat(toolOptions),
           cl::desc("Where the code runs (state runs on the CPU only so far)"),
           cl::value_desc("cpu|auto|cuda"));
static cl::opt<std::string> dumpLogits(
    "dump-logits", cl::cat(toolOptions),
    cl::desc("Write the last-position logits of every call, [N + 1, V]"),
    cl::value_desc("out.npy"));
static cl::opt<std::string>
    force("force", cl::cat(toolOptions),
          cl::desc("Feed these N ids to the decode calls instead of the "
                   "argmax (teacher forcing)"),
          cl::value_desc("ID,ID,..."));
static cl::opt<std::string>
    cacheDir("cache-dir", cl::cat(toolOptions),
             cl::desc("Keep compiled models in DIR across runs"),
             cl::value_desc("DIR"));
static cl::opt<bool>
    bench("bench", cl::cat(toolOptions),
          cl::desc("Print the time to first token and the decode speed"));
static cl::opt<bool>
    profile("profile", cl::cat(toolOptions),
            cl::desc("Time each op of the compiled code and print where the "
                     "decode calls' time goes (linears, attention, other)"));

namespace {

int runTool() {
  qtensor::CompileOptions options;
  auto scheme = quantize.parse();
  if (!scheme)
    return reportBadInput(llvm::toString(scheme.takeError()));
  options.quantization = *scheme;
  if (!qtensor::parseTarget(target, options.target))
    return reportBadInput("unknown --target '" + target +
                          "' (expected auto, cpu or cuda)");
  options.cacheDirectory = cacheDir;
  options.profile = profile;
  qtensor::tooling::GenerationRequest request;
  request.steps = steps;
  if (std::string problem =
          qtensor::tooling::parseTokenIds(prompt, "prompt", request.prompt);
      !problem.empty())
    return reportBadInput(problem);
  if (!force.empty())
    if (std::string problem =
            qtensor::tooling::parseTokenIds(force, "force", request.forced);
        !problem.empty())
      return reportBadInput(problem);
  if (!dumpLogits.empty()) {
    std::string problem = mlir::qtensor::checkOutputPath(dumpLogits);
    if (!problem.empty())
      return reportBadInput("cannot write '" + dumpLogits + "': " + problem);
  }

  // idx [1, T] and input_pos [T]: one compile for the prefill and decode.
  std::string problem;
  for (const char *text : {"1xT:i64", "T:i64"}) {
    qtensor::InputSpec spec;
    if (!qtensor::parseInputSpec(text, qtensor::DType::I64, spec, problem))
      return reportBadInput(problem);
    options.inputs.push_back(std::move(spec));
  }
  std::shared_ptr<qtensor::Model> model;
  if (qtensor::Status status =
          qtensor::Model::compile(modelPath, options, model);
      !status)
    return reportBadInput(status.message());
  if (model->states().empty())
    return reportBadInput("the model keeps no state (no buffer its forward "
                          "writes): it has no KV cache to decode with");

  // Positions and ids must stay below the bounds the model checks.
  if (std::string problem =
          qtensor::tooling::checkGeneration(request, model->inputBounds());
      !problem.empty())
    return reportBadInput(problem);

  std::unique_ptr<qtensor::State> state = model->createState();
  qtensor::tooling::GenerationResult result;
  size_t calls = 0;
  if (qtensor::Status status = qtensor::tooling::generateGreedy(
          request,
          [&](const std::vector<qtensor::TensorView> &inputs,
              std::vector<qtensor::Tensor> &outputs) {
            qtensor::Status status = model->run(inputs, outputs, *state);
            // The profile covers the decode calls, not the prefill.
            if (calls++ == 0)
              model->resetProfile();
            return status;
          },
          result);
      !status)
    return reportBadInput(status.message());
  llvm::outs() << qtensor::tooling::formatGenerated(result);
  if (bench)
    llvm::outs() << qtensor::tooling::formatGenerationTimes(request, {result});
  if (profile)
    llvm::outs() << qtensor::tooling::formatProfile(model->profile(),
                                                    request.steps);
  if (!dumpLogits.empty())
    if (qtensor::Status status = qtensor::writeNpy(
            dumpLogits, qtensor::tooling::logitsArray(result));
        !status)
      return reportBadInput(status.message());
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  mlir::qtensor::parseToolCommandLine(
      argc, argv, toolOptions,
      "qtensor-generate: greedy decoding with a model's KV cache\n");
  return runTool();
}
