//===- Generation.h - the greedy decoding loop of the tools -----*- C++ -*-===//
//
// The one definition of a generation, shared by qtensor-generate (JIT) and
// qtensor-exec --prompt (artifacts), so that both print the same ids and
// logits for the same model. With a prompt of P ids, the prefill is one
// call at positions 0..P-1; the argmax of its last logits is the first new
// id. Each of the N decode calls feeds the previous new id (or the next
// forced one) at the next position. docs/decoding.md has the definitions.
// Header-only and free of LLVM: qtensor-exec uses it.
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_TOOLING_GENERATION_H
#define QTENSOR_TOOLING_GENERATION_H

#include "qtensor/Runtime/Npy.h"
#include "qtensor/Runtime/Tensor.h"
#include "qtensor/Tooling/Timing.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace qtensor {
namespace tooling {

/// What to generate: the prompt, the decode calls, the forced ids (empty,
/// or one per decode call).
struct GenerationRequest {
  std::vector<int64_t> prompt;
  unsigned steps = 0;
  std::vector<int64_t> forced;
};

/// What a generation produced: N + 1 new ids, the last-position logits of
/// every call (float32, [N + 1, vocabulary]) and the time of each call.
struct GenerationResult {
  std::vector<int64_t> generated;
  std::vector<float> logits;
  int64_t vocabulary = 0;
  double prefillMs = 0;
  std::vector<double> decodeMs;
};

/// Reads comma-separated token ids into `ids`; returns an error message
/// naming `option`, or "".
inline std::string parseTokenIds(const std::string &text, const char *option,
                                 std::vector<int64_t> &ids) {
  ids.clear();
  if (text.empty())
    return std::string("--") + option + " is empty: give at least one token id";
  size_t begin = 0;
  while (true) {
    size_t end = text.find(',', begin);
    std::string part = text.substr(begin, end - begin);
    size_t first = part.find_first_not_of(" \t"),
           last = part.find_last_not_of(" \t");
    std::string trimmed =
        first == std::string::npos ? "" : part.substr(first, last - first + 1);
    char *stop = nullptr;
    errno = 0;
    long long id = std::strtoll(trimmed.c_str(), &stop, 10);
    if (trimmed.empty() || *stop || errno == ERANGE)
      return std::string("--") + option + ": '" + part + "' is not a token id";
    ids.push_back(id);
    if (end == std::string::npos)
      return "";
    begin = end + 1;
  }
}

/// Checks a request against the model's input bounds (ids below the
/// vocabulary, positions below the cache length; 0 for no bound) before
/// anything runs; returns an error message or "".
inline std::string checkGeneration(const GenerationRequest &request,
                                   const std::vector<int64_t> &bounds) {
  if (request.prompt.empty())
    return "--prompt is empty: give at least one token id";
  if (!request.forced.empty() && request.forced.size() != request.steps)
    return "--force gives " + std::to_string(request.forced.size()) +
           " ids for " + std::to_string(request.steps) +
           " decode steps; give one per step";
  int64_t vocabulary = bounds.size() > 0 ? bounds[0] : 0;
  int64_t length = bounds.size() > 1 ? bounds[1] : 0;
  size_t positions = request.prompt.size() + request.steps;
  if (length > 0 && positions > static_cast<size_t>(length))
    return "the prompt (" + std::to_string(request.prompt.size()) +
           " ids) and " + std::to_string(request.steps) + " steps need " +
           std::to_string(positions) + " positions; the model's cache holds " +
           std::to_string(length);
  for (const std::vector<int64_t> *list : {&request.prompt, &request.forced})
    for (int64_t id : *list)
      if (id < 0 || (vocabulary > 0 && id >= vocabulary))
        return "token id " + std::to_string(id) + " is outside the vocabulary" +
               (vocabulary > 0 ? " [0, " + std::to_string(vocabulary) + ")"
                               : std::string(" (ids are >= 0)"));
  return "";
}

/// Element `i` of a float tensor (f32, f16 or bf16) as a float.
inline float floatAt(const Tensor &tensor, size_t i) {
  uint16_t bits16 = 0;
  if (tensor.dtype != DType::F32)
    std::memcpy(&bits16, tensor.bytes.data() + 2 * i, 2);
  float value = 0;
  switch (tensor.dtype) {
  case DType::F32:
    std::memcpy(&value, tensor.bytes.data() + 4 * i, 4);
    break;
  case DType::BF16: {
    uint32_t bits = uint32_t(bits16) << 16;
    std::memcpy(&value, &bits, 4);
    break;
  }
  case DType::F16: {
    _Float16 half;
    std::memcpy(&half, &bits16, 2);
    value = static_cast<float>(half);
    break;
  }
  default:
    break;
  }
  return value;
}

/// Runs `request` greedily: `call(inputs, outputs)` runs the model once on
/// idx [1, T] and input_pos [T] (with the generation's state). Returns the
/// first failure.
template <typename Call>
Status generateGreedy(const GenerationRequest &request, Call &&call,
                      GenerationResult &result) {
  result = GenerationResult();
  // One call: `tokens` at positions from `first`; the argmax of the last
  // position's logits (the first of equal ones) is the next id.
  auto step = [&](const std::vector<int64_t> &tokens, int64_t first) -> Status {
    std::vector<int64_t> where(tokens.size());
    for (size_t i = 0; i < tokens.size(); ++i)
      where[i] = first + static_cast<int64_t>(i);
    int64_t count = static_cast<int64_t>(tokens.size());
    std::vector<TensorView> inputs = {{tokens.data(), DType::I64, {1, count}},
                                      {where.data(), DType::I64, {count}}};
    std::vector<Tensor> outputs;
    QTENSOR_RETURN_IF_ERROR(call(inputs, outputs));
    if (outputs.empty() || outputs[0].shape.size() != 3 ||
        outputs[0].shape[1] != count || outputs[0].shape[2] <= 0 ||
        (outputs[0].dtype != DType::F32 && outputs[0].dtype != DType::F16 &&
         outputs[0].dtype != DType::BF16))
      return Status::error(
          "the model's first result is not float logits [1, T, V]");
    int64_t width = outputs[0].shape[2];
    result.vocabulary = width;
    size_t last = static_cast<size_t>((count - 1) * width);
    int64_t best = 0;
    float bestValue = floatAt(outputs[0], last);
    for (int64_t v = 0; v < width; ++v) {
      float value = floatAt(outputs[0], last + v);
      result.logits.push_back(value);
      if (value > bestValue) {
        bestValue = value;
        best = v;
      }
    }
    result.generated.push_back(best);
    return Status::success();
  };

  auto start = std::chrono::steady_clock::now();
  QTENSOR_RETURN_IF_ERROR(step(request.prompt, 0));
  result.prefillMs = millisecondsSince(start);
  for (unsigned i = 0; i < request.steps; ++i) {
    int64_t token =
        request.forced.empty() ? result.generated.back() : request.forced[i];
    start = std::chrono::steady_clock::now();
    QTENSOR_RETURN_IF_ERROR(
        step({token}, static_cast<int64_t>(request.prompt.size() + i)));
    result.decodeMs.push_back(millisecondsSince(start));
  }
  return Status::success();
}

/// "generated: 5 17 ...", the line both tools print.
inline std::string formatGenerated(const GenerationResult &result) {
  std::string line = "generated:";
  for (int64_t id : result.generated)
    line += " " + std::to_string(id);
  return line + "\n";
}

/// The --bench lines for `runs` generations of `request`: the median time
/// to first token; decode tokens/s as decode calls over their total time,
/// and the median decode call.
inline std::string
formatGenerationTimes(const GenerationRequest &request,
                      const std::vector<GenerationResult> &runs) {
  std::vector<double> prefill, decode;
  for (const GenerationResult &run : runs) {
    prefill.push_back(run.prefillMs);
    decode.insert(decode.end(), run.decodeMs.begin(), run.decodeMs.end());
  }
  char line[256];
  std::string text;
  std::snprintf(line, sizeof(line),
                "time to first token: %.2f ms (prefill of %zu ids",
                summarizeTimes(prefill).medianMs, request.prompt.size());
  text += line;
  if (runs.size() > 1)
    text += ", median of " + std::to_string(runs.size()) + " runs";
  text += ")\n";
  if (!decode.empty()) {
    double total = 0;
    for (double ms : decode)
      total += ms;
    std::snprintf(line, sizeof(line),
                  "decode: %.2f tokens/s (%u steps, median %.3f ms per "
                  "token)\n",
                  1000.0 * decode.size() / total, request.steps,
                  summarizeTimes(decode).medianMs);
    text += line;
  }
  return text;
}

/// The logits as --dump-logits writes them: float32 [N + 1, V].
inline NpyArray logitsArray(const GenerationResult &result) {
  NpyArray array;
  array.dtype = "<f4";
  array.shape = {static_cast<int64_t>(result.generated.size()),
                 result.vocabulary};
  array.bytes.resize(result.logits.size() * sizeof(float));
  std::memcpy(array.bytes.data(), result.logits.data(), array.bytes.size());
  return array;
}

} // namespace tooling
} // namespace qtensor

#endif // QTENSOR_TOOLING_GENERATION_H
