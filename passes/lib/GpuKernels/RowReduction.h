//===- RowReduction.h - a warp per row of a linalg reduction ----*- C++ -*-===//
//
// Reductions outside the fused linears (softmax's max and sum, the means of
// layer_norm and RMSNorm) on the GPU: one warp per output element, its 32
// lanes striding the reduced loop and combining their partial results with
// shuffles, instead of one thread looping over the whole row.
//
//===----------------------------------------------------------------------===//

#ifndef QTENSOR_PASSES_GPUKERNELS_ROWREDUCTION_H
#define QTENSOR_PASSES_GPUKERNELS_ROWREDUCTION_H

#include "GridEmitter.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <optional>

namespace mlir {
namespace qtensor {

/// A linalg.generic on buffers with one reduction loop whose body folds
/// each element into its output with one associative, commutative
/// combiner of 32-bit values.
struct RowReduction {
  linalg::GenericOp op;
  /// The body's op that yields combine(f(inputs), output).
  Operation *combiner = nullptr;
  unsigned reductionDim = 0;
  /// The combiner's neutral element: each lane starts from it.
  TypedAttr identity;
};

/// Matches `op`; nullopt when it is not such a reduction.
std::optional<RowReduction> matchRowReduction(linalg::GenericOp op);

/// Emits the warp-per-row kernel of one reduction and erases the op.
class RowReductionEmitter : public GridEmitter {
public:
  RowReductionEmitter(OpBuilder &builder, RowReduction reduction, bool emulate,
                      std::string stem);
  void emit();

private:
  /// combine(lhs, rhs) with the body's combiner, on scalars or vectors.
  Value combine(Value lhs, Value rhs);
  /// The loop indices of output row `row`, 0 at the reduced loop.
  SmallVector<Value> getLoopIndices(Value row);
  /// The lane's fold of k = lane, lane + 32, ... < K, from the identity,
  /// in the row at `rowIndices`.
  Value emitLanePartial(ArrayRef<Value> rowIndices, Value lane);
  /// output[row] = combine(total, output[row]).
  void emitStore(ArrayRef<Value> rowIndices, Value total);
  void emitWarps();
  void emitEmulatedWarps();

  RowReduction reduction;
  /// Loop sizes, the number of output rows and the reduced size.
  SmallVector<Value> sizes;
  Value rows;
  Value reducedSize;
};

} // namespace qtensor
} // namespace mlir

#endif // QTENSOR_PASSES_GPUKERNELS_ROWREDUCTION_H
