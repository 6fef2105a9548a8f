"""The module-swap oracle of a TorchScript model, in PyTorch.

module_swap(model) is the frozen model with every weight that qtensor
quantizes replaced by the seed's int8_symmetric_quantize data times scale:
the 2-D constant weight operands of linear, matmul, mm and addmm, and the
projection weights of PyTorch's fused transformer ops, in every block.
Other uses of the same tensor (an embedding table tied to lm_head) keep the
float values. reference/lib/TorchReference.cpp is the C++ twin behind
qtensor-run --compare.
"""

import torch

from seed_quantize import int8_symmetric_quantize

# Op kind -> [(weight operand index, weight is [N, K] (linear's layout))].
WEIGHT_OPERANDS = {
    "aten::linear": [(1, True)],
    "aten::matmul": [(1, False)],
    "aten::mm": [(1, False)],
    "aten::addmm": [(2, False)],
    "aten::_transformer_encoder_layer_fwd": [(3, True), (5, True), (14, True), (16, True)],
    "aten::_native_multi_head_attention": [(5, True), (7, True)],
}


def _nodes(block):
    for node in block.nodes():
        yield node
        for inner in node.blocks():
            yield from _nodes(inner)


def module_swap(model):
    frozen = torch.jit.freeze(model.eval())
    graph = frozen.graph
    torch._C._jit_pass_inline(graph)
    for node in list(_nodes(graph)):
        for index, torch_layout in WEIGHT_OPERANDS.get(node.kind(), []):
            inputs = list(node.inputs())
            if index >= len(inputs) or inputs[index].node().kind() != "prim::Constant":
                continue
            weight = inputs[index].toIValue()
            if not isinstance(weight, torch.Tensor) or weight.dim() != 2:
                continue
            rows = weight if torch_layout else weight.t()
            data, scale = int8_symmetric_quantize(rows.float())
            dequantized = (data.float() * scale).to(weight.dtype)
            if not torch_layout:
                dequantized = dequantized.t().contiguous()
            with graph.insert_point_guard(node):
                node.replaceInput(index, graph.insertConstant(dequantized))
    return frozen
