//===- OpTable.cpp - TorchScript op kinds to import handlers --------------===//
//
// Builds the one op table from the families' register functions.
//
//===----------------------------------------------------------------------===//

#include "OpTable.h"

#include "llvm/Support/ErrorHandling.h"

using namespace mlir;
using namespace mlir::qtensor::importer;

void OpTable::add(StringRef name, OpHandler handler) {
  // Not an assert: a second registration would silently replace the first
  // in a release build, and which handler wins would depend on the order of
  // the register calls.
  if (!handlers.try_emplace(name, handler).second)
    llvm::report_fatal_error("qtensor importer: operator '" + name +
                             "' is registered twice");
}

OpHandler OpTable::lookup(StringRef name) const {
  auto it = handlers.find(name);
  return it == handlers.end() ? nullptr : it->second;
}

const OpTable &OpTable::get() {
  // Built on first use (thread-safe), never changed afterwards.
  static const OpTable table = [] {
    OpTable table;
    registerPrimOps(table);
    registerControlFlowOps(table);
    registerLinearOps(table);
    registerShapeOps(table);
    registerIndexingOps(table);
    registerElementwiseOps(table);
    registerReductionOps(table);
    registerStateOps(table);
    registerAttentionOps(table);
    return table;
  }();
  return table;
}
