//===- ConstantFolding.cpp - Ops on import-time values run by LibTorch ----===//
//
// A node whose every input is known at import time is run by LibTorch's own
// kernel there, and its outputs become import-time values. Freezing already
// folds what depends on weights alone; what it cannot fold depends on input
// sizes, which a frozen graph only learns at run time but the importer knows
// from --input-shape: the slice `bias[:, :, :T, :T]` of a causal-mask
// buffer, the mask `~mask[:T, :T]`, `arange(T)` positions and their
// embedding, rotary `cos[:T]` tables, `C // n_head` head sizes. Running
// PyTorch's kernels gives PyTorch's numerics and covers every op at once.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"
#include "SandboxedLoader.h"

#include "llvm/ADT/StringSet.h"

using namespace mlir;
using namespace mlir::qtensor;
using namespace mlir::qtensor::importer;

/// The largest tensor an evaluation may produce. Folded values become
/// constants of the compiled model; a larger one means a size argument that
/// a real model does not have.
static constexpr int64_t kMaxFoldedBytes = int64_t(1) << 30;

/// Ops kept for their handlers although their inputs may all be constants:
/// the linear algebra (compute the model does at run time, and whose weight
/// operands the quantizer must see), and the identities whose handlers keep
/// a weight's name.
static bool isNeverFolded(StringRef kind) {
  static const llvm::StringSet<> kinds = {
      "aten::linear", "aten::matmul",  "aten::mm",     "aten::addmm",
      "aten::bmm",    "aten::baddbmm", "aten::detach", "aten::contiguous",
      "aten::clone",  "aten::dropout"};
  return kinds.contains(kind);
}

/// True when values of `type` can be import-time values.
static bool isFoldableType(const c10::TypePtr &type) {
  switch (type->kind()) {
  case c10::TypeKind::TensorType:
  case c10::TypeKind::IntType:
  case c10::TypeKind::FloatType:
  case c10::TypeKind::BoolType:
  case c10::TypeKind::StringType:
  case c10::TypeKind::DeviceObjType:
    return true;
  case c10::TypeKind::ListType: {
    c10::TypeKind element =
        type->expectRef<c10::ListType>().getElementType()->kind();
    return element == c10::TypeKind::TensorType ||
           element == c10::TypeKind::IntType ||
           element == c10::TypeKind::FloatType ||
           element == c10::TypeKind::BoolType ||
           element == c10::TypeKind::StringType;
  }
  default:
    return false;
  }
}

/// `item`, the import of `value`, as the IValue LibTorch's kernel takes, or
/// nullopt when it is not known at import time. `scalarTensor` is set when
/// a number stands for a tensor: prim::NumToTensor imports as its number;
/// `constantTensor` is set for a tensor constant.
static std::optional<c10::IValue> toIValue(const Item &item,
                                           const c10::TypePtr &type,
                                           bool &scalarTensor,
                                           bool &constantTensor) {
  bool wantsTensor = type->kind() == c10::TypeKind::TensorType;
  switch (item.kind) {
  case Item::Kind::Tensor:
    if (item.value)
      return std::nullopt;
    constantTensor = true;
    return c10::IValue(item.constant);
  case Item::Kind::Int:
    if (ShapedType::isDynamic(item.intValue))
      return std::nullopt;
    if (wantsTensor) {
      scalarTensor = true;
      return c10::IValue(at::scalar_tensor(item.intValue, at::kLong));
    }
    return c10::IValue(item.intValue);
  case Item::Kind::Float:
    if (wantsTensor) {
      scalarTensor = true;
      return c10::IValue(at::scalar_tensor(item.floatValue, at::kDouble));
    }
    return c10::IValue(item.floatValue);
  case Item::Kind::Bool:
    if (wantsTensor) {
      scalarTensor = true;
      return c10::IValue(at::scalar_tensor(item.boolValue, at::kBool));
    }
    return c10::IValue(item.boolValue);
  case Item::Kind::None:
    return c10::IValue();
  case Item::Kind::String:
    return c10::IValue(item.stringValue);
  case Item::Kind::List: {
    auto list = type->cast<c10::ListType>();
    if (!list)
      return std::nullopt;
    c10::TypePtr elementType = list->getElementType();
    c10::impl::GenericList values(elementType);
    for (const Item &element : item.elements) {
      std::optional<c10::IValue> value =
          toIValue(element, elementType, scalarTensor, constantTensor);
      if (!value)
        return std::nullopt;
      values.push_back(std::move(*value));
    }
    return c10::IValue(values);
  }
  case Item::Kind::Other:
    if (item.other.isNone())
      return std::nullopt;
    return item.other;
  }
  return std::nullopt;
}

/// An evaluation's output as an Item; nullopt for a value the importer does
/// not represent.
static std::optional<Item> toItem(GraphImporter &importer,
                                  const jit::Node *node,
                                  const jit::Value *output,
                                  const c10::IValue &value, bool numbers) {
  Item item;
  if (value.isTensor()) {
    at::Tensor tensor = value.toTensor();
    // Size arithmetic on numbers that a trace recorded as tensors.
    if (numbers && tensor.dim() == 0)
      return Item::number(tensor);
    if (tensor.numel() * static_cast<int64_t>(tensor.element_size()) >
        kMaxFoldedBytes)
      importer.fail(node, std::string(node->kind().toQualString()) +
                              " makes a constant of " +
                              std::to_string(tensor.numel()) +
                              " elements, more than a model needs");
    item.kind = Item::Kind::Tensor;
    item.constant = tensor;
    item.name = importer.nameOf(tensor, output);
    return item;
  }
  if (value.isInt())
    return Item::integer(value.toInt());
  if (value.isDouble()) {
    item.kind = Item::Kind::Float;
    item.floatValue = value.toDouble();
    return item;
  }
  if (value.isBool()) {
    item.kind = Item::Kind::Bool;
    item.boolValue = value.toBool();
    return item;
  }
  if (value.isString()) {
    item.kind = Item::Kind::String;
    item.stringValue = value.toStringRef();
    return item;
  }
  if (value.isDevice()) {
    item.kind = Item::Kind::Other;
    item.other = value;
    return item;
  }
  if (value.isList()) {
    item.kind = Item::Kind::List;
    for (const c10::IValue &element : value.toListRef()) {
      std::optional<Item> converted =
          toItem(importer, node, output, element, numbers);
      if (!converted)
        return std::nullopt;
      item.elements.push_back(std::move(*converted));
    }
    return item;
  }
  return std::nullopt;
}

bool mlir::qtensor::importer::foldAtImport(GraphImporter &importer,
                                           jit::Node *node) {
  if (!node->kind().is_aten())
    return false;
  StringRef kind = node->kind().toQualString();
  // In-place ops would write into the weights' storage, and a mutated list
  // (aten::append) must change where it is defined.
  const c10::FunctionSchema *schema = node->maybeSchema();
  bool inPlace = kind.ends_with("_") && !kind.ends_with("__");
  if (!schema || schema->is_mutable() || inPlace || isNeverFolded(kind) ||
      node->hasSideEffects() || node->isNondeterministic() ||
      !node->maybeOperator())
    return false;
  for (const jit::Value *output : node->outputs())
    if (!isFoldableType(output->type()))
      return false;
  jit::Stack stack;
  bool scalarTensor = false, constantTensor = false;
  for (const jit::Value *input : node->inputs()) {
    std::optional<c10::IValue> value;
    if (input->node()->kind() == c10::prim::Constant &&
        input->type()->kind() != c10::TypeKind::TensorType)
      value = jit::toIValue(input);
    else
      value = toIValue(importer.lookup(input), input->type(), scalarTensor,
                       constantTensor);
    if (!value)
      return false;
    stack.push_back(std::move(*value));
  }
  // Vararg ops (aten::format) take their operand count on top of the stack,
  // as the interpreter pushes it.
  if (schema->is_vararg())
    stack.emplace_back(static_cast<int64_t>(node->inputs().size()));
  try {
    node->getOperation()(stack);
  } catch (const c10::Error &failure) {
    importer.fail(node, std::string(node->kind().toQualString()) + ": " +
                            firstLine(failure.what_without_backtrace()));
  }
  if (stack.size() != node->outputs().size())
    return false;
  // Numbers in, numbers out: 0-D results of arithmetic on numbers only are
  // numbers again.
  bool numbers = scalarTensor && !constantTensor;
  SmallVector<Item> outputs;
  for (auto [output, value] : llvm::zip(node->outputs(), stack)) {
    std::optional<Item> item = toItem(importer, node, output, value, numbers);
    if (!item)
      return false;
    outputs.push_back(std::move(*item));
  }
  for (auto [output, item] : llvm::zip(node->outputs(), outputs))
    importer.define(output, std::move(item));
  return true;
}
