// Compiles a TorchScript model with int8 weights and runs it from C++:
//   qtensor-example model.pt
// Built against the installed qtensor package (find_package(QTensor)).
#include "qtensor/Runtime/Runtime.h"

#include <cstdio>
#include <vector>

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr,
                 "usage: %s model.pt (a [batch, 64] -> [batch, N] model)\n",
                 argv[0]);
    return 2;
  }
  qtensor::CompileOptions options;
  options.inputs = {qtensor::InputSpec::fromShape({-1, 64})}; // any batch size
  options.quantization = qtensor::QuantScheme::int8();
  std::shared_ptr<qtensor::Model> model;
  if (qtensor::Status status = qtensor::Model::compile(argv[1], options, model);
      !status) {
    std::fprintf(stderr, "error: %s\n", status.message().c_str());
    return 2;
  }
  std::vector<float> input(3 * 64);
  for (size_t i = 0; i < input.size(); ++i)
    input[i] = static_cast<float>(i % 7) - 3.0f;
  std::vector<qtensor::Tensor> outputs;
  if (qtensor::Status status =
          model->run({{input.data(), qtensor::DType::F32, {3, 64}}}, outputs);
      !status) {
    std::fprintf(stderr, "error: %s\n", status.message().c_str());
    return 2;
  }
  std::printf("output shape [%lld, %lld], first value %.6f, on %s\n",
              (long long)outputs[0].shape[0], (long long)outputs[0].shape[1],
              outputs[0].f32()[0], model->targetDescription().c_str());
  return 0;
}
