//===- TorchReference.cpp - the oracles qtensor is checked against --------===//

#include "qtensor/Reference/TorchReference.h"

#include <ATen/ATen.h>
#include <torch/csrc/jit/passes/inliner.h>
#include <torch/csrc/jit/runtime/graph_iterator.h>
#include <torch/script.h>

#include <map>
#include <set>

#include <algorithm>
#include <cmath>

namespace qtensor {
namespace reference {

std::pair<at::Tensor, at::Tensor> seedQuantize(const at::Tensor &weight) {
  // Line by line the seed's Python: amin/amax per row, the max of their
  // magnitudes, a true division by 127.5, `1.0 / scale` (reciprocal, then
  // times 1.0), round half to even, clamp, int8. In the weight's own dtype,
  // as PyTorch computes it.
  if (weight.scalar_type() == at::kHalf) {
    // LibTorch 1.13 has no CPU round for float16; its CPU kernels for
    // reduced types compute each op in float32 and round the result to the
    // type, so that is done here op by op.
    auto half = [](const at::Tensor &t) {
      return t.to(at::kHalf).to(at::kFloat);
    };
    at::Tensor w = weight.to(at::kFloat);
    at::Tensor amax = at::max(-at::min(at::amin(w, {1}, false), at::zeros({1})),
                              at::max(at::amax(w, {1}, false), at::zeros({1})));
    at::Tensor scale = half(amax / 127.5).view({weight.size(0), -1});
    at::Tensor inverse = half(at::reciprocal(scale));
    at::Tensor out = at::clamp(at::round(half(w * inverse)), -128, 127);
    return {out.to(at::kChar), scale.to(at::kHalf)};
  }
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
  // The weights qtensor quantized, by the storage of their parameter.
  std::set<std::string> quantized;
  for (const Parameter &parameter : model.parameters()) {
    const std::string suffix = ".data";
    if (parameter.name.size() > suffix.size() &&
        parameter.name.compare(parameter.name.size() - suffix.size(),
                               suffix.size(), suffix) == 0)
      quantized.insert(
          parameter.name.substr(0, parameter.name.size() - suffix.size()));
  }

  // The frozen graph shares the parameters' storage; each linear, matmul,
  // mm and addmm use of a quantized weight, and each projection weight of
  // PyTorch's fused transformer ops, gets the seed's data times scale in its
  // place. Other uses (a weight summed, say) keep the float weight,
  // as the quantized tensor subclass would.
  // Cloned in place: the clone shares the parameters' tensors, so a weight
  // tied to two modules (GPT's embedding and lm_head) stays one tensor under
  // the name qtensor gave it. A deep clone would copy it twice, and freezing
  // could pool the two equal copies under the other name.
  torch::jit::Module clone = module.clone(/*inplace=*/true);
  clone.eval();
  std::map<void *, std::string> names;
  for (const auto &named : clone.named_parameters(/*recurse=*/true))
    names[named.value.data_ptr()] = named.name;
  torch::jit::Module frozen = torch::jit::freeze(clone);
  std::shared_ptr<torch::jit::Graph> graph =
      frozen.get_method("forward").graph();
  torch::jit::Inline(*graph);
  torch::NoGradGuard noGrad;
  // Every block: a scripted model's layers sit in prim::If branches.
  torch::jit::DepthFirstGraphNodeIterator nodes(graph);
  while (torch::jit::Node *node = nodes.next()) {
    std::string kind = node->kind().toQualString();
    // The weight operands of the op, and whether each is [N, K] (linear's
    // layout) or [K, N]. The fused transformer ops' projections are linear.
    std::vector<std::pair<size_t, bool>> weights;
    if (kind == "aten::linear")
      weights = {{1, true}};
    else if (kind == "aten::matmul" || kind == "aten::mm")
      weights = {{1, false}};
    else if (kind == "aten::addmm")
      weights = {{2, false}};
    else if (kind == "aten::_transformer_encoder_layer_fwd")
      weights = {{3, true}, {5, true}, {14, true}, {16, true}};
    else if (kind == "aten::_native_multi_head_attention")
      weights = {{5, true}, {7, true}};
    for (auto [index, torchLayout] : weights) {
      if (index >= node->inputs().size())
        continue;
      torch::jit::Value *operand = node->input(index);
      if (operand->node()->kind() != c10::prim::Constant ||
          !operand->type()->cast<c10::TensorType>())
        continue;
      at::Tensor weight = torch::jit::toIValue(operand)->toTensor();
      auto it = names.find(weight.data_ptr());
      if (weight.dim() != 2 || it == names.end() ||
          !quantized.count(it->second))
        continue;
      at::Tensor rows = torchLayout ? weight : weight.t();
      auto [data, scale] = seedQuantize(rows.to(at::kFloat));
      at::Tensor dequantized =
          (data.to(at::kFloat) * scale).to(weight.scalar_type());
      torch::jit::WithInsertPoint guard(node);
      node->replaceInput(
          index, graph->insertConstant(
                     torchLayout ? dequantized : dequantized.t().contiguous()));
    }
  }
  return frozen;
}

torch::jit::Module oracleFor(const QuantScheme &scheme,
                             const torch::jit::Module &module,
                             const Model &model, std::string &problem) {
  switch (scheme.kind) {
  case QuantScheme::Kind::None:
    return module;
  case QuantScheme::Kind::Int8:
    return moduleSwap(module, model);
  case QuantScheme::Kind::Int4:
  case QuantScheme::Kind::W8A8:
    break;
  }
  problem = "no LibTorch reference for quantization scheme '" + scheme.str() +
            "' yet";
  return module;
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

} // namespace reference
} // namespace qtensor
