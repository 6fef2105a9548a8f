//===- qtensor-exec.cpp - run an AOT artifact on the light runtime --------===//
//
//   qtensor-exec DIR --input x.npy [--input ...] [--params FILE|DIR]
//                [--output y.npy ...] [--bench N [--rotate R]]
//   qtensor-exec DIR --prompt IDS [--steps N] [--force IDS]
//                [--dump-logits out.npy] [--params FILE|DIR] [--bench N]
//
// The second form decodes greedily with a decoder's KV cache, as
// qtensor-generate does with the JIT (the same loop: Generation.h).
// Links the light runtime only: no LLVM, MLIR or LibTorch (the
// light-runtime-dependencies test checks). Exit status 0, or 2 with one
// `error: ...` line for bad input of any kind; an output file is written
// whole or not at all.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Runtime/Artifact.h"
#include "qtensor/Runtime/CudaRuntime.h"
#include "qtensor/Runtime/Npy.h"
#include "qtensor/Tooling/Generation.h"
#include "qtensor/Tooling/Timing.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
/// Sanitized builds only, as in the JIT runtime (runtime/lib/Model.cpp):
/// CPU artifacts load libomp, whose worker threads hold dynamic TLS that
/// GCC 12's LeakSanitizer crashes on at exit unless __tls_get_addr is not
/// intercepted. qtensor-exec links no other qtensor library that sets it.
extern "C" const char *__asan_default_options() {
  return "intercept_tls_get_addr=0";
}
#endif

namespace {

constexpr int kExitBadInput = 2;

int fail(const std::string &message) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  return kExitBadInput;
}

constexpr const char *kUsage =
    "usage: qtensor-exec DIR --input x.npy [--input ...] [--params FILE|DIR]\n"
    "                    [--output y.npy ...] [--bench N [--rotate R]]\n"
    "\n"
    "Runs the artifact that qtensor-compile wrote to DIR.\n"
    "  --input x.npy     one model input, in order: float32 '<f4', float16\n"
    "                    '<f2', bfloat16 as its uint16 bits '<u2', int8,\n"
    "                    int32, int64 or bool\n"
    "  --params FILE|DIR parameters to use instead of DIR/weights.bin: a\n"
    "                    weights file of the same layout, or a directory of\n"
    "                    NAME.npy files (qtensor-run --dump-params)\n"
    "  --output y.npy    write a result (one per --output, in order)\n"
    "  --bench N         time N runs (median and minimum); for CUDA\n"
    "                    artifacts also the GPU time of their kernels alone\n"
    "                    (events around each launch) and over N CUDA-graph\n"
    "                    replays of one run per parameter copy\n"
    "  --rotate R        with --bench: R copies of the parameters, used in\n"
    "                    turn, so that caches do not hold them (default 1)\n"
    "\n"
    "       qtensor-exec DIR --prompt IDS [--steps N] [--force IDS]\n"
    "                    [--dump-logits out.npy] [--params FILE|DIR]\n"
    "                    [--bench N]\n"
    "\n"
    "Decodes greedily with the KV cache of a decoder artifact, as\n"
    "qtensor-generate does (docs/decoding.md): the prefill of the prompt,\n"
    "then N decode calls (default 16); prints the N + 1 new ids.\n"
    "  --prompt IDS      the prompt's token ids, comma-separated\n"
    "  --force IDS       feed these N ids instead of the argmax\n"
    "  --dump-logits F   write every call's last logits, float32 [N + 1, V]\n"
    "  --bench N         run N generations, each from a fresh state, and\n"
    "                    print the time to first token and decode speed\n";

struct Options {
  std::string artifact;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::string params;
  unsigned bench = 0;
  unsigned rotate = 1;
  /// The generation form (--prompt).
  bool generate = false;
  std::string prompt, force, dumpLogits;
  /// --steps when given; 16 decode calls otherwise.
  std::optional<unsigned> steps;
};

/// A loaded artifact and, for a decoder, the state its runs use (a fresh
/// KV cache, as qtensor-run runs decoders): single runs of any artifact.
struct Runner {
  std::shared_ptr<qtensor::Artifact> artifact;
  std::unique_ptr<qtensor::State> state;

  explicit Runner(std::shared_ptr<qtensor::Artifact> loaded)
      : artifact(std::move(loaded)) {
    if (!artifact->states().empty())
      state = artifact->createState();
  }
  qtensor::Status run(const std::vector<qtensor::TensorView> &inputs,
                      std::vector<qtensor::Tensor> &results) const {
    return state ? artifact->run(inputs, results, *state)
                 : artifact->run(inputs, results);
  }
};

/// Prints `bench NAME median_ms=... min_ms=... DETAILS` for `times` (not
/// empty).
void printTimes(const char *name, const std::vector<double> &times,
                const std::string &details) {
  qtensor::tooling::TimingSummary summary =
      qtensor::tooling::summarizeTimes(times);
  std::printf("bench %s median_ms=%.4f min_ms=%.4f %s\n", name,
              summary.medianMs, summary.minMs, details.c_str());
}

/// Times the kernels of one run per parameter copy as CUDA-graph replays
/// (how PyTorch's baselines are timed: no launch gaps or host code between
/// kernels) and prints the median per run; returns why not otherwise.
std::string timeGraphReplays(const std::vector<Runner> &copies,
                             const std::vector<qtensor::TensorView> &inputs,
                             unsigned replays) {
  if (!qtensor::cuda::beginLaunchCapture())
    return qtensor::cuda::takeError().value_or("the capture did not start");
  // Not the results --output writes: a failed run clears its results.
  std::vector<qtensor::Tensor> results;
  std::string failure;
  for (const Runner &copy : copies)
    if (qtensor::Status status = copy.run(inputs, results);
        !status && failure.empty())
      failure = status.message();
  std::unique_ptr<qtensor::cuda::LaunchGraph> graph =
      qtensor::cuda::endLaunchCapture();
  std::optional<std::string> error = qtensor::cuda::takeError();
  if (!failure.empty())
    return failure;
  if (!graph)
    return error.value_or("the capture failed");
  std::vector<float> times = graph->replay(replays);
  if (std::optional<std::string> replayError = qtensor::cuda::takeError())
    return *replayError;
  if (times.empty())
    return "no replay was timed";
  std::vector<double> perRun;
  for (float time : times)
    perRun.push_back(static_cast<double>(time) / copies.size());
  printTimes("qtensor-exec-graph", perRun,
             "replays=" + std::to_string(replays) +
                 " runs_per_replay=" + std::to_string(copies.size()) +
                 " kernels_per_replay=" + std::to_string(graph->kernels()));
  return std::string();
}

/// Parses a count in 1..limit.
bool parseCount(const std::string &text, unsigned limit, unsigned &count) {
  char *end = nullptr;
  unsigned long value = std::strtoul(text.c_str(), &end, 10);
  if (text.empty() || *end || value == 0 || value > limit)
    return false;
  count = static_cast<unsigned>(value);
  return true;
}

/// Parses argv into `options`; returns an error message, or "".
std::string parseArguments(int argc, char **argv, Options &options) {
  for (int i = 1; i < argc; ++i) {
    std::string argument = argv[i];
    auto value = [&](std::string &out) -> std::string {
      if (i + 1 >= argc)
        return "option '" + argument + "' needs a value";
      out = argv[++i];
      return "";
    };
    std::string text, problem;
    if (argument == "--input") {
      problem = value(text);
      options.inputs.push_back(text);
    } else if (argument == "--output") {
      problem = value(text);
      options.outputs.push_back(text);
    } else if (argument == "--params") {
      problem = value(options.params);
    } else if (argument == "--bench") {
      problem = value(text);
      if (problem.empty() && !parseCount(text, 1000000, options.bench))
        problem = "--bench '" + text + "' is not a count from 1 to 1000000";
    } else if (argument == "--rotate") {
      problem = value(text);
      if (problem.empty() && !parseCount(text, 64, options.rotate))
        problem = "--rotate '" + text + "' is not a count from 1 to 64";
    } else if (argument == "--prompt") {
      options.generate = true;
      problem = value(options.prompt);
    } else if (argument == "--force") {
      problem = value(options.force);
    } else if (argument == "--dump-logits") {
      problem = value(options.dumpLogits);
    } else if (argument == "--steps") {
      problem = value(text);
      char *end = nullptr;
      unsigned long count = std::strtoul(text.c_str(), &end, 10);
      if (problem.empty() &&
          (text.empty() || *end ||
           !std::isdigit(static_cast<unsigned char>(text[0])) ||
           count > 1000000))
        problem = "--steps '" + text + "' is not a count from 0 to 1000000";
      options.steps = static_cast<unsigned>(count);
    } else if (argument.size() > 1 && argument[0] == '-') {
      problem = "unknown option '" + argument + "' (see --help)";
    } else if (options.artifact.empty()) {
      options.artifact = argument;
    } else {
      problem = "more than one artifact: '" + options.artifact + "' and '" +
                argument + "'";
    }
    if (!problem.empty())
      return problem;
  }
  if (options.artifact.empty())
    return "no artifact directory given (see --help)";
  if (options.rotate > 1 && !options.bench)
    return "--rotate needs --bench";
  if (options.generate && (!options.inputs.empty() ||
                           !options.outputs.empty() || options.rotate > 1))
    return "--prompt generates from token ids: --input, --output and "
           "--rotate belong to single runs";
  if (!options.generate &&
      (!options.force.empty() || !options.dumpLogits.empty() || options.steps))
    return "--steps, --force and --dump-logits need --prompt";
  auto isNpy = [](const std::string &path) {
    return path.size() >= 4 && path.compare(path.size() - 4, 4, ".npy") == 0;
  };
  if (!options.dumpLogits.empty() && !isNpy(options.dumpLogits))
    return "--dump-logits '" + options.dumpLogits + "' must name a .npy file";
  for (const std::string &path : options.outputs)
    if (!isNpy(path))
      return "--output '" + path + "' must name a .npy file";
  return "";
}

/// Loads the artifact (with --params' parameters when given).
std::string loadArtifact(const Options &options,
                         std::shared_ptr<qtensor::Artifact> &artifact) {
  if (qtensor::Status status =
          qtensor::Artifact::load(options.artifact, artifact);
      !status)
    return status.message();
  if (!options.params.empty())
    if (qtensor::Status status = artifact->setParameters(options.params);
        !status)
      return status.message();
  return "";
}

/// Reads the --input files into `arrays`, viewed by `inputs`.
std::string readInputs(const Options &options,
                       std::vector<qtensor::NpyArray> &arrays,
                       std::vector<qtensor::TensorView> &inputs) {
  arrays.resize(options.inputs.size());
  for (size_t i = 0; i < options.inputs.size(); ++i) {
    if (qtensor::Status status = qtensor::readNpy(options.inputs[i], arrays[i]);
        !status)
      return status.message();
    // readNpy accepts only the dtypes dtypeOfNpy knows.
    inputs.push_back({arrays[i].bytes.data(),
                      *qtensor::dtypeOfNpy(arrays[i].dtype), arrays[i].shape});
  }
  return "";
}

/// Sums each run's kernel times (every run launches the same kernels) and
/// prints them; returns why not.
std::string printKernelTimes(unsigned runs) {
  std::vector<qtensor::cuda::KernelTime> kernels =
      qtensor::cuda::takeKernelTimes();
  if (std::optional<std::string> error = qtensor::cuda::takeError())
    return "timing the kernels: " + *error;
  if (kernels.empty() || kernels.size() % runs != 0)
    return "timing the kernels: " + std::to_string(kernels.size()) +
           " timed launches in " + std::to_string(runs) + " runs";
  size_t perRun = kernels.size() / runs;
  std::vector<double> gpuTimes;
  for (size_t run = 0; run < runs; ++run) {
    double sum = 0;
    for (size_t k = 0; k < perRun; ++k)
      sum += kernels[run * perRun + k].milliseconds;
    gpuTimes.push_back(sum);
  }
  printTimes("qtensor-exec-kernels", gpuTimes,
             "launches_per_run=" + std::to_string(perRun));
  return "";
}

/// --bench: times --bench runs over --rotate parameter copies; for CUDA
/// artifacts also their kernels alone and CUDA-graph replays.
std::string bench(const Options &options, Runner &&runner,
                  const std::vector<qtensor::TensorView> &inputs,
                  std::vector<qtensor::Tensor> &results) {
  // More loads of the same artifact: each holds its own parameter copy.
  std::vector<Runner> copies;
  copies.push_back(std::move(runner));
  while (copies.size() < options.rotate) {
    std::shared_ptr<qtensor::Artifact> copy;
    if (std::string problem = loadArtifact(options, copy); !problem.empty())
      return problem;
    copies.emplace_back(std::move(copy));
  }
  const std::shared_ptr<qtensor::Artifact> &artifact = copies[0].artifact;
  bool gpu = artifact->targetDescription().rfind("cuda", 0) == 0;
  qtensor::cuda::setKernelTiming(gpu);
  std::vector<double> times;
  for (unsigned i = 0; i < options.bench; ++i) {
    auto start = std::chrono::steady_clock::now();
    if (qtensor::Status status = copies[i % copies.size()].run(inputs, results);
        !status)
      return status.message();
    times.push_back(qtensor::tooling::millisecondsSince(start));
  }
  qtensor::cuda::setKernelTiming(false);
  printTimes("qtensor-exec", times,
             "runs=" + std::to_string(options.bench) +
                 " rotate=" + std::to_string(options.rotate));
  if (!gpu)
    return "";
  if (std::string problem = printKernelTimes(options.bench); !problem.empty())
    return problem;
  // A measurement, not the run: a driver that cannot capture is told
  // about, and the results above still stand.
  if (std::string problem = timeGraphReplays(copies, inputs, options.bench);
      !problem.empty()) {
    std::fflush(stdout); // in order with the lines above
    std::fprintf(stderr, "warning: no CUDA-graph timing: %s\n",
                 problem.c_str());
  }
  return "";
}

/// The generation form: the greedy loop over the artifact's KV cache.
int generate(const Options &options,
             const std::shared_ptr<qtensor::Artifact> &artifact) {
  if (artifact->states().empty())
    return fail("the model keeps no state (no buffer its forward writes): "
                "it has no KV cache to decode with");
  qtensor::tooling::GenerationRequest request;
  request.steps = options.steps.value_or(16);
  if (std::string problem = qtensor::tooling::parseTokenIds(
          options.prompt, "prompt", request.prompt);
      !problem.empty())
    return fail(problem);
  if (!options.force.empty())
    if (std::string problem = qtensor::tooling::parseTokenIds(
            options.force, "force", request.forced);
        !problem.empty())
      return fail(problem);
  if (std::string problem =
          qtensor::tooling::checkGeneration(request, artifact->inputBounds());
      !problem.empty())
    return fail(problem);
  std::vector<qtensor::tooling::GenerationResult> runs(
      std::max(1u, options.bench));
  for (qtensor::tooling::GenerationResult &result : runs) {
    std::unique_ptr<qtensor::State> state = artifact->createState();
    if (qtensor::Status status = qtensor::tooling::generateGreedy(
            request,
            [&](const std::vector<qtensor::TensorView> &inputs,
                std::vector<qtensor::Tensor> &outputs) {
              return artifact->run(inputs, outputs, *state);
            },
            result);
        !status)
      return fail(status.message());
  }
  std::fputs(qtensor::tooling::formatGenerated(runs[0]).c_str(), stdout);
  if (options.bench)
    std::fputs(qtensor::tooling::formatGenerationTimes(request, runs).c_str(),
               stdout);
  if (!options.dumpLogits.empty())
    if (qtensor::Status status = qtensor::writeNpy(
            options.dumpLogits, qtensor::tooling::logitsArray(runs[0]));
        !status)
      return fail(status.message());
  std::fflush(stdout);
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--help") == 0 ||
        std::strcmp(argv[i], "-h") == 0) {
      std::fputs(kUsage, stdout);
      return 0;
    }
  Options options;
  if (std::string problem = parseArguments(argc, argv, options);
      !problem.empty())
    return fail(problem);

  std::shared_ptr<qtensor::Artifact> artifact;
  if (std::string problem = loadArtifact(options, artifact); !problem.empty())
    return fail(problem);
  std::printf("target: %s\n", artifact->targetDescription().c_str());
  if (options.generate)
    return generate(options, artifact);
  std::vector<qtensor::NpyArray> arrays;
  std::vector<qtensor::TensorView> inputs;
  if (std::string problem = readInputs(options, arrays, inputs);
      !problem.empty())
    return fail(problem);
  std::vector<qtensor::Tensor> results;
  Runner runner(artifact);
  if (qtensor::Status status = runner.run(inputs, results); !status)
    return fail(status.message());
  if (options.outputs.size() > results.size())
    return fail(std::to_string(options.outputs.size()) +
                " --output files for " + std::to_string(results.size()) +
                " results");
  if (options.bench)
    if (std::string problem =
            bench(options, std::move(runner), inputs, results);
        !problem.empty())
      return fail(problem);

  for (size_t i = 0; i < options.outputs.size(); ++i) {
    const qtensor::Tensor &result = results[i];
    qtensor::NpyArray array{qtensor::npyDType(result.dtype), result.shape,
                            result.bytes};
    if (qtensor::Status status = qtensor::writeNpy(options.outputs[i], array);
        !status)
      return fail(status.message());
  }
  for (size_t i = 0; i < results.size(); ++i)
    std::printf("result %zu: %s %s\n", i, qtensor::toString(results[i].dtype),
                qtensor::formatShape(results[i].shape).c_str());
  // Before the artifact's global destructors (GPU module unloads) run.
  std::fflush(stdout);
  return 0;
}
