//===- PassUtils.h - helpers shared by the qtensor passes -------*- C++ -*-===//

#ifndef QTENSOR_PASSES_PASSUTILS_H
#define QTENSOR_PASSES_PASSUTILS_H

#include "qtensor/Passes/Int8SymmetricQuantizer.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Location.h"

#include <optional>
#include <string>

namespace mlir {
namespace qtensor {

/// Marks the K loop of a one-row (GEMV) CPU tile, for
/// qtensor-prefetch-weights; the attribute survives bufferization.
inline constexpr llvm::StringLiteral kGemvLoopAttr = "qtensor.gemv";

/// The first name found in `loc` (a NameLoc, possibly inside a fused or
/// call-site location), or "" if there is none.
std::string getLocationName(Location loc);

/// The name a constant goes by in options and diagnostics: its dense_resource
/// key (which survives printing), else its location's name, else "".
std::string getConstantName(Operation *constant, ElementsAttr value);

/// The raw bytes of every element of `value`, row-major. A splat, and bools
/// (one byte each), are expanded into `storage`. Fails when the data is not
/// available (an elided dense_resource blob) or a blob's size does not fit its
/// type.
FailureOr<ArrayRef<char>> getRawElementBytes(ElementsAttr value,
                                             SmallVectorImpl<char> &storage);

/// The ElementType of f32, f16 and bf16, the float formats the quantizer
/// reads; nullopt for any other type.
std::optional<::qtensor::ElementType> getFloatElementType(Type type);

/// A `linalg.generic` computing `out[i...] = max(in[i...], 0)` elementwise
/// with NaN kept (as `arith.maximumf` against 0, or `cmpf ugt` + `select`):
/// returns its input, else a null value.
Value matchRelu(Operation *op);

/// A `linalg.generic` computing `out[m, n] = in[m, n] + bias[n]` with `in`
/// equal to `input`: returns the bias, else a null value.
Value matchBiasAdd(Operation *op, Value input);

/// Builds `out[m, n] = input[m, n] + bias[n]` as a linalg.generic, the form
/// matchBiasAdd recognizes.
Value createBiasAdd(OpBuilder &builder, Location loc, Value input, Value bias);

/// An empty tensor of `type` whose dynamic sizes are taken from the same
/// dimensions of `like` (which has the same rank).
Value createEmptyLike(OpBuilder &builder, Location loc, RankedTensorType type,
                      Value like);

/// `x` of shape [d0, ..., dn-1, K] as a [M, K] matrix, M the product of the
/// leading dimensions (a rank-1 `x` becomes [1, K]).
Value flattenToMatrix(OpBuilder &builder, Location loc, Value x);

/// The inverse of flattenToMatrix for a [M, N] result: reshapes `matrix` to
/// `resultType`, x's leading dimensions followed by N, taking dynamic sizes
/// from `x`.
Value unflattenFromMatrix(OpBuilder &builder, Location loc, Value matrix,
                          Value x, RankedTensorType resultType);

/// Attribute on the elementwise generic that finishes a fused kernel (scale,
/// bias, relu); the CPU tiling and the GPU mapping start from it.
inline constexpr llvm::StringLiteral kEpilogueAttr = "qtensor.epilogue";
/// Attribute on the elementwise int8 -> float conversion of a weight that
/// feeds a contraction; the CPU tiling recomputes it per tile.
inline constexpr llvm::StringLiteral kWeightConvertAttr =
    "qtensor.weight_convert";

/// True when `map` yields exactly the dimensions `dims`, in order.
bool isDimMap(AffineMap map, ArrayRef<unsigned> dims);

/// An elementwise linalg.generic converting the int8 `weights` to float
/// `elementType`; `transposed` writes the 2-D result as [K, N] from [N, K]
/// weights. Callers mark it (kWeightConvertAttr, or a layout of their own).
linalg::GenericOp createWeightConversion(OpBuilder &builder, Location loc,
                                         Value weights, Type elementType,
                                         bool transposed = false);

} // namespace qtensor
} // namespace mlir

#endif // QTENSOR_PASSES_PASSUTILS_H
