//===- ElementTypes.cpp - qtensor element types as MLIR types -------------===//

#include "qtensor/Dialect/ElementTypes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;

Type mlir::qtensor::getElementType(MLIRContext &context,
                                   ::qtensor::ElementType type) {
  Builder builder(&context);
  switch (type) {
  case ::qtensor::ElementType::F32:
    return builder.getF32Type();
  case ::qtensor::ElementType::F16:
    return builder.getF16Type();
  case ::qtensor::ElementType::BF16:
    return builder.getBF16Type();
  case ::qtensor::ElementType::I8:
    return builder.getI8Type();
  case ::qtensor::ElementType::I32:
    return builder.getI32Type();
  case ::qtensor::ElementType::I64:
    return builder.getI64Type();
  case ::qtensor::ElementType::Bool:
    return builder.getI1Type();
  }
  llvm_unreachable("unknown element type");
}

std::optional<::qtensor::ElementType>
mlir::qtensor::getElementTypeKind(Type type) {
  for (::qtensor::ElementType kind : ::qtensor::kElementTypes)
    if (getElementType(*type.getContext(), kind) == type)
      return kind;
  return std::nullopt;
}
