//===- ShapeOps.cpp - Transposes, reshapes and views ----------------------===//
//
// The ops that move or regroup dimensions: t, transpose, permute and
// numpy_T become linalg.transpose; reshape, view, flatten, unsqueeze and
// squeeze become tensor.collapse_shape / tensor.expand_shape.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"
#include "OpTable.h"

#include "qtensor/Dialect/QTensorDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace mlir::qtensor;
using namespace mlir::qtensor::importer;

//===----------------------------------------------------------------------===//
// Transposes
//===----------------------------------------------------------------------===//

Value mlir::qtensor::importer::emitTranspose(GraphImporter &importer,
                                             Location loc, Value input,
                                             ArrayRef<int64_t> perm) {
  OpBuilder &builder = importer.getBuilder();
  auto type = cast<RankedTensorType>(input.getType());
  if (llvm::equal(perm, llvm::seq<int64_t>(0, perm.size())))
    return input;
  SmallVector<int64_t> shape;
  SmallVector<Value> dynamicSizes;
  for (int64_t source : perm) {
    shape.push_back(type.getDimSize(source));
    if (type.isDynamicDim(source))
      dynamicSizes.push_back(dimSize(importer, loc, input, source));
  }
  Value init = tensor::EmptyOp::create(
      builder, loc, RankedTensorType::get(shape, type.getElementType()),
      dynamicSizes);
  Value result = linalg::TransposeOp::create(builder, loc, input, init, perm)
                     ->getResult(0);
  SmallVector<std::string> names;
  for (int64_t source : perm)
    names.push_back(importer.dimNameOf(input, source).str());
  importer.setDimNames(result, names);
  return result;
}

/// Records the names of the dynamic sizes a collapse or expansion of `input`
/// makes. A collapsed dimension is the product of its group ("B*T",
/// "4*B"); an expanded one its source over the static rest ("B/4"). Two
/// reshapes of the same dimensions thus name their results alike, and a
/// product never passes for a size it differs from. A size from a
/// dimension without a name stays without one.
static Value keepDimNames(GraphImporter &importer, Value input, Value result,
                          ArrayRef<ReassociationIndices> groups) {
  auto inputType = cast<RankedTensorType>(input.getType());
  auto resultType = cast<RankedTensorType>(result.getType());
  bool collapsing = resultType.getRank() < inputType.getRank();
  SmallVector<std::string> names(resultType.getRank());
  for (auto [index, group] : llvm::enumerate(groups)) {
    if (collapsing) {
      SmallVector<std::string> factors;
      bool named = true;
      for (int64_t dim : group) {
        if (inputType.isDynamicDim(dim)) {
          StringRef name = importer.dimNameOf(input, dim);
          named &= !name.empty();
          factors.push_back(name.str());
        } else if (inputType.getDimSize(dim) != 1) {
          factors.push_back(std::to_string(inputType.getDimSize(dim)));
        }
      }
      if (named)
        names[index] = llvm::join(factors, "*");
      continue;
    }
    StringRef source = importer.dimNameOf(input, index);
    int64_t rest = 1;
    for (int64_t dim : group)
      if (!resultType.isDynamicDim(dim))
        rest *= resultType.getDimSize(dim);
    for (int64_t dim : group)
      if (resultType.isDynamicDim(dim) && !source.empty())
        names[dim] = rest == 1 ? source.str()
                               : source.str() + "/" + std::to_string(rest);
  }
  importer.setDimNames(result, names);
  return result;
}

/// The rank of `input` and the identity permutation of that rank.
static std::pair<int64_t, SmallVector<int64_t>> identityOf(Value input) {
  int64_t rank = cast<RankedTensorType>(input.getType()).getRank();
  return {rank, llvm::to_vector(llvm::seq<int64_t>(0, rank))};
}

/// aten::t: swaps the dimensions of a 2-D tensor; a 0-D or 1-D one is
/// returned as is, as in PyTorch.
static void importT(GraphImporter &importer, jit::Node *node, Location loc) {
  Value input = importer.tensorOf(node, 0);
  auto [rank, perm] = identityOf(input);
  if (rank == 2)
    std::swap(perm[0], perm[1]);
  else if (rank > 2)
    importer.fail(node, "aten::t of a tensor of rank " + llvm::Twine(rank));
  importer.setResult(node, emitTranspose(importer, loc, input, perm));
}

/// aten::numpy_T (`x.T`): reverses all dimensions.
static void importNumpyT(GraphImporter &importer, jit::Node *node,
                         Location loc) {
  Value input = importer.tensorOf(node, 0);
  auto [rank, perm] = identityOf(input);
  std::reverse(perm.begin(), perm.end());
  importer.setResult(node, emitTranspose(importer, loc, input, perm));
}

/// aten::transpose(x, a, b), with negative dimensions.
static void importTranspose(GraphImporter &importer, jit::Node *node,
                            Location loc) {
  Value input = importer.tensorOf(node, 0);
  auto [rank, perm] = identityOf(input);
  int64_t a = importer.intOf(node, 1), b = importer.intOf(node, 2);
  a = a < 0 ? a + rank : a;
  b = b < 0 ? b + rank : b;
  if (a < 0 || b < 0 || a >= rank || b >= rank)
    importer.fail(node, "aten::transpose dimension out of range");
  std::swap(perm[a], perm[b]);
  importer.setResult(node, emitTranspose(importer, loc, input, perm));
}

/// aten::permute(x, dims), with negative dimensions.
static void importPermute(GraphImporter &importer, jit::Node *node,
                          Location loc) {
  Value input = importer.tensorOf(node, 0);
  auto [rank, perm] = identityOf(input);
  std::vector<int64_t> dims = importer.intListOf(node, 1);
  if (static_cast<int64_t>(dims.size()) != rank)
    importer.fail(node,
                  "aten::permute needs " + llvm::Twine(rank) + " dimensions");
  for (int64_t i = 0; i < rank; ++i)
    perm[i] = dims[i] < 0 ? dims[i] + rank : dims[i];
  if (!isPermutationVector(ArrayRef<int64_t>(perm)))
    importer.fail(node, "aten::permute dimensions are not a permutation");
  importer.setResult(node, emitTranspose(importer, loc, input, perm));
}

//===----------------------------------------------------------------------===//
// Reshapes
//===----------------------------------------------------------------------===//

Value mlir::qtensor::importer::emitReshape(GraphImporter &importer,
                                           jit::Node *node, Value input,
                                           SmallVector<int64_t> target) {
  OpBuilder &builder = importer.getBuilder();
  Location loc = importer.locationOf(node);
  auto type = cast<RankedTensorType>(input.getType());
  // -1 is inferred; a dynamic size (taken from a dynamic dimension of the
  // input, as unsqueeze, flatten and `x.view(x.size(0), -1)` do) stays
  // dynamic.
  int64_t known = 1, inferred = 0, dynamic = 0;
  for (int64_t size : target) {
    if (size == -1)
      ++inferred;
    else if (ShapedType::isDynamic(size))
      ++dynamic;
    else
      known *= size;
  }
  bool inputStatic = type.hasStaticShape();
  if (inferred > 1)
    importer.fail(node, "reshape to " + formatShape(target) +
                            " has more than one unknown dimension");
  // With one dynamic size on each side (`x.reshape(B, T, H, -1, 2)` of
  // [B, T, H*D]), the two are the same size and -1 is the rest of the
  // static part.
  int64_t staticInput = 1;
  for (int64_t size : type.getShape())
    if (!ShapedType::isDynamic(size))
      staticInput *= size;
  bool sameDynamic = dynamic == 1 && type.getNumDynamicDims() == 1 &&
                     known != 0 && staticInput % known == 0;
  for (int64_t &size : target) {
    if (size != -1)
      continue;
    if (inputStatic && known != 0 && dynamic == 0)
      size = type.getNumElements() / known;
    else if (sameDynamic)
      size = staticInput / known;
    else
      size = ShapedType::kDynamic;
  }
  if (inputStatic && inferred == 0 && dynamic == 0 &&
      known != type.getNumElements())
    importer.fail(node, "cannot reshape " + formatShape(type.getShape()) +
                            " into " + formatShape(target));
  auto resultType = RankedTensorType::get(target, type.getElementType());
  if (resultType == type)
    return input;
  if (auto groups = getReassociationIndicesForReshape(type, resultType)) {
    if (resultType.getRank() < type.getRank())
      return keepDimNames(importer, input,
                          tensor::CollapseShapeOp::create(
                              builder, loc, resultType, input, *groups),
                          *groups);
    // Expanding: a dynamic size is its group's size over the static rest,
    // which takes one dynamic size per group.
    SmallVector<OpFoldResult> outputShape;
    for (auto [sourceDim, group] : llvm::enumerate(*groups)) {
      if (llvm::count_if(group, [&](int64_t dim) {
            return resultType.isDynamicDim(dim);
          }) > 1)
        importer.fail(node, "reshape of " + formatShape(type.getShape()) +
                                " into " + formatShape(target) +
                                " splits a dynamic dimension into several "
                                "dynamic ones, which is not supported");
      int64_t staticProduct = 1;
      for (int64_t dim : group)
        if (!resultType.isDynamicDim(dim))
          staticProduct *= resultType.getDimSize(dim);
      for (int64_t dim : group) {
        if (!resultType.isDynamicDim(dim)) {
          outputShape.push_back(
              builder.getIndexAttr(resultType.getDimSize(dim)));
          continue;
        }
        Value size = dimSize(importer, loc, input, sourceDim);
        if (staticProduct != 1)
          size = arith::DivUIOp::create(
              builder, loc, size,
              arith::ConstantIndexOp::create(builder, loc, staticProduct));
        outputShape.push_back(size);
      }
    }
    return keepDimNames(importer, input,
                        tensor::ExpandShapeOp::create(builder, loc, resultType,
                                                      input, *groups,
                                                      outputShape),
                        *groups);
  }
  if (!inputStatic || !resultType.hasStaticShape())
    importer.fail(node, "reshape of " + formatShape(type.getShape()) +
                            " into " + formatShape(target) +
                            " regroups a dynamic dimension, which is not "
                            "supported");
  // A general static reshape: through one flat dimension.
  int64_t count = type.getNumElements();
  auto flatType = RankedTensorType::get({count}, type.getElementType());
  ReassociationIndices all =
      llvm::to_vector(llvm::seq<int64_t>(0, type.getRank()));
  Value flat =
      tensor::CollapseShapeOp::create(builder, loc, flatType, input, {all});
  ReassociationIndices allResult =
      llvm::to_vector(llvm::seq<int64_t>(0, resultType.getRank()));
  return tensor::ExpandShapeOp::create(builder, loc, resultType, flat,
                                       {allResult});
}

/// aten::reshape, aten::view: the target shape, with one -1.
static void importReshape(GraphImporter &importer, jit::Node *node, Location) {
  std::vector<int64_t> shape = importer.intListOf(node, 1);
  importer.setResult(
      node, emitReshape(importer, node, importer.tensorOf(node, 0),
                        SmallVector<int64_t>(shape.begin(), shape.end())));
}

/// aten::flatten(x, start, end): dimensions start..end as one.
static void importFlatten(GraphImporter &importer, jit::Node *node, Location) {
  Value input = importer.tensorOf(node, 0);
  auto shape = cast<RankedTensorType>(input.getType()).getShape();
  int64_t rank = std::max<int64_t>(shape.size(), 1);
  int64_t start = importer.intOf(node, 1), end = importer.intOf(node, 2);
  start = start < 0 ? start + rank : start;
  end = end < 0 ? end + rank : end;
  if (start < 0 || end >= rank || start > end)
    importer.fail(node, "aten::flatten dimensions out of range");
  SmallVector<int64_t> target(shape.begin(), shape.begin() + start);
  int64_t product = 1;
  for (int64_t i = start; i <= end && i < (int64_t)shape.size(); ++i)
    product = ShapedType::isDynamic(shape[i]) || ShapedType::isDynamic(product)
                  ? ShapedType::kDynamic
                  : product * shape[i];
  target.push_back(product);
  target.append(shape.begin() + std::min<int64_t>(end + 1, shape.size()),
                shape.end());
  importer.setResult(node, emitReshape(importer, node, input, target));
}

/// aten::unsqueeze(x, dim): a new dimension of size 1.
static void importUnsqueeze(GraphImporter &importer, jit::Node *node,
                            Location) {
  Value input = importer.tensorOf(node, 0);
  auto shape = cast<RankedTensorType>(input.getType()).getShape();
  int64_t dim = importer.intOf(node, 1);
  int64_t rank = shape.size() + 1;
  dim = dim < 0 ? dim + rank : dim;
  if (dim < 0 || dim >= rank)
    importer.fail(node, "aten::unsqueeze dimension out of range");
  SmallVector<int64_t> target(shape.begin(), shape.end());
  target.insert(target.begin() + dim, 1);
  importer.setResult(node, emitReshape(importer, node, input, target));
}

/// aten::squeeze(x) drops every dimension of size 1; aten::squeeze(x, dim)
/// drops `dim` if its size is 1.
static void importSqueeze(GraphImporter &importer, jit::Node *node, Location) {
  Value input = importer.tensorOf(node, 0);
  auto shape = cast<RankedTensorType>(input.getType()).getShape();
  SmallVector<int64_t> target;
  if (node->inputs().size() > 1) {
    int64_t rank = shape.size();
    int64_t dim = importer.intOf(node, 1);
    dim = dim < 0 ? dim + rank : dim;
    if (dim < 0 || dim >= rank)
      importer.fail(node, "aten::squeeze dimension out of range");
    for (int64_t i = 0; i < rank; ++i)
      if (i != dim || shape[i] != 1)
        target.push_back(shape[i]);
  } else {
    for (int64_t size : shape)
      if (size != 1)
        target.push_back(size);
  }
  importer.setResult(node, emitReshape(importer, node, input, target));
}

//===----------------------------------------------------------------------===//
// Broadcasts and repeats
//===----------------------------------------------------------------------===//

Value mlir::qtensor::importer::emitBroadcast(GraphImporter &importer,
                                             jit::Node *node, Value input,
                                             ArrayRef<int64_t> shape) {
  OpBuilder &builder = importer.getBuilder();
  Location loc = importer.locationOf(node);
  auto type = cast<RankedTensorType>(input.getType());
  int64_t rank = shape.size(), offset = rank - type.getRank();
  if (offset < 0)
    importer.fail(node, "cannot expand " + formatShape(type.getShape()) +
                            " to the lower rank of " + formatShape(shape));
  SmallVector<AffineExpr> exprs;
  SmallVector<Value> dynamicSizes;
  SmallVector<std::string> names(rank);
  for (int64_t i = 0; i < rank; ++i) {
    if (ShapedType::isDynamic(shape[i])) {
      // Only a dimension the input already has may stay dynamic.
      if (i < offset || !type.isDynamicDim(i - offset))
        importer.fail(node, "expand to a dynamic size is not supported");
      dynamicSizes.push_back(dimSize(importer, loc, input, i - offset));
      names[i] = importer.dimNameOf(input, i - offset).str();
    }
    if (i < offset)
      continue;
    int64_t size = type.getDimSize(i - offset);
    if (size == shape[i]) {
      exprs.push_back(builder.getAffineDimExpr(i));
      continue;
    }
    if (size != 1)
      importer.fail(node, "cannot expand " + formatShape(type.getShape()) +
                              " to " + formatShape(shape));
    exprs.push_back(builder.getAffineConstantExpr(0));
  }
  if (offset == 0 && llvm::equal(type.getShape(), shape))
    return input;
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  Value init = tensor::EmptyOp::create(builder, loc, resultType, dynamicSizes);
  auto generic = linalg::GenericOp::create(
      builder, loc, resultType, input, init,
      {AffineMap::get(rank, 0, exprs, &importer.getContext()),
       builder.getMultiDimIdentityMap(rank)},
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [](OpBuilder &b, Location l, ValueRange args) {
        linalg::YieldOp::create(b, l, args[0]);
      });
  importer.setDimNames(generic.getResult(0), names);
  return generic.getResult(0);
}

/// aten::expand(x, sizes, implicit) and aten::broadcast_to(x, sizes): -1
/// keeps a size.
static void importExpand(GraphImporter &importer, jit::Node *node, Location) {
  Value input = importer.tensorOf(node, 0);
  auto type = cast<RankedTensorType>(input.getType());
  std::vector<int64_t> sizes = importer.intListOf(node, 1);
  int64_t offset = static_cast<int64_t>(sizes.size()) - type.getRank();
  if (offset < 0)
    importer.fail(node, "cannot expand " + formatShape(type.getShape()) +
                            " to the lower rank of " + formatShape(sizes));
  SmallVector<int64_t> shape;
  for (auto [i, size] : llvm::enumerate(sizes)) {
    int64_t dim = static_cast<int64_t>(i) - offset;
    if (size == -1 && dim >= 0)
      size = type.getDimSize(dim);
    else if (size < 0 && !ShapedType::isDynamic(size))
      importer.fail(node, "expand to a negative size");
    shape.push_back(size);
  }
  importer.setResult(node, emitBroadcast(importer, node, input, shape));
}

/// aten::expand_as(x, other).
static void importExpandAs(GraphImporter &importer, jit::Node *node, Location) {
  Value input = importer.tensorOf(node, 0);
  Value other = importer.tensorOf(node, 1);
  importer.setResult(
      node, emitBroadcast(importer, node, input,
                          cast<RankedTensorType>(other.getType()).getShape()));
}

/// aten::repeat_interleave(x, repeats, dim) with a number of repeats (the
/// grouped-query attention form): a new dimension after `dim`, expanded and
/// merged into it.
static void importRepeatInterleave(GraphImporter &importer, jit::Node *node,
                                   Location) {
  Value input = importer.tensorOf(node, 0);
  auto type = cast<RankedTensorType>(input.getType());
  Item &repeatsItem = importer.lookup(node->input(1));
  if (repeatsItem.kind != Item::Kind::Int || importer.isNone(node, 2))
    importer.fail(node, "aten::repeat_interleave is supported with a number "
                        "of repeats and a dimension");
  int64_t repeats = repeatsItem.intValue;
  int64_t rank = type.getRank();
  int64_t dim = importer.intOf(node, 2);
  dim = dim < 0 ? dim + rank : dim;
  if (dim < 0 || dim >= rank || repeats < 1 || type.isDynamicDim(dim))
    importer.fail(node, "aten::repeat_interleave dimension or repeats out of "
                        "range");
  SmallVector<int64_t> shape(type.getShape());
  shape.insert(shape.begin() + dim + 1, 1);
  Value unsqueezed = emitReshape(importer, node, input, shape);
  shape[dim + 1] = repeats;
  Value expanded = emitBroadcast(importer, node, unsqueezed, shape);
  shape[dim] *= repeats;
  shape.erase(shape.begin() + dim + 1);
  importer.setResult(node, emitReshape(importer, node, expanded, shape));
}

/// aten::repeat(x, repeats): the tiles as a broadcast over new dimensions
/// before each repeated one, merged into it.
static void importRepeat(GraphImporter &importer, jit::Node *node, Location) {
  Value input = importer.tensorOf(node, 0);
  auto type = cast<RankedTensorType>(input.getType());
  std::vector<int64_t> repeats = importer.intListOf(node, 1);
  int64_t rank = repeats.size(), offset = rank - type.getRank();
  if (offset < 0)
    importer.fail(node, "aten::repeat needs at least as many repeats as "
                        "dimensions");
  // [a, b] repeated [r, s] is [r, a, s, b] (broadcast) reshaped to [ra, sb].
  SmallVector<int64_t> source, tiled, result;
  for (int64_t i = 0; i < rank; ++i) {
    int64_t size = i < offset ? 1 : type.getDimSize(i - offset);
    if (ShapedType::isDynamic(size) || repeats[i] < 0)
      importer.fail(node, "aten::repeat of a dynamic dimension or a negative "
                          "repeat is not supported");
    source.append({1, size});
    tiled.append({repeats[i], size});
    result.push_back(repeats[i] * size);
  }
  Value spread = emitReshape(importer, node, input, source);
  Value broadcast = emitBroadcast(importer, node, spread, tiled);
  importer.setResult(node, emitReshape(importer, node, broadcast, result));
}

/// aten::unflatten(x, dim, sizes).
static void importUnflatten(GraphImporter &importer, jit::Node *node,
                            Location) {
  Value input = importer.tensorOf(node, 0);
  auto shape = cast<RankedTensorType>(input.getType()).getShape();
  int64_t rank = shape.size();
  int64_t dim = importer.intOf(node, 1);
  dim = dim < 0 ? dim + rank : dim;
  if (dim < 0 || dim >= rank)
    importer.fail(node, "aten::unflatten dimension out of range");
  std::vector<int64_t> sizes = importer.intListOf(node, 2);
  SmallVector<int64_t> target(shape.begin(), shape.begin() + dim);
  target.append(sizes.begin(), sizes.end());
  target.append(shape.begin() + dim + 1, shape.end());
  importer.setResult(node, emitReshape(importer, node, input, target));
}

//===----------------------------------------------------------------------===//
// Filled tensors
//===----------------------------------------------------------------------===//

/// aten::zeros_like, ones_like (x, dtype, ...) and full_like (x, value,
/// dtype, ...): a tensor of x's shape, filled; x's dtype unless one is given.
template <int Fill>
static void importFilledLike(GraphImporter &importer, jit::Node *node,
                             Location loc) {
  OpBuilder &builder = importer.getBuilder();
  Value input = importer.tensorOf(node, 0);
  auto type = cast<RankedTensorType>(input.getType());
  unsigned dtypeIndex = Fill < 0 ? 2 : 1;
  Type elementType = type.getElementType();
  if (!importer.isNone(node, dtypeIndex)) {
    int64_t code = importer.intOf(node, dtypeIndex);
    if (code != static_cast<int64_t>(c10::ScalarType::Float) &&
        code != static_cast<int64_t>(c10::ScalarType::Long) &&
        code != static_cast<int64_t>(c10::ScalarType::Bool))
      importer.fail(node, std::string(node->kind().toQualString()) +
                              " is supported with dtype float32, int64 or "
                              "bool");
    elementType = code == static_cast<int64_t>(c10::ScalarType::Float)
                      ? builder.getF32Type()
                  : code == static_cast<int64_t>(c10::ScalarType::Long)
                      ? Type(builder.getI64Type())
                      : Type(builder.getI1Type());
  }
  double value = Fill;
  if (Fill < 0) {
    Item &fill = importer.lookup(node->input(1));
    if (!fill.isScalar())
      importer.fail(node, "aten::full_like value must be a number");
    value = fill.scalar();
  }
  SmallVector<Value> dynamicSizes;
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (type.isDynamicDim(i))
      dynamicSizes.push_back(dimSize(importer, loc, input, i));
  auto resultType = RankedTensorType::get(type.getShape(), elementType);
  Value empty = tensor::EmptyOp::create(builder, loc, resultType, dynamicSizes);
  TypedAttr attr = isa<FloatType>(elementType)
                       ? TypedAttr(builder.getFloatAttr(elementType, value))
                       : TypedAttr(builder.getIntegerAttr(
                             elementType, elementType.isInteger(1)
                                              ? int64_t(value != 0)
                                              : static_cast<int64_t>(value)));
  Value constant = arith::ConstantOp::create(builder, loc, attr);
  Value result =
      linalg::FillOp::create(builder, loc, constant, empty).getResult(0);
  importer.setDimNames(result, importer.dimNamesOf(input));
  importer.setResult(node, result);
}

void mlir::qtensor::importer::registerShapeOps(OpTable &table) {
  table.add("aten::t", importT);
  table.add("aten::transpose", importTranspose);
  table.add("aten::permute", importPermute);
  table.add("aten::numpy_T", importNumpyT);
  table.add("aten::reshape", importReshape);
  table.add("aten::view", importReshape);
  table.add("aten::flatten", importFlatten);
  table.add("aten::unsqueeze", importUnsqueeze);
  table.add("aten::squeeze", importSqueeze);
  table.add("aten::unflatten", importUnflatten);
  table.add("aten::expand", importExpand);
  table.add("aten::broadcast_to", importExpand);
  table.add("aten::expand_as", importExpandAs);
  table.add("aten::repeat", importRepeat);
  table.add("aten::repeat_interleave", importRepeatInterleave);
  table.add("aten::zeros_like", importFilledLike<0>);
  table.add("aten::ones_like", importFilledLike<1>);
  table.add("aten::full_like", importFilledLike<-1>);
}
