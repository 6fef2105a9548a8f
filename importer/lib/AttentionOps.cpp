//===- AttentionOps.cpp - PyTorch's fused transformer inference ops -------===//
//
// PyTorch 1.13 runs nn.TransformerEncoderLayer and nn.MultiheadAttention in
// inference through fused "fast path" ops, and that is what a model traced
// under torch.no_grad() records: aten::_transformer_encoder_layer_fwd and
// aten::_native_multi_head_attention. They are decomposed here into the ops
// the rest of the importer emits: qtensor.linear for every projection (so
// the packed in-projection, the out-projection and the feed-forward weights
// are quantized under their module paths), batched matmuls, softmax and
// layer_norm.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"
#include "OpTable.h"

#include "qtensor/Dialect/QTensorDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qtensor;
using namespace mlir::qtensor::importer;

namespace {

/// The operands of one multi-head self-attention.
struct Attention {
  int64_t embedDim = 0;
  int64_t numHeads = 0;
  unsigned qkvWeight = 0, qkvBias = 0, projWeight = 0, projBias = 0;
};

} // namespace

/// The weight operand `index` of `node` with the name of its parameter.
static std::pair<Value, std::string> weightOf(GraphImporter &importer,
                                              jit::Node *node, unsigned index) {
  std::string name = importer.lookup(node->input(index)).name;
  return {importer.tensorOf(node, index), name};
}

/// qtensor.linear of `input` with weight operand `weight` and bias operand
/// `bias` of `node`.
static Value emitProjection(GraphImporter &importer, jit::Node *node,
                            Value input, unsigned weight, unsigned bias) {
  auto [weightValue, name] = weightOf(importer, node, weight);
  Value biasValue =
      importer.isNone(node, bias) ? Value() : importer.tensorOf(node, bias);
  return emitLinear(importer, node, input, weightValue, biasValue, name);
}

/// [B, T, E] as [B, H, T, E / H].
static Value splitHeads(GraphImporter &importer, jit::Node *node, Value x,
                        int64_t heads) {
  auto shape = cast<RankedTensorType>(x.getType()).getShape();
  Value split = emitReshape(importer, node, x,
                            {shape[0], shape[1], heads, shape[2] / heads});
  return emitTranspose(importer, importer.locationOf(node), split,
                       {0, 2, 1, 3});
}

/// Self-attention of `x` ([B, T, E], batch first). Returns the output and,
/// when `probabilities` is set, stores the attention weights [B, H, T, T].
static Value emitSelfAttention(GraphImporter &importer, jit::Node *node,
                               Value x, const Attention &attention,
                               Value *probabilities = nullptr) {
  auto type = cast<RankedTensorType>(x.getType());
  if (type.getRank() != 3 || type.isDynamicDim(2) ||
      type.getDimSize(2) != attention.embedDim)
    importer.fail(node, std::string(node->kind().toQualString()) +
                            " needs a [batch, tokens, " +
                            std::to_string(attention.embedDim) +
                            "] input, got " + formatShape(type.getShape()));
  int64_t heads = attention.numHeads, embed = attention.embedDim;
  if (heads <= 0 || embed % heads != 0)
    importer.fail(node, "embedding size " + std::to_string(embed) +
                            " is not a multiple of the number of heads " +
                            std::to_string(heads));
  Value qkv =
      emitProjection(importer, node, x, attention.qkvWeight, attention.qkvBias);
  // The packed projection's [B, T, 3E] as q, k and v of [B, H, T, D].
  SmallVector<int64_t> shape(type.getShape());
  auto part = [&](int64_t index) {
    OpBuilder &builder = importer.getBuilder();
    Location loc = importer.locationOf(node);
    SmallVector<OpFoldResult> offsets = {builder.getIndexAttr(0),
                                         builder.getIndexAttr(0),
                                         builder.getIndexAttr(index * embed)};
    SmallVector<OpFoldResult> sizes;
    for (int64_t i = 0; i < 2; ++i)
      sizes.push_back(type.isDynamicDim(i)
                          ? OpFoldResult(dimSize(importer, loc, qkv, i))
                          : OpFoldResult(builder.getIndexAttr(shape[i])));
    sizes.push_back(builder.getIndexAttr(embed));
    SmallVector<OpFoldResult> strides(3, builder.getIndexAttr(1));
    Value slice = tensor::ExtractSliceOp::create(
        builder, loc, RankedTensorType::get(shape, type.getElementType()), qkv,
        offsets, sizes, strides);
    importer.setDimNames(slice, importer.dimNamesOf(qkv));
    return splitHeads(importer, node, slice, heads);
  };
  Value q = part(0), k = part(1), v = part(2);
  // Scores scaled by 1/sqrt(D), as the fused kernel scales q.
  double scale = 1.0 / std::sqrt(static_cast<double>(embed / heads));
  Item scaledOperands[] = {Item::tensor(q), Item()};
  scaledOperands[1].kind = Item::Kind::Float;
  scaledOperands[1].floatValue = scale;
  q = emitElementwise(
      importer, node, scaledOperands,
      [](OpBuilder &b, Location l, Type, ArrayRef<Value> args) {
        return arith::MulFOp::create(b, l, args[0], args[1]).getResult();
      });
  Value keysT =
      emitTranspose(importer, importer.locationOf(node), k, {0, 1, 3, 2});
  Value scores = emitBatchedMatmul(importer, node, q, keysT);
  Value weights = emitSoftmax(importer, node, scores, 3);
  if (probabilities)
    *probabilities = weights;
  Value context = emitBatchedMatmul(importer, node, weights, v);
  Value merged = emitReshape(
      importer, node,
      emitTranspose(importer, importer.locationOf(node), context, {0, 2, 1, 3}),
      {shape[0], shape[1], embed});
  return emitProjection(importer, node, merged, attention.projWeight,
                        attention.projBias);
}

/// Fails unless the attention mask operand `index` of `node` is None.
static void requireNoMask(GraphImporter &importer, jit::Node *node,
                          unsigned index) {
  if (!importer.isNone(node, index))
    importer.fail(node, std::string(node->kind().toQualString()) +
                            " with an attention mask is not supported; "
                            "trace the model without a mask");
}

/// `body` on each element of `x`.
static Value emitMap(GraphImporter &importer, jit::Node *node, Value x,
                     function_ref<Value(OpBuilder &, Location, Value)> body) {
  return emitElementwise(
      importer, node, Item::tensor(x),
      [&](OpBuilder &b, Location l, Type, ArrayRef<Value> args) {
        return body(b, l, args[0]);
      });
}

/// a + b, broadcast.
static Value emitAdd(GraphImporter &importer, jit::Node *node, Value a,
                     Value b) {
  Item operands[] = {Item::tensor(a), Item::tensor(b)};
  return emitElementwise(
      importer, node, operands,
      [](OpBuilder &builder, Location l, Type, ArrayRef<Value> args) {
        return arith::AddFOp::create(builder, l, args[0], args[1]).getResult();
      });
}

/// aten::_transformer_encoder_layer_fwd(src, embed_dim, num_heads,
/// qkv_weight, qkv_bias, proj_weight, proj_bias, use_gelu, norm_first, eps,
/// norm_weight_1, norm_bias_1, norm_weight_2, norm_bias_2, ffn_weight_1,
/// ffn_bias_1, ffn_weight_2, ffn_bias_2, mask, mask_type): one
/// nn.TransformerEncoderLayer, batch first.
static void importEncoderLayer(GraphImporter &importer, jit::Node *node,
                               Location) {
  if (node->inputs().size() < 18)
    importer.fail(node, "aten::_transformer_encoder_layer_fwd with an "
                        "unexpected signature");
  if (node->inputs().size() > 18)
    requireNoMask(importer, node, 18);
  Attention attention;
  attention.embedDim = importer.intOf(node, 1);
  attention.numHeads = importer.intOf(node, 2);
  attention.qkvWeight = 3;
  attention.qkvBias = 4;
  attention.projWeight = 5;
  attention.projBias = 6;
  bool useGelu = importer.intOf(node, 7);
  bool normFirst = importer.intOf(node, 8);
  Item &epsItem = importer.lookup(node->input(9));
  if (!epsItem.isScalar())
    importer.fail(node, "layer_norm eps must be a number");
  double eps = epsItem.scalar();
  auto norm = [&](Value x, unsigned weight) {
    return emitLayerNorm(importer, node, x, importer.tensorOf(node, weight),
                         importer.tensorOf(node, weight + 1), eps);
  };
  auto feedForward = [&](Value x) {
    Value hidden = emitProjection(importer, node, x, 14, 15);
    hidden = emitMap(
        importer, node, hidden,
        [&](OpBuilder &b, Location l, Value h) -> Value {
          Type type = h.getType();
          auto constant = [&](double value) {
            return arith::ConstantOp::create(b, l, b.getFloatAttr(type, value))
                .getResult();
          };
          if (!useGelu)
            return arith::MaximumFOp::create(b, l, h, constant(0.0));
          // The exact (erf) GELU of the fused layer.
          Value erf = math::ErfOp::create(
              b, l, arith::MulFOp::create(b, l, h, constant(M_SQRT1_2)));
          Value half = arith::MulFOp::create(b, l, h, constant(0.5));
          return arith::MulFOp::create(
              b, l, half, arith::AddFOp::create(b, l, constant(1.0), erf));
        });
    return emitProjection(importer, node, hidden, 16, 17);
  };
  Value x = importer.tensorOf(node, 0);
  if (normFirst) {
    x = emitAdd(importer, node, x,
                emitSelfAttention(importer, node, norm(x, 10), attention));
    x = emitAdd(importer, node, x, feedForward(norm(x, 12)));
  } else {
    x = norm(emitAdd(importer, node, x,
                     emitSelfAttention(importer, node, x, attention)),
             10);
    x = norm(emitAdd(importer, node, x, feedForward(x)), 12);
  }
  importer.setResult(node, x);
}

/// aten::_native_multi_head_attention(query, key, value, embed_dim,
/// num_head, qkv_weight, qkv_bias, proj_weight, proj_bias, mask,
/// need_weights, average_attn_weights, mask_type): nn.MultiheadAttention
/// (batch first) used as self-attention, `mha(x, x, x)`.
static void importMultiHeadAttention(GraphImporter &importer, jit::Node *node,
                                     Location) {
  if (node->inputs().size() < 9)
    importer.fail(node, "aten::_native_multi_head_attention with an "
                        "unexpected signature");
  if (node->input(0) != node->input(1) || node->input(0) != node->input(2))
    importer.fail(node, "aten::_native_multi_head_attention is supported as "
                        "self-attention only (query, key and value the same "
                        "tensor)");
  requireNoMask(importer, node, 9);
  Attention attention;
  attention.embedDim = importer.intOf(node, 3);
  attention.numHeads = importer.intOf(node, 4);
  attention.qkvWeight = 5;
  attention.qkvBias = 6;
  attention.projWeight = 7;
  attention.projBias = 8;
  bool needWeights = node->inputs().size() > 10 && importer.intOf(node, 10);
  bool average = node->inputs().size() <= 11 || importer.intOf(node, 11);
  Value probabilities;
  Value output = emitSelfAttention(importer, node, importer.tensorOf(node, 0),
                                   attention, &probabilities);
  importer.define(node->output(0), Item::tensor(output));
  if (node->outputs().size() < 2)
    return;
  Item weights;
  weights.kind = Item::Kind::None;
  if (needWeights) {
    if (average) {
      // The mean over heads: [B, H, T, T] summed along H, over H.
      auto type = cast<RankedTensorType>(probabilities.getType());
      Value zero = arith::ConstantOp::create(
          importer.getBuilder(), importer.locationOf(node),
          importer.getBuilder().getZeroAttr(type.getElementType()));
      Value sum = emitReduction(
          importer, importer.locationOf(node), probabilities, int64_t(1), zero,
          [](OpBuilder &b, Location l, Value x, Value acc) {
            return arith::AddFOp::create(b, l, acc, x).getResult();
          });
      double heads = static_cast<double>(type.getDimSize(1));
      probabilities = emitMap(
          importer, node, sum, [&](OpBuilder &b, Location l, Value s) -> Value {
            return arith::DivFOp::create(
                b, l, s,
                arith::ConstantOp::create(b, l,
                                          b.getFloatAttr(s.getType(), heads)));
          });
    }
    weights = Item::tensor(probabilities);
  }
  importer.define(node->output(1), weights);
}

/// aten::_nested_tensor_from_mask: PyTorch's fast path turns a key-padding
/// mask into a nested tensor, whose shape depends on the data.
static void importNestedTensor(GraphImporter &importer, jit::Node *node,
                               Location) {
  importer.fail(node, "a key-padding mask makes PyTorch's transformer fast "
                      "path use nested tensors (aten::_nested_tensor_from_"
                      "mask), which are not supported; trace the model "
                      "without src_key_padding_mask");
}

void mlir::qtensor::importer::registerAttentionOps(OpTable &table) {
  table.add("aten::_transformer_encoder_layer_fwd", importEncoderLayer);
  table.add("aten::_native_multi_head_attention", importMultiHeadAttention);
  table.add("aten::_nested_tensor_from_mask", importNestedTensor);
}
