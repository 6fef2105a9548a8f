//===- ElementTypes.h - qtensor element types as MLIR types -----*- C++ -*-===//
//
// The MLIR type of each qtensor::ElementType (qtensor/Support), and back:
// how the importer types a model's inputs and how the runtimes read a
// compiled function's signature.
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_DIALECT_ELEMENTTYPES_H
#define QTENSOR_DIALECT_ELEMENTTYPES_H

#include "qtensor/Support/ElementType.h"

#include "mlir/IR/Types.h"

#include <optional>

namespace mlir {
class MLIRContext;
namespace qtensor {

/// f32, f16, bf16, i8, i32, i64 or i1 (bool).
Type getElementType(MLIRContext &context, ::qtensor::ElementType type);

/// The ElementType of `type`, if it is one of those.
std::optional<::qtensor::ElementType> getElementTypeKind(Type type);

} // namespace qtensor
} // namespace mlir

#endif // QTENSOR_DIALECT_ELEMENTTYPES_H
