//===- PrimOps.cpp - Constants, lists, tuples and identities --------------===//
//
// The ops resolved at import time rather than emitted: prim::Constant (a
// tensor constant is emitted only on first use), list and tuple
// construction, unpacking and indexing, aten::size, and the ops that are the
// identity on an inference graph (contiguous, detach, clone, dropout in eval
// mode, number <-> tensor conversions).
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"
#include "OpTable.h"

#include "qtensor/Dialect/QTensorDialect.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;
using namespace mlir::qtensor;
using namespace mlir::qtensor::importer;

/// prim::Constant: numbers, strings, None and int lists become Items; a
/// tensor stays a LibTorch tensor until an op uses it, so that ops such as
/// matmul can inspect its strides first.
static void importConstant(GraphImporter &importer, jit::Node *node, Location) {
  const jit::Value *output = node->output();
  Item item;
  c10::TypePtr type = output->type();
  if (type->kind() == c10::TypeKind::NoneType) {
    item.kind = Item::Kind::None;
  } else if (type->cast<c10::TensorType>()) {
    item.kind = Item::Kind::Tensor;
    item.constant = jit::toIValue(output)->toTensor();
    item.name = importer.nameOf(item.constant, output);
  } else if (type->kind() == c10::TypeKind::IntType) {
    item = Item::integer(node->i(c10::attr::value));
  } else if (type->kind() == c10::TypeKind::FloatType) {
    item.kind = Item::Kind::Float;
    item.floatValue = node->f(c10::attr::value);
  } else if (type->kind() == c10::TypeKind::BoolType) {
    item.kind = Item::Kind::Bool;
    item.boolValue = node->i(c10::attr::value);
  } else if (type->kind() == c10::TypeKind::StringType) {
    item.kind = Item::Kind::String;
    item.stringValue = node->s(c10::attr::value);
  } else if (type->kind() == c10::TypeKind::ListType) {
    c10::IValue value = *jit::toIValue(output);
    item.kind = Item::Kind::List;
    if (value.isIntList()) {
      for (int64_t element : value.toIntVector())
        item.elements.push_back(Item::integer(element));
    } else if (value.isList() &&
               llvm::all_of(value.toListRef(), [](const c10::IValue &element) {
                 return element.isString();
               })) {
      for (const c10::IValue &element : value.toListRef()) {
        Item string;
        string.kind = Item::Kind::String;
        string.stringValue = element.toStringRef();
        item.elements.push_back(std::move(string));
      }
    } else {
      importer.fail(node, "unsupported constant list of type " + type->str());
    }
  } else if (type->kind() == c10::TypeKind::DeviceObjType) {
    item.kind = Item::Kind::Other;
    item.other = *jit::toIValue(output);
  } else {
    importer.fail(node, "unsupported constant of type " + type->str());
  }
  importer.define(output, std::move(item));
}

/// prim::ListConstruct, prim::TupleConstruct: lists and tuples are both
/// Items of kind List.
static void importListConstruct(GraphImporter &importer, jit::Node *node,
                                Location) {
  Item list;
  list.kind = Item::Kind::List;
  for (const jit::Value *input : node->inputs())
    list.elements.push_back(importer.lookup(input));
  importer.define(node->output(), std::move(list));
}

/// prim::TupleUnpack, prim::ListUnpack.
static void importUnpack(GraphImporter &importer, jit::Node *node, Location) {
  std::string kind = node->kind().toQualString();
  Item &list = importer.lookup(node->input(0));
  if (list.kind != Item::Kind::List ||
      list.elements.size() != node->outputs().size())
    importer.fail(node, kind + " of a value that is not a matching tuple");
  // Copied first: define() may move what `list` refers to.
  std::vector<Item> elements = list.elements;
  for (size_t i = 0; i < node->outputs().size(); ++i)
    importer.define(node->output(i), elements[i]);
}

/// aten::__getitem__, prim::TupleIndex, with Python's negative indices.
static void importGetItem(GraphImporter &importer, jit::Node *node, Location) {
  std::string kind = node->kind().toQualString();
  Item list = importer.lookup(node->input(0));
  int64_t index = importer.intOf(node, 1);
  int64_t size = list.elements.size();
  if (list.kind != Item::Kind::List || index < -size || index >= size)
    importer.fail(node, kind + " index out of range");
  importer.define(node->output(),
                  list.elements[index < 0 ? index + size : index]);
}

/// aten::size, of all dimensions or one: the sizes are known at import time
/// (ShapedType::kDynamic for a dynamic one).
static void importSize(GraphImporter &importer, jit::Node *node, Location) {
  Value input = importer.tensorOf(node, 0);
  auto type = cast<RankedTensorType>(input.getType());
  if (node->inputs().size() == 1) {
    Item list;
    list.kind = Item::Kind::List;
    for (int64_t dim : type.getShape())
      list.elements.push_back(Item::integer(dim));
    importer.define(node->output(), std::move(list));
    return;
  }
  int64_t dim = importer.intOf(node, 1);
  if (dim < 0)
    dim += type.getRank();
  if (dim < 0 || dim >= type.getRank())
    importer.fail(node, "aten::size dimension out of range for shape " +
                            formatShape(type.getShape()));
  importer.define(node->output(), Item::integer(type.getDimSize(dim)));
}

/// prim::NumToTensor, prim::unchecked_cast, aten::contiguous, aten::detach,
/// aten::clone: the output is the input.
static void importIdentity(GraphImporter &importer, jit::Node *node, Location) {
  Item same = importer.lookup(node->input(0));
  importer.define(node->output(), std::move(same));
}

/// aten::dropout: the identity in eval mode, refused in training mode.
static void importDropout(GraphImporter &importer, jit::Node *node, Location) {
  if (importer.intOf(node, 2))
    importer.fail(node, "aten::dropout in training mode");
  Item same = importer.lookup(node->input(0));
  importer.define(node->output(), std::move(same));
}

void mlir::qtensor::importer::registerPrimOps(OpTable &table) {
  table.add("prim::Constant", importConstant);
  table.add("prim::ListConstruct", importListConstruct);
  table.add("prim::TupleConstruct", importListConstruct);
  table.add("prim::TupleUnpack", importUnpack);
  table.add("prim::ListUnpack", importUnpack);
  table.add("aten::__getitem__", importGetItem);
  table.add("prim::TupleIndex", importGetItem);
  table.add("aten::size", importSize);
  table.add("prim::NumToTensor", importIdentity);
  table.add("prim::unchecked_cast", importIdentity);
  table.add("aten::contiguous", importIdentity);
  table.add("aten::detach", importIdentity);
  table.add("aten::clone", importIdentity);
  table.add("aten::dropout", importDropout);
}
