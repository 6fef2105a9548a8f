//===- TorchReference.cpp - the seed's references, in LibTorch ------------===//

#include "qtensor/Runtime/TorchReference.h"

#include <ATen/ATen.h>
#include <torch/script.h>

#include <algorithm>
#include <cmath>

namespace qtensor {

std::pair<at::Tensor, at::Tensor> seedQuantize(const at::Tensor &weight) {
  // Line by line the seed's Python: amin/amax per row, the max of their
  // magnitudes, a true division by 127.5, `1.0 / scale` (reciprocal, then
  // times 1.0), round half to even, clamp, int8.
  at::Tensor minValue = at::amin(weight, {1}, false);
  at::Tensor maxValue = at::amax(weight, {1}, false);
  at::Tensor minNeg = at::min(minValue, at::zeros_like(minValue));
  at::Tensor maxPos = at::max(maxValue, at::zeros_like(maxValue));
  maxPos = at::max(-minNeg, maxPos);
  at::Tensor scale = (maxPos / 127.5).view({weight.size(0), -1});
  at::Tensor out = at::round(weight * (at::reciprocal(scale) * 1.0));
  out = at::clamp(out, -128, 127).to(at::kChar);
  return {out, scale};
}

torch::jit::Module moduleSwap(const torch::jit::Module &module,
                              const Model &model) {
  torch::jit::Module swapped = module.clone();
  swapped.eval();
  torch::NoGradGuard noGrad;
  for (const Parameter &parameter : model.parameters()) {
    const std::string suffix = ".data";
    if (parameter.name.size() <= suffix.size() ||
        parameter.name.compare(parameter.name.size() - suffix.size(),
                               suffix.size(), suffix) != 0)
      continue;
    std::string name =
        parameter.name.substr(0, parameter.name.size() - suffix.size());
    for (const auto &named : swapped.named_parameters(/*recurse=*/true)) {
      if (named.name != name || named.value.dim() != 2)
        continue;
      auto [data, scale] = seedQuantize(named.value.to(at::kFloat));
      named.value.copy_(
          (data.to(at::kFloat) * scale).to(named.value.scalar_type()));
    }
  }
  return swapped;
}

std::vector<at::Tensor> runTorch(torch::jit::Module &module,
                                 const std::vector<at::Tensor> &inputs) {
  torch::NoGradGuard noGrad;
  std::vector<torch::jit::IValue> arguments(inputs.begin(), inputs.end());
  torch::jit::IValue result = module.forward(arguments);
  std::vector<at::Tensor> tensors;
  if (result.isTuple()) {
    for (const auto &element : result.toTupleRef().elements())
      tensors.push_back(element.toTensor());
  } else {
    tensors.push_back(result.toTensor());
  }
  return tensors;
}

Agreement compare(const at::Tensor &actual, const at::Tensor &reference) {
  at::Tensor a = actual.to(at::kDouble), r = reference.to(at::kDouble);
  double atol = 1e-5 * (r.numel() ? r.abs().max().item<double>() : 0.0);
  Agreement result;
  result.close = a.sizes() == r.sizes() && at::allclose(a, r, 1e-4, atol);
  if (a.sizes() != r.sizes() || r.numel() == 0) {
    result.maxAbsError = result.maxRelError = 0;
    result.sqnrDb = INFINITY;
    return result;
  }
  at::Tensor error = (a - r).abs();
  result.maxAbsError = error.max().item<double>();
  result.maxRelError =
      (error / r.abs().clamp_min(std::max(atol, 1e-30))).max().item<double>();
  double noise = error.pow(2).sum().item<double>();
  result.sqnrDb = noise == 0
                      ? INFINITY
                      : 10 * std::log10(r.pow(2).sum().item<double>() / noise);
  return result;
}

} // namespace qtensor
