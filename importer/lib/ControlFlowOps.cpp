//===- ControlFlowOps.cpp - Scripted control flow decided at import -------===//
//
// A frozen scripted graph keeps the checks of its Python source: shapes and
// dtypes, `self.training`, `torch.is_grad_enabled()`, `x is None`, device
// queries, nested-tensor and autocast fast paths, error messages built with
// `format`. PyTorch evaluates them at run time; the importer knows their
// answers at import time: the shapes from --input-shape, the tensors on the
// CPU, inference without grad or autocast. So the queries become constants,
// prim::If imports the branch its condition takes (an untaken
// prim::RaiseException with it is dropped), prim::Loop with a known trip
// count is unrolled, and the string and list work around them runs in
// LibTorch (ConstantFolding.cpp). A condition that stays unknown is an
// error at the user's line.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"
#include "OpTable.h"

using namespace mlir;
using namespace mlir::qtensor;
using namespace mlir::qtensor::importer;

/// Loops longer than this are refused rather than unrolled.
static constexpr int64_t kMaxUnrolledIterations = 4096;

static Item boolean(bool value) {
  Item item;
  item.kind = Item::Kind::Bool;
  item.boolValue = value;
  return item;
}

/// The condition operand `index` of `node`, which must be known.
static bool conditionOf(GraphImporter &importer, jit::Node *node,
                        unsigned index) {
  Item &condition = importer.lookup(node->input(index));
  if (condition.kind == Item::Kind::Bool)
    return condition.boolValue;
  if (condition.kind == Item::Kind::Int)
    return condition.intValue != 0;
  importer.fail(node, std::string(node->kind().toQualString()) +
                          " on a condition that depends on the input data, "
                          "which is only known at run time (qtensor compiles "
                          "the branch taken for the given shapes)");
}

/// prim::If: the taken block, its outputs as the node's.
static void importIf(GraphImporter &importer, jit::Node *node, Location) {
  jit::Block *block = node->blocks()[conditionOf(importer, node, 0) ? 0 : 1];
  importer.importBlock(block);
  std::vector<Item> outputs;
  for (const jit::Value *output : block->outputs())
    outputs.push_back(importer.lookup(output));
  for (auto [output, item] : llvm::zip(node->outputs(), outputs))
    importer.define(output, item);
}

/// prim::Loop(trip count, condition, carried...): unrolled.
static void importLoop(GraphImporter &importer, jit::Node *node, Location) {
  Item &tripItem = importer.lookup(node->input(0));
  if (tripItem.kind != Item::Kind::Int ||
      ShapedType::isDynamic(tripItem.intValue))
    importer.fail(node, "prim::Loop whose trip count is not known at import");
  int64_t trips = tripItem.intValue;
  jit::Block *body = node->blocks()[0];
  std::vector<Item> carried;
  for (unsigned i = 2; i < node->inputs().size(); ++i)
    carried.push_back(importer.lookup(node->input(i)));
  bool running = conditionOf(importer, node, 1);
  for (int64_t trip = 0; running && trip < trips; ++trip) {
    if (trip == kMaxUnrolledIterations)
      importer.fail(node, "prim::Loop of more than " +
                              std::to_string(kMaxUnrolledIterations) +
                              " iterations is not unrolled");
    importer.define(body->inputs()[0], Item::integer(trip));
    for (auto [input, item] : llvm::zip(body->inputs().slice(1), carried))
      importer.define(input, item);
    importer.importBlock(body);
    Item &condition = importer.lookup(body->outputs()[0]);
    if (condition.kind != Item::Kind::Bool)
      importer.fail(node, "prim::Loop whose condition is not known at import");
    running = condition.boolValue;
    carried.clear();
    for (const jit::Value *output : body->outputs().slice(1))
      carried.push_back(importer.lookup(output));
  }
  for (auto [output, item] : llvm::zip(node->outputs(), carried))
    importer.define(output, item);
}

/// prim::RaiseException on the path taken: the model refuses these inputs.
static void importRaise(GraphImporter &importer, jit::Node *node, Location) {
  Item &message = importer.lookup(node->input(0));
  importer.fail(node, "the model raises an exception for these inputs: " +
                          (message.kind == Item::Kind::String
                               ? message.stringValue
                               : std::string("(no message)")));
}

/// prim::Uninitialized: a placeholder that the branch taken replaces.
static void importUninitialized(GraphImporter &importer, jit::Node *node,
                                Location) {
  importer.define(node->output(), Item());
}

/// Nodes without an effect on inference: aten::warn.
static void importNothing(GraphImporter &, jit::Node *, Location) {}

/// aten::append(list, element), which mutates the list in place.
static void importAppend(GraphImporter &importer, jit::Node *node, Location) {
  Item element = importer.lookup(node->input(1));
  Item &list = importer.lookup(node->input(0));
  if (list.kind != Item::Kind::List)
    importer.fail(node, "aten::append to a value that is not a list");
  list.elements.push_back(std::move(element));
  Item result = list;
  importer.define(node->output(), std::move(result));
}

/// aten::Int, aten::Float, aten::Bool, aten::item, aten::ScalarImplicit: a
/// number that prim::NumToTensor made a tensor is the number again; the
/// value of a tensor the model computes is only known at run time.
static void importScalarOf(GraphImporter &importer, jit::Node *node, Location) {
  Item operand = importer.lookup(node->input(0));
  if (!operand.isScalar())
    importer.fail(node, std::string(node->kind().toQualString()) +
                            " reads the value of a tensor the model "
                            "computes, which is only known at run time "
                            "(a branch or size that depends on the input "
                            "data cannot be compiled ahead)");
  importer.define(node->output(), std::move(operand));
}

/// aten::len of a list, whose elements may be tensors of the IR.
static void importLen(GraphImporter &importer, jit::Node *node, Location) {
  Item &list = importer.lookup(node->input(0));
  if (list.kind != Item::Kind::List)
    importer.fail(node, "aten::len of a value that is not a list");
  importer.define(node->output(), Item::integer(list.elements.size()));
}

/// aten::__is__ and aten::__isnot__: `x is None` and `x is not None`.
template <bool Is>
static void importIs(GraphImporter &importer, jit::Node *node, Location) {
  bool aNone = importer.lookup(node->input(0)).kind == Item::Kind::None;
  bool bNone = importer.lookup(node->input(1)).kind == Item::Kind::None;
  if (!aNone && !bNone)
    importer.fail(node, std::string(node->kind().toQualString()) +
                            " of two values that are not None");
  importer.define(node->output(), boolean((aNone == bNone) == Is));
}

/// Queries whose answer is the same for every model qtensor compiles: the
/// tensors are on the CPU, not nested, without grad; inference runs without
/// grad mode or autocast.
template <bool Answer>
static void importFixedQuery(GraphImporter &importer, jit::Node *node,
                             Location) {
  importer.define(node->output(), boolean(Answer));
}

/// prim::device: the tensors are on the CPU at import.
static void importDevice(GraphImporter &importer, jit::Node *node, Location) {
  Item device;
  device.kind = Item::Kind::Other;
  device.other = c10::IValue(c10::Device(c10::kCPU));
  importer.define(node->output(), std::move(device));
}

/// The element type of tensor operand `index` of `node`.
static Type elementTypeOf(GraphImporter &importer, jit::Node *node,
                          unsigned index) {
  return cast<RankedTensorType>(importer.tensorOf(node, index).getType())
      .getElementType();
}

/// prim::dtype: PyTorch's ScalarType number of the element type.
static void importDtype(GraphImporter &importer, jit::Node *node, Location) {
  Type type = elementTypeOf(importer, node, 0);
  c10::ScalarType scalar;
  if (type.isF32())
    scalar = c10::ScalarType::Float;
  else if (type.isF16())
    scalar = c10::ScalarType::Half;
  else if (type.isBF16())
    scalar = c10::ScalarType::BFloat16;
  else if (type.isInteger(64))
    scalar = c10::ScalarType::Long;
  else if (type.isInteger(32))
    scalar = c10::ScalarType::Int;
  else if (type.isInteger(8))
    scalar = c10::ScalarType::Char;
  else if (type.isInteger(1))
    scalar = c10::ScalarType::Bool;
  else
    importer.fail(node, "prim::dtype of an unsupported element type");
  importer.define(node->output(), Item::integer(static_cast<int64_t>(scalar)));
}

static void importIsFloatingPoint(GraphImporter &importer, jit::Node *node,
                                  Location) {
  importer.define(node->output(),
                  boolean(isa<FloatType>(elementTypeOf(importer, node, 0))));
}

/// aten::dim: the rank.
static void importDim(GraphImporter &importer, jit::Node *node, Location) {
  importer.define(
      node->output(),
      Item::integer(cast<RankedTensorType>(importer.tensorOf(node, 0).getType())
                        .getRank()));
}

void mlir::qtensor::importer::registerControlFlowOps(OpTable &table) {
  table.add("prim::If", importIf);
  table.add("prim::Loop", importLoop);
  table.add("prim::RaiseException", importRaise);
  table.add("prim::Uninitialized", importUninitialized);
  table.add("aten::warn", importNothing);
  table.add("aten::append", importAppend);
  table.add("aten::len", importLen);
  table.add("aten::Int", importScalarOf);
  table.add("aten::Float", importScalarOf);
  table.add("aten::Bool", importScalarOf);
  table.add("aten::item", importScalarOf);
  table.add("aten::ScalarImplicit", importScalarOf);
  table.add("aten::__is__", importIs<true>);
  table.add("aten::__isnot__", importIs<false>);
  table.add("prim::is_cuda", importFixedQuery<false>);
  table.add("prim::is_nested", importFixedQuery<false>);
  table.add("prim::is_sparse", importFixedQuery<false>);
  table.add("prim::is_quantized", importFixedQuery<false>);
  table.add("prim::is_mkldnn", importFixedQuery<false>);
  table.add("prim::requires_grad", importFixedQuery<false>);
  table.add("aten::is_grad_enabled", importFixedQuery<false>);
  table.add("aten::is_autocast_enabled", importFixedQuery<false>);
  table.add("aten::is_autocast_cpu_enabled", importFixedQuery<false>);
  table.add("aten::is_scripting", importFixedQuery<true>);
  table.add("prim::device", importDevice);
  table.add("prim::dtype", importDtype);
  table.add("aten::is_floating_point", importIsFloatingPoint);
  table.add("aten::dim", importDim);
}
