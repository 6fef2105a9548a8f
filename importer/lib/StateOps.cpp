//===- StateOps.cpp - Module state: the buffers forward writes ------------===//
//
// Freezing folds every module attribute into a constant except those that
// forward writes: a KV cache (`k_cache[:, :, input_pos] = k`), a counter.
// Those stay `prim::GetAttr`s of the module and import as state: extra
// arguments of @forward (`qtensor.state` names each, `qtensor.initial_value`
// holds its value as saved) whose final values are extra results
// (`qtensor.state` on each); compiled code writes them in place. Writes at
// positions known only at run time (index_put_, index_copy_) are checked
// there: an out-of-range position makes the call fail through a status
// result (`qtensor.status`, its messages) and writes nothing. See
// docs/decoding.md.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"
#include "OpTable.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;
using namespace mlir::qtensor;
using namespace mlir::qtensor::importer;

//===----------------------------------------------------------------------===//
// GraphImporter's state bookkeeping
//===----------------------------------------------------------------------===//

Item GraphImporter::stateItem(const jit::Node *node, const std::string &path,
                              const at::Tensor &initial) {
  auto found = llvm::find_if(
      states, [&](const StateBuffer &state) { return state.name == path; });
  unsigned index = found - states.begin();
  if (found == states.end()) {
    // The initial value is a copy: nothing that later runs the module may
    // change what a fresh state holds. A zero buffer (a fresh cache) is a
    // splat.
    at::Tensor copy = initial.contiguous().clone();
    ElementsAttr value;
    if (copy.numel() != 0 && !copy.ne(0).any().item<bool>()) {
      Type elementType = elementTypeOf(copy, path);
      SmallVector<int64_t> shape(copy.sizes().begin(), copy.sizes().end());
      value = DenseElementsAttr::get(RankedTensorType::get(shape, elementType),
                                     builder.getZeroAttr(elementType));
    } else {
      value = elementsOf(copy, path);
    }
    BlockArgument argument =
        entry->addArgument(value.getType(), locationOf(node));
    states.push_back({path, value, argument, argument});
  }
  Item item = Item::tensor(states[index].argument);
  item.state = index;
  item.name = path;
  return item;
}

void GraphImporter::writeInPlace(const jit::Node *node,
                                 const jit::Value *target, Value result) {
  Item &item = lookup(target);
  if (item.state >= 0) {
    StateBuffer &state = states[item.state];
    if (result.getType() != state.argument.getType())
      fail(node, "forward writes a value of another shape or dtype into the "
                 "state buffer '" +
                     state.name + "'");
    state.current = result;
    return;
  }
  if (graphInputs.contains(target))
    fail(node, "forward writes into its input '" +
                   StringRef(target->debugName()).rsplit('.').first +
                   "' in place; only the module's buffers may be written "
                   "(they become the model's state)");
  define(target, Item::tensor(result));
}

void GraphImporter::boundInput(const jit::Value *value, int64_t bound) {
  auto found = graphInputs.find(value);
  if (found == graphInputs.end() || bound <= 0)
    return;
  int64_t &current = inputBounds[found->second];
  current = current == 0 ? bound : std::min(current, bound);
}

void GraphImporter::addRuntimeCheck(const jit::Node *node, Value ok,
                                    const std::string &message) {
  checks.push_back({ok, message + where(node)});
}

void GraphImporter::appendState(SmallVectorImpl<Type> &argTypes,
                                SmallVectorImpl<Value> &results,
                                SmallVectorImpl<DictionaryAttr> &resultAttrs) {
  Location loc = UnknownLoc::get(&context);
  if (!checks.empty()) {
    // The status: 0, or 1 + the index of the first check that failed.
    Type i32 = builder.getI32Type();
    Value status = arith::ConstantIntOp::create(builder, loc, i32, 0);
    for (int64_t i = checks.size() - 1; i >= 0; --i) {
      Value code = arith::ConstantIntOp::create(builder, loc, i32, i + 1);
      status =
          arith::SelectOp::create(builder, loc, checks[i].ok, status, code);
    }
    results.push_back(tensor::FromElementsOp::create(
        builder, loc, RankedTensorType::get({}, i32), ValueRange{status}));
    SmallVector<Attribute> messages;
    for (const RuntimeCheck &check : checks)
      messages.push_back(builder.getStringAttr(check.message));
    resultAttrs.push_back(builder.getDictionaryAttr(builder.getNamedAttr(
        "qtensor.status", builder.getArrayAttr(messages))));
  }
  for (StateBuffer &state : states) {
    argTypes.push_back(state.argument.getType());
    results.push_back(state.current);
    resultAttrs.push_back(builder.getDictionaryAttr(builder.getNamedAttr(
        "qtensor.state", builder.getStringAttr(state.name))));
  }
}

void GraphImporter::setStateAttributes(func::FuncOp func, unsigned numInputs) {
  for (auto [i, state] : llvm::enumerate(states)) {
    func.setArgAttr(numInputs + i, "qtensor.state",
                    builder.getStringAttr(state.name));
    func.setArgAttr(numInputs + i, "qtensor.initial_value", state.initial);
  }
}

//===----------------------------------------------------------------------===//
// Op handlers
//===----------------------------------------------------------------------===//

static RankedTensorType tensorType(Value value) {
  return cast<RankedTensorType>(value.getType());
}

/// prim::GetAttr on the module or a submodule: a submodule stays an
/// import-time value; a tensor attribute (one that freezing kept because
/// forward writes it) is state.
static void importGetAttr(GraphImporter &importer, jit::Node *node, Location) {
  const Item &owner = importer.lookup(node->input(0));
  std::string name = node->s(c10::attr::name);
  if (!owner.other.isObject())
    importer.fail(node, "prim::GetAttr '" + name +
                            "' of a value that is not "
                            "a module");
  c10::intrusive_ptr<c10::ivalue::Object> object = owner.other.toObject();
  std::string path = owner.name.empty() ? name : owner.name + "." + name;
  const c10::ClassTypePtr &type = object->type();
  c10::optional<size_t> slot = type->findAttributeSlot(name);
  if (!slot)
    importer.fail(node, "the module has no attribute '" + path + "'");
  c10::IValue value = object->getSlot(*slot);
  if (value.isObject()) {
    Item module;
    module.other = value;
    module.name = path;
    return importer.define(node->output(), std::move(module));
  }
  if (value.isTensor()) {
    if (type->is_parameter(*slot))
      importer.fail(node, "forward writes into the parameter '" + path +
                              "'; only buffers may be written in place (they "
                              "become the model's state)");
    return importer.define(node->output(),
                           importer.stateItem(node, path, value.toTensor()));
  }
  importer.fail(node, "module attribute '" + path + "' of type " +
                          value.type()->str() +
                          " is not supported: once the model is frozen, only "
                          "buffers that forward writes stay attributes");
}

/// `base` with the slices along `dim` at `indices` (1-D) replaced by those
/// of `values`, in order (a repeated index keeps the last). Nothing is
/// written unless every index lies in [0, size of dim): the check is a
/// run-time check of the call (negative indices, which PyTorch wraps, are
/// out of range too).
static Value emitScatter(GraphImporter &importer, jit::Node *node, Value base,
                         int64_t dim, const jit::Value *indexValue,
                         Value indices, Value values, const std::string &what) {
  OpBuilder &builder = importer.getBuilder();
  Location loc = importer.locationOf(node);
  RankedTensorType baseType = tensorType(base);
  Type indexElement = tensorType(indices).getElementType();
  if (!isa<IntegerType>(indexElement) || indexElement.isInteger(1))
    importer.fail(node, std::string(node->kind().toQualString()) +
                            " indices must be an int64 or int32 tensor");
  if (tensorType(values).getElementType() != baseType.getElementType())
    importer.fail(node, std::string(node->kind().toQualString()) +
                            " needs values of the destination's dtype");
  // A 0-D index writes one slice: as a 1-D index of one.
  if (tensorType(indices).getRank() == 0) {
    indices = emitReshape(importer, node, indices, {1});
    SmallVector<int64_t> shape(tensorType(values).getShape());
    if (static_cast<int64_t>(shape.size()) + 1 == baseType.getRank()) {
      shape.insert(shape.begin() + dim, 1);
      values = emitReshape(importer, node, values, shape);
    }
  }
  if (tensorType(indices).getRank() != 1)
    importer.fail(node, std::string(node->kind().toQualString()) +
                            " indices must be 0-D or 1-D");
  // Values broadcast to the slices they fill.
  SmallVector<int64_t> target(baseType.getShape());
  target[dim] = tensorType(indices).getDimSize(0);
  if (tensorType(values).getShape() != ArrayRef<int64_t>(target)) {
    if (ShapedType::isDynamic(target[dim]) &&
        tensorType(values).getRank() == baseType.getRank())
      importer.checkSameDynamicSize(node, values, dim, indices, 0);
    values = emitBroadcast(importer, node, values, target);
  }

  Value zero = arith::ConstantIndexOp::create(builder, loc, 0);
  Value one = arith::ConstantIndexOp::create(builder, loc, 1);
  Value count = dimSize(importer, loc, indices, 0);
  Value extent = dimSize(importer, loc, base, dim);
  auto positionAt = [&](OpBuilder &b, Location l, Value t) -> Value {
    Value index = tensor::ExtractOp::create(b, l, indices, t);
    return arith::IndexCastOp::create(b, l, b.getIndexType(), index);
  };
  Value allTrue = arith::ConstantIntOp::create(builder, loc, 1, 1);
  auto check = scf::ForOp::create(
      builder, loc, zero, count, one, ValueRange{allTrue},
      [&](OpBuilder &b, Location l, Value t, ValueRange carried) {
        Value position = positionAt(b, l, t);
        Value atLeastZero = arith::CmpIOp::create(
            b, l, arith::CmpIPredicate::sge, position, zero);
        Value belowSize = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt,
                                                position, extent);
        Value inRange = arith::AndIOp::create(b, l, atLeastZero, belowSize);
        scf::YieldOp::create(
            b, l, ValueRange{arith::AndIOp::create(b, l, carried[0], inRange)});
      });
  Value ok = check.getResult(0);
  if (!baseType.isDynamicDim(dim))
    importer.boundInput(indexValue, baseType.getDimSize(dim));
  std::string size = baseType.isDynamicDim(dim)
                         ? std::string("its size")
                         : std::to_string(baseType.getDimSize(dim));
  importer.addRuntimeCheck(node, ok,
                           "a position is out of range of " + what +
                               " along dimension " + std::to_string(dim) +
                               " (positions must be >= 0 and < " + size + ")");

  auto write = scf::IfOp::create(
      builder, loc, ok,
      [&](OpBuilder &b, Location l) {
        auto loop = scf::ForOp::create(
            b, l, zero, count, one, ValueRange{base},
            [&](OpBuilder &b, Location l, Value t, ValueRange carried) {
              SmallVector<OpFoldResult> from(baseType.getRank(),
                                             b.getIndexAttr(0));
              SmallVector<OpFoldResult> to(from), sizes,
                  strides(baseType.getRank(), b.getIndexAttr(1));
              for (int64_t i = 0; i < baseType.getRank(); ++i)
                sizes.push_back(i == dim ? b.getIndexAttr(1)
                                         : tensor::getMixedSize(b, l, base, i));
              from[dim] = t;
              to[dim] = positionAt(b, l, t);
              Value slice = tensor::ExtractSliceOp::create(b, l, values, from,
                                                           sizes, strides);
              Value written = tensor::InsertSliceOp::create(
                  b, l, slice, carried[0], to, sizes, strides);
              scf::YieldOp::create(b, l, ValueRange{written});
            });
        scf::YieldOp::create(b, l, loop.getResults());
      },
      [&](OpBuilder &b, Location l) {
        scf::YieldOp::create(b, l, ValueRange{base});
      });
  Value result = write.getResult(0);
  importer.setDimNames(result, importer.dimNamesOf(base));
  return result;
}

/// What a scatter writes into, for its run-time error message.
static std::string describeTarget(GraphImporter &importer, jit::Node *node) {
  const Item &item = importer.lookup(node->input(0));
  if (item.state >= 0)
    return "the state buffer '" + item.name + "'";
  return "the tensor " + std::string(node->kind().toQualString()) +
         " writes into";
}

/// aten::index_put_(x, [None, ..., indices], values, accumulate), as
/// `x[:, :, input_pos] = k` writes: one integer tensor index after full
/// slices, accumulate false. Also the functional aten::index_put.
static void importIndexPut(GraphImporter &importer, jit::Node *node, Location) {
  Value base = importer.tensorOf(node, 0);
  auto [dim, indices] =
      tensorIndexOf(importer, node, 1, tensorType(base).getRank());
  if (!importer.isNone(node, 3) && importer.intOf(node, 3) != 0)
    importer.fail(node, "aten::index_put_ with accumulate=True is not "
                        "supported");
  Value values = importer.tensorOf(node, 2);
  std::string what = describeTarget(importer, node);
  // The index as the graph names it: an input of forward is bounded.
  const jit::Value *indexValue = nullptr;
  if (jit::Node *construct = node->input(1)->node();
      construct->kind() == c10::prim::ListConstruct &&
      static_cast<size_t>(dim) < construct->inputs().size())
    indexValue = construct->input(dim);
  setInPlaceResult(importer, node,
                   emitScatter(importer, node, base, dim, indexValue, indices,
                               values, what));
}

/// aten::index_copy_(x, dim, indices, source), and aten::index_copy.
static void importIndexCopy(GraphImporter &importer, jit::Node *node,
                            Location) {
  Value base = importer.tensorOf(node, 0);
  int64_t dim = normalizeDim(importer, node, importer.intOf(node, 1),
                             tensorType(base).getRank());
  Value indices = importer.tensorOf(node, 2);
  Value source = importer.tensorOf(node, 3);
  if (tensorType(source).getRank() != tensorType(base).getRank())
    importer.fail(node, "aten::index_copy_ source must have the "
                        "destination's rank");
  std::string what = describeTarget(importer, node);
  setInPlaceResult(importer, node,
                   emitScatter(importer, node, base, dim, node->input(2),
                               indices, source, what));
}

void mlir::qtensor::importer::registerStateOps(OpTable &table) {
  table.add("prim::GetAttr", importGetAttr);
  table.add("aten::index_put_", importIndexPut);
  table.add("aten::index_put", importIndexPut);
  table.add("aten::index_copy_", importIndexCopy);
  table.add("aten::index_copy", importIndexCopy);
}
