//===- qtensor-decode-bench.cpp - LLM decoding against LibTorch -----------===//
//
//   qtensor-decode-bench MODEL.pt [--prompt-tokens P] [--steps N]
//                        [--rounds R] [--threads T] [--profile-top N]
//
// A decoder in gpt-fast's form (docs/decoding.md), compiled once with int8
// weights, against LibTorch fp32 running the same scripted module with its
// own cache. Each round, interleaved: a generation on each side from a fresh
// cache, a prefill of P tokens then N decode steps of one token, each call
// timed. Reported, with the DRAM read bandwidth measured in the same run:
//   - prefill time and decode tokens/s (median call) of both;
//   - bytes a decode step reads: int8 weights and scales, one row of the
//     token embedding, the norms and tables, and the part of the KV cache
//     the step attends to (at the middle position of the decode steps); as
//     bandwidth, their share of the probe;
//   - the fp32 bound: fp32 weight bytes over the probe's bandwidth, the
//     best tokens/s any fp32 implementation could reach here;
//   - compile time and peak memory of the compile.
// Output: one JSON object on stdout, a readable summary on stderr.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Runtime/Runtime.h"
#include "qtensor/Tooling/Profile.h"
#include "qtensor/Tooling/Timing.h"

#include "BenchSupport.h"

#include <ATen/Parallel.h>
#include <torch/script.h>

#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <sys/resource.h>
#include <vector>

using namespace qtensor::bench;
using qtensor::tooling::millisecondsSince;
using qtensor::tooling::summarizeTimes;

namespace {

struct Options {
  std::string model;
  int64_t promptTokens = 128;
  int steps = 32;
  int rounds = 5;
  int threads = 2;
  /// Entries of each op profile listed (the slowest first).
  int profileTop = 10;
};

Options parseOptions(int argc, char **argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto number = [&]() -> int64_t {
      if (i + 1 >= argc)
        fail("missing value after " + arg);
      char *end = nullptr;
      long long value = std::strtoll(argv[++i], &end, 10);
      if (*end || value < 1 || value > 100000)
        fail(arg + " takes a count from 1 to 100000");
      return value;
    };
    if (arg == "--prompt-tokens")
      options.promptTokens = number();
    else if (arg == "--steps")
      options.steps = static_cast<int>(number());
    else if (arg == "--rounds")
      options.rounds = static_cast<int>(number());
    else if (arg == "--threads")
      options.threads = static_cast<int>(number());
    else if (arg == "--profile-top")
      options.profileTop = static_cast<int>(number());
    else if (!arg.empty() && arg[0] != '-' && options.model.empty())
      options.model = arg;
    else
      fail("unknown argument '" + arg +
           "' (expected MODEL.pt [--prompt-tokens P] [--steps N] "
           "[--rounds R] [--threads T] [--profile-top N])");
  }
  if (options.model.empty())
    fail("no model given (bench/run.sh --decoder writes one)");
  return options;
}

/// Peak resident memory of this process so far, in MB.
double peakMemoryMB() {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;
}

/// The times of one generation: the prefill and each decode step, in ms.
struct Generation {
  double prefillMs = 0;
  std::vector<double> decodeMs;
};

/// One generation through `call(tokens, first position)`; `afterPrefill()`
/// runs between the prefill and the first decode step, untimed.
template <typename Call, typename AfterPrefill>
Generation generate(const Options &opts, Call &&call,
                    AfterPrefill &&afterPrefill) {
  Generation times;
  std::vector<int64_t> prompt(opts.promptTokens);
  for (int64_t i = 0; i < opts.promptTokens; ++i)
    prompt[i] = (i * 7919 + 13) % 1000;
  auto start = std::chrono::steady_clock::now();
  int64_t next = call(prompt, 0);
  times.prefillMs = millisecondsSince(start);
  afterPrefill();
  for (int step = 0; step < opts.steps; ++step) {
    start = std::chrono::steady_clock::now();
    next = call({next}, opts.promptTokens + step);
    times.decodeMs.push_back(millisecondsSince(start));
  }
  return times;
}

template <typename Call> Generation generate(const Options &opts, Call &&call) {
  return generate(opts, std::forward<Call>(call), [] {});
}

/// The op profile's categories as a JSON object of milliseconds per call.
std::string profileJson(const std::vector<qtensor::ProfileEntry> &entries,
                        int calls) {
  std::ostringstream json;
  json << "{";
  const char *separator = "";
  for (const auto &[category, seconds] :
       qtensor::tooling::profileByCategory(entries)) {
    json << separator << jsonString(category) << ": " << 1e3 * seconds / calls;
    separator = ", ";
  }
  json << "}";
  return json.str();
}

/// The argmax of the last row of logits [1, T, V].
int64_t lastArgmax(const float *logits, int64_t tokens, int64_t vocabulary) {
  const float *row = logits + (tokens - 1) * vocabulary;
  return std::max_element(row, row + vocabulary) - row;
}

/// Bytes a decode step reads, from the compiled model's parameters: the
/// table indexed by token ids (float, [vocabulary, width]) one row, every
/// other parameter whole; with `fp32`, integer weights as float.
double stepParameterBytes(const qtensor::Model &model, int64_t vocabulary,
                          bool fp32) {
  double bytes = 0;
  for (const qtensor::Parameter &parameter : model.parameters()) {
    bool integer = parameter.dtype == qtensor::DType::I8;
    bool table = !integer && parameter.shape.size() == 2 &&
                 parameter.shape[0] == vocabulary && parameter.shape[1] > 1;
    double size = static_cast<double>(parameter.bytes);
    if (table)
      size /= static_cast<double>(vocabulary);
    else if (integer && fp32)
      size *= 4;
    else if (fp32 && parameter.name.size() > 6 &&
             parameter.name.compare(parameter.name.size() - 6, 6, ".scale") ==
                 0)
      size = 0; // an fp32 model has no scales
    bytes += size;
  }
  return bytes;
}

/// Bytes of the KV cache a step at `position` attends to: positions
/// 0..position of every state [B, H, S, D].
double cacheBytes(const qtensor::Model &model, int64_t position) {
  double bytes = 0;
  for (const qtensor::StateSpec &state : model.states()) {
    if (state.shape.size() != 4)
      continue;
    bytes += static_cast<double>(state.initial.size()) / state.shape[2] *
             (position + 1);
  }
  return bytes;
}

} // namespace

int main(int argc, char **argv) {
  Options opts = parseOptions(argc, argv);
  try {
    at::set_num_threads(opts.threads);
    torch::NoGradGuard noGrad;
    // Before anything large is allocated.
    double dram = measureReadBandwidth(opts.threads);
    std::string blas = blasCore();

    qtensor::CompileOptions options;
    std::string problem;
    for (const char *text : {"1xT:i64", "T:i64"}) {
      qtensor::InputSpec spec;
      if (!qtensor::parseInputSpec(text, qtensor::DType::I64, spec, problem))
        fail(problem);
      options.inputs.push_back(spec);
    }
    options.target = qtensor::Target::Cpu;
    // Where a step's time goes (linears, attention, the rest): a clock
    // read per op and call, in every generation (docs/performance.md).
    options.profile = true;
    auto compileStart = std::chrono::steady_clock::now();
    std::shared_ptr<qtensor::Model> model;
    if (qtensor::Status status =
            qtensor::Model::compile(opts.model, options, model);
        !status)
      fail(status.message());
    double compileMs = millisecondsSince(compileStart);
    double compilePeakMB = peakMemoryMB();
    if (model->states().empty() || model->inputBounds().size() < 2)
      fail("'" + opts.model + "' is not a decoder with a KV cache");
    int64_t vocabulary = model->inputBounds()[0];
    int64_t cacheLength = model->inputBounds()[1];
    if (opts.promptTokens + opts.steps > cacheLength)
      fail("the prompt and the steps need " +
           std::to_string(opts.promptTokens + opts.steps) +
           " positions; the cache holds " + std::to_string(cacheLength));

    torch::jit::Module eager = torch::jit::load(opts.model);
    eager.eval();
    std::unique_ptr<qtensor::State> state;
    auto ours = [&](const std::vector<int64_t> &tokens, int64_t first) {
      int64_t count = static_cast<int64_t>(tokens.size());
      std::vector<int64_t> positions(count);
      for (int64_t i = 0; i < count; ++i)
        positions[i] = first + i;
      std::vector<qtensor::Tensor> outputs;
      if (qtensor::Status status =
              model->run({{tokens.data(), qtensor::DType::I64, {1, count}},
                          {positions.data(), qtensor::DType::I64, {count}}},
                         outputs, *state);
          !status)
        fail(status.message());
      return lastArgmax(outputs[0].f32(), count, vocabulary);
    };
    auto theirs = [&](const std::vector<int64_t> &tokens, int64_t first) {
      int64_t count = static_cast<int64_t>(tokens.size());
      at::Tensor idx = torch::tensor(tokens, torch::kInt64).view({1, count});
      at::Tensor pos = torch::arange(first, first + count, torch::kInt64);
      at::Tensor logits = eager.forward({idx, pos}).toTensor().contiguous();
      return lastArgmax(logits.data_ptr<float>(), count, vocabulary);
    };

    std::vector<double> prefill[2], decode[2];
    for (int round = 0; round < opts.rounds; ++round) {
      state = model->createState();
      Generation a = generate(opts, ours);
      Generation b = generate(opts, theirs);
      for (auto [side, times] : {std::pair{0, &a}, std::pair{1, &b}}) {
        prefill[side].push_back(times->prefillMs);
        decode[side].insert(decode[side].end(), times->decodeMs.begin(),
                            times->decodeMs.end());
      }
    }

    // The op profile of one more generation: its prefill, its decode steps.
    state = model->createState();
    model->resetProfile();
    std::vector<qtensor::ProfileEntry> prefillProfile;
    generate(opts, ours, [&] {
      prefillProfile = model->profile();
      model->resetProfile();
    });
    std::vector<qtensor::ProfileEntry> decodeProfile = model->profile();

    int64_t middle = opts.promptTokens + opts.steps / 2;
    double cache = cacheBytes(*model, middle);
    double int8Bytes = stepParameterBytes(*model, vocabulary, false) + cache;
    double fp32Bytes = stepParameterBytes(*model, vocabulary, true) + cache;
    double decodeMs[2] = {summarizeTimes(decode[0]).medianMs,
                          summarizeTimes(decode[1]).medianMs};
    double prefillMs[2] = {summarizeTimes(prefill[0]).medianMs,
                           summarizeTimes(prefill[1]).medianMs};
    double readGBs = int8Bytes / (decodeMs[0] * 1e6);
    double fp32BoundTokens = dram * 1e9 / fp32Bytes;

    std::ostringstream json;
    json << "{\"model\": " << jsonString(opts.model)
         << ", \"threads\": " << opts.threads
         << ", \"prompt_tokens\": " << opts.promptTokens
         << ", \"steps\": " << opts.steps << ", \"rounds\": " << opts.rounds
         << ", \"dram_read_gbs\": " << dram
         << ", \"blas\": " << jsonString(blas)
         << ", \"compile_ms\": " << compileMs
         << ", \"compile_peak_mb\": " << compilePeakMB
         << ", \"step_bytes_int8\": " << int8Bytes
         << ", \"step_bytes_fp32\": " << fp32Bytes
         << ", \"qtensor\": {\"prefill_ms\": " << prefillMs[0]
         << ", \"decode_ms\": " << decodeMs[0]
         << ", \"tokens_per_s\": " << 1e3 / decodeMs[0]
         << ", \"read_gbs\": " << readGBs
         << ", \"bandwidth_share\": " << (dram > 0 ? readGBs / dram : 0)
         << ", \"prefill_profile_ms\": " << profileJson(prefillProfile, 1)
         << ", \"decode_profile_ms\": "
         << profileJson(decodeProfile, opts.steps)
         << "}, \"libtorch_fp32\": {\"prefill_ms\": " << prefillMs[1]
         << ", \"decode_ms\": " << decodeMs[1]
         << ", \"tokens_per_s\": " << 1e3 / decodeMs[1]
         << "}, \"fp32_bound_tokens_per_s\": " << fp32BoundTokens << "}";
    std::cout << json.str() << std::endl;
    std::fprintf(
        stderr,
        "DRAM read bandwidth %.1f GB/s (%d threads); %s\n"
        "compile %.1f s, peak memory %.0f MB\n"
        "decode: qtensor int8 %.2f tokens/s (%.1f ms, %.0f MB per token, "
        "%.1f GB/s = %.0f%% of the probe); LibTorch fp32 %.2f tokens/s; "
        "fp32 bound %.2f tokens/s\n"
        "prefill of %lld tokens: qtensor %.0f ms, LibTorch %.0f ms "
        "(%.2fx)\n",
        dram, opts.threads, blas.c_str(), compileMs / 1e3, compilePeakMB,
        1e3 / decodeMs[0], decodeMs[0], int8Bytes / 1e6, readGBs,
        dram > 0 ? 100 * readGBs / dram : 0.0, 1e3 / decodeMs[1],
        fp32BoundTokens, static_cast<long long>(opts.promptTokens),
        prefillMs[0], prefillMs[1], prefillMs[1] / prefillMs[0]);
    std::fprintf(stderr, "decode step, %s",
                 qtensor::tooling::formatProfile(decodeProfile, opts.steps,
                                                 opts.profileTop)
                     .c_str());
    std::fprintf(
        stderr, "prefill, %s",
        qtensor::tooling::formatProfile(prefillProfile, 1, opts.profileTop)
            .c_str());
  } catch (const std::exception &error) {
    std::string what = error.what();
    fail(what.substr(0, what.find('\n')));
  }
  return 0;
}
