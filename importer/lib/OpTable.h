//===- OpTable.h - TorchScript op kinds to import handlers ------*- C++ -*-===//
//
// The registry from a TorchScript node kind ("aten::linear") to the handler
// that imports it, and the per-family functions that fill it. Supporting a
// new op is one handler in its family's file and one line in that family's
// register function.
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_IMPORTER_LIB_OPTABLE_H
#define QTENSOR_IMPORTER_LIB_OPTABLE_H

#include "GraphImporter.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"

namespace mlir::qtensor::importer {

/// Imports one node: reads its inputs through `importer`, emits IR with
/// `importer.getBuilder()` and defines its outputs, or calls
/// `importer.fail`. `loc` is `importer.locationOf(node)`, computed for every
/// node before the lookup, supported or not: reading a node's source ranges
/// can throw on a malformed archive, and reading them first keeps which
/// error such a file gets independent of the handler.
using OpHandler = void (*)(GraphImporter &importer, jit::Node *node,
                           Location loc);

/// Node kinds and their handlers. Built once, then only read.
class OpTable {
public:
  /// Registers `handler` for the node kind `name`. Registering a kind twice
  /// is a programming error and aborts.
  void add(StringRef name, OpHandler handler);
  /// The handler for `name`, or null when the op is not supported.
  OpHandler lookup(StringRef name) const;

  /// The table of every supported op, filled by the register functions
  /// below on first use.
  static const OpTable &get();

private:
  llvm::StringMap<OpHandler> handlers;
};

/// prim::Constant, lists and tuples, aten::size, identities (PrimOps.cpp).
void registerPrimOps(OpTable &table);
/// prim::If, prim::Loop and the queries their conditions ask, decided at
/// import (ControlFlowOps.cpp).
void registerControlFlowOps(OpTable &table);
/// linear, mm, addmm, matmul (LinearOps.cpp).
void registerLinearOps(OpTable &table);
/// Transposes, reshapes and views (ShapeOps.cpp).
void registerShapeOps(OpTable &table);
/// PyTorch's fused transformer inference ops, decomposed
/// (AttentionOps.cpp).
void registerAttentionOps(OpTable &table);
/// Slicing, joining and gathering (IndexingOps.cpp).
void registerIndexingOps(OpTable &table);
/// Activations, math, arithmetic, comparisons and masks
/// (ElementwiseOps.cpp).
void registerElementwiseOps(OpTable &table);
/// Reductions and normalization: sum, mean, softmax, layer_norm
/// (ReductionOps.cpp).
void registerReductionOps(OpTable &table);

/// Module state: prim::GetAttr of the buffers forward writes, index_put_,
/// index_copy_ (StateOps.cpp).
void registerStateOps(OpTable &table);

} // namespace mlir::qtensor::importer

#endif // QTENSOR_IMPORTER_LIB_OPTABLE_H
