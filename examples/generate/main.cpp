// Greedy decoding with a scripted decoder's KV cache, step by step, through
// the public API (docs/decoding.md):
//   qtensor-generate-example decoder.pt PROMPT_IDS STEPS
// The model: forward(idx [1, T] int64, input_pos [T] int64) -> logits
// [1, T, V], its cache as buffers it writes. The sampler below is greedy;
// a program's own sampler takes its place.
#include "qtensor/Runtime/Runtime.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

namespace {

/// The id of the largest of the last position's logits (float32).
int64_t greedy(const qtensor::Tensor &logits) {
  int64_t count = logits.shape[1], width = logits.shape[2];
  const auto *row = reinterpret_cast<const float *>(logits.bytes.data()) +
                    (count - 1) * width;
  int64_t best = 0;
  for (int64_t v = 1; v < width; ++v)
    if (row[v] > row[best])
      best = v;
  return best;
}

int fail(const std::string &message) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  return 2;
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 4)
    return fail(std::string("usage: ") + argv[0] + " decoder.pt 5,17,3,9 16");
  std::vector<int64_t> tokens;
  std::stringstream ids(argv[2]);
  for (std::string id; std::getline(ids, id, ',');)
    tokens.push_back(std::strtoll(id.c_str(), nullptr, 10));
  int steps = std::atoi(argv[3]);

  // One compile for the prompt and the one-token steps: T is dynamic.
  qtensor::CompileOptions options;
  std::string problem;
  for (const char *text : {"1xT:i64", "T:i64"}) {
    qtensor::InputSpec spec;
    if (!qtensor::parseInputSpec(text, qtensor::DType::I64, spec, problem))
      return fail(problem);
    options.inputs.push_back(spec);
  }
  std::shared_ptr<qtensor::Model> model;
  if (qtensor::Status status = qtensor::Model::compile(argv[1], options, model);
      !status)
    return fail(status.message());

  // One state per generation: the cache as saved in the model.
  std::unique_ptr<qtensor::State> state = model->createState();
  std::vector<int64_t> positions(tokens.size());
  std::iota(positions.begin(), positions.end(), 0);
  std::printf("generated:");
  for (int step = 0; step <= steps; ++step) {
    int64_t count = static_cast<int64_t>(tokens.size());
    std::vector<qtensor::Tensor> outputs;
    if (qtensor::Status status =
            model->run({{tokens.data(), qtensor::DType::I64, {1, count}},
                        {positions.data(), qtensor::DType::I64, {count}}},
                       outputs, *state);
        !status)
      return fail(status.message());
    int64_t next = greedy(outputs[0]);
    std::printf(" %lld", static_cast<long long>(next));
    tokens = {next};
    positions = {positions.back() + 1};
  }
  std::printf("\n");
  return 0;
}
