//===- IndexingOps.cpp - Slicing, joining and gathering
//--------------------===//
//
// The ops that take parts of tensors or put tensors together: slice, select,
// narrow, split, chunk and unbind become tensor.extract_slice; cat and stack
// tensor.insert_slice into one result; index, index_select and embedding a
// linalg.generic whose body reads the source with tensor.extract (the gather
// form that bufferizes, unlike tensor.gather).
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"
#include "OpTable.h"

#include "qtensor/Dialect/QTensorDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <limits>

using namespace mlir;
using namespace mlir::qtensor;
using namespace mlir::qtensor::importer;

static RankedTensorType tensorType(Value value) {
  return cast<RankedTensorType>(value.getType());
}

/// Elements [start, start + length) with `step` along `dim` of `input`; with
/// `drop`, `dim` (of length 1) is dropped from the result.
static Value emitSlice(GraphImporter &importer, const jit::Node *node,
                       Value input, int64_t dim, int64_t start, int64_t length,
                       int64_t step, bool drop = false) {
  OpBuilder &builder = importer.getBuilder();
  Location loc = importer.locationOf(node);
  RankedTensorType type = tensorType(input);
  if (type.isDynamicDim(dim))
    importer.fail(node, std::string(node->kind().toQualString()) +
                            " of a dynamic dimension is not supported");
  if (!drop && start == 0 && step == 1 && length == type.getDimSize(dim))
    return input;
  SmallVector<OpFoldResult> offsets, sizes, strides;
  SmallVector<int64_t> shape;
  SmallVector<std::string> names;
  for (int64_t i = 0; i < type.getRank(); ++i) {
    bool sliced = i == dim;
    offsets.push_back(builder.getIndexAttr(sliced ? start : 0));
    strides.push_back(builder.getIndexAttr(sliced ? step : 1));
    if (sliced)
      sizes.push_back(builder.getIndexAttr(length));
    else if (type.isDynamicDim(i))
      sizes.push_back(dimSize(importer, loc, input, i));
    else
      sizes.push_back(builder.getIndexAttr(type.getDimSize(i)));
    if (sliced && drop)
      continue;
    shape.push_back(sliced ? length : type.getDimSize(i));
    names.push_back(importer.dimNameOf(input, i).str());
  }
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  Value result = tensor::ExtractSliceOp::create(builder, loc, resultType, input,
                                                offsets, sizes, strides);
  importer.setDimNames(result, names);
  return result;
}

/// An optional int operand, `fallback` when it is None.
static int64_t optionalIntOf(GraphImporter &importer, jit::Node *node,
                             unsigned index, int64_t fallback) {
  return importer.isNone(node, index) ? fallback : importer.intOf(node, index);
}

/// aten::slice(x, dim, start, end, step), clamped as Python slices are.
static void importSlice(GraphImporter &importer, jit::Node *node, Location) {
  Value input = importer.tensorOf(node, 0);
  RankedTensorType type = tensorType(input);
  int64_t dim =
      normalizeDim(importer, node, importer.intOf(node, 1), type.getRank());
  int64_t start = optionalIntOf(importer, node, 2, 0);
  int64_t end =
      optionalIntOf(importer, node, 3, std::numeric_limits<int64_t>::max());
  int64_t step = optionalIntOf(importer, node, 4, 1);
  if (step <= 0)
    importer.fail(node, "aten::slice step must be positive");
  if (ShapedType::isDynamic(start) || ShapedType::isDynamic(end))
    importer.fail(node, "aten::slice bounds that depend on a dynamic size "
                        "are not supported");
  if (type.isDynamicDim(dim)) {
    // The whole of a dynamic dimension: `x[:, :]`.
    if (start == 0 && end == std::numeric_limits<int64_t>::max() && step == 1)
      return importer.setResult(node, input);
    importer.fail(node, "aten::slice of a dynamic dimension is not supported");
  }
  int64_t size = type.getDimSize(dim);
  auto clamp = [&](int64_t bound) {
    if (bound < 0)
      bound += size;
    return std::clamp<int64_t>(bound, 0, size);
  };
  start = clamp(start);
  end = std::max(clamp(end), start);
  int64_t length = (end - start + step - 1) / step;
  // All of a state buffer (`cache[:, :]`) is that buffer: a write into the
  // slice writes the state.
  if (Item &item = importer.lookup(node->input(0));
      item.state >= 0 && start == 0 && length == size && step == 1)
    return importer.define(node->output(), item);
  importer.setResult(
      node, emitSlice(importer, node, input, dim, start, length, step));
}

/// aten::select(x, dim, index): one index along `dim`, which is dropped.
static void importSelect(GraphImporter &importer, jit::Node *node, Location) {
  Value input = importer.tensorOf(node, 0);
  RankedTensorType type = tensorType(input);
  int64_t dim =
      normalizeDim(importer, node, importer.intOf(node, 1), type.getRank());
  int64_t index = importer.intOf(node, 2);
  int64_t size = type.getDimSize(dim);
  if (!type.isDynamicDim(dim) && (index < -size || index >= size))
    importer.fail(node, "aten::select index " + std::to_string(index) +
                            " out of range for size " + std::to_string(size));
  importer.setResult(node, emitSlice(importer, node, input, dim,
                                     index < 0 ? index + size : index, 1, 1,
                                     /*drop=*/true));
}

/// aten::narrow(x, dim, start, length).
static void importNarrow(GraphImporter &importer, jit::Node *node, Location) {
  Value input = importer.tensorOf(node, 0);
  RankedTensorType type = tensorType(input);
  int64_t dim =
      normalizeDim(importer, node, importer.intOf(node, 1), type.getRank());
  int64_t start = importer.intOf(node, 2), length = importer.intOf(node, 3);
  int64_t size = type.getDimSize(dim);
  if (start < 0)
    start += size;
  if (!type.isDynamicDim(dim) &&
      (start < 0 || length < 0 || start + length > size))
    importer.fail(node, "aten::narrow range out of bounds");
  importer.setResult(node,
                     emitSlice(importer, node, input, dim, start, length, 1));
}

/// Defines `node`'s list output as consecutive pieces of `input` along
/// `dim` of the given lengths.
static void definePieces(GraphImporter &importer, jit::Node *node, Value input,
                         int64_t dim, ArrayRef<int64_t> lengths) {
  Item list;
  list.kind = Item::Kind::List;
  int64_t offset = 0;
  for (int64_t length : lengths) {
    list.elements.push_back(
        Item::tensor(emitSlice(importer, node, input, dim, offset, length, 1)));
    offset += length;
  }
  importer.define(node->output(), std::move(list));
}

/// The input and the normalized dimension of a split-like op whose `dim`
/// operand is input `dimIndex`, and the static size along it.
static std::tuple<Value, int64_t, int64_t>
splitOperands(GraphImporter &importer, jit::Node *node, unsigned dimIndex) {
  Value input = importer.tensorOf(node, 0);
  RankedTensorType type = tensorType(input);
  int64_t dim =
      normalizeDim(importer, node, optionalIntOf(importer, node, dimIndex, 0),
                   type.getRank());
  if (type.isDynamicDim(dim))
    importer.fail(node, std::string(node->kind().toQualString()) +
                            " of a dynamic dimension is not supported");
  return {input, dim, type.getDimSize(dim)};
}

/// aten::split(x, split_size or sizes, dim), aten::split_with_sizes.
static void importSplit(GraphImporter &importer, jit::Node *node, Location) {
  auto [input, dim, size] = splitOperands(importer, node, 2);
  Item &sizes = importer.lookup(node->input(1));
  SmallVector<int64_t> lengths;
  if (sizes.kind == Item::Kind::List) {
    int64_t total = 0;
    for (int64_t length : importer.intListOf(node, 1)) {
      if (length < 0)
        importer.fail(node, "split sizes must not be negative");
      lengths.push_back(length);
      total += length;
    }
    if (total != size)
      importer.fail(node, "split sizes " + formatShape(lengths) +
                              " do not add up to the size " +
                              std::to_string(size));
  } else {
    int64_t piece = importer.intOf(node, 1);
    if (piece <= 0)
      importer.fail(node, "split size must be positive");
    for (int64_t offset = 0; offset < size; offset += piece)
      lengths.push_back(std::min(piece, size - offset));
  }
  definePieces(importer, node, input, dim, lengths);
}

/// aten::chunk(x, chunks, dim): pieces of ceil(size / chunks).
static void importChunk(GraphImporter &importer, jit::Node *node, Location) {
  auto [input, dim, size] = splitOperands(importer, node, 2);
  int64_t chunks = importer.intOf(node, 1);
  if (chunks <= 0)
    importer.fail(node, "aten::chunk needs a positive number of chunks");
  int64_t piece = std::max<int64_t>((size + chunks - 1) / chunks, 1);
  SmallVector<int64_t> lengths;
  for (int64_t offset = 0; offset < size; offset += piece)
    lengths.push_back(std::min(piece, size - offset));
  definePieces(importer, node, input, dim, lengths);
}

/// aten::unbind(x, dim): every index along `dim`, each without it.
static void importUnbind(GraphImporter &importer, jit::Node *node, Location) {
  auto [input, dim, size] = splitOperands(importer, node, 1);
  Item list;
  list.kind = Item::Kind::List;
  for (int64_t index = 0; index < size; ++index)
    list.elements.push_back(Item::tensor(
        emitSlice(importer, node, input, dim, index, 1, 1, /*drop=*/true)));
  importer.define(node->output(), std::move(list));
}

/// The tensors of list operand `index` of `node`.
static SmallVector<Value> tensorListOf(GraphImporter &importer, jit::Node *node,
                                       unsigned index) {
  Item list = importer.lookup(node->input(index));
  if (list.kind != Item::Kind::List || list.elements.empty())
    importer.fail(node, std::string(node->kind().toQualString()) +
                            " needs a non-empty list of tensors");
  SmallVector<Value> tensors;
  for (Item &element : list.elements)
    tensors.push_back(importer.materialize(node, element));
  return tensors;
}

/// `tensors` joined along `dim`; all other dimensions must agree.
static Value emitCat(GraphImporter &importer, jit::Node *node,
                     ArrayRef<Value> tensors, int64_t dim) {
  OpBuilder &builder = importer.getBuilder();
  Location loc = importer.locationOf(node);
  RankedTensorType first = tensorType(tensors.front());
  SmallVector<int64_t> shape(first.getShape());
  shape[dim] = 0;
  for (Value tensor : tensors) {
    RankedTensorType type = tensorType(tensor);
    if (type.getRank() != first.getRank() ||
        type.getElementType() != first.getElementType())
      importer.fail(node, std::string(node->kind().toQualString()) +
                              " of tensors of different ranks or element "
                              "types");
    for (int64_t i = 0; i < type.getRank(); ++i) {
      if (i == dim) {
        if (type.isDynamicDim(i))
          importer.fail(node, std::string(node->kind().toQualString()) +
                                  " along a dynamic dimension is not "
                                  "supported");
        shape[dim] += type.getDimSize(i);
        continue;
      }
      if (type.getDimSize(i) != first.getDimSize(i))
        importer.fail(node, std::string(node->kind().toQualString()) +
                                " of shapes " + formatShape(first.getShape()) +
                                " and " + formatShape(type.getShape()) +
                                " that differ outside the joined dimension");
      if (type.isDynamicDim(i))
        importer.checkSameDynamicSize(node, tensors.front(), i, tensor, i);
    }
  }
  SmallVector<Value> dynamicSizes;
  for (int64_t i = 0; i < first.getRank(); ++i)
    if (first.isDynamicDim(i))
      dynamicSizes.push_back(dimSize(importer, loc, tensors.front(), i));
  auto resultType = RankedTensorType::get(shape, first.getElementType());
  Value result =
      tensor::EmptyOp::create(builder, loc, resultType, dynamicSizes);
  int64_t offset = 0;
  for (Value tensor : tensors) {
    RankedTensorType type = tensorType(tensor);
    SmallVector<OpFoldResult> offsets, sizes, strides;
    for (int64_t i = 0; i < type.getRank(); ++i) {
      offsets.push_back(builder.getIndexAttr(i == dim ? offset : 0));
      strides.push_back(builder.getIndexAttr(1));
      sizes.push_back(
          type.isDynamicDim(i)
              ? OpFoldResult(dimSize(importer, loc, tensor, i))
              : OpFoldResult(builder.getIndexAttr(type.getDimSize(i))));
    }
    result = tensor::InsertSliceOp::create(builder, loc, tensor, result,
                                           offsets, sizes, strides);
    offset += type.getDimSize(dim);
  }
  importer.setDimNames(result, importer.dimNamesOf(tensors.front()));
  return result;
}

/// aten::cat(tensors, dim).
static void importCat(GraphImporter &importer, jit::Node *node, Location) {
  SmallVector<Value> tensors = tensorListOf(importer, node, 0);
  int64_t dim =
      normalizeDim(importer, node, optionalIntOf(importer, node, 1, 0),
                   tensorType(tensors.front()).getRank());
  importer.setResult(node, emitCat(importer, node, tensors, dim));
}

/// aten::stack(tensors, dim): cat of the tensors with a new dimension.
static void importStack(GraphImporter &importer, jit::Node *node, Location) {
  SmallVector<Value> tensors = tensorListOf(importer, node, 0);
  int64_t dim =
      normalizeDim(importer, node, optionalIntOf(importer, node, 1, 0),
                   tensorType(tensors.front()).getRank() + 1);
  for (Value &tensor : tensors) {
    SmallVector<int64_t> shape(tensorType(tensor).getShape());
    shape.insert(shape.begin() + dim, 1);
    tensor = emitReshape(importer, node, tensor, shape);
  }
  importer.setResult(node, emitCat(importer, node, tensors, dim));
}

/// A gather: the result is `source` with dimension `dim` replaced by the
/// dimensions of `indices`, each element read at the index there. Indices
/// are wrapped once if negative (Python's) and then clamped into range, so
/// that an out-of-range id reads a valid row instead of memory outside the
/// tensor.
static Value emitGather(GraphImporter &importer, jit::Node *node, Value source,
                        int64_t dim, Value indices) {
  OpBuilder &builder = importer.getBuilder();
  Location loc = importer.locationOf(node);
  RankedTensorType sourceType = tensorType(source);
  RankedTensorType indexType = tensorType(indices);
  Type indexElement = indexType.getElementType();
  if (!isa<IntegerType>(indexElement) || indexElement.isInteger(1))
    importer.fail(node, std::string(node->kind().toQualString()) +
                            " indices must be an int64 or int32 tensor");
  int64_t indexRank = indexType.getRank();
  int64_t rank = sourceType.getRank() - 1 + indexRank;
  SmallVector<int64_t> shape;
  SmallVector<Value> dynamicSizes;
  SmallVector<std::string> names;
  auto addDim = [&](Value from, int64_t i) {
    RankedTensorType type = tensorType(from);
    shape.push_back(type.getDimSize(i));
    names.push_back(importer.dimNameOf(from, i).str());
    if (type.isDynamicDim(i))
      dynamicSizes.push_back(dimSize(importer, loc, from, i));
  };
  for (int64_t i = 0; i < dim; ++i)
    addDim(source, i);
  for (int64_t i = 0; i < indexRank; ++i)
    addDim(indices, i);
  for (int64_t i = dim + 1; i < sourceType.getRank(); ++i)
    addDim(source, i);
  auto resultType = RankedTensorType::get(shape, sourceType.getElementType());
  Value init = tensor::EmptyOp::create(builder, loc, resultType, dynamicSizes);
  SmallVector<AffineExpr> indexExprs;
  for (int64_t i = 0; i < indexRank; ++i)
    indexExprs.push_back(builder.getAffineDimExpr(dim + i));
  SmallVector<AffineMap> maps = {
      AffineMap::get(rank, 0, indexExprs, &importer.getContext()),
      builder.getMultiDimIdentityMap(rank)};
  Value extent = sourceType.isDynamicDim(dim)
                     ? dimSize(importer, loc, source, dim)
                     : arith::ConstantIndexOp::create(
                           builder, loc, sourceType.getDimSize(dim))
                           .getResult();
  auto generic = linalg::GenericOp::create(
      builder, loc, resultType, indices, init, maps,
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [&](OpBuilder &b, Location l, ValueRange args) {
        Value index =
            arith::IndexCastOp::create(b, l, b.getIndexType(), args[0]);
        Value zero = arith::ConstantIndexOp::create(b, l, 0);
        Value one = arith::ConstantIndexOp::create(b, l, 1);
        Value negative =
            arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, index, zero);
        index = arith::SelectOp::create(
            b, l, negative, arith::AddIOp::create(b, l, index, extent), index);
        index = arith::MaxSIOp::create(b, l, index, zero);
        index = arith::MinSIOp::create(
            b, l, index, arith::SubIOp::create(b, l, extent, one));
        SmallVector<Value> coordinates;
        for (int64_t i = 0; i < dim; ++i)
          coordinates.push_back(linalg::IndexOp::create(b, l, i));
        coordinates.push_back(index);
        for (int64_t i = dim + 1; i < sourceType.getRank(); ++i)
          coordinates.push_back(
              linalg::IndexOp::create(b, l, i - 1 + indexRank));
        linalg::YieldOp::create(
            b, l,
            tensor::ExtractOp::create(b, l, source, coordinates).getResult());
      });
  importer.setDimNames(generic.getResult(0), names);
  return generic.getResult(0);
}

/// aten::embedding(weight, indices, padding_idx, scale_grad, sparse): rows of
/// the table; the table stays float (it is not a linear weight).
static void importEmbedding(GraphImporter &importer, jit::Node *node,
                            Location) {
  Value weight = importer.tensorOf(node, 0);
  if (tensorType(weight).getRank() != 2)
    importer.fail(node, "aten::embedding table must be 2-D");
  // PyTorch refuses ids outside the table: so does the runtime, for ids
  // given as an input (the gather clamps any other).
  if (!tensorType(weight).isDynamicDim(0))
    importer.boundInput(node->input(1), tensorType(weight).getDimSize(0));
  importer.setResult(
      node, emitGather(importer, node, weight, 0, importer.tensorOf(node, 1)));
}

/// aten::index_select(x, dim, indices).
static void importIndexSelect(GraphImporter &importer, jit::Node *node,
                              Location) {
  Value input = importer.tensorOf(node, 0);
  int64_t dim = normalizeDim(importer, node, importer.intOf(node, 1),
                             tensorType(input).getRank());
  Value indices = importer.tensorOf(node, 2);
  if (tensorType(indices).getRank() > 1)
    importer.fail(node, "aten::index_select indices must be 0-D or 1-D");
  importer.setResult(node, emitGather(importer, node, input, dim, indices));
}

/// aten::index(x, [None, ..., indices]): one integer tensor index, after
/// full slices (`buffer[input_pos]`, `x[:, ids]`).
static void importIndex(GraphImporter &importer, jit::Node *node, Location) {
  Value input = importer.tensorOf(node, 0);
  auto [dim, indices] =
      tensorIndexOf(importer, node, 1, tensorType(input).getRank());
  importer.setResult(node, emitGather(importer, node, input, dim, indices));
}

std::pair<int64_t, Value>
mlir::qtensor::importer::tensorIndexOf(GraphImporter &importer, jit::Node *node,
                                       unsigned index, int64_t rank) {
  std::string op = node->kind().toQualString();
  Item list = importer.lookup(node->input(index));
  if (list.kind != Item::Kind::List)
    importer.fail(node, op + " needs a list of indices");
  int64_t dim = -1;
  for (auto [position, element] : llvm::enumerate(list.elements)) {
    if (element.kind == Item::Kind::None)
      continue;
    if (element.kind != Item::Kind::Tensor || dim >= 0)
      importer.fail(node,
                    op + " with more than one tensor index is not supported");
    dim = position;
  }
  if (dim < 0 || dim >= rank)
    importer.fail(node, op + " needs one tensor index within the input's rank");
  Value indices = importer.materialize(node, list.elements[dim]);
  if (tensorType(indices).getElementType().isInteger(1))
    importer.fail(node, op + " with a bool mask is not supported (its result "
                             "size depends on the data)");
  return {dim, indices};
}

void mlir::qtensor::importer::registerIndexingOps(OpTable &table) {
  table.add("aten::slice", importSlice);
  table.add("aten::select", importSelect);
  table.add("aten::narrow", importNarrow);
  table.add("aten::split", importSplit);
  table.add("aten::split_with_sizes", importSplit);
  table.add("aten::chunk", importChunk);
  table.add("aten::unbind", importUnbind);
  table.add("aten::cat", importCat);
  table.add("aten::concat", importCat);
  table.add("aten::stack", importStack);
  table.add("aten::embedding", importEmbedding);
  table.add("aten::index_select", importIndexSelect);
  table.add("aten::index", importIndex);
}
