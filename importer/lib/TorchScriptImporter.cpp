//===- TorchScriptImporter.cpp - TorchScript models to stage-0 IR ---------===//
//
// The one qtensor library that includes LibTorch. It walks the frozen,
// inlined TorchScript graph of `forward` node by node and emits stage-0 IR.
// LibTorch reports errors with C++ exceptions; they are caught here and
// turned into llvm::Error values, so no exception crosses into MLIR code.
//
//===----------------------------------------------------------------------===//

#include "qtensor/Importer/TorchScriptImporter.h"

#include "qtensor/Dialect/QTensorDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"

#include <torch/csrc/jit/passes/inliner.h>
#include <torch/script.h>

#include <cmath>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <unordered_map>

using namespace mlir;
using namespace mlir::qtensor;
namespace jit = torch::jit;

namespace {

/// An import failure with its one-line message.
struct ImportError {
  std::string message;
};

/// What a TorchScript value is during import.
struct Item {
  enum class Kind { Tensor, Int, Float, Bool, None, String, List, Other };
  Kind kind = Kind::Other;
  /// A tensor already in the IR.
  Value value;
  /// A constant tensor not yet emitted (emitted on first use as a tensor, so
  /// that ops such as matmul can inspect its strides first), and its name.
  at::Tensor constant;
  std::string name;
  /// Int (ShapedType::kDynamic: the size of a dynamic dimension), float,
  /// bool, string, list or tuple elements.
  int64_t intValue = 0;
  double floatValue = 0.0;
  bool boolValue = false;
  std::string stringValue;
  std::vector<Item> elements;

  static Item tensor(Value value) {
    Item item;
    item.kind = Kind::Tensor;
    item.value = value;
    return item;
  }
  static Item integer(int64_t value) {
    Item item;
    item.kind = Kind::Int;
    item.intValue = value;
    return item;
  }
  bool isScalar() const {
    return kind == Kind::Int || kind == Kind::Float || kind == Kind::Bool;
  }
  double scalar() const {
    return kind == Kind::Float  ? floatValue
           : kind == Kind::Bool ? (boolValue ? 1.0 : 0.0)
                                : static_cast<double>(intValue);
  }
};

/// The file, line and column of `range` in the user's Python source. A
/// loaded archive's ranges point into its serialized code; each remembers the
/// original range that generated it.
std::optional<std::tuple<std::string, size_t, size_t>>
originalPosition(const jit::SourceRange &range) {
  if (auto original = range.findSourceRangeThatGenerated())
    if (auto position = original->file_line_col())
      return *position;
  if (auto position = range.file_line_col())
    return *position;
  return std::nullopt;
}

/// The user-facing position of a node: the outermost frame of its inlined
/// call stack (the line in the user's `forward` that called nn.Linear),
/// else its own source range.
std::optional<std::tuple<std::string, size_t, size_t>>
userPosition(const jit::Node *node) {
  if (auto callstack = node->callstack()) {
    std::vector<jit::InlinedCallStackEntry> frames = (*callstack)->vec();
    if (!frames.empty())
      if (auto position = originalPosition(std::get<1>(frames.front())))
        return position;
  }
  return originalPosition(node->sourceRange());
}

class GraphImporter {
public:
  GraphImporter(MLIRContext &context, jit::Module &original)
      : context(context), builder(&context) {
    // Frozen constants keep the storage of the parameters they came from;
    // that is how they get their names back.
    for (const auto &parameter : original.named_parameters(/*recurse=*/true))
      names[parameter.value.data_ptr()] = parameter.name;
    for (const auto &buffer : original.named_buffers(/*recurse=*/true))
      names.emplace(buffer.value.data_ptr(), buffer.name);
  }

  OwningOpRef<ModuleOp> run(jit::Graph &graph, const ImportOptions &options);

private:
  // Errors.
  [[noreturn]] void fail(const jit::Node *node, const llvm::Twine &message);
  std::string where(const jit::Node *node);
  Location locationOf(const jit::Node *node);

  // Values.
  Item &lookup(const jit::Value *value);
  Value tensorOf(const jit::Node *node, unsigned index);
  int64_t intOf(const jit::Node *node, unsigned index);
  std::vector<int64_t> intListOf(const jit::Node *node, unsigned index);
  bool isNone(const jit::Node *node, unsigned index);
  Value materialize(const jit::Node *node, Item &item);
  Value emitConstant(const at::Tensor &tensor, const std::string &name,
                     Location loc);
  std::string nameOf(const at::Tensor &tensor, const jit::Value *value);

  // Ops.
  void importNode(jit::Node *node);
  void importConstant(jit::Node *node);
  Value emitLinear(jit::Node *node, Value input, Value weight, Value bias,
                   const std::string &weightName);
  Value emitMatmul(jit::Node *node, unsigned lhsIndex, unsigned rhsIndex);
  Value emitTranspose(Location loc, Value input, ArrayRef<int64_t> perm);
  Value emitReshape(jit::Node *node, Value input, SmallVector<int64_t> target);
  Value emitElementwise(
      jit::Node *node, ArrayRef<Item> operands,
      function_ref<Value(OpBuilder &, Location, Type, ArrayRef<Value>)> body);
  Value emitUnary(jit::Node *node,
                  function_ref<Value(OpBuilder &, Location, Value)> body);
  Value emitSoftmax(jit::Node *node);
  Value emitReduction(
      Location loc, Value input, int64_t dim, Value init,
      function_ref<Value(OpBuilder &, Location, Value, Value)> combine);
  Value dimSize(Location loc, Value tensor, int64_t dim);

  MLIRContext &context;
  OpBuilder builder;
  Block *entry = nullptr;
  Operation *lastConstant = nullptr;
  std::unordered_map<void *, std::string> names;
  llvm::DenseMap<const jit::Value *, Item> items;
  llvm::StringMap<unsigned> nameUses;
};

} // namespace

//===----------------------------------------------------------------------===//
// Errors and locations
//===----------------------------------------------------------------------===//

std::string GraphImporter::where(const jit::Node *node) {
  if (auto position = userPosition(node))
    return " at " + std::get<0>(*position) + ":" +
           std::to_string(std::get<1>(*position)) + ":" +
           std::to_string(std::get<2>(*position) + 1);
  return "";
}

void GraphImporter::fail(const jit::Node *node, const llvm::Twine &message) {
  throw ImportError{message.str() + (node ? where(node) : std::string())};
}

Location GraphImporter::locationOf(const jit::Node *node) {
  auto toLoc =
      [&](const std::tuple<std::string, size_t, size_t> &position) -> Location {
    return FileLineColLoc::get(&context, std::get<0>(position),
                               std::get<1>(position),
                               std::get<2>(position) + 1);
  };
  std::optional<Location> user;
  if (auto position = userPosition(node))
    user = toLoc(*position);
  std::optional<Location> own;
  if (auto position = originalPosition(node->sourceRange()))
    own = toLoc(*position);
  if (user && own && *user != *own)
    // The user's line first: diagnostics report the first file location.
    return FusedLoc::get(&context, {*user, *own});
  if (user)
    return *user;
  return UnknownLoc::get(&context);
}

//===----------------------------------------------------------------------===//
// Values
//===----------------------------------------------------------------------===//

Item &GraphImporter::lookup(const jit::Value *value) {
  auto it = items.find(value);
  if (it == items.end())
    fail(value->node(), "value '" + value->debugName() + "' has no import");
  return it->second;
}

std::string GraphImporter::nameOf(const at::Tensor &tensor,
                                  const jit::Value *value) {
  auto it = names.find(tensor.data_ptr());
  std::string name;
  if (it != names.end()) {
    name = it->second;
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

Value GraphImporter::emitConstant(const at::Tensor &source,
                                  const std::string &name, Location loc) {
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
  default:
    throw ImportError{"constant '" + name + "' has element type " +
                      std::string(c10::toString(source.scalar_type())) +
                      ", only float32, float16 and bfloat16 tensors are "
                      "supported"};
  }
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
  if (tensor.dim() == 0) {
    attr = DenseElementsAttr::getFromRawBuffer(type, bytes);
  } else {
    AsmResourceBlob blob(
        bytes, tensor.element_size(),
        [tensor](void *, size_t, size_t) mutable { tensor = at::Tensor(); },
        /*dataIsMutable=*/false);
    attr = DenseResourceElementsAttr::get(type, name, std::move(blob));
  }
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

Value GraphImporter::dimSize(Location loc, Value tensor, int64_t dim) {
  return tensor::DimOp::create(builder, loc, tensor, dim);
}

//===----------------------------------------------------------------------===//
// Graph
//===----------------------------------------------------------------------===//

OwningOpRef<ModuleOp> GraphImporter::run(jit::Graph &graph,
                                         const ImportOptions &options) {
  // Input 0 is the module itself.
  size_t numInputs = graph.inputs().size() - 1;
  if (numInputs != options.inputShapes.size())
    throw ImportError{"the model's forward takes " + std::to_string(numInputs) +
                      " input(s), but " +
                      std::to_string(options.inputShapes.size()) +
                      " --input-shape given"};
  Type inputType;
  switch (options.inputType) {
  case ImportFloatType::F32:
    inputType = builder.getF32Type();
    break;
  case ImportFloatType::F16:
    inputType = builder.getF16Type();
    break;
  case ImportFloatType::BF16:
    inputType = builder.getBF16Type();
    break;
  }
  SmallVector<Type> argTypes;
  for (const SmallVector<int64_t> &shape : options.inputShapes)
    argTypes.push_back(RankedTensorType::get(shape, inputType));

  Location moduleLoc = UnknownLoc::get(&context);
  OwningOpRef<ModuleOp> module = ModuleOp::create(moduleLoc);
  builder.setInsertionPointToEnd(module->getBody());
  auto func = func::FuncOp::create(builder, moduleLoc, "forward",
                                   builder.getFunctionType(argTypes, {}));
  entry = func.addEntryBlock();
  builder.setInsertionPointToEnd(entry);
  for (size_t i = 0; i < numInputs; ++i) {
    const jit::Value *input = graph.inputs()[i + 1];
    if (!input->type()->cast<c10::TensorType>())
      throw ImportError{"input '" + input->debugName() +
                        "' of forward is not a tensor; only tensor inputs "
                        "are supported"};
    items[input] = Item::tensor(entry->getArgument(i));
  }

  for (jit::Node *node : graph.nodes())
    importNode(node);

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
  func::ReturnOp::create(builder, moduleLoc, results);
  func.setFunctionType(
      builder.getFunctionType(argTypes, ValueRange(results).getTypes()));
  return module;
}

void GraphImporter::importConstant(jit::Node *node) {
  const jit::Value *output = node->output();
  Item item;
  c10::TypePtr type = output->type();
  if (type->kind() == c10::TypeKind::NoneType) {
    item.kind = Item::Kind::None;
  } else if (type->cast<c10::TensorType>()) {
    item.kind = Item::Kind::Tensor;
    item.constant = jit::toIValue(output)->toTensor();
    item.name = nameOf(item.constant, output);
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
    } else {
      fail(node, "unsupported constant list of type " + type->str());
    }
  } else if (type->kind() == c10::TypeKind::DeviceObjType) {
    item.kind = Item::Kind::Other;
  } else {
    fail(node, "unsupported constant of type " + type->str());
  }
  items[output] = std::move(item);
}

void GraphImporter::importNode(jit::Node *node) {
  std::string kind = node->kind().toQualString();
  Location loc = locationOf(node);
  auto setResult = [&](Value value) {
    items[node->output()] = Item::tensor(value);
  };

  if (kind == "prim::Constant")
    return importConstant(node);
  if (kind == "prim::ListConstruct" || kind == "prim::TupleConstruct") {
    Item list;
    list.kind = Item::Kind::List;
    for (const jit::Value *input : node->inputs())
      list.elements.push_back(lookup(input));
    items[node->output()] = std::move(list);
    return;
  }
  if (kind == "prim::TupleUnpack" || kind == "prim::ListUnpack") {
    Item &list = lookup(node->input(0));
    if (list.kind != Item::Kind::List ||
        list.elements.size() != node->outputs().size())
      fail(node, kind + " of a value that is not a matching tuple");
    std::vector<Item> elements = list.elements;
    for (size_t i = 0; i < node->outputs().size(); ++i)
      items[node->output(i)] = elements[i];
    return;
  }
  if (kind == "aten::__getitem__" || kind == "prim::TupleIndex") {
    Item list = lookup(node->input(0));
    int64_t index = intOf(node, 1);
    int64_t size = list.elements.size();
    if (list.kind != Item::Kind::List || index < -size || index >= size)
      fail(node, kind + " index out of range");
    items[node->output()] = list.elements[index < 0 ? index + size : index];
    return;
  }
  if (kind == "aten::size") {
    Value input = tensorOf(node, 0);
    auto type = cast<RankedTensorType>(input.getType());
    if (node->inputs().size() == 1) {
      Item list;
      list.kind = Item::Kind::List;
      for (int64_t dim : type.getShape())
        list.elements.push_back(Item::integer(dim));
      items[node->output()] = std::move(list);
      return;
    }
    int64_t dim = intOf(node, 1);
    if (dim < 0)
      dim += type.getRank();
    if (dim < 0 || dim >= type.getRank())
      fail(node, "aten::size dimension out of range for shape " +
                     formatShape(type.getShape()));
    items[node->output()] = Item::integer(type.getDimSize(dim));
    return;
  }
  if (kind == "prim::NumToTensor" || kind == "aten::Int" ||
      kind == "aten::contiguous" || kind == "aten::detach" ||
      kind == "aten::clone") {
    // Copied first: inserting into `items` may move what lookup refers to.
    Item same = lookup(node->input(0));
    items[node->output()] = std::move(same);
    return;
  }
  if (kind == "aten::dropout") {
    if (intOf(node, 2))
      fail(node, "aten::dropout in training mode");
    Item same = lookup(node->input(0));
    items[node->output()] = std::move(same);
    return;
  }

  if (kind == "aten::linear") {
    Item &weight = lookup(node->input(1));
    std::string weightName = weight.name;
    Value bias = isNone(node, 2) ? Value() : tensorOf(node, 2);
    return setResult(emitLinear(node, tensorOf(node, 0), tensorOf(node, 1),
                                bias, weightName));
  }
  if (kind == "aten::mm" || kind == "aten::addmm") {
    unsigned first = kind == "aten::mm" ? 0 : 1;
    for (unsigned i = first; i < first + 2; ++i) {
      Item &operand = lookup(node->input(i));
      int64_t rank =
          operand.value
              ? cast<RankedTensorType>(operand.value.getType()).getRank()
              : operand.constant.dim();
      if (operand.kind == Item::Kind::Tensor && rank != 2)
        fail(node, kind + " needs 2-D operands, operand " + llvm::Twine(i) +
                       " has rank " + llvm::Twine(rank) +
                       " (the input shape does not fit the model?)");
    }
  }
  if (kind == "aten::matmul" || kind == "aten::mm")
    return setResult(emitMatmul(node, 0, 1));
  if (kind == "aten::addmm") {
    if ((!isNone(node, 3) && lookup(node->input(3)).scalar() != 1.0) ||
        (!isNone(node, 4) && lookup(node->input(4)).scalar() != 1.0))
      fail(node, "aten::addmm with beta or alpha other than 1 is not "
                 "supported");
    Value product = emitMatmul(node, 1, 2);
    Item sum[] = {Item::tensor(product), lookup(node->input(0))};
    return setResult(emitElementwise(
        node, sum, [](OpBuilder &b, Location l, Type, ArrayRef<Value> args) {
          return arith::AddFOp::create(b, l, args[0], args[1]).getResult();
        }));
  }
  if (kind == "aten::t" || kind == "aten::transpose" ||
      kind == "aten::permute" || kind == "aten::numpy_T") {
    Value input = tensorOf(node, 0);
    int64_t rank = cast<RankedTensorType>(input.getType()).getRank();
    SmallVector<int64_t> perm = llvm::to_vector(llvm::seq<int64_t>(0, rank));
    if (kind == "aten::permute") {
      std::vector<int64_t> dims = intListOf(node, 1);
      if (static_cast<int64_t>(dims.size()) != rank)
        fail(node, "aten::permute needs " + llvm::Twine(rank) + " dimensions");
      for (int64_t i = 0; i < rank; ++i)
        perm[i] = dims[i] < 0 ? dims[i] + rank : dims[i];
      if (!isPermutationVector(ArrayRef<int64_t>(perm)))
        fail(node, "aten::permute dimensions are not a permutation");
    } else if (kind == "aten::transpose") {
      int64_t a = intOf(node, 1), b = intOf(node, 2);
      a = a < 0 ? a + rank : a;
      b = b < 0 ? b + rank : b;
      if (a < 0 || b < 0 || a >= rank || b >= rank)
        fail(node, "aten::transpose dimension out of range");
      std::swap(perm[a], perm[b]);
    } else if (rank == 2) {
      std::swap(perm[0], perm[1]);
    } else if (kind == "aten::t" && rank > 2) {
      fail(node, "aten::t of a tensor of rank " + llvm::Twine(rank));
    } else {
      std::reverse(perm.begin(), perm.end());
    }
    return setResult(emitTranspose(loc, input, perm));
  }
  if (kind == "aten::reshape" || kind == "aten::view") {
    std::vector<int64_t> shape = intListOf(node, 1);
    return setResult(
        emitReshape(node, tensorOf(node, 0),
                    SmallVector<int64_t>(shape.begin(), shape.end())));
  }
  if (kind == "aten::flatten") {
    Value input = tensorOf(node, 0);
    auto shape = cast<RankedTensorType>(input.getType()).getShape();
    int64_t rank = std::max<int64_t>(shape.size(), 1);
    int64_t start = intOf(node, 1), end = intOf(node, 2);
    start = start < 0 ? start + rank : start;
    end = end < 0 ? end + rank : end;
    if (start < 0 || end >= rank || start > end)
      fail(node, "aten::flatten dimensions out of range");
    SmallVector<int64_t> target(shape.begin(), shape.begin() + start);
    int64_t product = 1;
    for (int64_t i = start; i <= end && i < (int64_t)shape.size(); ++i)
      product =
          ShapedType::isDynamic(shape[i]) || ShapedType::isDynamic(product)
              ? ShapedType::kDynamic
              : product * shape[i];
    target.push_back(product);
    target.append(shape.begin() + std::min<int64_t>(end + 1, shape.size()),
                  shape.end());
    return setResult(emitReshape(node, input, target));
  }
  if (kind == "aten::unsqueeze") {
    Value input = tensorOf(node, 0);
    auto shape = cast<RankedTensorType>(input.getType()).getShape();
    int64_t dim = intOf(node, 1);
    int64_t rank = shape.size() + 1;
    dim = dim < 0 ? dim + rank : dim;
    if (dim < 0 || dim >= rank)
      fail(node, "aten::unsqueeze dimension out of range");
    SmallVector<int64_t> target(shape.begin(), shape.end());
    target.insert(target.begin() + dim, 1);
    return setResult(emitReshape(node, input, target));
  }
  if (kind == "aten::squeeze") {
    Value input = tensorOf(node, 0);
    auto shape = cast<RankedTensorType>(input.getType()).getShape();
    SmallVector<int64_t> target;
    if (node->inputs().size() > 1) {
      int64_t rank = shape.size();
      int64_t dim = intOf(node, 1);
      dim = dim < 0 ? dim + rank : dim;
      if (dim < 0 || dim >= rank)
        fail(node, "aten::squeeze dimension out of range");
      for (int64_t i = 0; i < rank; ++i)
        if (i != dim || shape[i] != 1)
          target.push_back(shape[i]);
    } else {
      for (int64_t size : shape)
        if (size != 1)
          target.push_back(size);
    }
    return setResult(emitReshape(node, input, target));
  }

  // Elementwise.
  auto floatConstant = [](OpBuilder &b, Location l, Type type, double value) {
    return arith::ConstantOp::create(b, l, b.getFloatAttr(type, value))
        .getResult();
  };
  auto sigmoid = [&](OpBuilder &b, Location l, Value x) {
    Type type = x.getType();
    Value negated = arith::NegFOp::create(b, l, x);
    Value exp = math::ExpOp::create(b, l, negated);
    Value denominator =
        arith::AddFOp::create(b, l, floatConstant(b, l, type, 1.0), exp);
    return arith::DivFOp::create(b, l, floatConstant(b, l, type, 1.0),
                                 denominator)
        .getResult();
  };
  if (kind == "aten::relu")
    return setResult(emitUnary(node, [&](OpBuilder &b, Location l, Value x) {
      return arith::MaximumFOp::create(b, l, x,
                                       floatConstant(b, l, x.getType(), 0.0))
          .getResult();
    }));
  if (kind == "aten::sigmoid")
    return setResult(emitUnary(node, sigmoid));
  if (kind == "aten::tanh")
    return setResult(emitUnary(node, [](OpBuilder &b, Location l, Value x) {
      return math::TanhOp::create(b, l, x).getResult();
    }));
  if (kind == "aten::silu")
    return setResult(emitUnary(node, [&](OpBuilder &b, Location l, Value x) {
      return arith::MulFOp::create(b, l, x, sigmoid(b, l, x)).getResult();
    }));
  if (kind == "aten::gelu") {
    std::string approximate = "none";
    if (node->inputs().size() > 1 &&
        lookup(node->input(1)).kind == Item::Kind::String)
      approximate = lookup(node->input(1)).stringValue;
    if (approximate != "none" && approximate != "tanh")
      fail(node, "aten::gelu with approximate='" + approximate + "'");
    bool useTanh = approximate == "tanh";
    return setResult(emitUnary(node, [&](OpBuilder &b, Location l, Value x) {
      Type type = x.getType();
      Value inner;
      if (useTanh) {
        // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        Value cube =
            arith::MulFOp::create(b, l, x, arith::MulFOp::create(b, l, x, x));
        Value sum = arith::AddFOp::create(
            b, l, x,
            arith::MulFOp::create(b, l, floatConstant(b, l, type, 0.044715),
                                  cube));
        inner = math::TanhOp::create(
            b, l,
            arith::MulFOp::create(
                b, l, floatConstant(b, l, type, std::sqrt(2.0 / M_PI)), sum));
      } else {
        // 0.5 x (1 + erf(x / sqrt(2)))
        inner = math::ErfOp::create(
            b, l,
            arith::MulFOp::create(b, l, x,
                                  floatConstant(b, l, type, M_SQRT1_2)));
      }
      Value onePlus =
          arith::AddFOp::create(b, l, floatConstant(b, l, type, 1.0), inner);
      Value half =
          arith::MulFOp::create(b, l, floatConstant(b, l, type, 0.5), x);
      return arith::MulFOp::create(b, l, half, onePlus).getResult();
    }));
  }
  if (kind == "aten::add" || kind == "aten::sub" || kind == "aten::mul" ||
      kind == "aten::div") {
    if (kind == "aten::div" && node->inputs().size() > 2 && !isNone(node, 2))
      fail(node, "aten::div with a rounding mode is not supported");
    double alpha = 1.0;
    if ((kind == "aten::add" || kind == "aten::sub") &&
        node->inputs().size() > 2)
      alpha = lookup(node->input(2)).scalar();
    Item operands[] = {lookup(node->input(0)), lookup(node->input(1))};
    if (!operands[0].isScalar() && operands[0].kind != Item::Kind::Tensor)
      fail(node, kind + " of a non-tensor value");
    return setResult(emitElementwise(
        node, operands,
        [&](OpBuilder &b, Location l, Type type, ArrayRef<Value> args) {
          Value rhs = args[1];
          if (alpha != 1.0)
            rhs = arith::MulFOp::create(b, l, rhs,
                                        floatConstant(b, l, type, alpha));
          if (kind == "aten::add")
            return arith::AddFOp::create(b, l, args[0], rhs).getResult();
          if (kind == "aten::sub")
            return arith::SubFOp::create(b, l, args[0], rhs).getResult();
          if (kind == "aten::mul")
            return arith::MulFOp::create(b, l, args[0], rhs).getResult();
          return arith::DivFOp::create(b, l, args[0], rhs).getResult();
        }));
  }
  if (kind == "aten::softmax")
    return setResult(emitSoftmax(node));

  fail(node, "unsupported operator '" + kind + "'");
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

Value GraphImporter::emitLinear(jit::Node *node, Value input, Value weight,
                                Value bias, const std::string &weightName) {
  auto inputType = cast<RankedTensorType>(input.getType());
  auto weightType = cast<RankedTensorType>(weight.getType());
  std::string label =
      weightName.empty() ? "the weight" : "'" + weightName + "'";
  if (weightType.getRank() != 2)
    fail(node, "linear weight " + label + " must have rank 2, got shape " +
                   formatShape(weightType.getShape()));
  if (inputType.getRank() < 1)
    fail(node, "linear input must have rank >= 1");
  if (inputType.getElementType() != weightType.getElementType()) {
    std::string inputName, weightTypeName;
    llvm::raw_string_ostream(inputName) << inputType.getElementType();
    llvm::raw_string_ostream(weightTypeName) << weightType.getElementType();
    fail(node, "input element type " + inputName + " does not match " + label +
                   " (" + weightTypeName + "); pass --input-dtype " +
                   weightTypeName);
  }
  int64_t features = inputType.getShape().back();
  if (ShapedType::isDynamic(features))
    fail(node, "the input's last dimension, the features of " + label +
                   ", must be static (only a batch dimension may be '?')");
  if (features != weightType.getDimSize(1))
    fail(node, "input shape " + formatShape(inputType.getShape()) +
                   " does not fit the model: " + label + " of shape " +
                   formatShape(weightType.getShape()) + " expects " +
                   llvm::Twine(weightType.getDimSize(1)) +
                   " features in the last dimension");
  SmallVector<int64_t> shape(inputType.getShape().drop_back());
  shape.push_back(weightType.getDimSize(0));
  auto resultType = RankedTensorType::get(shape, inputType.getElementType());
  return LinearOp::create(builder, locationOf(node), resultType, input, weight,
                          bias);
}

Value GraphImporter::emitMatmul(jit::Node *node, unsigned lhsIndex,
                                unsigned rhsIndex) {
  Location loc = locationOf(node);
  Value lhs = tensorOf(node, lhsIndex);
  Item &rhsItem = lookup(node->input(rhsIndex));
  auto lhsType = cast<RankedTensorType>(lhs.getType());
  // `x @ w.t()` after freezing: a constant [K, N] view (strides [1, K]) of a
  // contiguous [N, K] parameter. That is linear(x, w), with w shared, not
  // copied.
  if (rhsItem.kind == Item::Kind::Tensor && !rhsItem.value &&
      rhsItem.constant.dim() == 2 && lhsType.getRank() >= 1 &&
      rhsItem.constant.t().is_contiguous() &&
      !rhsItem.constant.is_contiguous()) {
    Value weight = emitConstant(rhsItem.constant.t(), rhsItem.name, loc);
    return emitLinear(node, lhs, weight, Value(), rhsItem.name);
  }
  Value rhs = materialize(node, rhsItem);
  auto rhsType = cast<RankedTensorType>(rhs.getType());
  Type elementType = lhsType.getElementType();
  if (rhsType.getElementType() != elementType)
    fail(node, "matmul operands have different element types");
  int64_t lhsRank = lhsType.getRank(), rhsRank = rhsType.getRank();
  if (lhsRank < 2 || rhsRank != 2) {
    if (lhsRank == 3 && rhsRank == 3) {
      if (!ShapedType::isDynamic(lhsType.getDimSize(2)) &&
          lhsType.getDimSize(2) != rhsType.getDimSize(1))
        fail(node, "matmul shapes " + formatShape(lhsType.getShape()) +
                       " and " + formatShape(rhsType.getShape()) +
                       " do not fit");
      auto resultType = RankedTensorType::get(
          {lhsType.getDimSize(0), lhsType.getDimSize(1), rhsType.getDimSize(2)},
          elementType);
      SmallVector<Value> dynamicSizes;
      if (resultType.isDynamicDim(0))
        dynamicSizes.push_back(dimSize(loc, lhs, 0));
      if (resultType.isDynamicDim(1))
        dynamicSizes.push_back(dimSize(loc, lhs, 1));
      if (resultType.isDynamicDim(2))
        dynamicSizes.push_back(dimSize(loc, rhs, 2));
      Value empty =
          tensor::EmptyOp::create(builder, loc, resultType, dynamicSizes);
      Value zero = arith::ConstantOp::create(builder, loc,
                                             builder.getZeroAttr(elementType));
      Value init =
          linalg::FillOp::create(builder, loc, zero, empty).getResult(0);
      return linalg::BatchMatmulOp::create(builder, loc, resultType,
                                           ValueRange{lhs, rhs}, init)
          .getResult(0);
    }
    fail(node, "matmul of shapes " + formatShape(lhsType.getShape()) + " and " +
                   formatShape(rhsType.getShape()) +
                   " is not supported (supported: [..., M, K] x [K, N] and "
                   "batched [B, M, K] x [B, K, N])");
  }
  int64_t contraction = lhsType.getShape().back();
  if (ShapedType::isDynamic(contraction) ||
      ShapedType::isDynamic(rhsType.getDimSize(0)))
    fail(node, "matmul over a dynamic dimension is not supported (only a "
               "batch dimension may be '?')");
  if (contraction != rhsType.getDimSize(0))
    fail(node, "input shape " + formatShape(lhsType.getShape()) +
                   " does not fit the model: matmul with " +
                   (rhsItem.name.empty() ? std::string("a")
                                         : "'" + rhsItem.name + "' of") +
                   " shape " + formatShape(rhsType.getShape()) + " expects " +
                   llvm::Twine(rhsType.getDimSize(0)) +
                   " in the last dimension");
  // [..., M, K] x [K, N]: flatten the leading dimensions, matmul, unflatten.
  Value matrix = lhs;
  SmallVector<ReassociationIndices> groups;
  if (lhsRank > 2) {
    ReassociationIndices leading;
    for (int64_t i = 0; i + 1 < lhsRank; ++i)
      leading.push_back(i);
    groups = {leading, {lhsRank - 1}};
    matrix = tensor::CollapseShapeOp::create(builder, loc, lhs, groups);
  }
  auto matrixType = cast<RankedTensorType>(matrix.getType());
  auto productType = RankedTensorType::get(
      {matrixType.getDimSize(0), rhsType.getDimSize(1)}, elementType);
  SmallVector<Value> dynamicSizes;
  if (productType.isDynamicDim(0))
    dynamicSizes.push_back(dimSize(loc, matrix, 0));
  Value empty =
      tensor::EmptyOp::create(builder, loc, productType, dynamicSizes);
  Value zero =
      arith::ConstantOp::create(builder, loc, builder.getZeroAttr(elementType));
  Value init = linalg::FillOp::create(builder, loc, zero, empty).getResult(0);
  Value product = linalg::MatmulOp::create(builder, loc, productType,
                                           ValueRange{matrix, rhs}, init)
                      .getResult(0);
  if (lhsRank == 2)
    return product;
  SmallVector<int64_t> shape(lhsType.getShape().drop_back());
  shape.push_back(rhsType.getDimSize(1));
  SmallVector<OpFoldResult> outputShape;
  for (int64_t i = 0; i < lhsRank; ++i) {
    if (!ShapedType::isDynamic(shape[i]))
      outputShape.push_back(builder.getIndexAttr(shape[i]));
    else
      outputShape.push_back(dimSize(loc, lhs, i));
  }
  return tensor::ExpandShapeOp::create(
      builder, loc, RankedTensorType::get(shape, elementType), product, groups,
      outputShape);
}

Value GraphImporter::emitTranspose(Location loc, Value input,
                                   ArrayRef<int64_t> perm) {
  auto type = cast<RankedTensorType>(input.getType());
  if (llvm::equal(perm, llvm::seq<int64_t>(0, perm.size())))
    return input;
  SmallVector<int64_t> shape;
  SmallVector<Value> dynamicSizes;
  for (int64_t source : perm) {
    shape.push_back(type.getDimSize(source));
    if (type.isDynamicDim(source))
      dynamicSizes.push_back(dimSize(loc, input, source));
  }
  Value init = tensor::EmptyOp::create(
      builder, loc, RankedTensorType::get(shape, type.getElementType()),
      dynamicSizes);
  return linalg::TransposeOp::create(builder, loc, input, init, perm)
      ->getResult(0);
}

Value GraphImporter::emitReshape(jit::Node *node, Value input,
                                 SmallVector<int64_t> target) {
  Location loc = locationOf(node);
  auto type = cast<RankedTensorType>(input.getType());
  // Static element counts; -1 (or a dynamic size) is inferred.
  int64_t known = 1, unknown = 0;
  for (int64_t size : target) {
    if (size == -1 || ShapedType::isDynamic(size))
      ++unknown;
    else
      known *= size;
  }
  bool inputStatic = type.hasStaticShape();
  if (unknown > 1)
    fail(node, "reshape to " + formatShape(target) +
                   " has more than one unknown dimension");
  for (int64_t &size : target) {
    if (size != -1 && !ShapedType::isDynamic(size))
      continue;
    if (inputStatic && known != 0)
      size = type.getNumElements() / known;
    else
      size = ShapedType::kDynamic;
  }
  if (inputStatic && unknown == 0 && known != type.getNumElements())
    fail(node, "cannot reshape " + formatShape(type.getShape()) + " into " +
                   formatShape(target));
  auto resultType = RankedTensorType::get(target, type.getElementType());
  if (resultType == type)
    return input;
  if (auto groups = getReassociationIndicesForReshape(type, resultType)) {
    if (resultType.getRank() < type.getRank())
      return tensor::CollapseShapeOp::create(builder, loc, resultType, input,
                                             *groups);
    // Expanding: a dynamic size is its group's size over the static rest.
    SmallVector<OpFoldResult> outputShape;
    for (auto [sourceDim, group] : llvm::enumerate(*groups)) {
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
        Value size = dimSize(loc, input, sourceDim);
        if (staticProduct != 1)
          size = arith::DivUIOp::create(
              builder, loc, size,
              arith::ConstantIndexOp::create(builder, loc, staticProduct));
        outputShape.push_back(size);
      }
    }
    return tensor::ExpandShapeOp::create(builder, loc, resultType, input,
                                         *groups, outputShape);
  }
  if (!inputStatic || !resultType.hasStaticShape())
    fail(node, "reshape of " + formatShape(type.getShape()) + " into " +
                   formatShape(target) +
                   " regroups a dynamic dimension, which is not supported");
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

//===----------------------------------------------------------------------===//
// Elementwise and reductions
//===----------------------------------------------------------------------===//

Value GraphImporter::emitElementwise(
    jit::Node *node, ArrayRef<Item> operands,
    function_ref<Value(OpBuilder &, Location, Type, ArrayRef<Value>)> body) {
  Location loc = locationOf(node);
  SmallVector<Value> tensors;
  SmallVector<int> tensorIndex(operands.size(), -1);
  for (auto [i, item] : llvm::enumerate(operands)) {
    if (item.kind == Item::Kind::Tensor) {
      Item copy = item;
      tensorIndex[i] = tensors.size();
      tensors.push_back(materialize(node, copy));
    } else if (!item.isScalar()) {
      fail(node, "operand " + llvm::Twine(i) + " of " +
                     node->kind().toQualString() +
                     " must be a tensor or a number");
    }
  }
  if (tensors.empty())
    fail(node, "elementwise op without a tensor operand");
  Type elementType =
      cast<RankedTensorType>(tensors.front().getType()).getElementType();
  // Broadcast shapes as PyTorch does, aligned on the right.
  int64_t rank = 0;
  for (Value tensor : tensors)
    rank = std::max(rank, cast<RankedTensorType>(tensor.getType()).getRank());
  SmallVector<int64_t> shape(rank, 1);
  for (Value tensor : tensors) {
    auto type = cast<RankedTensorType>(tensor.getType());
    if (type.getElementType() != elementType)
      fail(node, "operands of " + std::string(node->kind().toQualString()) +
                     " have different element types");
    int64_t offset = rank - type.getRank();
    for (int64_t i = 0; i < type.getRank(); ++i) {
      int64_t size = type.getDimSize(i), &out = shape[offset + i];
      if (size == 1 || size == out)
        continue;
      if (out == 1) {
        out = size;
        continue;
      }
      // Different sizes, or a dynamic size against a static one other than
      // 1: the generated code could not check that they agree at run time.
      fail(node,
           "shapes of " + std::string(node->kind().toQualString()) +
               " operands do not broadcast: " + formatShape(type.getShape()) +
               " against " + formatShape(shape) +
               (ShapedType::isDynamic(size) || ShapedType::isDynamic(out)
                    ? " (a dynamic dimension against a static one)"
                    : ""));
    }
  }
  SmallVector<AffineMap> maps;
  SmallVector<Value> dynamicSizes(rank);
  for (Value tensor : tensors) {
    auto type = cast<RankedTensorType>(tensor.getType());
    int64_t offset = rank - type.getRank();
    SmallVector<AffineExpr> exprs;
    for (int64_t i = 0; i < type.getRank(); ++i) {
      bool broadcast = type.getDimSize(i) == 1 && shape[offset + i] != 1;
      exprs.push_back(broadcast ? builder.getAffineConstantExpr(0)
                                : builder.getAffineDimExpr(offset + i));
      if (ShapedType::isDynamic(shape[offset + i]) &&
          !dynamicSizes[offset + i] && type.isDynamicDim(i))
        dynamicSizes[offset + i] = dimSize(loc, tensor, i);
    }
    maps.push_back(AffineMap::get(rank, 0, exprs, &context));
  }
  maps.push_back(builder.getMultiDimIdentityMap(rank));
  SmallVector<Value> sizes;
  for (int64_t i = 0; i < rank; ++i)
    if (ShapedType::isDynamic(shape[i]))
      sizes.push_back(dynamicSizes[i]);
  auto resultType = RankedTensorType::get(shape, elementType);
  Value init = tensor::EmptyOp::create(builder, loc, resultType, sizes);
  auto generic = linalg::GenericOp::create(
      builder, loc, resultType, tensors, init, maps,
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [&](OpBuilder &b, Location l, ValueRange args) {
        SmallVector<Value> values;
        for (auto [i, item] : llvm::enumerate(operands)) {
          if (tensorIndex[i] >= 0)
            values.push_back(args[tensorIndex[i]]);
          else
            values.push_back(arith::ConstantOp::create(
                b, l, b.getFloatAttr(elementType, item.scalar())));
        }
        linalg::YieldOp::create(b, l, body(b, l, elementType, values));
      });
  return generic.getResult(0);
}

Value GraphImporter::emitUnary(
    jit::Node *node, function_ref<Value(OpBuilder &, Location, Value)> body) {
  Item operand = lookup(node->input(0));
  return emitElementwise(
      node, operand, [&](OpBuilder &b, Location l, Type, ArrayRef<Value> args) {
        return body(b, l, args[0]);
      });
}

Value GraphImporter::emitReduction(
    Location loc, Value input, int64_t dim, Value init,
    function_ref<Value(OpBuilder &, Location, Value, Value)> combine) {
  auto type = cast<RankedTensorType>(input.getType());
  int64_t rank = type.getRank();
  SmallVector<AffineExpr> kept;
  SmallVector<int64_t> shape;
  SmallVector<Value> dynamicSizes;
  for (int64_t i = 0; i < rank; ++i) {
    if (i == dim)
      continue;
    kept.push_back(builder.getAffineDimExpr(i));
    shape.push_back(type.getDimSize(i));
    if (type.isDynamicDim(i))
      dynamicSizes.push_back(dimSize(loc, input, i));
  }
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  Value empty = tensor::EmptyOp::create(builder, loc, resultType, dynamicSizes);
  Value filled = linalg::FillOp::create(builder, loc, init, empty).getResult(0);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  iterators[dim] = utils::IteratorType::reduction;
  auto generic = linalg::GenericOp::create(
      builder, loc, resultType, input, filled,
      {builder.getMultiDimIdentityMap(rank),
       AffineMap::get(rank, 0, kept, &context)},
      iterators, [&](OpBuilder &b, Location l, ValueRange args) {
        linalg::YieldOp::create(b, l, combine(b, l, args[0], args[1]));
      });
  return generic.getResult(0);
}

Value GraphImporter::emitSoftmax(jit::Node *node) {
  Location loc = locationOf(node);
  Value input = tensorOf(node, 0);
  auto type = cast<RankedTensorType>(input.getType());
  int64_t rank = type.getRank();
  int64_t dim = intOf(node, 1);
  dim = dim < 0 ? dim + rank : dim;
  if (dim < 0 || dim >= rank)
    fail(node, "aten::softmax dimension out of range");
  if (!isNone(node, 2))
    fail(node, "aten::softmax with a dtype is not supported");
  Type elementType = type.getElementType();
  auto floatType = cast<FloatType>(elementType);
  Value lowest = arith::ConstantOp::create(
      builder, loc,
      builder.getFloatAttr(elementType,
                           APFloat::getInf(floatType.getFloatSemantics(),
                                           /*Negative=*/true)));
  Value zero =
      arith::ConstantOp::create(builder, loc, builder.getZeroAttr(elementType));
  Value max = emitReduction(
      loc, input, dim, lowest,
      [](OpBuilder &b, Location l, Value x, Value acc) {
        return arith::MaximumFOp::create(b, l, acc, x).getResult();
      });
  // exp(x - max) and its sum along `dim`, then the quotient.
  SmallVector<int64_t> keptShape(type.getShape());
  keptShape[dim] = 1;
  auto unsqueezed = [&](Value reduced) {
    return Item::tensor(emitReshape(node, reduced, keptShape));
  };
  Item shifted[] = {Item::tensor(input), unsqueezed(max)};
  Value exp = emitElementwise(
      node, shifted, [](OpBuilder &b, Location l, Type, ArrayRef<Value> args) {
        Value difference = arith::SubFOp::create(b, l, args[0], args[1]);
        return math::ExpOp::create(b, l, difference).getResult();
      });
  Value sum = emitReduction(
      loc, exp, dim, zero, [](OpBuilder &b, Location l, Value x, Value acc) {
        return arith::AddFOp::create(b, l, acc, x).getResult();
      });
  Item quotient[] = {Item::tensor(exp), unsqueezed(sum)};
  return emitElementwise(
      node, quotient, [](OpBuilder &b, Location l, Type, ArrayRef<Value> args) {
        return arith::DivFOp::create(b, l, args[0], args[1]).getResult();
      });
}

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

void mlir::qtensor::loadImporterDialects(MLIRContext &context) {
  context.loadDialect<arith::ArithDialect, func::FuncDialect,
                      linalg::LinalgDialect, math::MathDialect,
                      tensor::TensorDialect, QTensorDialect>();
}

/// The first line of a LibTorch error, without its C++ backtrace.
static std::string firstLine(const char *what) {
  StringRef text(what);
  return text.take_until([](char c) { return c == '\n'; }).trim().str();
}

/// Loads, freezes and inlines `path` with LibTorch.
static std::shared_ptr<jit::Graph> loadForwardGraph(const std::string &path,
                                                    jit::Module &original) {
  original = jit::load(path);
  original.eval();
  jit::Module frozen = jit::freeze(original);
  std::shared_ptr<jit::Graph> graph = frozen.get_method("forward").graph();
  jit::Inline(*graph);
  return graph;
}

/// The error for a failure to load `path` with LibTorch, `reason` being
/// LibTorch's message or what became of its loader process.
static llvm::Error loadError(StringRef path, const llvm::Twine &reason) {
  if (StringRef(reason.str()).contains("constants.pkl"))
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "'" + path +
            "' is a zip archive but not TorchScript (torch.save output?); "
            "export with torch.jit.script(model).save(path)");
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "cannot load '" + path +
                                     "' as TorchScript: " + reason);
}

/// Sanitizer runtimes call this hook before they end a process; fuzzers set
/// it to save the input. Weak: null in builds without a sanitizer.
extern "C" void __sanitizer_set_death_callback(void (*callback)(void))
    __attribute__((weak));

/// A load that takes longer than this is taken to hang.
static constexpr unsigned kLoaderTimeoutSeconds = 600;

/// Memory the loader process may use: tensors in an archive are stored
/// uncompressed, so a well-formed model needs about its file size.
static uint64_t loaderMemoryLimit(uint64_t fileSize) {
  return 2 * fileSize + (uint64_t(1) << 30);
}

/// The process's private writable memory (VmData) in bytes, or 0 when
/// unknown. Sanitizer runtimes reserve terabytes of it up front, so limits
/// are set relative to it.
static uint64_t currentDataSize() {
  auto status = llvm::MemoryBuffer::getFileAsStream("/proc/self/status");
  if (!status)
    return 0;
  StringRef text = (*status)->getBuffer();
  size_t at = text.find("VmData:");
  if (at == StringRef::npos)
    return 0;
  StringRef field = text.drop_front(at + 7).ltrim();
  uint64_t kilobytes = 0;
  if (field.consumeInteger(10, kilobytes))
    return 0;
  return kilobytes * 1024;
}

/// LibTorch's archive and pickle readers are not hardened against malformed
/// files: some crash them, some make them allocate without bound. The file
/// is therefore loaded first in a forked child with a memory limit; the
/// caller's process loads it only once the child succeeded, and otherwise
/// gets an error value.
static llvm::Error loadInChildProcess(StringRef path, uint64_t fileSize) {
  auto error = [&](const llvm::Twine &why) { return loadError(path, why); };
  std::string pathCopy = path.str();
  int channel[2];
  if (pipe(channel) != 0)
    return error(llvm::Twine("cannot create a pipe: ") + std::strerror(errno));
  pid_t child = fork();
  if (child < 0) {
    close(channel[0]);
    close(channel[1]);
    return error(llvm::Twine("cannot fork a loader process: ") +
                 std::strerror(errno));
  }
  if (child == 0) {
    close(channel[0]);
    // Crash with the default action, not through handlers the parent
    // installed (sanitizers, fuzzers, crash reporters): they are meant for
    // the parent's own faults. The child reports through the pipe only.
    for (int signal : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT})
      std::signal(signal, SIG_DFL);
    if (__sanitizer_set_death_callback)
      __sanitizer_set_death_callback(nullptr);
    int devNull = open("/dev/null", O_WRONLY);
    if (devNull >= 0) {
      dup2(devNull, STDOUT_FILENO);
      dup2(devNull, STDERR_FILENO);
    }
    alarm(kLoaderTimeoutSeconds);
    rlim_t limit = currentDataSize() + loaderMemoryLimit(fileSize);
    struct rlimit dataLimit = {limit, limit};
    setrlimit(RLIMIT_DATA, &dataLimit);
    std::string reason;
    try {
      jit::Module original;
      loadForwardGraph(pathCopy, original);
      _exit(0);
    } catch (const c10::Error &failure) {
      reason = firstLine(failure.what_without_backtrace());
    } catch (const std::bad_alloc &) {
      reason = "LibTorch needs more than the " +
               std::to_string(loaderMemoryLimit(fileSize) >> 20) +
               " MB a model of this file size can use; the archive is "
               "malformed or corrupted";
    } catch (const std::exception &failure) {
      reason = firstLine(failure.what());
    }
    const char *data = reason.data();
    size_t left = reason.size();
    while (left > 0) {
      ssize_t written = write(channel[1], data, left);
      if (written <= 0)
        break;
      data += written;
      left -= written;
    }
    _exit(1);
  }
  close(channel[1]);
  std::string reason;
  char chunk[512];
  for (;;) {
    ssize_t got = read(channel[0], chunk, sizeof(chunk));
    if (got > 0) {
      reason.append(chunk, got);
      continue;
    }
    if (got < 0 && errno == EINTR)
      continue;
    break;
  }
  close(channel[0]);
  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR)
      return error(llvm::Twine("lost the loader process: ") +
                   std::strerror(errno));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return llvm::Error::success();
  if (WIFEXITED(status) && WEXITSTATUS(status) == 1 && !reason.empty()) {
    if (StringRef(reason).contains("not enough memory"))
      reason += " (more than a model of this file size needs; the archive "
                "is malformed or corrupted)";
    return loadError(path, reason);
  }
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
    return error("LibTorch did not finish loading it in " +
                 llvm::Twine(kLoaderTimeoutSeconds) + " s");
  if (WIFSIGNALED(status))
    return error(llvm::Twine("LibTorch crashed reading it (") +
                 strsignal(WTERMSIG(status)) +
                 "); the archive is malformed or corrupted");
  return error("LibTorch's loader failed (exit status " +
               llvm::Twine(WEXITSTATUS(status)) +
               "); the archive is malformed or corrupted");
}

llvm::Expected<OwningOpRef<ModuleOp>>
mlir::qtensor::importTorchScript(MLIRContext &context, StringRef path,
                                 const ImportOptions &options) {
  auto error = [](const llvm::Twine &message) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
  };
  // Check the file before LibTorch sees it, for plain messages.
  llvm::sys::fs::file_status status;
  if (std::error_code ec = llvm::sys::fs::status(path, status))
    return error("cannot open '" + path + "': " + ec.message());
  if (llvm::sys::fs::is_directory(status))
    return error("cannot open '" + path + "': is a directory");
  if (status.getSize() == 0)
    return error("'" + path + "' is empty, not a TorchScript archive");
  {
    auto buffer = llvm::MemoryBuffer::getFileSlice(path, 4, 0);
    if (!buffer)
      return error("cannot read '" + path +
                   "': " + buffer.getError().message());
    if ((*buffer)->getBuffer() != StringRef("PK\x03\x04", 4))
      return error("'" + path +
                   "' is not a TorchScript archive (no zip header); save "
                   "models with torch.jit.script(model).save(path)");
  }
  if (options.isolateLoader)
    if (llvm::Error failure = loadInChildProcess(path, status.getSize()))
      return failure;
  loadImporterDialects(context);

  try {
    jit::Module original;
    std::shared_ptr<jit::Graph> graph = loadForwardGraph(path.str(), original);
    GraphImporter importer(context, original);
    OwningOpRef<ModuleOp> module = importer.run(*graph, options);

    std::string diagnostic;
    {
      ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
        if (diagnostic.empty())
          diagnostic = diag.str();
        return success();
      });
      if (failed(verify(*module)))
        return error("the imported model does not verify: " + diagnostic);
    }
    return module;
  } catch (const ImportError &failure) {
    return error(failure.message);
  } catch (const c10::Error &failure) {
    return loadError(path, firstLine(failure.what_without_backtrace()));
  } catch (const std::exception &failure) {
    return loadError(path, firstLine(failure.what()));
  }
}

llvm::Expected<SmallVector<int64_t>>
mlir::qtensor::parseInputShape(StringRef text) {
  auto error = [&](const llvm::Twine &why) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "invalid input shape '" + text +
                                       "': " + why);
  };
  if (text.empty())
    return error("empty");
  SmallVector<StringRef> parts;
  text.split(parts, 'x');
  SmallVector<int64_t> shape;
  for (auto [index, part] : llvm::enumerate(parts)) {
    if (part == "?") {
      if (index != 0)
        return error("only the leading dimension may be '?'");
      shape.push_back(ShapedType::kDynamic);
      continue;
    }
    int64_t size;
    if (part.getAsInteger(10, size) || size < 0)
      return error("'" + part + "' is not a dimension size");
    if (size > (int64_t(1) << 40))
      return error("dimension " + part + " is too large");
    shape.push_back(size);
  }
  return shape;
}

llvm::Expected<ImportFloatType>
mlir::qtensor::parseImportFloatType(StringRef text) {
  if (text == "f32")
    return ImportFloatType::F32;
  if (text == "f16")
    return ImportFloatType::F16;
  if (text == "bf16")
    return ImportFloatType::BF16;
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "unsupported input dtype '" + text +
                                     "' (expected f32, f16 or bf16)");
}
