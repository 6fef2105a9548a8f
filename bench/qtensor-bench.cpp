//===- qtensor-bench.cpp - qtensor's CPU kernels against LibTorch ---------===//
//
// For each layer shape and batch size M, times in one process and
// interleaved, round by round:
//   qtensor        the compiled int8 model (weights packed at compile time);
//   linear         LibTorch fp32 F.linear (BLAS sgemm);
//   mv             LibTorch fp32 torch.mv (BLAS sgemv), at M = 1 only;
//   swap           the seed's module swap: int8_symmetric_quantize of the
//                  weight, matmul with the int8 data as float, times scale,
//                  every call;
//   dynamic        LibTorch's dynamically quantized int8 Linear.
// Each row also gives the DRAM read bandwidth measured in the same run and
// the BLAS core in use. Output: one JSON object per line (bench/report.py
// turns it into a table and a plot).
//
// With --transformer-tokens, the Llama-style stack and nn.TransformerEncoder
// of make_transformer_bench_models.py at each token count instead:
//   qtensor          the compiled int8 model;
//   qtensor_linears  the same model's linear layers alone (int8);
//   libtorch         LibTorch fp32 running the frozen traced module.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Reference/TorchReference.h"
#include "qtensor/Runtime/Runtime.h"
#include "qtensor/Runtime/TorchInterop.h"
#include "qtensor/Tooling/Timing.h"

#include "BenchSupport.h"

#include <ATen/Parallel.h>
#include <torch/script.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <functional>
#include <immintrin.h>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using namespace qtensor::bench;

struct Options {
  std::string modelDir;
  std::vector<std::pair<int64_t, int64_t>> shapes; // (K, N)
  std::vector<int64_t> batches;
  int rounds = 15;
  /// Fewer rounds (at least 3) for rows whose rounds would take longer.
  double rowBudgetSeconds = 8.0;
  /// Each timed sample repeats a call until it takes at least this long.
  double minSampleMs = 2.0;
  bool toy = true;
  int threads = 2;
  /// Transformer mode: the models of make_transformer_bench_models.py
  /// (llama, encoder) at these token counts, instead of the layers.
  std::vector<int64_t> tokens;
};

std::vector<int64_t> parseList(const std::string &text) {
  std::vector<int64_t> values;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ','))
    values.push_back(std::stoll(item));
  return values;
}

Options parseOptions(int argc, char **argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc)
        fail("missing value after " + arg);
      return argv[++i];
    };
    if (arg == "--models") {
      options.modelDir = value();
    } else if (arg == "--shapes") {
      std::stringstream stream(value());
      std::string item;
      while (std::getline(stream, item, ',')) {
        size_t x = item.find('x');
        if (x == std::string::npos)
          fail("--shapes takes KxN,KxN,...");
        options.shapes.push_back(
            {std::stoll(item.substr(0, x)), std::stoll(item.substr(x + 1))});
      }
    } else if (arg == "--batches") {
      options.batches = parseList(value());
    } else if (arg == "--rounds") {
      options.rounds = std::stoi(value());
    } else if (arg == "--row-budget-s") {
      options.rowBudgetSeconds = std::stod(value());
    } else if (arg == "--min-sample-ms") {
      options.minSampleMs = std::stod(value());
    } else if (arg == "--threads") {
      options.threads = std::stoi(value());
    } else if (arg == "--no-toy") {
      options.toy = false;
    } else if (arg == "--transformer-tokens") {
      options.tokens = parseList(value());
    } else {
      fail("unknown option '" + arg +
           "' (expected --models DIR --shapes KxN,... --batches M,... "
           "[--rounds R] [--row-budget-s S] [--min-sample-ms T] [--threads T] "
           "[--no-toy] [--transformer-tokens T,...])");
    }
  }
  if (options.modelDir.empty())
    fail("--models DIR is required (bench/make_bench_models.py writes it)");
  if (options.rounds < 1)
    fail("--rounds must be at least 1");
  return options;
}

/// Median and minimum of the per-call times of one candidate, in ms.
struct Timing {
  std::vector<double> samples;
  double median() const {
    return qtensor::tooling::summarizeTimes(samples).medianMs;
  }
  double min() const { return qtensor::tooling::summarizeTimes(samples).minMs; }
};

struct Candidate {
  Candidate(std::string name, std::function<void()> call)
      : name(std::move(name)), call(std::move(call)) {}
  std::string name;
  std::function<void()> call;
  /// Calls per sample, chosen once from a calibration call.
  int repeat = 1;
  Timing timing;
};

/// A candidate running compiled `model` on `views`.
Candidate runCompiled(std::string name, qtensor::Model &model,
                      const std::vector<qtensor::TensorView> &views,
                      std::vector<qtensor::Tensor> &outputs) {
  return {std::move(name), [&model, &views, &outputs] {
            if (qtensor::Status s = model.run(views, outputs); !s)
              fail(s.message());
          }};
}

using qtensor::tooling::millisecondsSince;

/// Times the candidates round-robin so that drift (frequency, other load)
/// hits them all alike.
void timeInterleaved(std::vector<Candidate> &candidates, const Options &opts) {
  for (Candidate &candidate : candidates) {
    candidate.call(); // warm-up: first-touch, caches, lazy init
    Clock::time_point start = Clock::now();
    candidate.call();
    double once = std::max(millisecondsSince(start), 1e-4);
    candidate.repeat =
        std::max(1, static_cast<int>(opts.minSampleMs / once + 0.5));
  }
  double roundMs = 0;
  for (const Candidate &candidate : candidates) {
    Clock::time_point start = Clock::now();
    candidate.call();
    roundMs += millisecondsSince(start) * candidate.repeat;
  }
  int rounds =
      std::max(3, std::min(opts.rounds, static_cast<int>(opts.rowBudgetSeconds *
                                                         1e3 / roundMs)));
  for (int round = 0; round < rounds; ++round) {
    for (Candidate &candidate : candidates) {
      Clock::time_point start = Clock::now();
      for (int i = 0; i < candidate.repeat; ++i)
        candidate.call();
      candidate.timing.samples.push_back(millisecondsSince(start) /
                                         candidate.repeat);
    }
  }
}

struct RowContext {
  std::string layer;
  int64_t m, k, n;
  double flops;
  double dramGBs;
  std::string blas;
};

void printRow(const RowContext &row, const std::vector<Candidate> &cands,
              const std::map<std::string, double> &weightBytes) {
  const Candidate &ours = cands.front();
  std::ostringstream out;
  out << "{\"layer\": " << jsonString(row.layer) << ", \"m\": " << row.m
      << ", \"k\": " << row.k << ", \"n\": " << row.n
      << ", \"dram_read_gbs\": " << row.dramGBs
      << ", \"blas\": " << jsonString(row.blas) << ", \"results\": {";
  for (size_t i = 0; i < cands.size(); ++i) {
    const Candidate &c = cands[i];
    double ms = c.timing.median();
    auto bytes = weightBytes.find(c.name);
    out << (i ? ", " : "") << jsonString(c.name) << ": {\"median_ms\": " << ms
        << ", \"min_ms\": " << c.timing.min()
        << ", \"gflops\": " << row.flops / (ms * 1e6) << ", \"weight_gbs\": "
        << (bytes == weightBytes.end() ? 0.0 : bytes->second / (ms * 1e6))
        << ", \"ratio_to_qtensor\": " << ms / ours.timing.median() << "}";
  }
  out << "}}";
  std::cout << out.str() << std::endl;
}

at::Tensor weightOf(torch::jit::Module &module) {
  for (const auto &parameter : module.named_parameters())
    if (parameter.name.find("weight") != std::string::npos)
      return parameter.value.detach().contiguous();
  fail("the benchmark model has no weight parameter");
}

void benchLayer(const Options &opts, int64_t k, int64_t n, double dramGBs,
                const std::string &blas) {
  std::string stem =
      opts.modelDir + "/linear_" + std::to_string(k) + "x" + std::to_string(n);
  torch::jit::Module floatModule = torch::jit::load(stem + ".pt");
  floatModule.eval();
  torch::jit::Module dynamicModule = torch::jit::load(stem + "_dynamic.pt");
  dynamicModule.eval();
  at::Tensor weight = weightOf(floatModule); // [N, K]

  qtensor::CompileOptions compileOptions;
  compileOptions.inputs = {qtensor::InputSpec::fromShape({-1, k})};
  // A CPU benchmark: never the GPU, even where one answers.
  compileOptions.target = qtensor::Target::Cpu;
  std::shared_ptr<qtensor::Model> model;
  Clock::time_point start = Clock::now();
  if (qtensor::Status status =
          qtensor::Model::compile(stem + ".pt", compileOptions, model);
      !status)
    fail(status.message());
  std::fprintf(stderr, "compiled %s in %.0f ms\n", stem.c_str(),
               millisecondsSince(start));

  for (int64_t m : opts.batches) {
    at::Tensor x = at::randn({m, k});
    std::vector<qtensor::TensorView> views = {
        {x.data_ptr(), qtensor::DType::F32, {m, k}}};
    std::vector<qtensor::Tensor> outputs;
    at::Tensor sink;
    std::vector<Candidate> cands;
    cands.push_back(runCompiled("qtensor", *model, views, outputs));
    cands.push_back({"linear", [&] { sink = at::linear(x, weight); }});
    if (m == 1) {
      at::Tensor row = x[0];
      cands.push_back({"mv", [&, row] { sink = at::mv(weight, row); }});
    }
    cands.push_back({"swap", [&] {
                       auto [data, scale] =
                           qtensor::reference::seedQuantize(weight);
                       sink = at::matmul(x, data.t().to(x.dtype())) * scale.t();
                     }});
    std::vector<c10::IValue> dynamicInputs = {x};
    cands.push_back({"dynamic", [&] {
                       sink = dynamicModule.forward(dynamicInputs).toTensor();
                     }});
    timeInterleaved(cands, opts);
    double fp32Bytes = 4.0 * n * k;
    std::map<std::string, double> weightBytes = {
        {"qtensor", 1.0 * n * k + 4.0 * n},
        {"linear", fp32Bytes},
        {"mv", fp32Bytes},
        {"swap", fp32Bytes},
        {"dynamic", 1.0 * n * k}};
    RowContext row{std::to_string(k) + "x" + std::to_string(n),
                   m,
                   k,
                   n,
                   2.0 * m * n * k,
                   dramGBs,
                   blas};
    printRow(row, cands, weightBytes);
  }
}

void benchToy(const Options &opts, double dramGBs, const std::string &blas) {
  std::string path = opts.modelDir + "/toy.pt";
  torch::jit::Module floatModule = torch::jit::load(path);
  floatModule.eval();
  qtensor::CompileOptions compileOptions;
  compileOptions.inputs = {qtensor::InputSpec::fromShape({64, 64, 64})};
  compileOptions.target = qtensor::Target::Cpu;
  std::shared_ptr<qtensor::Model> model;
  if (qtensor::Status status =
          qtensor::Model::compile(path, compileOptions, model);
      !status)
    fail(status.message());
  torch::jit::Module swapped =
      qtensor::reference::moduleSwap(floatModule, *model);
  at::Tensor x = at::randn({64, 64, 64});
  std::vector<qtensor::TensorView> views = {
      {x.data_ptr(), qtensor::DType::F32, {64, 64, 64}}};
  std::vector<qtensor::Tensor> outputs;
  std::vector<c10::IValue> inputs = {x};
  c10::IValue sink;
  std::vector<Candidate> cands;
  cands.push_back(runCompiled("qtensor", *model, views, outputs));
  cands.push_back({"eager", [&] { sink = floatModule.forward(inputs); }});
  cands.push_back({"swap", [&] { sink = swapped.forward(inputs); }});
  timeInterleaved(cands, opts);
  // ToyModel(64, 128, 32): 64 -> 128 -> 32 over 4096 rows.
  double flops = 2.0 * 4096 * (64 * 128 + 128 * 32);
  RowContext row{"toy", 4096, 64, 32, flops, dramGBs, blas};
  printRow(row, cands, {});
}

std::shared_ptr<qtensor::Model>
compileForTokens(const std::string &path, int64_t tokens, int64_t width) {
  qtensor::CompileOptions compileOptions;
  compileOptions.inputs = {qtensor::InputSpec::fromShape({1, tokens, width})};
  compileOptions.target = qtensor::Target::Cpu;
  std::shared_ptr<qtensor::Model> model;
  Clock::time_point start = Clock::now();
  if (qtensor::Status status =
          qtensor::Model::compile(path, compileOptions, model);
      !status)
    fail(status.message());
  std::fprintf(stderr, "compiled %s in %.0f ms\n", path.c_str(),
               millisecondsSince(start));
  return model;
}

/// One transformer at one token count: qtensor's int8 model, the same
/// model's linear layers alone (what the rest costs is the difference), and
/// LibTorch fp32 running the frozen traced module.
void benchTransformer(const Options &opts, const std::string &name,
                      int64_t tokens, double dramGBs, const std::string &blas) {
  std::string stem = opts.modelDir + "/" + name;
  std::string path = stem + "_T" + std::to_string(tokens) + ".pt";
  torch::jit::Module module = torch::jit::load(path);
  module.eval();
  // The width is the input size of the first 2-D weight; every 2-D weight
  // is a linear's, each costing 2 * tokens * its size.
  int64_t width = 0;
  double linearFlops = 0;
  for (const auto &parameter : module.named_parameters()) {
    if (parameter.value.dim() != 2)
      continue;
    if (width == 0)
      width = parameter.value.size(1);
    linearFlops += 2.0 * tokens * parameter.value.numel();
  }
  if (width == 0)
    fail("the transformer benchmark model has no 2-D weight");
  std::shared_ptr<qtensor::Model> model = compileForTokens(path, tokens, width);
  std::shared_ptr<qtensor::Model> linears = compileForTokens(
      stem + "_linears_T" + std::to_string(tokens) + ".pt", tokens, width);
  torch::jit::Module frozen = torch::jit::freeze(module);

  at::Tensor x = at::randn({1, tokens, width});
  std::vector<qtensor::TensorView> views = {
      {x.data_ptr(), qtensor::DType::F32, {1, tokens, width}}};
  std::vector<qtensor::Tensor> outputs, linearOutputs;
  std::vector<c10::IValue> inputs = {x};
  c10::IValue sink;
  std::vector<Candidate> cands;
  cands.push_back(runCompiled("qtensor", *model, views, outputs));
  cands.push_back(
      runCompiled("qtensor_linears", *linears, views, linearOutputs));
  cands.push_back({"libtorch", [&] { sink = frozen.forward(inputs); }});
  timeInterleaved(cands, opts);
  RowContext row{name, tokens, width, 0, linearFlops, dramGBs, blas};
  printRow(row, cands, {});
}

} // namespace

int main(int argc, char **argv) {
  Options opts = parseOptions(argc, argv);
  try {
    at::set_num_threads(opts.threads);
    torch::NoGradGuard noGrad;
    // The dynamic quantized Linear runs on oneDNN when LibTorch has it.
    auto engines = at::globalContext().supportedQEngines();
    if (std::find(engines.begin(), engines.end(), at::QEngine::ONEDNN) !=
        engines.end())
      at::globalContext().setQEngine(at::QEngine::ONEDNN);
    std::string blas = blasCore();
    double dram = measureReadBandwidth(opts.threads);
    std::fprintf(stderr, "DRAM read bandwidth: %.1f GB/s (%d threads); %s\n",
                 dram, opts.threads, blas.c_str());
    for (int64_t tokens : opts.tokens)
      for (const char *name : {"llama", "encoder"})
        benchTransformer(opts, name, tokens, dram, blas);
    for (auto [k, n] : opts.shapes)
      benchLayer(opts, k, n, dram, blas);
    if (opts.toy && opts.tokens.empty())
      benchToy(opts, dram, blas);
  } catch (const std::exception &error) {
    std::string what = error.what();
    fail(what.substr(0, what.find('\n')));
  }
  return 0;
}
