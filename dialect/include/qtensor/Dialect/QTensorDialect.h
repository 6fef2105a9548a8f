//===- QTensorDialect.h - qtensor dialect, types and ops --------*- C++ -*-===//
//
// The single header to include for the qtensor dialect: the dialect class,
// the enums, the quantized tensor type, the attributes and every op.
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_DIALECT_QTENSORDIALECT_H
#define QTENSOR_DIALECT_QTENSORDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "qtensor/Dialect/QTensorDialect.h.inc"
#include "qtensor/Dialect/QTensorEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "qtensor/Dialect/QTensorAttrs.h.inc"

#define GET_TYPEDEF_CLASSES
#include "qtensor/Dialect/QTensorTypes.h.inc"

#define GET_OP_CLASSES
#include "qtensor/Dialect/QTensorOps.h.inc"

namespace mlir {
namespace qtensor {

/// Formats a shape as `[128, ?]`, the form every qtensor diagnostic uses.
std::string formatShape(llvm::ArrayRef<int64_t> shape);

} // namespace qtensor
} // namespace mlir

#endif // QTENSOR_DIALECT_QTENSORDIALECT_H
