//===- main.cpp - run an AOT artifact on the light runtime ----------------===//
//
// Usage: qtensor-aot-example ARTIFACT_DIR ROWS
//
// Loads an f32 artifact written by `qtensor-compile`, runs it on a
// [ROWS, K] input (the artifact's compiled shape with its dynamic batch
// set to ROWS; values 0.01 * i), and prints the output's shape and first
// values.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Runtime/Artifact.h"

#include <cstdlib>
#include <iostream>

int main(int argc, char **argv) {
  if (argc != 3) {
    std::cerr << "usage: qtensor-aot-example ARTIFACT_DIR ROWS\n";
    return 2;
  }
  std::shared_ptr<qtensor::Artifact> artifact;
  if (qtensor::Status status = qtensor::Artifact::load(argv[1], artifact);
      !status) {
    std::cerr << "error: " << status.message() << "\n";
    return 1;
  }
  if (artifact->inputs().size() != 1 ||
      artifact->inputs().front().dtype != qtensor::DType::F32) {
    std::cerr << "error: this example runs artifacts with one f32 input\n";
    return 1;
  }
  std::vector<int64_t> shape = artifact->inputs().front().shape();
  int64_t elements = 1;
  for (int64_t &dim : shape) {
    if (dim < 0)
      dim = std::atoll(argv[2]);
    elements *= dim;
  }
  std::vector<float> input(elements);
  for (int64_t i = 0; i < elements; ++i)
    input[i] = 0.01f * static_cast<float>(i % 100);

  std::vector<qtensor::Tensor> outputs;
  if (qtensor::Status status =
          artifact->run({{input.data(), qtensor::DType::F32, shape}}, outputs);
      !status) {
    std::cerr << "error: " << status.message() << "\n";
    return 1;
  }
  const qtensor::Tensor &output = outputs.front();
  std::cout << "target " << artifact->targetDescription() << "\n"
            << "output shape " << qtensor::formatShape(output.shape) << "\n"
            << "first values";
  for (size_t i = 0; i < std::min<size_t>(4, output.numElements()); ++i)
    std::cout << " " << output.f32()[i];
  std::cout << "\n";
  return 0;
}
