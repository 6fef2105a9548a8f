//===- qtensor-generate.cpp - greedy decoding with a KV cache -------------===//
//
//   qtensor-generate MODEL.pt --prompt 1,2,3 --steps N [--quantize int8|none]
//       [--target cpu|auto|cuda] [--dump-logits out.npy] [--force IDS]
//       [--cache-dir DIR] [--bench]
//
// The model is a decoder in gpt-fast's form: forward(idx [1, T] int64,
// input_pos [T] int64) -> logits [1, T, V], with its KV cache as buffers it
// writes (docs/decoding.md). With a prompt of P ids, the prefill is one call
// at positions 0..P-1; its last logits give the first new id. Each of the N
// decode calls then feeds the previous new id (or, with --force, the next
// forced id) at the next position. N + 1 new ids are printed; --dump-logits
// writes the last-position logits of every call as float32 [N + 1, V].
// Exit status 0, or 2 with one error line on bad input.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Runtime/Runtime.h"
#include "qtensor/Tooling/ModelOptions.h"
#include "qtensor/Tooling/NpyFile.h"
#include "qtensor/Tooling/Timing.h"
#include "qtensor/Tooling/ToolSupport.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

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

namespace {

/// Comma-separated token ids, or an error naming `option`.
llvm::Expected<std::vector<int64_t>> parseIds(llvm::StringRef text,
                                              llvm::StringRef option) {
  std::vector<int64_t> ids;
  llvm::SmallVector<llvm::StringRef> parts;
  text.split(parts, ',');
  for (llvm::StringRef part : parts) {
    int64_t id;
    if (part.trim().getAsInteger(10, id))
      return llvm::createStringError("--" + option.str() + ": '" + part.str() +
                                     "' is not a token id");
    ids.push_back(id);
  }
  return ids;
}

/// Logit `i` of `tensor` (f32, f16 or bf16) as a float.
float logitAt(const qtensor::Tensor &tensor, size_t i) {
  auto bits16 = [&] {
    uint16_t bits;
    std::memcpy(&bits, tensor.bytes.data() + 2 * i, 2);
    return bits;
  };
  switch (tensor.dtype) {
  case qtensor::DType::F32: {
    float value;
    std::memcpy(&value, tensor.bytes.data() + 4 * i, 4);
    return value;
  }
  case qtensor::DType::BF16: {
    uint32_t bits = uint32_t(bits16()) << 16;
    float value;
    std::memcpy(&value, &bits, 4);
    return value;
  }
  case qtensor::DType::F16:
    return static_cast<float>(
        *reinterpret_cast<const _Float16 *>(tensor.bytes.data() + 2 * i));
  default:
    return 0;
  }
}

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
  auto ids = parseIds(prompt, "prompt");
  if (!ids)
    return reportBadInput(llvm::toString(ids.takeError()));
  if (prompt.empty() || ids->empty())
    return reportBadInput("--prompt is empty: give at least one token id");
  std::vector<int64_t> forced;
  if (!force.empty()) {
    auto parsed = parseIds(force, "force");
    if (!parsed)
      return reportBadInput(llvm::toString(parsed.takeError()));
    forced = std::move(*parsed);
    if (forced.size() != steps)
      return reportBadInput("--force gives " + std::to_string(forced.size()) +
                            " ids for " + std::to_string(steps) +
                            " decode steps; give one per step");
  }
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
  const std::vector<int64_t> &bounds = model->inputBounds();
  int64_t vocabulary = bounds.size() > 0 ? bounds[0] : 0;
  int64_t length = bounds.size() > 1 ? bounds[1] : 0;
  size_t positions = ids->size() + steps;
  if (length > 0 && static_cast<int64_t>(positions) > length)
    return reportBadInput(
        "the prompt (" + std::to_string(ids->size()) + " ids) and " +
        std::to_string(steps) + " steps need " + std::to_string(positions) +
        " positions; the model's cache holds " + std::to_string(length));
  for (const std::vector<int64_t> *list : {&*ids, &forced})
    for (int64_t id : *list)
      if (id < 0 || (vocabulary > 0 && id >= vocabulary))
        return reportBadInput(
            "token id " + std::to_string(id) + " is outside the vocabulary" +
            (vocabulary > 0 ? " [0, " + std::to_string(vocabulary) + ")"
                            : std::string(" (ids are >= 0)")));

  std::unique_ptr<qtensor::State> state = model->createState();
  std::vector<int64_t> generated, logitRows;
  std::vector<float> logits;
  int64_t width = 0;
  std::vector<double> decodeMs;
  double prefillMs = 0;
  // One call: `tokens` at positions from `first`; the argmax of the last
  // position's logits is the next id.
  auto call = [&](const std::vector<int64_t> &tokens,
                  int64_t first) -> qtensor::Status {
    std::vector<int64_t> where(tokens.size());
    for (size_t i = 0; i < tokens.size(); ++i)
      where[i] = first + static_cast<int64_t>(i);
    int64_t count = static_cast<int64_t>(tokens.size());
    std::vector<qtensor::TensorView> inputs = {
        {tokens.data(), qtensor::DType::I64, {1, count}},
        {where.data(), qtensor::DType::I64, {count}}};
    std::vector<qtensor::Tensor> outputs;
    QTENSOR_RETURN_IF_ERROR(model->run(inputs, outputs, *state));
    if (outputs.empty() || outputs[0].shape.size() != 3 ||
        outputs[0].shape[1] != count)
      return qtensor::Status::error(
          "the model's first result is not logits [1, T, V]");
    width = outputs[0].shape[2];
    size_t last = static_cast<size_t>((count - 1) * width);
    int64_t best = 0;
    float bestValue = logitAt(outputs[0], last);
    for (int64_t v = 0; v < width; ++v) {
      float value = logitAt(outputs[0], last + v);
      logits.push_back(value);
      if (value > bestValue) {
        bestValue = value;
        best = v;
      }
    }
    generated.push_back(best);
    return qtensor::Status::success();
  };

  auto start = std::chrono::steady_clock::now();
  if (qtensor::Status status = call(*ids, 0); !status)
    return reportBadInput(status.message());
  prefillMs = qtensor::tooling::millisecondsSince(start);
  for (unsigned step = 0; step < steps; ++step) {
    int64_t token = forced.empty() ? generated.back() : forced[step];
    start = std::chrono::steady_clock::now();
    if (qtensor::Status status =
            call({token}, static_cast<int64_t>(ids->size() + step));
        !status)
      return reportBadInput(status.message());
    decodeMs.push_back(qtensor::tooling::millisecondsSince(start));
  }

  llvm::outs() << "generated:";
  for (int64_t id : generated)
    llvm::outs() << " " << id;
  llvm::outs() << "\n";
  if (bench) {
    double total = 0;
    for (double ms : decodeMs)
      total += ms;
    llvm::outs() << llvm::format("time to first token: %.2f ms (prefill of "
                                 "%zu ids)\n",
                                 prefillMs, ids->size());
    if (!decodeMs.empty())
      llvm::outs() << llvm::format(
          "decode: %.2f tokens/s (%u steps, median %.3f ms per token)\n",
          1000.0 * decodeMs.size() / total, steps.getValue(),
          qtensor::tooling::summarizeTimes(decodeMs).medianMs);
  }
  if (!dumpLogits.empty()) {
    qtensor::NpyArray array;
    array.dtype = "<f4";
    array.shape = {static_cast<int64_t>(generated.size()), width};
    array.bytes.resize(logits.size() * sizeof(float));
    std::memcpy(array.bytes.data(), logits.data(), array.bytes.size());
    if (llvm::Error error = mlir::qtensor::writeNpy(dumpLogits, array))
      return reportBadInput(llvm::toString(std::move(error)));
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  mlir::qtensor::parseToolCommandLine(
      argc, argv, toolOptions,
      "qtensor-generate: greedy decoding with a model's KV cache\n");
  return runTool();
}
