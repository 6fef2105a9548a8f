//===- QTensorDialect.cpp - qtensor dialect registration ------------------===//

#include "qtensor/Dialect/QTensorDialect.h"

using namespace mlir;
using namespace mlir::qtensor;

#include "qtensor/Dialect/QTensorDialect.cpp.inc"
#include "qtensor/Dialect/QTensorEnums.cpp.inc"

void QTensorDialect::initialize() {
  registerTypes();
  registerAttributes();
  addOperations<
#define GET_OP_LIST
#include "qtensor/Dialect/QTensorOps.cpp.inc"
      >();
}
