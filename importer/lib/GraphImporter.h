//===- GraphImporter.h - One TorchScript graph to stage-0 IR ----*- C++ -*-===//
//
// The importer's private interface, shared by the op handlers: what a
// TorchScript value is during import (Item), the GraphImporter that owns the
// IR being built and the values imported so far, and the emit helpers that
// several op families use. Only importer/lib includes this header; unlike
// the public one it includes LibTorch.
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_IMPORTER_LIB_GRAPHIMPORTER_H
#define QTENSOR_IMPORTER_LIB_GRAPHIMPORTER_H

#include "qtensor/Importer/TorchScriptImporter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Location.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/Twine.h"

#include <torch/script.h>

#include <string>
#include <unordered_map>
#include <vector>

namespace mlir::qtensor::importer {

namespace jit = ::torch::jit;

/// An import failure with its one-line message. Thrown rather than returned
/// so that handlers stay straight-line code; importTorchScript catches it
/// and turns it into an llvm::Error.
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
  /// Another value known at import time (a device, a module), as LibTorch
  /// holds it; None for a value that is not known (prim::Uninitialized).
  c10::IValue other;
  /// For a tensor: the module state (a buffer forward writes) it is, or -1.
  /// Its value is the state's current one (GraphImporter::materialize), so
  /// every alias of the buffer sees the writes before it.
  int state = -1;

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
  /// The number a 0-D tensor holds, as an Int, Float or Bool item.
  static Item number(const at::Tensor &scalar);
  bool isScalar() const {
    return kind == Kind::Int || kind == Kind::Float || kind == Kind::Bool;
  }
  double scalar() const {
    return kind == Kind::Float  ? floatValue
           : kind == Kind::Bool ? (boolValue ? 1.0 : 0.0)
                                : static_cast<double>(intValue);
  }
};

/// Imports the frozen, inlined graph of `forward` into `func.func @forward`.
/// It walks the nodes in order and hands each to the handler the op table
/// (OpTable.h) has for its kind; the public part below is what handlers use.
class GraphImporter {
public:
  GraphImporter(MLIRContext &context, jit::Module &original);

  /// Imports `graph`, the graph of `original`'s forward. Optional inputs
  /// left out become None, and `graph` is specialized to that.
  OwningOpRef<ModuleOp> run(const std::shared_ptr<jit::Graph> &graph,
                            const ImportOptions &options);

  //===--------------------------------------------------------------------===//
  // Handler API
  //===--------------------------------------------------------------------===//

  MLIRContext &getContext() { return context; }
  /// The builder, at the point where the current node's IR goes.
  OpBuilder &getBuilder() { return builder; }

  /// Throws an ImportError: `message` followed by the node's user position
  /// (" at model.py:12:21"; " at model.py:12" for a traced model) and its
  /// module (" (module blocks.0.attn)") where known.
  [[noreturn]] void fail(const jit::Node *node, const llvm::Twine &message);
  /// The user's line fused with the node's own line, with the module path as
  /// the fusion's metadata (see docs/importer.md).
  Location locationOf(const jit::Node *node);

  /// What `value` imported as; fails when it has not been imported.
  Item &lookup(const jit::Value *value);
  /// Records what `value` imports as. `item` is taken by value: the copy is
  /// made before the insertion, which may move the Item that a reference
  /// from lookup() points to, so `define(out, lookup(in))` is safe.
  void define(const jit::Value *value, Item item);
  /// Records `value` as the tensor the node's single output imports as.
  void setResult(const jit::Node *node, Value value);

  /// Input `index` of `node` as a tensor in the IR (constants are emitted on
  /// first use).
  Value tensorOf(const jit::Node *node, unsigned index);
  /// Input `index` of `node` as an int (a bool counts as 0 or 1).
  int64_t intOf(const jit::Node *node, unsigned index);
  /// Input `index` of `node` as a list of ints (a single int as one).
  std::vector<int64_t> intListOf(const jit::Node *node, unsigned index);
  /// True when input `index` of `node` is None or absent.
  bool isNone(const jit::Node *node, unsigned index);
  /// The tensor `item` stands for, emitting its constant on first use.
  Value materialize(const jit::Node *node, Item &item);
  /// The MLIR element type of `tensor`'s dtype; fails for dtypes qtensor
  /// does not compile, naming the tensor.
  Type elementTypeOf(const at::Tensor &tensor, const std::string &name);
  /// `tensor`'s elements as an attribute: a named blob sharing LibTorch's
  /// storage, a literal for scalars and masks.
  ElementsAttr elementsOf(const at::Tensor &tensor, const std::string &name);
  /// Emits `tensor` as a named `arith.constant` at the top of the function.
  Value emitConstant(const at::Tensor &tensor, const std::string &name,
                     Location loc);
  /// The name of a constant tensor: the parameter or buffer whose elements
  /// it views, else the TorchScript value's name.
  std::string nameOf(const at::Tensor &tensor, const jit::Value *value);

  /// The name that the inputs' descriptions give dynamic dimension `dim` of
  /// `tensor` ("?", "T"), or "" where the dimension is static or its size
  /// cannot be followed back to an input. Compiled code assumes that two
  /// dynamic sizes an op combines are equal; the runtime checks that per
  /// name, so distinct names must not meet (checkSameDynamicSize).
  StringRef dimNameOf(Value tensor, int64_t dim);
  /// Records the names of `tensor`'s dimensions ("" where none).
  void setDimNames(Value tensor, ArrayRef<std::string> names);
  /// The names of all of `tensor`'s dimensions.
  SmallVector<std::string> dimNamesOf(Value tensor);
  /// Fails unless `elementType` is a float type: `node` computes in float
  /// arithmetic, which integer and bool inputs do not have yet.
  void requireFloat(const jit::Node *node, Type elementType);
  /// Fails when dimension `aDim` of `a` and `bDim` of `b`, which `node`
  /// assumes equal, are dynamic sizes of two different names.
  void checkSameDynamicSize(const jit::Node *node, Value a, int64_t aDim,
                            Value b, int64_t bDim);
  /// The same for two names directly; returns the known one.
  std::string mergeDimNames(const jit::Node *node, StringRef a, StringRef b);

  /// Imports the nodes of `block` in order (a graph's, or the branch of a
  /// prim::If that is taken).
  void importBlock(jit::Block *block);

  //===--------------------------------------------------------------------===//
  // Module state (StateOps.cpp, docs/decoding.md)
  //===--------------------------------------------------------------------===//

  /// The state item of the module's tensor attribute at `path`: an argument
  /// of @forward created on first use, holding `initial` before the first
  /// call. Only buffers may be state: freezing keeps the attributes that
  /// forward writes, and a parameter written in place is refused.
  Item stateItem(const jit::Node *node, const std::string &path,
                 const at::Tensor &initial);
  /// Records that `node` wrote `result` into `target` in place: later uses
  /// of `target` (and of every alias of a state buffer) see `result`.
  /// Writing into an input of forward fails.
  void writeInPlace(const jit::Node *node, const jit::Value *target,
                    Value result);
  /// Records a check the compiled code makes at run time: when `ok` (an i1)
  /// is false, the call fails with `message` and the node's position, and
  /// the op that needed it must have written nothing.
  void addRuntimeCheck(const jit::Node *node, Value ok,
                       const std::string &message);

  /// Records that the values of `value`, when it is an input of forward,
  /// must be below `bound` (the positions of a KV cache): the runtime checks
  /// them before a call, and tools can check them before a loop.
  void boundInput(const jit::Value *value, int64_t bound);

  /// " at model.py:12:21 (module blocks.0.attn)": the node's user position
  /// and module, as errors append them.
  std::string where(const jit::Node *node);

private:
  void importNode(jit::Node *node);
  /// Appends the states to @forward's arguments, and the run-time checks'
  /// status and the states' final values to its results (StateOps.cpp).
  void appendState(SmallVectorImpl<Type> &argTypes,
                   SmallVectorImpl<Value> &results,
                   SmallVectorImpl<DictionaryAttr> &resultAttrs);
  /// Names the state arguments of `func`, which follow its `numInputs`
  /// inputs, and records their initial values.
  void setStateAttributes(func::FuncOp func, unsigned numInputs);
  /// The path of the module instance whose code `node` came from
  /// ("blocks.0.attn.c_attn"), from its inlined call stack; "" at the top
  /// level, or the known prefix where a frame names no instance that can be
  /// found (docs/importer.md, Locations).
  std::string modulePath(const jit::Node *node);

  MLIRContext &context;
  OpBuilder builder;
  Block *entry = nullptr;
  /// Constants go after the last one emitted, so they stay at the top of the
  /// function in the order they were first used.
  Operation *lastConstant = nullptr;
  /// The module as loaded, before freezing: its hierarchy names modules.
  jit::Module original;
  /// modulePath by inlined call stack, which the nodes of a call share.
  llvm::DenseMap<const void *, std::string> modulePaths;
  /// Parameter and buffer names and sizes by data pointer.
  struct NamedStorage {
    std::string name;
    int64_t numel;
  };
  std::unordered_map<void *, NamedStorage> names;
  llvm::DenseMap<const jit::Value *, Item> items;
  llvm::DenseMap<Value, SmallVector<std::string>> dimNames;
  /// forward's inputs (which nothing may write) by position, and the bound
  /// on the values of each that the model checks (0: none).
  llvm::DenseMap<const jit::Value *, unsigned> graphInputs;
  SmallVector<int64_t> inputBounds;
  /// A traced model compiled with dynamic sizes: errors suggest why.
  bool tracedWithDynamicSizes = false;
  struct StateBuffer {
    std::string name;
    ElementsAttr initial;
    BlockArgument argument;
    Value current;
  };
  std::vector<StateBuffer> states;
  struct RuntimeCheck {
    Value ok;
    std::string message;
  };
  std::vector<RuntimeCheck> checks;
};

/// Runs `node` with LibTorch when all its inputs are known at import time
/// and defines its outputs as import-time values; false when it cannot
/// (ConstantFolding.cpp).
bool foldAtImport(GraphImporter &importer, jit::Node *node);

//===----------------------------------------------------------------------===//
// Emit helpers, each defined with the op family it belongs to
//===----------------------------------------------------------------------===//

/// `dim` with Python's negative dimensions, checked against `rank`; fails
/// naming the node's op (GraphImporter.cpp).
int64_t normalizeDim(GraphImporter &importer, const jit::Node *node,
                     int64_t dim, int64_t rank);
/// The size of dimension `dim` of `tensor` as an index (GraphImporter.cpp).
Value dimSize(GraphImporter &importer, Location loc, Value tensor, int64_t dim);

/// `qtensor.linear`, after checking that the input fits the weight
/// (LinearOps.cpp).
Value emitLinear(GraphImporter &importer, jit::Node *node, Value input,
                 Value weight, Value bias, const std::string &weightName);
/// Inputs `lhsIndex` x `rhsIndex` of `node` as `qtensor.linear` (a frozen
/// `x @ w.t()`), `linalg.matmul` or `linalg.batch_matmul` (LinearOps.cpp).
Value emitMatmul(GraphImporter &importer, jit::Node *node, unsigned lhsIndex,
                 unsigned rhsIndex);

/// [..., M, K] x [..., K, N] with broadcast batch dimensions, 1-D operands
/// as in PyTorch's matmul, as `linalg.batch_matmul` (LinearOps.cpp).
Value emitBatchedMatmul(GraphImporter &importer, jit::Node *node, Value lhs,
                        Value rhs);

/// `q @ repeat_interleave(k, n, 1).transpose(2, 3)` or `p @
/// repeat_interleave(v, n, 1)` (grouped-query attention) as products over
/// the KV heads in place, without the repeated copies; a null value when
/// `node`, an aten::matmul, is not of that form (GroupedQueryAttention.cpp).
Value emitGroupedQueryMatmul(GraphImporter &importer, jit::Node *node);

/// The one integer tensor index of the index list that is input `index` of
/// `node` (`x[:, :, pos]`: Nones, then a tensor), within `rank`, and the
/// dimension it indexes; fails for anything else (IndexingOps.cpp).
std::pair<int64_t, Value> tensorIndexOf(GraphImporter &importer,
                                        jit::Node *node, unsigned index,
                                        int64_t rank);

/// `linalg.transpose` by `perm`, or `input` itself for the identity
/// (ShapeOps.cpp).
Value emitTranspose(GraphImporter &importer, Location loc, Value input,
                    ArrayRef<int64_t> perm);
/// `input` reshaped to `target`; at most one size of `target` may be -1 (or
/// dynamic), and it is inferred (ShapeOps.cpp).
Value emitReshape(GraphImporter &importer, jit::Node *node, Value input,
                  SmallVector<int64_t> target);

/// The body of an elementwise op: scalars of `operands` arrive as constants
/// of the element type.
using ElementwiseBody =
    function_ref<Value(OpBuilder &, Location, Type, ArrayRef<Value>)>;
/// An elementwise `linalg.generic` over tensors and numbers, broadcast as
/// PyTorch does (ElementwiseOps.cpp). By default all tensors have one float
/// element type, which numbers and the result take. With `scalarType` and
/// `resultType` set, tensors may differ (a bool mask beside a float tensor),
/// numbers are constants of `scalarType` and the result has `resultType`.
Value emitElementwise(GraphImporter &importer, jit::Node *node,
                      ArrayRef<Item> operands, ElementwiseBody body,
                      Type scalarType = {}, Type resultType = {});
/// `value` converted to the element type `to` as PyTorch's `to(dtype)` does:
/// floats round, floats to integers truncate, nonzero is true
/// (ElementwiseOps.cpp).
Value convertElement(OpBuilder &builder, Location loc, Value value, Type to);
/// `input` with its elements converted to `elementType` (ElementwiseOps.cpp).
Value emitConvert(GraphImporter &importer, jit::Node *node, Value input,
                  Type elementType);
/// The type PyTorch's CPU kernels accumulate `elementType` in: f32 for f16
/// and bf16 (a matmul, a sum, a softmax or a norm of half-precision values
/// computes in f32 and rounds its result once), else the type itself.
Type getAccumulatorType(Type elementType);
/// Defines the result of `node`, and, for an in-place op (`add_`,
/// `index_put_`), also what its first input holds from then on
/// (GraphImporter::writeInPlace; ElementwiseOps.cpp).
void setInPlaceResult(GraphImporter &importer, jit::Node *node, Value result);
/// `input` converted to its accumulator type (ElementwiseOps.cpp).
Value emitWiden(GraphImporter &importer, jit::Node *node, Value input);
/// `input` broadcast to `shape` (PyTorch's expand; ShapeOps.cpp).
Value emitBroadcast(GraphImporter &importer, jit::Node *node, Value input,
                    ArrayRef<int64_t> shape);
/// emitElementwise on the node's input 0 (ElementwiseOps.cpp).
Value emitUnary(GraphImporter &importer, jit::Node *node,
                function_ref<Value(OpBuilder &, Location, Value)> body);

/// A `linalg.generic` that reduces `input` along `dim` from `init` with
/// `combine(element, accumulator)`; `dim` is dropped (ReductionOps.cpp).
Value emitReduction(
    GraphImporter &importer, Location loc, Value input, int64_t dim, Value init,
    function_ref<Value(OpBuilder &, Location, Value, Value)> combine);
/// The same along several dimensions at once, all dropped.
Value emitReduction(
    GraphImporter &importer, Location loc, Value input, ArrayRef<int64_t> dims,
    Value init,
    function_ref<Value(OpBuilder &, Location, Value, Value)> combine);
/// Softmax of `input` along `dim` (ReductionOps.cpp).
Value emitSoftmax(GraphImporter &importer, jit::Node *node, Value input,
                  int64_t dim);
/// layer_norm of `input` over its last dimension, with optional `weight`
/// and `bias` (ReductionOps.cpp).
Value emitLayerNorm(GraphImporter &importer, jit::Node *node, Value input,
                    Value weight, Value bias, double eps);

} // namespace mlir::qtensor::importer

#endif // QTENSOR_IMPORTER_LIB_GRAPHIMPORTER_H
