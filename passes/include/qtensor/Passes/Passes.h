//===- Passes.h - qtensor passes --------------------------------*- C++ -*-===//

#ifndef QTENSOR_PASSES_PASSES_H
#define QTENSOR_PASSES_PASSES_H

#include "qtensor/Dialect/QTensorDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
namespace qtensor {

#define GEN_PASS_DECL
#include "qtensor/Passes/Passes.h.inc"

/// Adds the rewrite of quantized linears into transpose + mixed_mm +
/// scale_mul (qtensor-decompose-linear) to `patterns`.
void populateDecomposeLinearPatterns(RewritePatternSet &patterns);

#define GEN_PASS_REGISTRATION
#include "qtensor/Passes/Passes.h.inc"

} // namespace qtensor
} // namespace mlir

#endif // QTENSOR_PASSES_PASSES_H
