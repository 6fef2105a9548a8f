//===- Passes.h - qtensor passes --------------------------------*- C++ -*-===//

#ifndef QTENSOR_PASSES_PASSES_H
#define QTENSOR_PASSES_PASSES_H

#include "qtensor/Dialect/QTensorDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
namespace qtensor {

#define GEN_PASS_DECL
#include "qtensor/Passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "qtensor/Passes/Passes.h.inc"

} // namespace qtensor
} // namespace mlir

#endif // QTENSOR_PASSES_PASSES_H
