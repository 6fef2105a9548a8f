//===- GroupedQueryAttention.cpp - attention over shared KV heads ---------===//
//
// Grouped-query attention (Llama 2/3, TinyLlama, gpt-fast) shares each key
// and value head among n query heads and writes that as
// `repeat_interleave(kv, n, dim=1)` before the two attention products. Taken
// literally, every decode step copies the whole KV cache n times (and the
// keys once more, transposed). Here `q @ repeat_interleave(k, n, 1)
// .transpose(2, 3)` and `p @ repeat_interleave(v, n, 1)` instead multiply
// each group of n query heads by its own KV head, read in place: the n query
// heads of a group are n * T rows against one [S, D] head.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::qtensor;
using namespace mlir::qtensor::importer;

namespace {

/// A `repeat_interleave(kv, n, dim=1)` of a 4-D [B, Hkv, S, D] tensor.
struct RepeatedHeads {
  const jit::Node *node = nullptr;
  int64_t repeats = 0;
};

} // namespace

/// The head repetition that produces `value`, or a null node.
static RepeatedHeads repeatedHeadsOf(GraphImporter &importer,
                                     const jit::Value *value) {
  const jit::Node *node = value->node();
  if (node->kind() != c10::aten::repeat_interleave || node->inputs().size() < 3)
    return {};
  Item &repeats = importer.lookup(node->input(1));
  Item &dim = importer.lookup(node->input(2));
  Item &source = importer.lookup(node->input(0));
  if (repeats.kind != Item::Kind::Int || dim.kind != Item::Kind::Int ||
      source.kind != Item::Kind::Tensor || repeats.intValue < 1 ||
      (dim.intValue != 1 && dim.intValue != -3))
    return {};
  return {node, repeats.intValue};
}

/// Whether `node` is `transpose(x, 2, 3)` of a 4-D x (any spelling of the
/// last two dimensions).
static bool swapsLastTwoDims(GraphImporter &importer, const jit::Node *node) {
  if (node->kind() != c10::aten::transpose)
    return false;
  Item &first = importer.lookup(node->input(1));
  Item &second = importer.lookup(node->input(2));
  if (first.kind != Item::Kind::Int || second.kind != Item::Kind::Int)
    return false;
  int64_t a = first.intValue < 0 ? first.intValue + 4 : first.intValue;
  int64_t b = second.intValue < 0 ? second.intValue + 4 : second.intValue;
  return (a == 2 && b == 3) || (a == 3 && b == 2);
}

Value mlir::qtensor::importer::emitGroupedQueryMatmul(GraphImporter &importer,
                                                      jit::Node *node) {
  // scores = q @ repeat(k).transpose(2, 3), or out = p @ repeat(v).
  const jit::Value *rhs = node->input(1);
  bool transposed = swapsLastTwoDims(importer, rhs->node());
  if (transposed)
    rhs = rhs->node()->input(0);
  RepeatedHeads heads = repeatedHeadsOf(importer, rhs);
  if (!heads.node)
    return Value();
  Item &lhsItem = importer.lookup(node->input(0));
  Item &kvItem = importer.lookup(heads.node->input(0));
  if (lhsItem.kind != Item::Kind::Tensor)
    return Value();
  Value lhs = importer.materialize(node, lhsItem);
  Value kv = importer.materialize(heads.node, kvItem);
  auto lhsType = cast<RankedTensorType>(lhs.getType());
  auto kvType = cast<RankedTensorType>(kv.getType());
  if (lhsType.getRank() != 4 || kvType.getRank() != 4 ||
      lhsType.getElementType() != kvType.getElementType())
    return Value();
  // [B, H, T, X] against [B, Hkv, S, D]: B and the heads static, H = n Hkv.
  int64_t batch = lhsType.getDimSize(0), numHeads = lhsType.getDimSize(1);
  int64_t kvHeads = kvType.getDimSize(1), tokens = lhsType.getDimSize(2);
  int64_t contraction = lhsType.getDimSize(3);
  int64_t length = kvType.getDimSize(2), headDim = kvType.getDimSize(3);
  if (ShapedType::isDynamic(batch) || batch != kvType.getDimSize(0) ||
      ShapedType::isDynamic(numHeads) || ShapedType::isDynamic(kvHeads) ||
      numHeads != kvHeads * heads.repeats ||
      ShapedType::isDynamic(contraction) ||
      contraction != (transposed ? headDim : length))
    return Value();

  // One batch entry per KV head, its n query heads' rows stacked: through
  // [B, Hkv, n, T, X], a split then a merge, as a dynamic T allows.
  OpBuilder &builder = importer.getBuilder();
  Location loc = importer.locationOf(node);
  int64_t groups = batch * kvHeads;
  SmallVector<ReassociationIndices> stacking = {{0, 1}, {2, 3}, {4}};
  Value split =
      emitReshape(importer, node, lhs,
                  {batch, kvHeads, heads.repeats, tokens, contraction});
  Value grouped =
      tensor::CollapseShapeOp::create(builder, loc, split, stacking);
  Value heads3 = emitReshape(importer, node, kv, {groups, length, headDim});
  Value product;
  int64_t columns;
  if (transposed) {
    // k [S, D] x q^T [D, n T], transposed back: the queries (a few rows at
    // decode) and the scores move, the cache is read once where it lies.
    Value queries = emitTranspose(importer, loc, grouped, {0, 2, 1});
    Value scores = emitBatchedMatmul(importer, node, heads3, queries);
    product = emitTranspose(importer, loc, scores, {0, 2, 1});
    columns = length;
  } else {
    product = emitBatchedMatmul(importer, node, grouped, heads3);
    columns = headDim;
  }
  SmallVector<OpFoldResult> unstackedShape = {
      builder.getIndexAttr(batch), builder.getIndexAttr(kvHeads),
      builder.getIndexAttr(heads.repeats),
      ShapedType::isDynamic(tokens)
          ? OpFoldResult(dimSize(importer, loc, lhs, 2))
          : OpFoldResult(builder.getIndexAttr(tokens)),
      builder.getIndexAttr(columns)};
  auto unstackedType =
      RankedTensorType::get({batch, kvHeads, heads.repeats, tokens, columns},
                            lhsType.getElementType());
  Value unstacked = tensor::ExpandShapeOp::create(
      builder, loc, unstackedType, product, stacking, unstackedShape);
  Value result = tensor::CollapseShapeOp::create(
      builder, loc, unstacked,
      SmallVector<ReassociationIndices>{{0}, {1, 2}, {3}, {4}});
  // The batch, heads and tokens of the queries.
  SmallVector<std::string> names = importer.dimNamesOf(lhs);
  names.back().clear();
  importer.setDimNames(result, names);
  return result;
}
