//===- GraphImporter.cpp - One TorchScript graph to stage-0 IR ------------===//
//
// The GraphImporter itself: errors and locations, the values imported so
// far, constants (weights as named dense_resource blobs) and the walk from
// the graph of `forward` to `func.func @forward`. What each op becomes is in
// the op families' files, found through the op table.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"

#include "OpTable.h"

#include "qtensor/Dialect/ElementTypes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/StringExtras.h"

#include <torch/csrc/jit/passes/constant_propagation.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>

#include <functional>

using namespace mlir;
using namespace mlir::qtensor;
using namespace mlir::qtensor::importer;

namespace {
/// A position in the user's Python source. `column` is 1-based, 0 where
/// unknown: a traced model records lines only.
struct SourcePosition {
  std::string file;
  size_t line = 0;
  size_t column = 0;

  bool operator==(const SourcePosition &other) const {
    return file == other.file && line == other.line && column == other.column;
  }
};
} // namespace

/// The range that generated `range`: a loaded archive's ranges point into
/// its serialized code, and each remembers the original one.
static jit::SourceRange originalRange(const jit::SourceRange &range) {
  if (auto original = range.findSourceRangeThatGenerated())
    return *original;
  return range;
}

/// The position of `range` in the user's Python source, if it has one (the
/// ranges of a traced model's inlined calls are empty and name no file).
static std::optional<SourcePosition>
scriptedPosition(const jit::SourceRange &range) {
  auto position = originalRange(range).file_line_col();
  if (!position || std::get<0>(*position).empty())
    return std::nullopt;
  return SourcePosition{std::get<0>(*position), std::get<1>(*position),
                        std::get<2>(*position) + 1};
}

/// The Python stack that torch.jit.trace recorded for a traced node, innermost
/// frame first, as lines "FILE(LINE): FUNCTION"; empty when `range` is not
/// such a stack (a scripted model's range is its source text).
static std::vector<SourcePosition> tracedFrames(const jit::SourceRange &range) {
  jit::SourceRange original = originalRange(range);
  if (!original.source())
    return {};
  std::vector<SourcePosition> frames;
  std::string text = original.text().str();
  llvm::SmallVector<StringRef> lines;
  StringRef(text).split(lines, '\n', -1, false);
  for (StringRef line : lines) {
    auto [location, function] = line.split("): ");
    size_t open = location.rfind('(');
    size_t number = 0;
    if (function.empty() || open == StringRef::npos || open == 0 ||
        location.drop_front(open + 1).getAsInteger(10, number))
      return {};
    frames.push_back({location.take_front(open).str(), number, 0});
  }
  return frames;
}

/// True for a file of PyTorch itself: the installed package, below
/// site-packages or dist-packages.
static bool isTorchFile(StringRef file) {
  return file.contains("site-packages/torch/") ||
         file.contains("dist-packages/torch/");
}

/// The user-facing position of a node. Traced: its innermost frame outside
/// PyTorch's files (an nn.Linear is located at the user's line that called
/// it). Scripted: the outermost frame of its inlined call stack (the line in
/// the user's `forward` that called nn.Linear), else its own source range.
static std::optional<SourcePosition> userPosition(const jit::Node *node) {
  std::vector<SourcePosition> traced = tracedFrames(node->sourceRange());
  if (!traced.empty()) {
    for (const SourcePosition &frame : traced)
      if (!isTorchFile(frame.file))
        return frame;
    return traced.front();
  }
  if (auto callstack = node->callstack()) {
    std::vector<jit::InlinedCallStackEntry> frames = (*callstack)->vec();
    if (!frames.empty())
      if (auto position = scriptedPosition(std::get<1>(frames.front())))
        return position;
  }
  return scriptedPosition(node->sourceRange());
}

/// The node's own position: the innermost traced frame, or its source range.
static std::optional<SourcePosition> ownPosition(const jit::Node *node) {
  std::vector<SourcePosition> traced = tracedFrames(node->sourceRange());
  if (!traced.empty())
    return traced.front();
  return scriptedPosition(node->sourceRange());
}

/// A class name without the "___torch_mangle_N." that TorchScript adds to
/// each copy of a type (freezing copies every module's type).
static std::string unmangledClassName(const c10::ClassTypePtr &type) {
  if (!type || !type->name())
    return "";
  std::string name = type->name()->qualifiedName();
  StringRef text(name);
  std::string result;
  while (!text.empty()) {
    auto [part, rest] = text.split('.');
    if (!part.starts_with("___torch_mangle_"))
      result += (result.empty() ? "" : ".") + part.str();
    text = rest;
  }
  return result;
}

GraphImporter::GraphImporter(MLIRContext &context, jit::Module &original)
    : context(context), builder(&context), original(original) {
  // Frozen constants keep the storage of the parameters they came from;
  // that is how they get their names back.
  for (const auto &parameter : original.named_parameters(/*recurse=*/true))
    names[parameter.value.data_ptr()] = {parameter.name,
                                         parameter.value.numel()};
  for (const auto &buffer : original.named_buffers(/*recurse=*/true))
    names.emplace(buffer.value.data_ptr(),
                  NamedStorage{buffer.name, buffer.value.numel()});
}

//===----------------------------------------------------------------------===//
// Errors and locations
//===----------------------------------------------------------------------===//

std::string GraphImporter::modulePath(const jit::Node *node) {
  auto callstack = node->callstack();
  if (!callstack)
    return "";
  auto [cached, inserted] = modulePaths.try_emplace(callstack->get());
  if (!inserted)
    return cached->second;
  // Each frame of a method call names the attribute its module was read
  // from ("attn") and the module's class. A container that is indexed but
  // never called (nn.ModuleList) has no frame: `blocks.0` arrives as "0",
  // found below the current module by its name and class.
  jit::Module current = original;
  std::string path;
  for (const jit::InlinedCallStackEntry &frame : (*callstack)->vec()) {
    const auto &instance = std::get<2>(frame);
    if (!instance || instance->instance_name() == "SELF")
      continue;
    const std::string &name = instance->instance_name();
    std::string className = unmangledClassName(instance->class_type());
    std::optional<jit::NameModule> found;
    bool ambiguous = false;
    for (const jit::NameModule &candidate : current.named_modules()) {
      StringRef candidatePath(candidate.name);
      if (candidatePath != name && !candidatePath.ends_with("." + name))
        continue;
      if (unmangledClassName(candidate.value.type()) != className)
        continue;
      // A direct child wins over deeper modules of the same name.
      if (candidatePath == name) {
        found = candidate;
        ambiguous = false;
        break;
      }
      ambiguous |= found.has_value();
      found = candidate;
    }
    if (!found || ambiguous)
      break;
    current = found->value;
    path += (path.empty() ? "" : ".") + found->name;
  }
  cached->second = path;
  return path;
}

std::string GraphImporter::where(const jit::Node *node) {
  std::string text;
  if (auto position = userPosition(node)) {
    text = " at " + position->file + ":" + std::to_string(position->line);
    if (position->column)
      text += ":" + std::to_string(position->column);
  }
  if (std::string path = modulePath(node); !path.empty())
    text += " (module " + path + ")";
  return text;
}

void GraphImporter::fail(const jit::Node *node, const llvm::Twine &message) {
  std::string hint;
  if (tracedWithDynamicSizes)
    hint = "; the model was traced, which fixes its shapes: compile it for "
           "the shapes it was traced with, or save it with torch.jit.script "
           "for others";
  throw ImportError{message.str() + (node ? where(node) : std::string()) +
                    hint};
}

Location GraphImporter::locationOf(const jit::Node *node) {
  auto toLoc = [&](const SourcePosition &position) -> Location {
    return FileLineColLoc::get(&context, position.file, position.line,
                               position.column);
  };
  std::optional<SourcePosition> user = userPosition(node);
  if (!user)
    return UnknownLoc::get(&context);
  SmallVector<Location, 2> locations = {toLoc(*user)};
  // The user's line first: diagnostics report the first file location.
  if (std::optional<SourcePosition> own = ownPosition(node);
      own && !(*own == *user))
    locations.push_back(toLoc(*own));
  Attribute module;
  if (std::string path = modulePath(node); !path.empty())
    module = StringAttr::get(&context, path);
  if (locations.size() == 1 && !module)
    return locations.front();
  return FusedLoc::get(locations, module, &context);
}

//===----------------------------------------------------------------------===//
// Values
//===----------------------------------------------------------------------===//

Item Item::number(const at::Tensor &scalar) {
  Item item;
  if (scalar.is_floating_point()) {
    item.kind = Kind::Float;
    item.floatValue = scalar.item<double>();
  } else if (scalar.scalar_type() == at::kBool) {
    item.kind = Kind::Bool;
    item.boolValue = scalar.item<bool>();
  } else {
    item = integer(scalar.item<int64_t>());
  }
  return item;
}

Item &GraphImporter::lookup(const jit::Value *value) {
  auto it = items.find(value);
  if (it == items.end())
    fail(value->node(), "value '" + value->debugName() + "' has no import");
  return it->second;
}

void GraphImporter::define(const jit::Value *value, Item item) {
  items[value] = std::move(item);
}

void GraphImporter::setResult(const jit::Node *node, Value value) {
  items[node->output()] = Item::tensor(value);
}

std::string GraphImporter::nameOf(const at::Tensor &tensor,
                                  const jit::Value *value) {
  auto it = names.find(tensor.data_ptr());
  std::string name;
  // A view of all of a parameter's elements (a frozen `w.t()`) is that
  // parameter; a slice of one is not.
  if (it != names.end() && it->second.numel == tensor.numel()) {
    name = it->second.name;
  } else {
    name = value->debugName();
    if (StringRef(name).starts_with("self."))
      name = name.substr(5);
    if (name.empty() || llvm::isDigit(name.front()))
      name = "constant" + name;
  }
  return name;
}

/// True when every element the view of `tensor` addresses lies inside its
/// storage, with no negative stride and no overflow on the way.
static bool viewFitsStorage(const at::Tensor &tensor) {
  if (!tensor.has_storage())
    return false;
  int64_t offset = tensor.storage_offset();
  if (offset < 0)
    return false;
  if (tensor.numel() == 0)
    return true;
  // The last element addressed: offset + sum((size - 1) * stride).
  uint64_t last = static_cast<uint64_t>(offset);
  for (int64_t dim = 0; dim < tensor.dim(); ++dim) {
    int64_t size = tensor.size(dim), stride = tensor.stride(dim);
    if (size <= 0 || stride < 0)
      return false;
    uint64_t reach;
    if (__builtin_mul_overflow(static_cast<uint64_t>(size - 1),
                               static_cast<uint64_t>(stride), &reach) ||
        __builtin_add_overflow(last, reach, &last))
      return false;
  }
  uint64_t itemSize = tensor.element_size(), end;
  if (__builtin_add_overflow(last, uint64_t(1), &end) ||
      __builtin_mul_overflow(end, itemSize, &end))
    return false;
  return end <= tensor.storage().nbytes();
}

Type GraphImporter::elementTypeOf(const at::Tensor &source,
                                  const std::string &name) {
  Type elementType;
  switch (source.scalar_type()) {
  case at::kFloat:
    elementType = builder.getF32Type();
    break;
  case at::kHalf:
    elementType = builder.getF16Type();
    break;
  case at::kBFloat16:
    elementType = builder.getBF16Type();
    break;
  case at::kLong:
    elementType = builder.getI64Type();
    break;
  case at::kInt:
    elementType = builder.getI32Type();
    break;
  case at::kChar:
    elementType = builder.getI8Type();
    break;
  case at::kBool:
    elementType = builder.getI1Type();
    break;
  default:
    throw ImportError{"constant '" + name + "' has element type " +
                      std::string(c10::toString(source.scalar_type())) +
                      ", only float32, float16, bfloat16, int64, int32, int8 "
                      "and bool tensors are supported"};
  }
  return elementType;
}

ElementsAttr GraphImporter::elementsOf(const at::Tensor &source,
                                       const std::string &name) {
  Type elementType = elementTypeOf(source, name);
  // LibTorch does not check an archive's tensor records against their
  // storage: a corrupted one can describe a view that reaches past it.
  if (!viewFitsStorage(source))
    throw ImportError{"constant '" + name +
                      "' is malformed: its sizes and strides reach past its "
                      "storage (a corrupted archive?)"};
  // Share LibTorch's storage when it is laid out as the IR expects; the blob
  // keeps the tensor alive.
  at::Tensor tensor = source.is_contiguous() ? source : source.contiguous();
  SmallVector<int64_t> shape(tensor.sizes().begin(), tensor.sizes().end());
  auto type = RankedTensorType::get(shape, elementType);
  ArrayRef<char> bytes(static_cast<const char *>(tensor.data_ptr()),
                       tensor.numel() * tensor.element_size());
  // Scalars are ordinary literals (upstream lowerings of rank-0 globals
  // cannot read a dense_resource); every tensor is a named blob.
  ElementsAttr attr;
  if (elementType.isInteger(1)) {
    // Masks: i1 has no byte layout a blob could share.
    const bool *data = tensor.data_ptr<bool>();
    attr = DenseElementsAttr::get(
        type, ArrayRef<bool>(data, static_cast<size_t>(tensor.numel())));
  } else if (tensor.dim() == 0) {
    attr = DenseElementsAttr::getFromRawBuffer(type, bytes);
  } else {
    AsmResourceBlob blob(
        bytes, tensor.element_size(),
        [tensor](void *, size_t, size_t) mutable { tensor = at::Tensor(); },
        /*dataIsMutable=*/false);
    attr = DenseResourceElementsAttr::get(type, name, std::move(blob));
  }
  return attr;
}

Value GraphImporter::emitConstant(const at::Tensor &source,
                                  const std::string &name, Location loc) {
  ElementsAttr attr = elementsOf(source, name);
  OpBuilder::InsertionGuard guard(builder);
  if (lastConstant)
    builder.setInsertionPointAfter(lastConstant);
  else
    builder.setInsertionPointToStart(entry);
  auto constant = arith::ConstantOp::create(
      builder, NameLoc::get(builder.getStringAttr(name), loc), attr);
  lastConstant = constant;
  return constant;
}

Value GraphImporter::materialize(const jit::Node *node, Item &item) {
  if (item.kind != Item::Kind::Tensor)
    fail(node, "expected a tensor operand");
  if (item.state >= 0)
    return states[item.state].current;
  if (!item.value)
    item.value = emitConstant(item.constant, item.name, locationOf(node));
  return item.value;
}

Value GraphImporter::tensorOf(const jit::Node *node, unsigned index) {
  return materialize(node, lookup(node->input(index)));
}

int64_t GraphImporter::intOf(const jit::Node *node, unsigned index) {
  Item &item = lookup(node->input(index));
  if (item.kind != Item::Kind::Int && item.kind != Item::Kind::Bool)
    fail(node, "operand " + llvm::Twine(index) + " of " +
                   node->kind().toQualString() + " must be an int");
  return item.kind == Item::Kind::Bool ? item.boolValue : item.intValue;
}

std::vector<int64_t> GraphImporter::intListOf(const jit::Node *node,
                                              unsigned index) {
  Item &item = lookup(node->input(index));
  if (item.kind == Item::Kind::Int)
    return {item.intValue};
  if (item.kind != Item::Kind::List)
    fail(node, "operand " + llvm::Twine(index) + " of " +
                   node->kind().toQualString() + " must be a list of ints");
  std::vector<int64_t> values;
  for (const Item &element : item.elements) {
    if (element.kind != Item::Kind::Int)
      fail(node, "operand " + llvm::Twine(index) + " of " +
                     node->kind().toQualString() + " must be a list of ints");
    values.push_back(element.intValue);
  }
  return values;
}

bool GraphImporter::isNone(const jit::Node *node, unsigned index) {
  return index >= node->inputs().size() ||
         lookup(node->input(index)).kind == Item::Kind::None;
}

StringRef GraphImporter::dimNameOf(Value tensor, int64_t dim) {
  auto it = dimNames.find(tensor);
  if (it == dimNames.end() || dim < 0 ||
      dim >= static_cast<int64_t>(it->second.size()))
    return "";
  return it->second[dim];
}

SmallVector<std::string> GraphImporter::dimNamesOf(Value tensor) {
  int64_t rank = cast<RankedTensorType>(tensor.getType()).getRank();
  SmallVector<std::string> names;
  for (int64_t dim = 0; dim < rank; ++dim)
    names.push_back(dimNameOf(tensor, dim).str());
  return names;
}

void GraphImporter::setDimNames(Value tensor, ArrayRef<std::string> names) {
  auto type = cast<RankedTensorType>(tensor.getType());
  SmallVector<std::string> kept;
  bool any = false;
  for (auto [dim, name] : llvm::enumerate(names)) {
    // Only dynamic dimensions carry a name.
    bool dynamic =
        static_cast<int64_t>(dim) < type.getRank() && type.isDynamicDim(dim);
    kept.push_back(dynamic ? name : std::string());
    any |= dynamic && !name.empty();
  }
  if (any)
    dimNames[tensor] = std::move(kept);
}

std::string GraphImporter::mergeDimNames(const jit::Node *node, StringRef a,
                                         StringRef b) {
  if (!a.empty() && !b.empty() && a != b)
    fail(node, "dynamic sizes '" + a + "' and '" + b + "' meet in " +
                   node->kind().toQualString() +
                   ", which needs them equal; describe both inputs with one "
                   "name if they are");
  return (a.empty() ? b : a).str();
}

void GraphImporter::requireFloat(const jit::Node *node, Type elementType) {
  if (isa<FloatType>(elementType))
    return;
  std::string name;
  llvm::raw_string_ostream(name) << elementType;
  fail(node, std::string(node->kind().toQualString()) + " of an " + name +
                 " tensor is not supported (float tensors only)");
}

void GraphImporter::checkSameDynamicSize(const jit::Node *node, Value a,
                                         int64_t aDim, Value b, int64_t bDim) {
  mergeDimNames(node, dimNameOf(a, aDim), dimNameOf(b, bDim));
}

int64_t mlir::qtensor::importer::normalizeDim(GraphImporter &importer,
                                              const jit::Node *node,
                                              int64_t dim, int64_t rank) {
  int64_t normalized = dim < 0 ? dim + rank : dim;
  if (normalized < 0 || normalized >= rank)
    importer.fail(node, std::string(node->kind().toQualString()) +
                            " dimension " + std::to_string(dim) +
                            " out of range for rank " + std::to_string(rank));
  return normalized;
}

Value mlir::qtensor::importer::dimSize(GraphImporter &importer, Location loc,
                                       Value tensor, int64_t dim) {
  return tensor::DimOp::create(importer.getBuilder(), loc, tensor, dim);
}

//===----------------------------------------------------------------------===//
// Graph
//===----------------------------------------------------------------------===//

/// The inputs of `schema` (self left out) as a message lists them:
/// "src, mask = None".
static std::string describeInputs(const c10::FunctionSchema &schema) {
  std::string text;
  for (const c10::Argument &argument :
       llvm::ArrayRef(schema.arguments()).drop_front()) {
    if (!text.empty())
      text += ", ";
    text += argument.name();
    if (argument.default_value() && argument.default_value()->isNone())
      text += " = None";
  }
  return text;
}

/// Fixes what `graph` knows of the Optional[Tensor] inputs of forward: the
/// first `numGiven` inputs are tensors, the others None. Each `x is None`
/// and `x is not None` on them becomes a constant, and constant propagation
/// keeps only the branches those decide, so that `if mask is not None:`
/// imports as the branch the inputs take (control flow is not imported).
static void specializeOptionalInputs(std::shared_ptr<jit::Graph> graph,
                                     size_t numGiven) {
  bool changed = false;
  for (size_t i = 1; i < graph->inputs().size(); ++i) {
    jit::Value *input = graph->inputs()[i];
    auto optional = input->type()->cast<c10::OptionalType>();
    if (!optional || !optional->getElementType()->cast<c10::TensorType>())
      continue;
    bool isNone = i - 1 >= numGiven;
    changed = true;
    if (!isNone)
      input->setType(optional->getElementType());
    std::vector<jit::Use> uses = input->uses();
    for (const jit::Use &use : uses) {
      jit::Node *user = use.user;
      if (user->kind() == c10::prim::unchecked_cast && !isNone) {
        user->output()->replaceAllUsesWith(input);
        continue;
      }
      bool is = user->kind() == c10::aten::__is__;
      if ((!is && user->kind() != c10::aten::__isnot__) ||
          !user->input(1 - use.offset)->mustBeNone())
        continue;
      jit::WithInsertPoint guard(user);
      user->output()->replaceAllUsesWith(graph->insertConstant(is == isNone));
    }
    if (isNone) {
      jit::WithInsertPoint guard(graph->block()->nodes().front());
      input->replaceAllUsesWith(graph->insertConstant(c10::IValue()));
    }
  }
  if (!changed)
    return;
  jit::ConstantPropagation(graph);
  jit::EliminateDeadCode(graph);
}

OwningOpRef<ModuleOp>
GraphImporter::run(const std::shared_ptr<jit::Graph> &graphPointer,
                   const ImportOptions &options) {
  // Input 0 is the module itself. Inputs with a None default may be left
  // out at the end; they import as None.
  size_t numInputs = graphPointer->inputs().size() - 1;
  size_t numGiven = options.inputs.size();
  const c10::FunctionSchema &schema =
      original.get_method("forward").function().getSchema();
  auto countError = [&](const std::string &why) {
    return ImportError{"the model's forward takes " +
                       std::to_string(numInputs) + " input(s), but " +
                       std::to_string(numGiven) + " --input-shape given" + why +
                       " (inputs: " + describeInputs(schema) + ")"};
  };
  if (numGiven > numInputs)
    throw countError("");
  for (size_t i = numGiven; i < numInputs; ++i) {
    const c10::Argument &argument = schema.arguments()[i + 1];
    if (!argument.default_value() || !argument.default_value()->isNone())
      throw countError("; input '" + argument.name() +
                       "' has no None default, so it needs one");
  }
  specializeOptionalInputs(graphPointer, numGiven);
  jit::Graph &graph = *graphPointer;
  SmallVector<Type> argTypes;
  for (const ::qtensor::InputSpec &input : options.inputs) {
    SmallVector<int64_t> shape;
    for (const ::qtensor::InputDim &dim : input.dims)
      shape.push_back(dim.isDynamic() ? ShapedType::kDynamic : dim.size);
    argTypes.push_back(
        RankedTensorType::get(shape, getElementType(context, input.dtype)));
  }

  Location moduleLoc = UnknownLoc::get(&context);
  OwningOpRef<ModuleOp> module = ModuleOp::create(moduleLoc);
  builder.setInsertionPointToEnd(module->getBody());
  auto func = func::FuncOp::create(builder, moduleLoc, "forward",
                                   builder.getFunctionType(argTypes, {}));
  entry = func.addEntryBlock();
  builder.setInsertionPointToEnd(entry);
  // The module itself: its attributes that freezing kept are the buffers
  // forward writes (prim::GetAttr, StateOps.cpp).
  Item self;
  self.other = original._ivalue();
  items[graph.inputs()[0]] = std::move(self);
  inputBounds.assign(numGiven, 0);
  // A traced graph has the sizes of its example inputs baked in.
  bool dynamic = llvm::any_of(options.inputs, [](const auto &input) {
    return llvm::any_of(input.dims,
                        [](const auto &dim) { return dim.isDynamic(); });
  });
  tracedWithDynamicSizes =
      dynamic && llvm::any_of(graph.nodes(), [](const jit::Node *node) {
        return !tracedFrames(node->sourceRange()).empty();
      });
  for (size_t i = 0; i < numGiven; ++i) {
    const jit::Value *input = graph.inputs()[i + 1];
    if (!input->type()->cast<c10::TensorType>())
      throw ImportError{"input '" + input->debugName() +
                        "' of forward is not a tensor; only tensor inputs "
                        "are supported"};
    items[input] = Item::tensor(entry->getArgument(i));
    graphInputs[input] = i;
    SmallVector<std::string> names;
    for (const ::qtensor::InputDim &dim : options.inputs[i].dims)
      names.push_back(dim.name);
    setDimNames(entry->getArgument(i), names);
  }

  importBlock(graph.block());

  // Outputs: a tensor or a (nested) tuple of tensors.
  SmallVector<Value> results;
  std::function<void(Item &)> collect = [&](Item &item) {
    if (item.kind == Item::Kind::List) {
      for (Item &element : item.elements)
        collect(element);
      return;
    }
    results.push_back(materialize(graph.return_node(), item));
  };
  for (const jit::Value *output : graph.outputs())
    collect(lookup(output));
  SmallVector<DictionaryAttr> resultAttrs(results.size(),
                                          builder.getDictionaryAttr({}));
  appendState(argTypes, results, resultAttrs);
  func::ReturnOp::create(builder, moduleLoc, results);
  func.setFunctionType(
      builder.getFunctionType(argTypes, ValueRange(results).getTypes()));
  if (!states.empty() || !checks.empty()) {
    func.setAllResultAttrs(resultAttrs);
    setStateAttributes(func, numGiven);
  }
  if (llvm::any_of(inputBounds, [](int64_t bound) { return bound != 0; }))
    func->setAttr("qtensor.input_bounds",
                  builder.getDenseI64ArrayAttr(inputBounds));
  return module;
}

void GraphImporter::importBlock(jit::Block *block) {
  for (jit::Node *node : block->nodes())
    importNode(node);
}

void GraphImporter::importNode(jit::Node *node) {
  const char *kind = node->kind().toQualString();
  Location loc = locationOf(node);
  if (foldAtImport(*this, node))
    return;
  if (OpHandler handler = OpTable::get().lookup(kind))
    return handler(*this, node, loc);
  fail(node, "unsupported operator '" + std::string(kind) + "'");
}
